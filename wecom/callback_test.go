package wecom_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
	"github.com/qiwei-go/qiwei/wecom"
)

const (
	cbToken  = "QDG6eK"
	cbAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	cbCorpID = "ww1234567890"
	cbTS     = "1409659813"
	cbNonce  = "1372623149"

	mpToken  = "pamtest"
	mpAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	mpAppID  = "wxb11529c136998cb6"
)

// weComSide plays WeCom: it encrypts deliveries and decrypts passive replies.
type weComSide struct {
	t  testing.TB
	cr *wxcrypto.Cryptor
}

func newWeComSide(t testing.TB, token, key, receiver string) *weComSide {
	t.Helper()
	cr, err := wxcrypto.New(token, key, receiver)
	require.NoError(t, err)
	return &weComSide{t: t, cr: cr}
}

type envelope struct {
	Encrypt      string `xml:"Encrypt"`
	MsgSignature string `xml:"MsgSignature"`
	TimeStamp    string `xml:"TimeStamp"`
	Nonce        string `xml:"Nonce"`
}

// encrypt returns the Encrypt text and its msg_signature, as WeCom computes them.
func (s *weComSide) encrypt(plain []byte, ts, nonce string) (enc, sig string) {
	out, err := s.cr.EncryptMessage(plain, ts, nonce)
	require.NoError(s.t, err)
	var e envelope
	require.NoError(s.t, xml.Unmarshal(out, &e))
	return e.Encrypt, e.MsgSignature
}

// post builds the encrypted POST WeCom sends: query msg_signature/timestamp/nonce plus extra.
func (s *weComSide) post(plain []byte, extra url.Values) *http.Request {
	enc, sig := s.encrypt(plain, cbTS, cbNonce)
	body := "<xml><ToUserName><![CDATA[" + cbCorpID + "]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID>" +
		"<Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	q := url.Values{"msg_signature": {sig}, "timestamp": {cbTS}, "nonce": {cbNonce}}
	for k, v := range extra {
		q[k] = v
	}
	return httptest.NewRequest(http.MethodPost, "/callback?"+q.Encode(), strings.NewReader(body))
}

// reply decrypts a passive reply and parses it.
func (s *weComSide) reply(rec *httptest.ResponseRecorder) *wecom.Message {
	s.t.Helper()
	require.Equal(s.t, http.StatusOK, rec.Code, rec.Body.String())
	var e envelope
	require.NoError(s.t, xml.Unmarshal(rec.Body.Bytes(), &e))
	plain, err := s.cr.DecryptMessage(e.MsgSignature, e.TimeStamp, e.Nonce, rec.Body.Bytes())
	require.NoError(s.t, err)
	m, err := wecom.ParseMessage(plain)
	require.NoError(s.t, err)
	return m
}

func newCallbackClient(t testing.TB, opts ...wecom.Option) *wecom.Client {
	t.Helper()
	c, err := wecom.New(cbCorpID, "secret", append([]wecom.Option{wecom.WithAgentID(1000002)}, opts...)...)
	require.NoError(t, err)
	return c
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func echoHandler(calls *atomic.Int32) wecom.MessageHandler {
	return func(_ context.Context, m *wecom.Message) (wecom.Reply, error) {
		if calls != nil {
			calls.Add(1)
		}
		if m.MsgType == wecom.MsgTypeText {
			return wecom.TextReply{Content: "收到：" + m.Content}, nil
		}
		return nil, nil
	}
}

func TestCallbackWeComRoundTrip(t *testing.T) {
	var logs bytes.Buffer
	c := newCallbackClient(t, wecom.WithLogger(slogTo(&logs)))
	var got *wecom.Message
	h, err := wecom.NewCallbackHandler(c, cbToken, cbAESKey, func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
		got = m
		return wecom.TextReply{Content: "收到：" + m.Content}, nil
	}, wecom.WithCallbackClock(func() time.Time { return time.Unix(1700000000, 0) }))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)

	rec := serve(h, side.post(fixture(t, "testdata/callback/text.xml"), nil))
	require.NotNil(t, got)
	assert.Equal(t, "this is a test", got.Content)
	assert.Equal(t, "zhangsan", got.FromUserName)

	assert.Equal(t, "application/xml; charset=utf-8", rec.Header().Get("Content-Type"))
	var env envelope
	require.NoError(t, xml.Unmarshal(rec.Body.Bytes(), &env))
	assert.Equal(t, cbTS, env.TimeStamp, "the reply reuses the request's timestamp")
	assert.Equal(t, cbNonce, env.Nonce, "and nonce")
	reply := side.reply(rec)
	assert.Equal(t, &wecom.Message{ToUserName: "zhangsan", FromUserName: cbCorpID, CreateTime: 1700000000,
		MsgType: "text", Content: "收到：this is a test", Raw: reply.Raw}, reply)

	assert.NotContains(t, logs.String(), cbAESKey)
}

