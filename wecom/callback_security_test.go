package wecom_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
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

// mpClock is near cbTS, so that plaintext deliveries pass the default window.
func mpClock() time.Time { return time.Unix(1409659900, 0) }

func newMPCallback(t *testing.T, key string, handle wecom.MessageHandler, opts ...wecom.CallbackOption) *wecom.CallbackHandler {
	t.Helper()
	mp, err := wecom.NewOfficialAccount(mpAppID, "secret")
	require.NoError(t, err)
	opts = append([]wecom.CallbackOption{wecom.WithCallbackClock(mpClock)}, opts...)
	h, err := wecom.NewCallbackHandler(mp, mpToken, key, handle, opts...)
	require.NoError(t, err)
	return h
}

// plainPost is a 公众号 plaintext delivery with a valid plain signature, as found in an access log.
func plainPost(body []byte, nonce string, extra url.Values) *http.Request {
	q := url.Values{"signature": {wxcrypto.Signature(mpToken, cbTS, nonce)}, "timestamp": {cbTS}, "nonce": {nonce},
		"openid": {"oOPENID"}}
	for k, v := range extra {
		q[k] = v
	}
	return httptest.NewRequest(http.MethodPost, "/mp?"+q.Encode(), bytes.NewReader(body))
}

func TestCallbackSafeModeRefusesPlaintext(t *testing.T) {
	var calls atomic.Int32
	h := newMPCallback(t, mpAESKey, echoHandler(&calls))
	body := fixture(t, "testdata/callback/mp_text.xml")
	tests := []struct {
		name  string
		extra url.Values
	}{
		{"no encrypt_type", nil},
		{"encrypt_type=aes, plaintext body", url.Values{"encrypt_type": {"aes"}}},
		{"encrypt_type=aes, plaintext body, msg_signature", url.Values{"encrypt_type": {"aes"},
			"msg_signature": {wxcrypto.Signature(mpToken, cbTS, "n1")}}},
		{"encrypt_type=raw", url.Values{"encrypt_type": {"raw"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(h, plainPost(body, "n1", tt.extra))
			assert.GreaterOrEqual(t, rec.Code, 400)
			assert.Less(t, rec.Code, 500)
		})
	}
	assert.Zero(t, calls.Load(), "the MessageHandler never ran")
}

func TestCallbackCompatibleModeReadsOnlyEncrypt(t *testing.T) {
	var got *wecom.Message
	h := newMPCallback(t, mpAESKey, func(_ context.Context, m *wecom.Message) (wecom.Reply, error) {
		got = m
		return nil, nil
	})
	side := newWeComSide(t, mpToken, mpAESKey, mpAppID)
	genuine := fixture(t, "testdata/callback/mp_text.xml")
	enc, sig := side.encrypt(genuine, cbTS, cbNonce)
	// 兼容模式: plaintext elements next to Encrypt. A tampered plaintext part must not matter.
	forged := strings.NewReplacer("oOPENID", "oATTACKER", "绑定", "解绑").Replace(string(genuine))
	body := strings.Replace(forged, "</xml>", "<Encrypt><![CDATA["+enc+"]]></Encrypt></xml>", 1)
	q := url.Values{"signature": {wxcrypto.Signature(mpToken, cbTS, cbNonce)}, "msg_signature": {sig},
		"timestamp": {cbTS}, "nonce": {cbNonce}, "encrypt_type": {"aes"}}
	rec := serve(h, httptest.NewRequest(http.MethodPost, "/mp?"+q.Encode(), strings.NewReader(body)))
	assert.Equal(t, http.StatusOK, rec.Code)
	require.NotNil(t, got)
	assert.Equal(t, "oOPENID", got.FromUserName)
	assert.Equal(t, "绑定", got.Content)
}

func TestCallbackPlaintextAllowed(t *testing.T) {
	var calls atomic.Int32
	h := newMPCallback(t, mpAESKey, echoHandler(&calls), wecom.WithPlaintextAllowed())
	rec := serve(h, plainPost(fixture(t, "testdata/callback/mp_text.xml"), "n1", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "<Content><![CDATA[收到：绑定]]></Content>", "a plain reply to a plain delivery")
	assert.EqualValues(t, 1, calls.Load())

	// The replay guard applies to the allowed plaintext too.
	other := bytes.Replace(fixture(t, "testdata/callback/mp_text.xml"), []byte("1234567890123456"), []byte("99"), 1)
	assert.Equal(t, http.StatusForbidden, serve(h, plainPost(other, "n1", nil)).Code)
	assert.EqualValues(t, 1, calls.Load())

	// A WeCom app has no plaintext mode, and no original id.
	for _, opt := range []wecom.CallbackOption{wecom.WithPlaintextAllowed(), wecom.WithAccountID("gh_0123456789ab")} {
		_, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey, echoHandler(nil), opt)
		assert.ErrorIs(t, err, wecom.ErrWrongPlatform)
	}
}

func TestCallbackPlainReplayWithAnotherBody(t *testing.T) {
	var logs bytes.Buffer
	mp, err := wecom.NewOfficialAccount(mpAppID, "secret", wecom.WithLogger(slogTo(&logs)))
	require.NoError(t, err)
	var got []string
	h, err := wecom.NewCallbackHandler(mp, mpToken, "", func(_ context.Context, m *wecom.Message) (wecom.Reply, error) {
		got = append(got, m.FromUserName+":"+m.Event)
		return nil, nil
	}, wecom.WithCallbackClock(mpClock))
	require.NoError(t, err)
	subscribe := fixture(t, "testdata/callback/mp_subscribe_qrscene.xml")
	forged := bytes.ReplaceAll(subscribe, []byte("subscribe"), []byte("unsubscribe"))
	require.NotEqual(t, subscribe, forged)

	assert.Equal(t, http.StatusOK, serve(h, plainPost(subscribe, "n1", nil)).Code)
	// The same signature, timestamp and nonce (read from an access log) with another body.
	rec := serve(h, plainPost(forged, "n1", nil))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, logs.String(), "replayed signature")
	// WeChat's own retry (same body) is acknowledged and deduplicated.
	assert.Equal(t, http.StatusOK, serve(h, plainPost(subscribe, "n1", nil)).Code)
	assert.Len(t, got, 1, "the forged body never reached the MessageHandler, the retry was deduplicated")

	// Replicas sharing a store share the guard.
	store := wecom.NewMemoryStore()
	var calls atomic.Int32
	for i, body := range [][]byte{subscribe, forged} {
		mp, err := wecom.NewOfficialAccount(mpAppID, "secret", wecom.WithTokenStore(store))
		require.NoError(t, err)
		h, err := wecom.NewCallbackHandler(mp, mpToken, "", echoHandler(&calls), wecom.WithCallbackClock(mpClock))
		require.NoError(t, err)
		assert.Equal(t, []int{200, 403}[i], serve(h, plainPost(body, "n9", nil)).Code)
	}
	assert.EqualValues(t, 1, calls.Load())
}

