package wecom_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

// newMockedMP returns a 公众号 client on a fresh mock transport whose stable_token answers STABLE_TOKEN.
func newMockedMP(t testing.TB) (*wecom.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/stable_token",
		httpmock.NewBytesResponder(200, fixture(t, "testdata/stable_token/ok.json")))
	c, err := wecom.NewOfficialAccount("wx0123456789abcdef", "secret", wecom.WithBaseURL(testBase),
		wecom.WithHTTPClient(&http.Client{Transport: mt}), wecom.WithRetry(wecom.RetryPolicy{Attempts: 1, Base: time.Millisecond}))
	require.NoError(t, err)
	return c, mt
}

func TestSendTemplate(t *testing.T) {
	c, mt := newMockedMP(t)
	rec := captureJSON(t, mt, http.MethodPost, testBase+"/cgi-bin/message/template/send", "testdata/template_send/ok.json")
	id, err := c.MPMessages().SendTemplate(t.Context(), &wecom.TemplateMessage{
		ToUser: "OPENID", TemplateID: "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
		URL:         "https://merchant.example/orders/1",
		MiniProgram: &wecom.TemplateMiniProgram{AppID: "xiaochengxuappid12345", PagePath: "index?foo=bar"},
		ClientMsgID: "bind-42",
		Data:        map[string]string{"keyword1": "巧克力", "keyword2": "39.8元"},
	})
	require.NoError(t, err)
	assert.EqualValues(t, 200228332, id)
	body, req := rec.last(t)
	assertJSONFixture(t, "testdata/template_send/request.json", body)
	assert.Equal(t, "STABLE_TOKEN", req.URL.Query().Get("access_token"))
}

func TestSendTemplateErrors(t *testing.T) {
	c, mt := newMockedMP(t)
	rec := captureJSON(t, mt, http.MethodPost, testBase+"/cgi-bin/message/template/send", "testdata/template_send/43116.json")
	_, err := c.MPMessages().SendTemplate(t.Context(), &wecom.TemplateMessage{ToUser: "o", TemplateID: "t"})
	assert.ErrorIs(t, err, wecom.ErrCode(43116))
	body, _ := rec.last(t)
	assert.JSONEq(t, `{"touser":"o","template_id":"t","data":{}}`, string(body))

	for name, msg := range map[string]*wecom.TemplateMessage{
		"nil":                   nil,
		"no openid":             {TemplateID: "t"},
		"no template":           {ToUser: "o"},
		"mini program no appid": {ToUser: "o", TemplateID: "t", MiniProgram: &wecom.TemplateMiniProgram{}},
		"empty data key":        {ToUser: "o", TemplateID: "t", Data: map[string]string{"": "x"}},
	} {
		_, err := c.MPMessages().SendTemplate(t.Context(), msg)
		assert.ErrorIs(t, err, wecom.ErrInvalidRequest, name)
	}
	assert.Equal(t, 1, rec.count())

	wc, _ := newMocked(t)
	_, err = wc.MPMessages().SendTemplate(t.Context(), &wecom.TemplateMessage{ToUser: "o", TemplateID: "t"})
	assert.ErrorIs(t, err, wecom.ErrOfficialAccountOnly)
	assert.ErrorIs(t, wc.MPMessages().SendCustomText(t.Context(), "o", "hi"), wecom.ErrOfficialAccountOnly)
}

func TestSendCustom(t *testing.T) {
	tests := []struct {
		name    string
		send    func(context.Context, *wecom.MPMessageService) error
		request string
	}{
		{"text", func(ctx context.Context, s *wecom.MPMessageService) error {
			return s.SendCustomText(ctx, "OPENID", "Hello World")
		}, "testdata/custom_send/text_request.json"},
		{"image", func(ctx context.Context, s *wecom.MPMessageService) error {
			return s.SendCustomImage(ctx, "OPENID", "MEDIA_ID")
		}, "testdata/custom_send/image_request.json"},
		{"news", func(ctx context.Context, s *wecom.MPMessageService) error {
			return s.SendCustomNews(ctx, "OPENID", wecom.CustomArticle{Title: "Happy Day", Description: "Is Really A Happy Day",
				URL: "https://merchant.example/", PicURL: "https://merchant.example/a.png"})
		}, "testdata/custom_send/news_request.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockedMP(t)
			rec := captureJSON(t, mt, http.MethodPost, testBase+"/cgi-bin/message/custom/send", "testdata/custom_send/ok.json")
			require.NoError(t, tt.send(t.Context(), c.MPMessages()))
			body, _ := rec.last(t)
			assertJSONFixture(t, tt.request, body)
		})
	}
}

func TestSendCustomErrors(t *testing.T) {
	c, mt := newMockedMP(t)
	captureJSON(t, mt, http.MethodPost, testBase+"/cgi-bin/message/custom/send", "testdata/custom_send/45015.json")
	assert.ErrorIs(t, c.MPMessages().SendCustomText(t.Context(), "o", "hi"), wecom.ErrCode(45015))

	s := c.MPMessages()
	for name, err := range map[string]error{
		"no openid":        s.SendCustomText(t.Context(), "", "hi"),
		"no content":       s.SendCustomText(t.Context(), "o", ""),
		"no media":         s.SendCustomImage(t.Context(), "o", ""),
		"news without url": s.SendCustomNews(t.Context(), "o", wecom.CustomArticle{Title: "t"}),
	} {
		assert.ErrorIs(t, err, wecom.ErrInvalidRequest, name)
	}
}