func TestCallbackWeComEvents(t *testing.T) {
	c := newCallbackClient(t)
	var got *wecom.Message
	h, err := wecom.NewCallbackHandler(c, cbToken, cbAESKey, func(_ context.Context, m *wecom.Message) (wecom.Reply, error) {
		got = m
		return nil, nil
	})
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	rec := serve(h, side.post(fixture(t, "testdata/callback/smart_sheet_change.xml"), nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Body.String(), "no reply: empty 200")
	require.NotNil(t, got)
	assert.Equal(t, []string{"re9IqD", "rpS0P9"}, got.RecordIDs)
}

func TestCallbackWeComURLVerification(t *testing.T) {
	h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey, echoHandler(nil))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	const echo = "1616140317555161061"
	enc, sig := side.encrypt([]byte(echo), cbTS, cbNonce)
	q := url.Values{"msg_signature": {sig}, "timestamp": {cbTS}, "nonce": {cbNonce}, "echostr": {enc}}

	rec := serve(h, httptest.NewRequest(http.MethodGet, "/cb?"+q.Encode(), nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, echo, rec.Body.String(), "exactly the plaintext: no quotes, no newline")
	assert.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))

	q.Set("msg_signature", strings.Repeat("0", 40))
	rec = serve(h, httptest.NewRequest(http.MethodGet, "/cb?"+q.Encode(), nil))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.NotContains(t, rec.Body.String(), echo)

	q.Del("echostr")
	rec = serve(h, httptest.NewRequest(http.MethodGet, "/cb?"+q.Encode(), nil))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
}

func TestCallbackOfficialAccountURLVerification(t *testing.T) {
	mp, err := wecom.NewOfficialAccount(mpAppID, "secret")
	require.NoError(t, err)
	// The plain-mode example of 消息加解密说明
	// (https://developers.weixin.qq.com/doc/subscription/guide/dev/push/encryption.html).
	h, err := wecom.NewCallbackHandler(mp, "AAAAA", "", echoHandler(nil))
	require.NoError(t, err)
	q := url.Values{"signature": {"f464b24fc39322e44b38aa78f5edd27bd1441696"}, "timestamp": {"1714036504"},
		"nonce": {"1514711492"}, "echostr": {"4375120948345356249"}}
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/mp?"+q.Encode(), nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "4375120948345356249", rec.Body.String())
	assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))

	q.Set("nonce", "1514711493")
	rec = serve(h, httptest.NewRequest(http.MethodGet, "/mp?"+q.Encode(), nil))
	assert.Equal(t, http.StatusForbidden, rec.Code)
}

