package wecom_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
	"github.com/qiwei-go/qiwei/wecom"
)

// WithHostURL moves one host and leaves the others; a request names its host.
func TestWithHostURL(t *testing.T) {
	const gateway = "https://mp-web.gateway.test"
	c, mt := newMocked(t, wecom.WithHostURL(wecom.HostMPWeb, gateway+"/"))
	assert.Equal(t, gateway, c.BaseURL(wecom.HostMPWeb))
	assert.Equal(t, testBase, c.BaseURL(wecom.HostAPI))
	assert.Equal(t, testBase, c.BaseURL(wecom.HostOpen))
	mt.RegisterResponder(http.MethodGet, gateway+"/cgi-bin/showqrcode", httpmock.NewStringResponder(200, `{}`))
	require.NoError(t, c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/showqrcode", Host: wecom.HostMPWeb, Auth: wecom.AuthNone}, nil))
	assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+gateway+"/cgi-bin/showqrcode"])

	for _, bad := range []wecom.Option{wecom.WithHostURL(wecom.Host(99), gateway), wecom.WithHostURL(wecom.HostAPI, "ftp://x")} {
		_, err := wecom.New("c", "s", bad)
		assert.Error(t, err)
	}
}

// centralTokens is a token service (中控服务) that also drops rejected tokens.
type centralTokens struct {
	mu          sync.Mutex
	cur         string
	n           int
	invalidated []string
}

func (s *centralTokens) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == "" {
		s.n++
		s.cur = "CENTRAL" + itoa(int64(s.n))
	}
	return s.cur, nil
}

func (s *centralTokens) Invalidate(_ context.Context, stale string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated = append(s.invalidated, stale)
	if s.cur == stale {
		s.cur = ""
	}
}

// WithTokenSource replaces gettoken entirely; a rejected token is handed to its Invalidate.
func TestWithTokenSource(t *testing.T) {
	src := &centralTokens{}
	c, mt := newMocked(t, wecom.WithTokenSource(src))
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/user/get", func(r *http.Request) (*http.Response, error) {
		if r.URL.Query().Get("access_token") == "CENTRAL1" {
			return httpmock.NewStringResponse(200, `{"errcode":42001}`), nil
		}
		return httpmock.NewStringResponse(200, `{"errcode":0,"userid":"zhangsan"}`), nil
	})
	require.NoError(t, c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/user/get"}, nil))
	assert.Equal(t, []string{"CENTRAL1"}, src.invalidated)
	assert.Zero(t, mt.GetCallCountInfo()["GET "+testBase+"/cgi-bin/gettoken"], "the client never fetches tokens itself")
	_, err := wecom.New("c", "s", wecom.WithTokenSource(nil))
	assert.Error(t, err)
}

// WithReceiverID checks another ReceiveId (a suite id) in encrypted deliveries; WithCryptoOptions
// reaches the crypto.Cryptor, here to make encrypted replies reproducible.
func TestCallbackReceiverAndCryptoOptions(t *testing.T) {
	const suiteID = "wwsuite0123456789"
	c := newCallbackClient(t)
	newHandler := func(opts ...wecom.CallbackOption) *wecom.CallbackHandler {
		// Each handler forgets what the others saw, and replies at one fixed time.
		opts = append([]wecom.CallbackOption{wecom.WithDeduper(wecom.NewMemoryStore()),
			wecom.WithCallbackClock(func() time.Time { return time.Unix(1700000000, 0) })}, opts...)
		h, err := wecom.NewCallbackHandler(c, cbToken, cbAESKey, echoHandler(nil), opts...)
		require.NoError(t, err)
		return h
	}
	side := newWeComSide(t, cbToken, cbAESKey, suiteID)
	text := fixture(t, "testdata/callback/text.xml")
	assert.Equal(t, http.StatusForbidden, serve(newHandler(), side.post(text, nil)).Code, "corp id expected by default")

	h := newHandler(wecom.WithReceiverID(suiteID),
		wecom.WithCryptoOptions(wxcrypto.WithRandom(strings.NewReader(strings.Repeat("r", 64)))))
	first := serve(h, side.post(text, nil))
	assert.Equal(t, "收到：this is a test", side.reply(first).Content)

	h = newHandler(wecom.WithReceiverID(suiteID),
		wecom.WithCryptoOptions(wxcrypto.WithRandom(strings.NewReader(strings.Repeat("r", 64)))))
	again := serve(h, side.post(text, nil))
	assert.Equal(t, first.Body.String(), again.Body.String(), "same random prefix: same encrypted reply")
}
