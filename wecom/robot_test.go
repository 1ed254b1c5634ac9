package wecom_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

const robotKey = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

func newMockedRobot(t *testing.T) (*wecom.Robot, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	r, err := wecom.NewRobot(robotKey, wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt}),
		wecom.WithRetry(wecom.RetryPolicy{Attempts: 1}))
	require.NoError(t, err)
	return r, mt
}

const webhookURL = testBase + "/cgi-bin/webhook/send"

func TestRobotSend(t *testing.T) {
	pixel := fixture(t, "testdata/webhook_send/pixel.png")
	tests := []struct {
		name    string
		send    func(context.Context, *wecom.Robot) error
		request string
	}{
		{"text with mentions", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendText(ctx, &wecom.RobotText{Content: "广州今日天气：29度，大部分多云，降雨概率：60%",
				MentionedList: []string{"wangqing", "@all"}, MentionedMobileList: []string{"13800001111", "@all"}})
		}, "testdata/webhook_send/text_request.json"},
		{"markdown", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendMarkdown(ctx, `实时新增用户反馈<font color="warning">132例</font>，请相关同事注意。`)
		}, "testdata/webhook_send/markdown_request.json"},
		{"image: base64 and md5 computed", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendImage(ctx, pixel)
		}, "testdata/webhook_send/image_request.json"},
		{"news", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendNews(ctx, wecom.NewsArticle{Title: "中秋节礼品领取", Description: "今年中秋节公司有豪礼相送",
				URL: "https://www.qq.com", PicURL: "http://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png"})
		}, "testdata/webhook_send/news_request.json"},
		{"file", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendFile(ctx, "3a8asd892asd8asd")
		}, "testdata/webhook_send/file_request.json"},
		{"voice", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendVoice(ctx, "MEDIA_ID")
		}, "testdata/webhook_send/voice_request.json"},
		{"template card", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendTemplateCard(ctx, &wecom.TemplateCard{CardType: wecom.CardTextNotice,
				MainTitle:  &wecom.CardTitle{Title: "库存告警"},
				CardAction: &wecom.CardAction{Type: 1, URL: "https://shop.example/p/BAG-001"}})
		}, "testdata/webhook_send/template_card_request.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, mt := newMockedRobot(t)
			rec := captureJSON(t, mt, http.MethodPost, webhookURL, "testdata/webhook_send/ok.json")
			require.NoError(t, tt.send(t.Context(), r))
			body, req := rec.last(t)
			assertJSONFixture(t, tt.request, body)
			assert.Equal(t, robotKey, req.URL.Query().Get("key"))
			assert.Empty(t, req.URL.Query().Get("access_token"), "robots send no access token")
			assert.Zero(t, mt.GetCallCountInfo()["GET "+testBase+"/cgi-bin/gettoken"])
		})
	}
}

func TestRobotValidation(t *testing.T) {
	tooBig := append(fixture(t, "testdata/webhook_send/pixel.png"), make([]byte, wecom.MaxRobotImageBytes)...)
	tests := []struct {
		name string
		send func(context.Context, *wecom.Robot) error
	}{
		{"nil text", func(ctx context.Context, r *wecom.Robot) error { return r.SendText(ctx, nil) }},
		{"text over 2048 bytes", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendText(ctx, &wecom.RobotText{Content: strings.Repeat("字", 683)})
		}},
		{"markdown over 4096 bytes", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendMarkdown(ctx, strings.Repeat("a", 4097))
		}},
		{"image not png/jpg", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendImage(ctx, []byte("GIF89a……"))
		}},
		{"image over 2 MB", func(ctx context.Context, r *wecom.Robot) error { return r.SendImage(ctx, tooBig) }},
		{"news without url", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendNews(ctx, wecom.NewsArticle{Title: "t"})
		}},
		{"news with mini program", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendNews(ctx, wecom.NewsArticle{Title: "t", URL: "https://x", AppID: "wx"})
		}},
		{"button card", func(ctx context.Context, r *wecom.Robot) error {
			return r.SendTemplateCard(ctx, &wecom.TemplateCard{CardType: wecom.CardButtonInteraction})
		}},
		{"empty file id", func(ctx context.Context, r *wecom.Robot) error { return r.SendFile(ctx, "") }},
		{"upload of 5 bytes", func(ctx context.Context, r *wecom.Robot) error {
			_, err := r.UploadFile(ctx, "a.txt", strings.NewReader("12345"))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, mt := newMockedRobot(t)
			assert.ErrorIs(t, tt.send(t.Context(), r), wecom.ErrInvalidRequest)
			assert.Zero(t, mt.GetTotalCallCount())
		})
	}
}