func TestCallbackOfficialAccountPlain(t *testing.T) {
	mp, err := wecom.NewOfficialAccount(mpAppID, "secret")
	require.NoError(t, err)
	h, err := wecom.NewCallbackHandler(mp, mpToken, "", echoHandler(nil),
		wecom.WithCallbackClock(func() time.Time { return time.Unix(1409659900, 0) }))
	require.NoError(t, err)
	body := fixture(t, "testdata/callback/mp_text.xml")
	// Every delivery has its own nonce; a (timestamp, nonce) pair is bound to one body.
	signed := func(nonce string) url.Values {
		return url.Values{"signature": {wxcrypto.Signature(mpToken, cbTS, nonce)}, "timestamp": {cbTS}, "nonce": {nonce},
			"openid": {"oOPENID"}}
	}

	rec := serve(h, httptest.NewRequest(http.MethodPost, "/mp?"+signed("n1").Encode(), bytes.NewReader(body)))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "<xml><ToUserName><![CDATA[oOPENID]]></ToUserName><FromUserName><![CDATA[gh_0123456789ab]]></FromUserName>"+
		"<CreateTime>1409659900</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[收到：绑定]]></Content></xml>",
		rec.Body.String())

	// An event without a reply is acknowledged with "success".
	rec = serve(h, httptest.NewRequest(http.MethodPost, "/mp?"+signed("n2").Encode(),
		bytes.NewReader(fixture(t, "testdata/callback/mp_subscribe_qrscene.xml"))))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "success", rec.Body.String())

	q := signed("n3")
	q.Set("signature", wxcrypto.Signature("wrong", cbTS, "n3"))
	rec = serve(h, httptest.NewRequest(http.MethodPost, "/mp?"+q.Encode(), bytes.NewReader(body)))
	assert.Equal(t, http.StatusForbidden, rec.Code)

	// Compatible mode without an EncodingAESKey: the plaintext elements are served, in plain text.
	q = signed("n4")
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", strings.Repeat("0", 40))
	compat := bytes.Replace(body, []byte("</xml>"), []byte("<Encrypt><![CDATA[AAAA]]></Encrypt></xml>"), 1)
	compat = bytes.Replace(compat, []byte("1234567890123456"), []byte("1234567890123499"), 1) // a new message
	rec = serve(h, httptest.NewRequest(http.MethodPost, "/mp?"+q.Encode(), bytes.NewReader(compat)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "<Content><![CDATA[收到：绑定]]></Content>")

	// Safe mode without an EncodingAESKey: a genuine request is a configuration error.
	q = signed("n5")
	q.Set("encrypt_type", "aes")
	safe := "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[AAAA]]></Encrypt></xml>"
	rec = serve(h, httptest.NewRequest(http.MethodPost, "/mp?"+q.Encode(), strings.NewReader(safe)))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)

	// Plain mode has a timestamp window even without WithMaxClockSkew.
	old := url.Values{"signature": {wxcrypto.Signature(mpToken, "1409000000", "n6")}, "timestamp": {"1409000000"}, "nonce": {"n6"}}
	rec = serve(h, httptest.NewRequest(http.MethodPost, "/mp?"+old.Encode(), bytes.NewReader(body)))
	assert.Equal(t, http.StatusForbidden, rec.Code)
}

func TestCallbackOfficialAccountSafeMode(t *testing.T) {
	mp, err := wecom.NewOfficialAccount(mpAppID, "secret")
	require.NoError(t, err)
	h, err := wecom.NewCallbackHandler(mp, mpToken, mpAESKey, echoHandler(nil))
	require.NoError(t, err)
	side := newWeComSide(t, mpToken, mpAESKey, mpAppID)
	req := side.post(fixture(t, "testdata/callback/mp_text.xml"), url.Values{"encrypt_type": {"aes"},
		"signature": {wxcrypto.Signature(mpToken, cbTS, cbNonce)}, "openid": {"oOPENID"}})
	reply := side.reply(serve(h, req))
	assert.Equal(t, "收到：绑定", reply.Content)
	assert.Equal(t, "oOPENID", reply.ToUserName)

	// Vector C decrypts fine but is not a message: 400, after the signature passed.
	q := url.Values{"encrypt_type": {"aes"}, "msg_signature": {"82c962d39941aa48552f90ef55aa323dc620cc10"},
		"timestamp": {"1409304348"}, "nonce": {"xxxxxx"}}
	body := "<xml><ToUserName>gh_x</ToUserName><Encrypt>jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==</Encrypt></xml>"
	rec := serve(h, httptest.NewRequest(http.MethodPost, "/mp?"+q.Encode(), strings.NewReader(body)))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "malformed message\n", rec.Body.String())
}

