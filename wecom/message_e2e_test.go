package wecom_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// End-to-end tests against the exported fake server: real HTTP, real tokens, real crypto.

func newFakeApp(t *testing.T, opts ...wecomtest.Option) (*wecomtest.Server, *wecom.Client) {
	t.Helper()
	srv := wecomtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	c, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
		wecom.WithBaseURL(srv.URL))
	require.NoError(t, err)
	return srv, c
}

func TestE2EAppMessages(t *testing.T) {
	srv, c := newFakeApp(t)
	res, err := c.Messages().SendText(t.Context(), &wecom.SendTextRequest{
		Recipients: wecom.ToUsers(wecomtest.DefaultUserID, "ghost"), Content: "BAG-001 补货完成"})
	require.NoError(t, err)
	assert.NotEmpty(t, res.MsgID)
	assert.Equal(t, []string{"ghost"}, res.InvalidUsers)

	srv.ExpireTokens() // the next send meets 42001 once, refreshes and succeeds
	_, err = c.Messages().SendTemplateCard(t.Context(), &wecom.SendTemplateCardRequest{Recipients: wecom.ToUsers(wecomtest.DefaultUserID),
		Card: wecom.TemplateCard{CardType: wecom.CardButtonInteraction, MainTitle: &wecom.CardTitle{Title: "补货申请"},
			TaskID: "restock-1", ButtonList: []wecom.CardButton{{Text: "批准", Key: "approve"}}}})
	require.NoError(t, err)

	sent := srv.Messages(wecomtest.MessageApp)
	require.Len(t, sent, 2)
	assert.Equal(t, "BAG-001 补货完成", sent[0].Content)
	assert.Equal(t, "template_card", sent[1].MsgType)
	assert.Equal(t, 3, srv.Calls("POST /cgi-bin/message/send"), "two sends, one of them rejected once (42001)")
	assert.Equal(t, 2, srv.Calls("/cgi-bin/gettoken"), "one initial fetch, one refresh")
}

func TestE2ERobot(t *testing.T) {
	srv, _ := newFakeApp(t)
	r, err := wecom.NewRobot("robot-key-1", wecom.WithBaseURL(srv.URL))
	require.NoError(t, err)
	require.NoError(t, r.SendMarkdown(t.Context(), "**库存告警** BAG-001 仅剩 <font color=\"warning\">1</font> 个"))
	require.NoError(t, r.SendImage(t.Context(), fixture(t, "testdata/webhook_send/pixel.png")))
	sent := srv.Messages(wecomtest.MessageWebhook)
	require.Len(t, sent, 2)
	assert.Equal(t, "robot-key-1", sent[0].WebhookKey)
	assert.Equal(t, "image", sent[1].MsgType)
}

func TestE2EMedia(t *testing.T) {
	srv, c := newFakeApp(t)
	pixel := fixture(t, "testdata/webhook_send/pixel.png")
	up, err := c.Media().Upload(t.Context(), wecom.MediaImage, "包 照片.png", bytes.NewReader(pixel))
	require.NoError(t, err)
	assert.Equal(t, wecom.MediaImage, up.Type)
	assert.False(t, up.CreatedAt.IsZero())

	f, err := c.Media().Download(t.Context(), up.MediaID)
	require.NoError(t, err)
	defer f.Close()
	data, err := io.ReadAll(f)
	require.NoError(t, err)
	assert.Equal(t, pixel, data)
	assert.Equal(t, "包 照片.png", f.Filename)
	assert.Equal(t, "image/png", f.ContentType)

	_, err = c.Media().Download(t.Context(), "no-such-media")
	assert.ErrorIs(t, err, wecom.CodeInvalidMediaID)

	u, err := c.Media().UploadImage(t.Context(), "logo.png", bytes.NewReader(pixel))
	require.NoError(t, err)
	stored, _, ok := srv.Media(u)
	require.True(t, ok)
	assert.Equal(t, pixel, stored)
}