func TestRobotKeyNeverLeaks(t *testing.T) {
	tests := []struct {
		name      string
		responder httpmock.Responder
		wantCode  wecom.ErrCode
	}{
		{"errcode", httpmock.NewBytesResponder(200, fixture(t, "testdata/webhook_send/93000.json")), 93000},
		{"http status", httpmock.NewStringResponder(502, "bad gateway"), 0},
		{"transport", httpmock.NewErrorResponder(errors.New("connection reset")), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, mt := newMockedRobot(t)
			mt.RegisterResponder(http.MethodPost, webhookURL, tt.responder)
			mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/webhook/upload_media", tt.responder)
			errs := []error{r.SendText(t.Context(), &wecom.RobotText{Content: "hi"})}
			_, err := r.UploadFile(t.Context(), "a.txt", strings.NewReader("hello world"))
			errs = append(errs, err)
			for _, err := range errs {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), robotKey)
				assert.NotContains(t, fmt.Sprintf("%+v", err), robotKey)
				assert.Equal(t, tt.wantCode, wecom.ErrorCode(err))
			}
		})
	}
	r, _ := newMockedRobot(t)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, r), robotKey, verb)
	}
}

func TestNewRobotKeyForms(t *testing.T) {
	mt := httpmock.NewMockTransport()
	rec := captureJSON(t, mt, http.MethodPost, webhookURL, "testdata/webhook_send/ok.json")
	opts := []wecom.Option{wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt})}
	r, err := wecom.NewRobot("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="+robotKey, opts...)
	require.NoError(t, err)
	require.NoError(t, r.SendMarkdown(t.Context(), "x"))
	_, req := rec.last(t)
	assert.Equal(t, robotKey, req.URL.Query().Get("key"))

	c, _ := newMocked(t)
	_, err = wecom.NewRobot(robotKey, wecom.WithHTTPClient(c.HTTPClient()), wecom.WithLogger(c.Logger()))
	require.NoError(t, err)

	for _, bad := range []string{"", "  ", "a b", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=", "k&x=1"} {
		_, err := wecom.NewRobot(bad)
		assert.ErrorIs(t, err, wecom.ErrInvalidRequest, "%q", bad)
	}
}

func TestRobotUploadFile(t *testing.T) {
	r, mt := newMockedRobot(t)
	content := []byte("%PDF-1.4 库存报表")
	var got struct {
		typ, key, field, filename, ctype, filelength string
		data                                         []byte
	}
	mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/webhook/upload_media", func(req *http.Request) (*http.Response, error) {
		got.typ, got.key = req.URL.Query().Get("type"), req.URL.Query().Get("key")
		_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
		if err != nil {
			return nil, err
		}
		mr := multipart.NewReader(req.Body, params["boundary"])
		part, err := mr.NextPart()
		if err != nil {
			return nil, err
		}
		got.field, got.filename, got.ctype = part.FormName(), part.FileName(), part.Header.Get("Content-Type")
		_, cd, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		got.filelength = cd["filelength"]
		got.data, _ = io.ReadAll(part)
		return httpmock.NewBytesResponse(200, fixture(t, "testdata/webhook_upload_media/ok.json")), nil
	})
	res, err := r.UploadFile(t.Context(), "库存.pdf", bytes.NewReader(content))
	require.NoError(t, err)
	assert.Equal(t, &wecom.UploadResult{Type: wecom.MediaFile, MediaID: "1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0",
		CreatedAt: time.Unix(1380000000, 0)}, res)
	assert.Equal(t, "file", got.typ)
	assert.Equal(t, robotKey, got.key)
	assert.Equal(t, "media", got.field)
	assert.Equal(t, "库存.pdf", got.filename)
	assert.Equal(t, "application/pdf", got.ctype)
	assert.Equal(t, fmt.Sprint(len(content)), got.filelength)
	assert.Equal(t, content, got.data)
}