func TestCallbackRejects(t *testing.T) {
	var calls atomic.Int32
	h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey, echoHandler(&calls),
		wecom.WithMaxBodyBytes(4096))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	other := newWeComSide(t, cbToken, cbAESKey, "wwSomeoneElse")
	text := fixture(t, "testdata/callback/text.xml")
	signedQuery := func() string {
		q := url.Values{"msg_signature": {strings.Repeat("a", 40)}, "timestamp": {cbTS}, "nonce": {cbNonce}}
		return q.Encode()
	}
	tampered := side.post(text, nil)
	q := tampered.URL.Query()
	q.Set("timestamp", "1409659814")
	tampered.URL.RawQuery = q.Encode()

	tests := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"not XML", httptest.NewRequest(http.MethodPost, "/cb?"+signedQuery(), strings.NewReader("hello")), 400},
		{"no Encrypt", httptest.NewRequest(http.MethodPost, "/cb?"+signedQuery(), strings.NewReader("<xml><A>1</A></xml>")), 400},
		{"empty body", httptest.NewRequest(http.MethodPost, "/cb?"+signedQuery(), nil), 400},
		{"bad signature", httptest.NewRequest(http.MethodPost, "/cb?"+signedQuery(),
			strings.NewReader("<xml><Encrypt>AAAA</Encrypt></xml>")), 403},
		{"unsigned", httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader("<xml><Encrypt>AAAA</Encrypt></xml>")), 403},
		{"tampered timestamp", tampered, 403},
		{"other corp", other.post(text, nil), 403},
		{"too large", httptest.NewRequest(http.MethodPost, "/cb?"+signedQuery(), bytes.NewReader(make([]byte, 5000))), 413},
		{"PUT", httptest.NewRequest(http.MethodPut, "/cb", nil), 405},
		{"GET without params", httptest.NewRequest(http.MethodGet, "/cb", nil), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(h, tt.req)
			assert.Equal(t, tt.status, rec.Code)
			assert.Less(t, rec.Body.Len(), 40, "short plain message")
			assert.NotContains(t, rec.Body.String(), cbToken)
			assert.NotContains(t, rec.Body.String(), cbAESKey)
		})
	}
	assert.Zero(t, calls.Load())
}

func TestCallbackClockSkew(t *testing.T) {
	now := time.Unix(1409659813, 0)
	h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey, echoHandler(nil),
		wecom.WithMaxClockSkew(5*time.Minute), wecom.WithCallbackClock(func() time.Time { return now }))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	assert.Equal(t, http.StatusOK, serve(h, side.post(fixture(t, "testdata/callback/voice.xml"), nil)).Code)
	now = now.Add(6 * time.Minute)
	assert.Equal(t, http.StatusForbidden, serve(h, side.post(fixture(t, "testdata/callback/video.xml"), nil)).Code)
}

func TestCallbackDedupe(t *testing.T) {
	var calls atomic.Int32
	h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey, echoHandler(&calls))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	for _, file := range []string{"text.xml", "template_card_event.xml"} {
		calls.Store(0)
		plain := fixture(t, "testdata/callback/"+file)
		var wg sync.WaitGroup
		codes := make([]int, 3)
		for i := range codes { // WeCom's three tries, here all at once
			req := side.post(plain, nil)
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = serve(h, req).Code
			}()
		}
		wg.Wait()
		assert.Equal(t, []int{200, 200, 200}, codes, file)
		assert.EqualValues(t, 1, calls.Load(), "%s: three identical deliveries, one handler run", file)
	}
}

func TestCallbackDedupeSharedStore(t *testing.T) {
	// Two replicas sharing one token store (as with wecom/redisstore) share dedupe too.
	store := wecom.NewMemoryStore()
	var calls atomic.Int32
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	plain := fixture(t, "testdata/callback/image.xml")
	for range 2 {
		h, err := wecom.NewCallbackHandler(newCallbackClient(t, wecom.WithTokenStore(store)), cbToken, cbAESKey, echoHandler(&calls))
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, serve(h, side.post(plain, nil)).Code)
	}
	assert.EqualValues(t, 1, calls.Load())
}

// failingDeduper always errors.
type failingDeduper struct{}

func (failingDeduper) Claim(context.Context, string, time.Duration) (bool, error) {
	return false, errors.New("store down")
}

func TestCallbackDedupeFailsOpen(t *testing.T) {
	var calls atomic.Int32
	h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey, echoHandler(&calls),
		wecom.WithDeduper(failingDeduper{}))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	plain := fixture(t, "testdata/callback/image.xml")
	serve(h, side.post(plain, nil))
	serve(h, side.post(plain, nil))
	assert.EqualValues(t, 2, calls.Load(), "a broken store must not lose messages")
}

func TestCallbackHandlerErrorAllowsRetry(t *testing.T) {
	var calls atomic.Int32
	h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey,
		func(context.Context, *wecom.Message) (wecom.Reply, error) {
			switch calls.Add(1) {
			case 1:
				return nil, errors.New("database down")
			case 2:
				panic("boom")
			}
			return wecom.TextReply{Content: "ok"}, nil
		})
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	plain := fixture(t, "testdata/callback/text.xml")

	rec := serve(h, side.post(plain, nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "database")
	assert.Equal(t, http.StatusInternalServerError, serve(h, side.post(plain, nil)).Code, "panic → 500")
	assert.Equal(t, "ok", side.reply(serve(h, side.post(plain, nil))).Content, "third try processed")
	assert.Equal(t, http.StatusOK, serve(h, side.post(plain, nil)).Code)
	assert.EqualValues(t, 3, calls.Load(), "after success, retries are dropped")
}

