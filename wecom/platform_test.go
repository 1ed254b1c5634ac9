package wecom_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

// Every call that exists on one platform only fails with ErrWrongPlatform on the other, and sends
// nothing (not even a token request).
func TestWrongPlatformSendsNothing(t *testing.T) {
	weComOnly := map[string]func(context.Context, *wecom.Client) error{
		"Messages.SendText": func(ctx context.Context, c *wecom.Client) error {
			_, err := c.Messages().SendText(ctx, &wecom.SendTextRequest{Recipients: wecom.ToUsers("u"), Content: "hi"})
			return err
		},
		"Messages.SendTextCard (invalid too)": func(ctx context.Context, c *wecom.Client) error {
			_, err := c.Messages().SendTextCard(ctx, &wecom.SendTextCardRequest{})
			return err
		},
		"Messages.SendMarkdown": func(ctx context.Context, c *wecom.Client) error {
			_, err := c.Messages().SendMarkdown(ctx, &wecom.SendMarkdownRequest{Recipients: wecom.ToUsers("u"), Content: "hi"})
			return err
		},
		"Messages.SendNews": func(ctx context.Context, c *wecom.Client) error {
			_, err := c.Messages().SendNews(ctx, &wecom.SendNewsRequest{Recipients: wecom.ToUsers("u"),
				Articles: []wecom.NewsArticle{{Title: "t", URL: "https://x"}}})
			return err
		},
		"Messages.SendMedia": func(ctx context.Context, c *wecom.Client) error {
			_, err := c.Messages().SendMedia(ctx, &wecom.SendMediaRequest{Recipients: wecom.ToUsers("u"), Type: wecom.MediaImage, MediaID: "m"})
			return err
		},
		"Messages.SendTemplateCard": func(ctx context.Context, c *wecom.Client) error {
			_, err := c.Messages().SendTemplateCard(ctx, &wecom.SendTemplateCardRequest{Recipients: wecom.ToUsers("u")})
			return err
		},
		"Messages.Recall": func(ctx context.Context, c *wecom.Client) error { return c.Messages().Recall(ctx, "m") },
		"AgentConfigTicket": func(ctx context.Context, c *wecom.Client) error {
			_, err := c.AgentConfigTicket(ctx)
			return err
		},
		"Media.Upload(file)": func(ctx context.Context, c *wecom.Client) error {
			_, err := c.Media().Upload(ctx, wecom.MediaFile, "a.txt", strings.NewReader("123456"))
			return err
		},
	}
	mpOnly := map[string]func(context.Context, *wecom.Client) error{
		"MPMessages.SendTemplate": func(ctx context.Context, c *wecom.Client) error {
			_, err := c.MPMessages().SendTemplate(ctx, &wecom.TemplateMessage{ToUser: "o", TemplateID: "t"})
			return err
		},
		"MPMessages.SendCustomText": func(ctx context.Context, c *wecom.Client) error {
			return c.MPMessages().SendCustomText(ctx, "o", "hi")
		},
		"MPMessages.SendCustomImage": func(ctx context.Context, c *wecom.Client) error {
			return c.MPMessages().SendCustomImage(ctx, "o", "m")
		},
		"Menu.Current": func(ctx context.Context, c *wecom.Client) error {
			_, _, err := c.Menu().Current(ctx)
			return err
		},
		"Media.Upload(thumb)": func(ctx context.Context, c *wecom.Client) error {
			_, err := c.Media().Upload(ctx, wecom.MediaThumb, "a.jpg", strings.NewReader("123456"))
			return err
		},
	}
	run := func(t *testing.T, calls map[string]func(context.Context, *wecom.Client) error, mp bool, want error) {
		for name, call := range calls {
			t.Run(name, func(t *testing.T) {
				c, mt := newMocked(t)
				if mp {
					c, mt = newMockedMP(t)
				}
				err := call(t.Context(), c)
				require.ErrorIs(t, err, wecom.ErrWrongPlatform)
				assert.ErrorIs(t, err, want)
				var pe *wecom.PlatformError
				require.ErrorAs(t, err, &pe)
				assert.NotEmpty(t, pe.Call)
				assert.Zero(t, mt.GetTotalCallCount(), "no HTTP request")
			})
		}
	}
	t.Run("WeCom-only on a 公众号", func(t *testing.T) { run(t, weComOnly, true, wecom.ErrWeComOnly) })
	t.Run("公众号-only on WeCom", func(t *testing.T) { run(t, mpOnly, false, wecom.ErrOfficialAccountOnly) })
}

func TestPlatformErrorMessage(t *testing.T) {
	err := error(&wecom.PlatformError{Call: "Messages.SendText", Want: wecom.PlatformWeCom})
	assert.Equal(t, "wecom: Messages.SendText needs a WeCom (wecom.New) client", err.Error())
	assert.NotErrorIs(t, err, wecom.ErrOfficialAccountOnly)
	mp, _ := newMockedMP(t)
	assert.Equal(t, wecom.PlatformOfficialAccount, mp.Platform())
	assert.NoError(t, mp.Require(wecom.PlatformOfficialAccount, "x"))
	assert.Equal(t, wecom.Platform(0), (*wecom.Client)(nil).Platform())
}

func TestUploadImageLimitPerPlatform(t *testing.T) {
	png := append(fixture(t, "testdata/webhook_send/pixel.png"), bytes.Repeat([]byte{0}, wecom.MaxMPUploadImgBytes)...)
	require.Greater(t, len(png), wecom.MaxMPUploadImgBytes)
	require.Less(t, len(png), wecom.MaxUploadImgBytes)

	mp, mt := newMockedMP(t)
	_, err := mp.Media().UploadImage(t.Context(), "big.png", bytes.NewReader(png))
	require.ErrorIs(t, err, wecom.ErrInvalidRequest, "公众号: under 1 MB")
	assert.Zero(t, mt.GetTotalCallCount())

	c, mt := newMocked(t)
	captureUpload(t, mt, testBase+"/cgi-bin/media/uploadimg", "testdata/media_uploadimg/ok.json")
	_, err = c.Media().UploadImage(t.Context(), "big.png", bytes.NewReader(png))
	require.NoError(t, err, "WeCom: up to 2 MB")
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+testBase+"/cgi-bin/media/uploadimg"])

	mp, mt = newMockedMP(t)
	captureUpload(t, mt, testBase+"/cgi-bin/media/uploadimg", "testdata/media_uploadimg/ok.json")
	_, err = mp.Media().UploadImage(t.Context(), "small.png", bytes.NewReader(fixture(t, "testdata/webhook_send/pixel.png")))
	require.NoError(t, err)
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+testBase+"/cgi-bin/media/uploadimg"])
}

func TestNilClientIsAnErrorNotAPanic(t *testing.T) {
	var c *wecom.Client
	_, err := c.Messages().SendText(t.Context(), &wecom.SendTextRequest{Recipients: wecom.ToUsers("u"), Content: "hi"})
	assert.ErrorIs(t, err, wecom.ErrNilClient)
	_, err = c.AccessToken(t.Context())
	assert.ErrorIs(t, err, wecom.ErrNilClient)
	_, err = c.JSSDKConfig(t.Context(), "https://a.example/")
	assert.ErrorIs(t, err, wecom.ErrNilClient)
	_, err = c.Media().UploadImage(t.Context(), "a.png", strings.NewReader("123456"))
	assert.ErrorIs(t, err, wecom.ErrNilClient)
	_, err = c.Menu().Get(t.Context())
	assert.ErrorIs(t, err, wecom.ErrNilClient)
	assert.Empty(t, c.ID())
	assert.NotNil(t, c.Logger())
}
