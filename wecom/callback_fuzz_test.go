package wecom_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
	"github.com/qiwei-go/qiwei/wecom"
)

// FuzzCallbackHandler drives CallbackHandler end to end: an HTTP request in, built from fuzz
// input, signed by the harness or not. It checks that nothing panics, that the MessageHandler runs
// only for a delivery the harness signed the way the handler requires (encrypted for a handler
// with an EncodingAESKey, plain-signed for a plaintext one), with exactly the content signed, and
// that an accepted message is answered 200. Seed corpus: testdata/fuzz/FuzzCallbackHandler.
//
//	go test -run x -fuzz FuzzCallbackHandler -fuzztime 2m ./wecom/
func FuzzCallbackHandler(f *testing.F) {
	now := func() time.Time { return time.Unix(1700000000, 0) }
	wc, err := wecom.New(cbCorpID, "secret", wecom.WithAgentID(1000002))
	require.NoError(f, err)
	mp, err := wecom.NewOfficialAccount(mpAppID, "secret")
	require.NoError(f, err)
	weComSide, err := wxcrypto.New(cbToken, cbAESKey, cbCorpID)
	require.NoError(f, err)
	mpSide, err := wxcrypto.New(mpToken, mpAESKey, mpAppID)
	require.NoError(f, err)

	type target struct {
		client   *wecom.Client
		token    string
		key      string
		side     *wxcrypto.Cryptor
		opts     []wecom.CallbackOption
		encOnly  bool // accepts encrypted deliveries only
		mp       bool
		plainKey bool // has no key: plaintext only
	}
	targets := []target{
		{client: wc, token: cbToken, key: cbAESKey, side: weComSide, encOnly: true},
		{client: mp, token: mpToken, key: mpAESKey, side: mpSide, encOnly: true, mp: true},
		{client: mp, token: mpToken, mp: true, plainKey: true},
		{client: mp, token: mpToken, key: mpAESKey, side: mpSide, mp: true, opts: []wecom.CallbackOption{wecom.WithPlaintextAllowed()}},
	}

	f.Fuzz(func(t *testing.T, mode uint8, rawQuery string, body []byte, ts, nonce string) {
		tg := targets[int(mode)%len(targets)]
		sign := int(mode/4) % 3 // 0: as given, 1: plain signature, 2: encrypted and signed
		method := http.MethodPost
		switch mode / 12 % 4 {
		case 1:
			method = http.MethodGet
		case 2:
			method = http.MethodPut
		}

		var called []*wecom.Message
		opts := append([]wecom.CallbackOption{wecom.WithCallbackClock(now), wecom.WithMaxBodyBytes(64 << 10),
			wecom.WithDeduper(wecom.NewMemoryStore())}, tg.opts...) // fresh dedupe and replay state
		h, err := wecom.NewCallbackHandler(tg.client, tg.token, tg.key, func(_ context.Context, m *wecom.Message) (wecom.Reply, error) {
			called = append(called, m)
			return wecom.TextReply{Content: "ok"}, nil
		}, opts...)
		require.NoError(t, err)

		q, _ := url.ParseQuery(rawQuery)
		if q == nil {
			q = url.Values{}
		}
		reqBody := body
		switch sign {
		case 1:
			q.Set("timestamp", ts)
			q.Set("nonce", nonce)
			q.Set("signature", wxcrypto.Signature(tg.token, ts, nonce))
		case 2:
			if tg.side == nil {
				sign = 0 // nothing to encrypt with
				break
			}
			env, err := tg.side.EncryptMessage(body, "1", "n")
			require.NoError(t, err)
			enc := string(env[len("<xml>\n<Encrypt><![CDATA["):bytes.Index(env, []byte("]]></Encrypt>"))])
			reqBody = []byte("<xml><ToUserName><![CDATA[x]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
			q.Set("timestamp", ts)
			q.Set("nonce", nonce)
			q.Set("msg_signature", wxcrypto.Signature(tg.token, ts, nonce, enc))
			if tg.mp {
				q.Set("encrypt_type", "aes")
				q.Set("signature", wxcrypto.Signature(tg.token, ts, nonce))
			}
		}
		req := httptest.NewRequest(method, "/cb", bytes.NewReader(reqBody))
		req.URL.RawQuery = q.Encode()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if strings.Contains(rec.Body.String(), tg.token) && len(tg.token) > 0 && !bytes.Contains(body, []byte(tg.token)) {
			t.Fatalf("response echoes the token: %q", rec.Body.String())
		}
		if tg.key != "" && strings.Contains(rec.Body.String(), tg.key) {
			t.Fatal("response echoes the EncodingAESKey")
		}
		if len(called) == 0 {
			return
		}
		if len(called) > 1 {
			t.Fatalf("handler called %d times for one request", len(called))
		}
		switch {
		case method != http.MethodPost:
			t.Fatalf("handler called for a %s", method)
		case sign == 0:
			t.Fatal("handler called for a request the harness did not sign")
		case sign == 1 && tg.encOnly:
			t.Fatal("handler with an EncodingAESKey accepted a plaintext delivery")
		case sign == 1 && !bytes.Equal(called[0].Raw, body):
			t.Fatal("handler got something other than the signed plaintext")
		case sign == 2 && tg.plainKey:
			t.Fatal("a handler without a key accepted an encrypted-only delivery")
		case sign == 2 && !bytes.Equal(called[0].Raw, body):
			t.Fatal("handler got something other than the encrypted plaintext")
		case rec.Code != http.StatusOK:
			t.Fatalf("accepted message answered %d", rec.Code)
		}
	})
}