func TestCallbackBadReplies(t *testing.T) {
	for name, reply := range map[string]wecom.Reply{
		"nil pointer":  (*wecom.TextReply)(nil),
		"empty text":   wecom.TextReply{},
		"no articles":  wecom.NewsReply{},
		"9 articles":   wecom.NewsReply{Articles: make([]wecom.ReplyArticle, 9)},
		"image, no id": &wecom.ImageReply{},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey,
				func(context.Context, *wecom.Message) (wecom.Reply, error) { return reply, nil })
			require.NoError(t, err)
			side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
			rec := serve(h, side.post(fixture(t, "testdata/callback/text.xml"), nil))
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Empty(t, rec.Body.String(), "an unusable reply is dropped, the message acknowledged")
		})
	}
}

func TestCallbackReplyKinds(t *testing.T) {
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	tests := []struct {
		reply wecom.Reply
		check func(t *testing.T, m *wecom.Message)
	}{
		{wecom.ImageReply{MediaID: "MEDIA"}, func(t *testing.T, m *wecom.Message) {
			assert.Equal(t, "image", m.MsgType)
			assert.Contains(t, string(m.Raw), "<Image><MediaId><![CDATA[MEDIA]]></MediaId></Image>")
		}},
		{&wecom.VoiceReply{MediaID: "V"}, func(t *testing.T, m *wecom.Message) {
			assert.Contains(t, string(m.Raw), "<Voice><MediaId><![CDATA[V]]></MediaId></Voice>")
		}},
		{wecom.VideoReply{MediaID: "M", Title: "T"}, func(t *testing.T, m *wecom.Message) {
			assert.Contains(t, string(m.Raw), "<Video><MediaId><![CDATA[M]]></MediaId><Title><![CDATA[T]]></Title></Video>")
		}},
		{wecom.NewsReply{Articles: []wecom.ReplyArticle{{Title: "包", Description: "d", PicURL: "p", URL: "u"}}}, func(t *testing.T, m *wecom.Message) {
			assert.Equal(t, "news", m.MsgType)
			assert.Contains(t, string(m.Raw), "<ArticleCount>1</ArticleCount><Articles><item><Title><![CDATA[包]]></Title>"+
				"<Description><![CDATA[d]]></Description><PicUrl><![CDATA[p]]></PicUrl><Url><![CDATA[u]]></Url></item></Articles>")
		}},
		{wecom.TextReply{Content: "a]]>b\x00c"}, func(t *testing.T, m *wecom.Message) {
			assert.Equal(t, "a]]>bc", m.Content, "CDATA terminator split, NUL dropped")
		}},
	}
	for _, tt := range tests {
		h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey,
			func(context.Context, *wecom.Message) (wecom.Reply, error) { return tt.reply, nil })
		require.NoError(t, err)
		tt.check(t, side.reply(serve(h, side.post(fixture(t, "testdata/callback/text.xml"), nil))))
	}
}

func TestCallbackAsync(t *testing.T) {
	var logs bytes.Buffer
	c := newCallbackClient(t, wecom.WithLogger(slogTo(&logs)))
	started, release := make(chan struct{}, 10), make(chan struct{})
	var done atomic.Int32
	var sawCtx context.Context
	h, err := wecom.NewCallbackHandler(c, cbToken, cbAESKey, func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
		sawCtx = ctx
		started <- struct{}{}
		<-release
		done.Add(1)
		return wecom.TextReply{Content: "ignored"}, nil
	}, wecom.WithAsync(1, 1, time.Minute))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)

	reqCtx, cancel := context.WithCancel(context.Background())
	rec := serve(h, side.post(fixture(t, "testdata/callback/text.xml"), nil).WithContext(reqCtx))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Body.String(), "acknowledged at once, without a reply")
	assert.Zero(t, done.Load(), "the answer came before the handler finished")
	<-started
	cancel() // the request is over; the handler's context must live on
	require.NoError(t, sawCtx.Err())
	_, hasDeadline := sawCtx.Deadline()
	assert.True(t, hasDeadline)

	// One worker busy and one slot queued: the third is handled in its own request (back-pressure),
	// which answers 200 once the handler is done, never 503.
	assert.Equal(t, http.StatusOK, serve(h, side.post(fixture(t, "testdata/callback/image.xml"), nil)).Code)
	inline := make(chan int)
	go func() { inline <- serve(h, side.post(fixture(t, "testdata/callback/voice.xml"), nil)).Code }()
	<-started // the inline run
	close(release)
	assert.Equal(t, http.StatusOK, <-inline)
	require.NoError(t, h.Shutdown(t.Context()))
	assert.EqualValues(t, 3, done.Load())
	assert.Contains(t, logs.String(), "passive reply ignored")
	assert.Contains(t, logs.String(), "callback queue full")

	// After Shutdown new deliveries are still handled, in their requests.
	assert.Equal(t, http.StatusOK, serve(h, side.post(fixture(t, "testdata/callback/video.xml"), nil)).Code)
	assert.EqualValues(t, 4, done.Load())
}

