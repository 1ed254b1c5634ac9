package wecomtest_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// inbound is one callback request as the receiver saw it.
type inbound struct {
	query  map[string]string
	body   string
	plain  []byte // decrypted (or plain) message XML
	verify error
}

// receiver is an app's callback endpoint built on package crypto, recording what it gets.
type receiver struct {
	mu       sync.Mutex
	got      []inbound
	delays   []time.Duration // per attempt
	statuses []int           // per attempt, default 200
	reply    func(cr *wxcrypto.Cryptor, in inbound) []byte
	srv      *httptest.Server
}

func newReceiver(t *testing.T, receiverID string, mode wecomtest.CallbackMode) (*receiver, wecomtest.CallbackConfig) {
	t.Helper()
	cr, err := wxcrypto.New(wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey, receiverID)
	require.NoError(t, err)
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		q := map[string]string{}
		for k := range r.URL.Query() {
			q[k] = r.URL.Query().Get(k)
		}
		in := inbound{query: q, body: string(body)}
		switch {
		case q["msg_signature"] != "":
			in.plain, in.verify = cr.DecryptMessage(q["msg_signature"], q["timestamp"], q["nonce"], body)
		default:
			in.plain = body
		}
		if q["signature"] != "" && !wxcrypto.VerifyPlain(wecomtest.DefaultCallbackToken, q["signature"], q["timestamp"], q["nonce"]) {
			in.verify = errors.New("bad plain signature")
		}
		rc.mu.Lock()
		n := len(rc.got)
		rc.got = append(rc.got, in)
		var delay time.Duration
		status := http.StatusOK
		if n < len(rc.delays) {
			delay = rc.delays[n]
		}
		if n < len(rc.statuses) {
			status = rc.statuses[n]
		}
		rc.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(status)
		if rc.reply != nil {
			_, _ = w.Write(rc.reply(cr, in))
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc, wecomtest.CallbackConfig{URL: rc.srv.URL + "/callback?app=1", Token: wecomtest.DefaultCallbackToken,
		EncodingAESKey: wecomtest.DefaultEncodingAESKey, Mode: mode}
}

func (rc *receiver) requests() []inbound {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]inbound(nil), rc.got...)
}

type msgXML struct {
	ToUserName   string
	FromUserName string
	CreateTime   int64
	MsgType      string
	Content      string
	PicURL       string `xml:"PicUrl"`
	MediaID      string `xml:"MediaId"`
	Event        string
	EventKey     string
	Ticket       string
	MsgID        int64 `xml:"MsgId"`
	AgentID      int64
	ScanCodeInfo struct{ ScanType, ScanResult string }
	Encrypt      string
}

func parseMsg(t *testing.T, data []byte) msgXML {
	t.Helper()
	var m msgXML
	require.NoError(t, xml.Unmarshal(data, &m), "%s", data)
	return m
}

func TestSendMessageToApp(t *testing.T) {
	srv := newServer(t)
	rc, cb := newReceiver(t, wecomtest.DefaultCorpID, wecomtest.ModeSafe)
	rc.reply = func(cr *wxcrypto.Cryptor, in inbound) []byte {
		env, _ := cr.EncryptMessage([]byte("<xml><Content><![CDATA[收到]]></Content></xml>"), in.query["timestamp"], in.query["nonce"])
		return env
	}
	require.NoError(t, srv.SetAppCallback(wecomtest.DefaultAgentID, cb))
	reply, err := srv.SendMessage(t.Context(), wecomtest.Message{Content: "B-001 卖出"})
	require.NoError(t, err)
	assert.Equal(t, "<xml><Content><![CDATA[收到]]></Content></xml>", string(reply), "the reply is decrypted")

	got := rc.requests()
	require.Len(t, got, 1)
	in := got[0]
	require.NoError(t, in.verify, "msg_signature verifies with package crypto")
	assert.Equal(t, "1", in.query["app"], "the callback URL's own query is kept")
	assert.NotEmpty(t, in.query["timestamp"])
	assert.NotEmpty(t, in.query["nonce"])
	env := parseMsg(t, []byte(in.body))
	assert.Equal(t, wecomtest.DefaultCorpID, env.ToUserName)
	assert.Equal(t, wecomtest.DefaultAgentID, env.AgentID)
	assert.NotEmpty(t, env.Encrypt)
	m := parseMsg(t, in.plain)
	assert.Equal(t, "text", m.MsgType)
	assert.Equal(t, "B-001 卖出", m.Content)
	assert.Equal(t, wecomtest.DefaultUserID, m.FromUserName)
	assert.Equal(t, wecomtest.DefaultCorpID, m.ToUserName)
	assert.NotZero(t, m.MsgID)

	// An image message: the bytes become media with a downloadable PicUrl.
	_, err = srv.SendMessage(t.Context(), wecomtest.Message{Type: "image", Image: []byte("\x89PNG\r\n\x1a\nxxxxxxxx")})
	require.NoError(t, err)
	img := parseMsg(t, rc.requests()[1].plain)
	assert.NotEmpty(t, img.MediaID)
	resp, err := http.Get(img.PicURL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)

	// A menu scan event.
	_, err = srv.SendMessage(t.Context(), wecomtest.Message{Type: "event", Event: "scancode_waitmsg", EventKey: "scan",
		ScanType: "qrcode", ScanResult: "https://shop.example.com/p/B-001"})
	require.NoError(t, err)
	ev := parseMsg(t, rc.requests()[2].plain)
	assert.Equal(t, "https://shop.example.com/p/B-001", ev.ScanCodeInfo.ScanResult)
	assert.Zero(t, ev.MsgID, "events carry no MsgId")

	_, err = srv.SendMessage(t.Context(), wecomtest.Message{AgentID: 42})
	assert.Error(t, err)
}