func TestE2EOfficialAccount(t *testing.T) {
	srv := wecomtest.NewServer()
	t.Cleanup(srv.Close)
	mp, err := wecom.NewOfficialAccount(wecomtest.DefaultAppID, wecomtest.DefaultAppSecret, wecom.WithBaseURL(srv.URL))
	require.NoError(t, err)
	srv.Follow(wecomtest.DefaultOpenID)
	id, err := mp.MPMessages().SendTemplate(t.Context(), &wecom.TemplateMessage{ToUser: wecomtest.DefaultOpenID,
		TemplateID: "TEMPLATE_ID", ClientMsgID: "bind-1", Data: map[string]string{"keyword1": "已绑定"}})
	require.NoError(t, err)
	assert.NotZero(t, id)
	require.Len(t, srv.Messages(wecomtest.MessageTemplate), 1)

	menu := []wecom.MenuButton{{Type: wecom.MenuClick, Name: "我的商户", Key: "merchant"}}
	require.NoError(t, mp.Menu().Create(t.Context(), menu))
	got, err := mp.Menu().Get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, menu, got)
	require.NoError(t, mp.Menu().Delete(t.Context()))
}

func TestE2ECallbackDelivery(t *testing.T) {
	srv, c := newFakeApp(t)
	var calls int
	h, err := wecom.NewCallbackHandler(c, wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey,
		func(_ context.Context, m *wecom.Message) (wecom.Reply, error) {
			calls++
			if m.Event == wecom.EventScanCodeWaitMsg {
				return wecom.TextReply{Content: "已入库 " + m.ScanCodeInfo.ScanResult}, nil
			}
			return nil, nil
		})
	require.NoError(t, err)
	app := httptest.NewServer(h)
	t.Cleanup(app.Close)
	require.NoError(t, srv.SetAppCallback(wecomtest.DefaultAgentID, wecomtest.CallbackConfig{URL: app.URL + "/callback",
		Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey}))

	require.NoError(t, srv.VerifyAppCallback(t.Context(), wecomtest.DefaultAgentID))
	reply, err := srv.SendMessage(t.Context(), wecomtest.Message{Type: "event", Event: "scancode_waitmsg",
		EventKey: "scan_in", ScanType: "qrcode", ScanResult: "BAG-001", CreateTime: time.Unix(1700000000, 0)})
	require.NoError(t, err)
	m, err := wecom.ParseMessage(reply)
	require.NoError(t, err)
	assert.Equal(t, "已入库 BAG-001", m.Content)
	assert.Equal(t, wecomtest.DefaultUserID, m.ToUserName)
	assert.Equal(t, 1, calls)
}

func TestE2EOfficialAccountCallbackModes(t *testing.T) {
	for _, mode := range []wecomtest.CallbackMode{wecomtest.ModePlain, wecomtest.ModeCompat, wecomtest.ModeSafe} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := wecomtest.NewServer()
			t.Cleanup(srv.Close)
			mp, err := wecom.NewOfficialAccount(wecomtest.DefaultAppID, wecomtest.DefaultAppSecret, wecom.WithBaseURL(srv.URL))
			require.NoError(t, err)
			var opts []wecom.CallbackOption
			if mode == wecomtest.ModePlain {
				// With an EncodingAESKey only encrypted deliveries are accepted, unless plaintext is
				// explicitly allowed (the account is being switched between modes).
				opts = append(opts, wecom.WithPlaintextAllowed())
			}
			handle := func(_ context.Context, m *wecom.Message) (wecom.Reply, error) {
				return wecom.TextReply{Content: "hello " + m.FromUserName}, nil
			}
			h, err := wecom.NewCallbackHandler(mp, wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey, handle, opts...)
			require.NoError(t, err)
			app := httptest.NewServer(h)
			t.Cleanup(app.Close)
			require.NoError(t, srv.SetOfficialAccountCallback(wecomtest.CallbackConfig{URL: app.URL,
				Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey, Mode: mode}))
			require.NoError(t, srv.VerifyOfficialAccountCallback(t.Context()))
			reply, err := srv.SendOfficialAccountMessage(t.Context(), wecomtest.Message{Content: "绑定"})
			require.NoError(t, err)
			if mode == wecomtest.ModePlain {
				strict, err := wecom.NewCallbackHandler(mp, wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey, handle)
				require.NoError(t, err)
				app.Config.Handler = strict
				_, err = srv.SendOfficialAccountMessage(t.Context(), wecomtest.Message{Content: "再绑定"})
				assert.ErrorContains(t, err, "HTTP 403", "a key-holding handler refuses plaintext by default")
			}
			m, err := wecom.ParseMessage(reply)
			require.NoError(t, err)
			assert.Equal(t, "hello "+wecomtest.DefaultOpenID, m.Content)
		})
	}
}