func TestCallbackAsyncPanicIsContained(t *testing.T) {
	var logs bytes.Buffer
	h, err := wecom.NewCallbackHandler(newCallbackClient(t, wecom.WithLogger(slogTo(&logs))), cbToken, cbAESKey,
		func(context.Context, *wecom.Message) (wecom.Reply, error) { panic("boom") }, wecom.WithAsync(0, 0, 0))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	assert.Equal(t, http.StatusOK, serve(h, side.post(fixture(t, "testdata/callback/text.xml"), nil)).Code)
	require.NoError(t, h.Shutdown(t.Context()))
	assert.Contains(t, logs.String(), "panicked")
}

func TestCallbackAsyncManyMessages(t *testing.T) {
	var calls atomic.Int32
	h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey, echoHandler(&calls), wecom.WithAsync(3, 1000, 0))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	tmpl := string(fixture(t, "testdata/callback/text.xml"))
	var wg sync.WaitGroup
	for i := range 200 {
		req := side.post([]byte(strings.Replace(tmpl, "1234567890123456", "9"+itoa(int64(i)), 1)), nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.Equal(t, http.StatusOK, serve(h, req).Code)
		}()
	}
	wg.Wait()
	require.NoError(t, h.Shutdown(t.Context()))
	assert.EqualValues(t, 200, calls.Load(), "every accepted message is handled exactly once")
}

func TestNewCallbackHandlerValidates(t *testing.T) {
	c := newCallbackClient(t)
	mp, err := wecom.NewOfficialAccount(mpAppID, "secret")
	require.NoError(t, err)
	h := echoHandler(nil)
	for name, build := range map[string]func() (*wecom.CallbackHandler, error){
		"nil client":        func() (*wecom.CallbackHandler, error) { return wecom.NewCallbackHandler(nil, cbToken, cbAESKey, h) },
		"nil handler":       func() (*wecom.CallbackHandler, error) { return wecom.NewCallbackHandler(c, cbToken, cbAESKey, nil) },
		"no token":          func() (*wecom.CallbackHandler, error) { return wecom.NewCallbackHandler(c, "", cbAESKey, h) },
		"WeCom without key": func() (*wecom.CallbackHandler, error) { return wecom.NewCallbackHandler(c, cbToken, "", h) },
		"short key":         func() (*wecom.CallbackHandler, error) { return wecom.NewCallbackHandler(mp, cbToken, "abc", h) },
		"negative async": func() (*wecom.CallbackHandler, error) {
			return wecom.NewCallbackHandler(c, cbToken, cbAESKey, h, wecom.WithAsync(-1, 0, 0))
		},
		"nil deduper": func() (*wecom.CallbackHandler, error) {
			return wecom.NewCallbackHandler(c, cbToken, cbAESKey, h, wecom.WithDeduper(nil))
		},
		"zero ttl": func() (*wecom.CallbackHandler, error) {
			return wecom.NewCallbackHandler(c, cbToken, cbAESKey, h, wecom.WithDedupeTTL(0))
		},
	} {
		_, err := build()
		require.Error(t, err, name)
		assert.NotContains(t, err.Error(), cbAESKey, name)
	}
	_, err = wecom.NewCallbackHandler(mp, mpToken, "", h)
	assert.NoError(t, err, "a plain-mode 公众号 needs no key")
}