func TestCallbackRetry(t *testing.T) {
	srv := newServer(t, wecomtest.WithCallbackTimeout(100*time.Millisecond))
	rc, cb := newReceiver(t, wecomtest.DefaultCorpID, wecomtest.ModeSafe)
	rc.delays = []time.Duration{time.Second, time.Second} // the first two tries time out
	require.NoError(t, srv.SetAppCallback(wecomtest.DefaultAgentID, cb))
	_, err := srv.SendMessage(t.Context(), wecomtest.Message{Content: "hi"})
	require.NoError(t, err)
	got := rc.requests()
	require.Len(t, got, 3, "3 tries in total")
	for _, in := range got[1:] {
		assert.Equal(t, got[0].body, in.body, "the same body each time")
		assert.Equal(t, got[0].query, in.query)
	}

	rc2, cb2 := newReceiver(t, wecomtest.DefaultCorpID, wecomtest.ModeSafe)
	rc2.delays = []time.Duration{time.Second, time.Second, time.Second, time.Second}
	require.NoError(t, srv.SetAppCallback(wecomtest.DefaultAgentID, cb2))
	_, err = srv.SendMessage(t.Context(), wecomtest.Message{Content: "hi"})
	var de *wecomtest.DeliveryError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 3, de.Attempts)
	assert.Len(t, rc2.requests(), 3, "never more than 3 tries")

	rc3, cb3 := newReceiver(t, wecomtest.DefaultCorpID, wecomtest.ModeSafe)
	rc3.statuses = []int{500, 502}
	require.NoError(t, srv.SetAppCallback(wecomtest.DefaultAgentID, cb3))
	_, err = srv.SendMessage(t.Context(), wecomtest.Message{Content: "hi"})
	require.NoError(t, err)
	assert.Len(t, rc3.requests(), 3, "non-200 answers are retried")
}

func TestOfficialAccountModes(t *testing.T) {
	for _, mode := range []wecomtest.CallbackMode{wecomtest.ModePlain, wecomtest.ModeCompat, wecomtest.ModeSafe} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := newServer(t)
			rc, cb := newReceiver(t, wecomtest.DefaultAppID, mode)
			rc.reply = func(*wxcrypto.Cryptor, inbound) []byte { return []byte("success") }
			require.NoError(t, srv.SetOfficialAccountCallback(cb))
			reply, err := srv.SendOfficialAccountMessage(t.Context(), wecomtest.Message{Content: "你好"})
			require.NoError(t, err)
			assert.Equal(t, "success", string(reply))
			in := rc.requests()[0]
			require.NoError(t, in.verify)
			assert.NotEmpty(t, in.query["signature"], "the plain signature is always sent")
			assert.Equal(t, wecomtest.DefaultOpenID, in.query["openid"])
			m := parseMsg(t, in.plain)
			assert.Equal(t, "你好", m.Content)
			assert.Equal(t, wecomtest.DefaultOriginalID, m.ToUserName)
			assert.Zero(t, m.AgentID)
			raw := parseMsg(t, []byte(in.body))
			switch mode {
			case wecomtest.ModePlain:
				assert.Empty(t, in.query["encrypt_type"])
				assert.Empty(t, raw.Encrypt)
			case wecomtest.ModeCompat:
				assert.Equal(t, "aes", in.query["encrypt_type"])
				assert.Equal(t, "你好", raw.Content, "compat mode keeps the plain elements")
				assert.NotEmpty(t, raw.Encrypt)
			case wecomtest.ModeSafe:
				assert.Equal(t, "aes", in.query["encrypt_type"])
				assert.Empty(t, raw.Content)
				assert.NotEmpty(t, raw.Encrypt)
			}
		})
	}
}