func TestCallbackAccountID(t *testing.T) {
	var calls atomic.Int32
	h := newMPCallback(t, "", echoHandler(&calls), wecom.WithAccountID("gh_0123456789ab"))
	body := fixture(t, "testdata/callback/mp_text.xml")
	assert.Equal(t, http.StatusOK, serve(h, plainPost(body, "n1", nil)).Code)
	other := bytes.Replace(body, []byte("gh_0123456789ab"), []byte("gh_someoneelse"), 1)
	assert.Equal(t, http.StatusForbidden, serve(h, plainPost(other, "n2", nil)).Code)
	assert.EqualValues(t, 1, calls.Load())

	_, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey, echoHandler(nil), wecom.WithAccountID(" "))
	assert.Error(t, err)
}

// TestCallbackAsyncBackPressure: one worker, a queue of one, a handler that blocks, ten distinct
// messages at once. Every delivery is answered 200 and handled exactly once: what does not fit the
// queue runs in its own request. The handler blocks on a channel; no timing is involved.
func TestCallbackAsyncBackPressure(t *testing.T) {
	started, release := make(chan string), make(chan struct{})
	var mu sync.Mutex
	seen := map[string]int{}
	h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey,
		func(_ context.Context, m *wecom.Message) (wecom.Reply, error) {
			mu.Lock()
			seen[m.MsgID]++
			mu.Unlock()
			started <- m.MsgID
			<-release // "a handler that takes a second"
			return nil, nil
		}, wecom.WithAsync(1, 1, time.Minute))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	tmpl := string(fixture(t, "testdata/callback/text.xml"))

	const n = 10
	codes := make(chan int, n)
	for i := range n {
		req := side.post([]byte(strings.Replace(tmpl, "1234567890123456", "77"+strconv.Itoa(i), 1)), nil)
		go func() { codes <- serve(h, req).Code }()
	}
	// Let the handlers go one at a time: each start is answered by one release.
	for range n {
		<-started
		release <- struct{}{}
	}
	for range n {
		assert.Equal(t, http.StatusOK, <-codes)
	}
	require.NoError(t, h.Shutdown(t.Context()))
	assert.Len(t, seen, n)
	for id, k := range seen {
		assert.Equal(t, 1, k, "message %s handled %d times", id, k)
	}
}

func TestCallbackAsyncFailureAllowsRedelivery(t *testing.T) {
	var calls atomic.Int32
	h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey,
		func(context.Context, *wecom.Message) (wecom.Reply, error) {
			if n := calls.Add(1); n == 1 || n == 3 {
				return nil, errors.New("database down")
			}
			return nil, nil
		}, wecom.WithAsync(1, 1, time.Minute))
	require.NoError(t, err)
	side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
	text, image := fixture(t, "testdata/callback/text.xml"), fixture(t, "testdata/callback/image.xml")
	assert.Equal(t, http.StatusOK, serve(h, side.post(text, nil)).Code, "accepted: never a 5xx")
	require.NoError(t, h.Shutdown(t.Context())) // the failed run is over; from now on runs are inline
	assert.Equal(t, http.StatusOK, serve(h, side.post(text, nil)).Code, "redelivery processed")
	assert.Equal(t, http.StatusOK, serve(h, side.post(text, nil)).Code, "then deduplicated")
	assert.EqualValues(t, 2, calls.Load())

	// Inline runs follow the same rule: a failure is answered 200 and forgotten.
	assert.Equal(t, http.StatusOK, serve(h, side.post(image, nil)).Code)
	assert.Equal(t, http.StatusOK, serve(h, side.post(image, nil)).Code)
	assert.Equal(t, http.StatusOK, serve(h, side.post(image, nil)).Code)
	assert.EqualValues(t, 4, calls.Load())
}