func TestSimulateScan(t *testing.T) {
	srv := newServer(t)
	rc, cb := newReceiver(t, wecomtest.DefaultAppID, wecomtest.ModeSafe)
	require.NoError(t, srv.SetOfficialAccountCallback(cb))
	c := newRaw(t, srv)
	mp := c.mpToken()
	created := c.ok("POST", "/cgi-bin/qrcode/create", tq(mp), map[string]any{"expire_seconds": 600, "action_name": "QR_STR_SCENE",
		"action_info": map[string]any{"scene": map[string]any{"scene_str": "merchant-42"}}})

	_, err := srv.SimulateScan(t.Context(), "oFan1", "merchant-42", false)
	require.NoError(t, err)
	sub := parseMsg(t, rc.requests()[0].plain)
	assert.Equal(t, "event", sub.MsgType)
	assert.Equal(t, "subscribe", sub.Event)
	assert.Equal(t, "qrscene_merchant-42", sub.EventKey)
	assert.Equal(t, created["ticket"], sub.Ticket)
	assert.Equal(t, "oFan1", sub.FromUserName)
	assert.Equal(t, "oFan1", rc.requests()[0].query["openid"])
	assert.Zero(t, c.errcode("POST", "/cgi-bin/message/template/send", tq(mp), map[string]any{"touser": "oFan1", "template_id": "t"}),
		"the scanner is now a follower")

	_, err = srv.SimulateScan(t.Context(), "oFan1", created["ticket"].(string), true)
	require.NoError(t, err)
	scan := parseMsg(t, rc.requests()[1].plain)
	assert.Equal(t, "SCAN", scan.Event)
	assert.Equal(t, "merchant-42", scan.EventKey)

	_, err = srv.SimulateScan(t.Context(), "oFan1", "unknown-scene", true)
	assert.ErrorIs(t, err, wecomtest.ErrUnknownTicket)
}

func TestCallbackErrors(t *testing.T) {
	srv := newServer(t)
	_, err := srv.SendMessage(t.Context(), wecomtest.Message{Content: "x"})
	assert.ErrorIs(t, err, wecomtest.ErrNoCallback)
	_, cb := newReceiver(t, wecomtest.DefaultCorpID, wecomtest.ModePlain)
	assert.Error(t, srv.SetAppCallback(wecomtest.DefaultAgentID, cb), "WeCom apps are always encrypted")
	assert.Error(t, srv.SetOfficialAccountCallback(wecomtest.CallbackConfig{URL: "nope", Token: "t"}))

	rc, cb := newReceiver(t, wecomtest.DefaultCorpID, wecomtest.ModeSafe)
	rc.reply = func(*wxcrypto.Cryptor, inbound) []byte { return []byte("<xml><Content>plain</Content></xml>") }
	require.NoError(t, srv.SetAppCallback(wecomtest.DefaultAgentID, cb))
	_, err = srv.SendMessage(t.Context(), wecomtest.Message{Content: "x"})
	assert.ErrorIs(t, err, wecomtest.ErrBadReply, "safe mode needs an encrypted reply")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = srv.SendMessage(ctx, wecomtest.Message{Content: "x"})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestVerifyCallbackURL(t *testing.T) {
	srv := newServer(t)
	cr, err := wxcrypto.New(wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey, wecomtest.DefaultCorpID)
	require.NoError(t, err)
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("msg_signature") == "" { // 公众号: echostr as is, after checking the signature
			if wxcrypto.VerifyPlain(wecomtest.DefaultCallbackToken, q.Get("signature"), q.Get("timestamp"), q.Get("nonce")) {
				_, _ = io.WriteString(w, q.Get("echostr"))
			}
			return
		}
		echo, err := cr.VerifyURL(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr"))
		if err == nil {
			_, _ = w.Write(echo)
		}
	}))
	defer good.Close()
	cfg := wecomtest.CallbackConfig{URL: good.URL, Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey}
	require.NoError(t, srv.SetAppCallback(wecomtest.DefaultAgentID, cfg))
	assert.NoError(t, srv.VerifyAppCallback(t.Context(), wecomtest.DefaultAgentID))
	cfg.Mode = wecomtest.ModePlain
	require.NoError(t, srv.SetOfficialAccountCallback(cfg))
	assert.NoError(t, srv.VerifyOfficialAccountCallback(t.Context()))

	cfg.Token = "otherToken"
	require.NoError(t, srv.SetOfficialAccountCallback(cfg))
	assert.ErrorIs(t, srv.VerifyOfficialAccountCallback(t.Context()), wecomtest.ErrBadReply)
}
