package wecom_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

func newSeqClient(t *testing.T, seq *tokenSeq, opts ...wecom.Option) (*wecom.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken", seq.responder)
	opts = append([]wecom.Option{wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt}),
		wecom.WithRetry(wecom.RetryPolicy{Attempts: 3, Base: time.Millisecond})}, opts...)
	c, err := wecom.New("corp", "secret", opts...)
	require.NoError(t, err)
	return c, mt
}

func TestAccessTokenStampede(t *testing.T) {
	seq := &tokenSeq{delay: 50 * time.Millisecond}
	c, _ := newSeqClient(t, seq)
	var wg sync.WaitGroup
	start := make(chan struct{})
	toks := make([]string, 1000)
	errs := make([]error, 1000)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			toks[i], errs[i] = c.AccessToken(t.Context())
		}()
	}
	close(start)
	wg.Wait()
	for i := range toks {
		require.NoError(t, errs[i])
		require.Equal(t, "TOKEN1", toks[i])
	}
	assert.EqualValues(t, 1, seq.n.Load(), "1,000 cold callers must cause exactly one gettoken")
}

// A business call whose token WeCom rejects is retried once with exactly one refresh.
func TestDoRefreshesOnceOnExpiredToken(t *testing.T) {
	for _, code := range []wecom.ErrCode{wecom.CodeAccessTokenExpired, wecom.CodeInvalidAccessToken, wecom.CodeInvalidCredential} {
		t.Run(code.Error(), func(t *testing.T) {
			seq := &tokenSeq{}
			c, mt := newSeqClient(t, seq)
			var calls atomic.Int64
			mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/message/send", func(r *http.Request) (*http.Response, error) {
				calls.Add(1)
				if r.URL.Query().Get("access_token") == "TOKEN1" {
					return httpmock.NewJsonResponse(200, map[string]any{"errcode": int(code), "errmsg": "expired"})
				}
				return httpmock.NewJsonResponse(200, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": "m1"})
			})
			var out struct {
				MsgID string `json:"msgid"`
			}
			err := c.Do(t.Context(), &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/message/send", Body: map[string]any{"x": 1}}, &out)
			require.NoError(t, err)
			assert.Equal(t, "m1", out.MsgID)
			assert.EqualValues(t, 2, seq.n.Load(), "one initial fetch + exactly one refresh")
			assert.EqualValues(t, 2, calls.Load())
		})
	}
}

// A token that keeps being rejected is not refreshed in a loop: one retry, then the error.
func TestDoRetriesTokenOnlyOnce(t *testing.T) {
	seq := &tokenSeq{}
	c, mt := newSeqClient(t, seq)
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/user/get",
		httpmock.NewBytesResponder(200, fixture(t, "testdata/errcode/42001.json")))
	err := c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/user/get"}, nil)
	require.ErrorIs(t, err, wecom.CodeAccessTokenExpired)
	assert.True(t, wecom.IsTokenExpired(err))
	assert.EqualValues(t, 2, seq.n.Load())
	assert.Equal(t, 2, mt.GetCallCountInfo()["GET "+testBase+"/cgi-bin/user/get"])
}

func TestConcurrentStaleTokenRefreshesOnce(t *testing.T) {
	seq := &tokenSeq{delay: 20 * time.Millisecond}
	c, mt := newSeqClient(t, seq)
	_, err := c.AccessToken(t.Context()) // warm: TOKEN1
	require.NoError(t, err)
	var inflight sync.WaitGroup
	inflight.Add(100)
	mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/message/send", func(r *http.Request) (*http.Response, error) {
		if r.URL.Query().Get("access_token") == "TOKEN1" {
			inflight.Done()
			inflight.Wait() // every caller holds the stale token before anyone refreshes
			return httpmock.NewJsonResponse(200, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
		}
		return httpmock.NewJsonResponse(200, map[string]any{"errcode": 0, "errmsg": "ok"})
	})
	var wg sync.WaitGroup
	errs := make([]error, 100)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Do(t.Context(), &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/message/send", Body: struct{}{}}, nil)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 2, seq.n.Load(), "100 callers rejected with one stale token → exactly one refresh")
}

func TestTokenCallerContextEndsAtOnce(t *testing.T) {
	release := make(chan struct{})
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken", func(r *http.Request) (*http.Response, error) {
		<-release
		return httpmock.NewBytesResponse(200, fixture(t, "testdata/gettoken/ok.json")), nil
	})
	c, err := wecom.New("corp", "secret", wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { _, err := c.AccessToken(ctx); done <- err }()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("AccessToken did not return when its context ended")
	}
	close(release)
	// The detached fetch completed and cached the token for the next caller.
	tok, err := c.AccessToken(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "ACCESS_TOKEN", tok)
	assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+testBase+"/cgi-bin/gettoken"])
}

// fakeStore wraps MemoryStore to observe TTLs.
type fakeStore struct {
	*wecom.MemoryStore
	mu   sync.Mutex
	ttls []time.Duration
}

func (f *fakeStore) Set(ctx context.Context, key, val string, ttl time.Duration) error {
	f.mu.Lock()
	f.ttls = append(f.ttls, ttl)
	f.mu.Unlock()
	return f.MemoryStore.Set(ctx, key, val, ttl)
}

func TestTokenTTLAndEarlyRefresh(t *testing.T) {
	tests := []struct {
		name      string
		expiresIn int
		wantErr   bool
		wantTTL   time.Duration
	}{
		{"normal", 7200, false, 7200 * time.Second},
		{"short lifetime honoured", 300, false, 300 * time.Second},
		{"zero rejected", 0, true, 0},
		{"negative rejected", -5, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt := httpmock.NewMockTransport()
			mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken", httpmock.NewJsonResponderOrPanic(200,
				map[string]any{"errcode": 0, "access_token": "T", "expires_in": tt.expiresIn}))
			st := &fakeStore{MemoryStore: wecom.NewMemoryStore()}
			c, err := wecom.New("corp", "secret", wecom.WithBaseURL(testBase),
				wecom.WithHTTPClient(&http.Client{Transport: mt}), wecom.WithTokenStore(st))
			require.NoError(t, err)
			tok, err := c.AccessToken(t.Context())
			if tt.wantErr {
				require.Error(t, err)
				assert.Empty(t, st.ttls, "nothing may be stored with ttl ≤ 0")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "T", tok)
			require.Len(t, st.ttls, 1)
			assert.Equal(t, tt.wantTTL, st.ttls[0])
			// A second call is served from cache even for the 300 s token (refresh at half-life, not at once).
			_, err = c.AccessToken(t.Context())
			require.NoError(t, err)
			assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+testBase+"/cgi-bin/gettoken"])
		})
	}
}

// A refresh that fails while the cached token is still valid keeps serving it, tries again after a
// backoff, and stops serving it when it expires. Time moves on a fake clock.
func TestStaleWhileError(t *testing.T) {
	var fail atomic.Bool
	var calls atomic.Int64
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken", func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		if fail.Load() {
			return httpmock.NewJsonResponse(200, map[string]any{"errcode": -1, "errmsg": "system busy"})
		}
		return httpmock.NewJsonResponse(200, map[string]any{"errcode": 0, "access_token": "OLD", "expires_in": 7200})
	})
	clk := newFakeClock()
	c, err := wecom.New("corp", "secret", wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt}),
		wecom.WithRetry(wecom.RetryPolicy{Attempts: 1}), wecom.WithClock(clk.Now))
	require.NoError(t, err)
	get := func() (string, error) { return c.AccessToken(t.Context()) }

	tok, err := get()
	require.NoError(t, err)
	require.Equal(t, "OLD", tok)
	clk.Advance(7200*time.Second - 5*time.Minute - time.Second)
	tok, err = get()
	require.NoError(t, err)
	assert.Equal(t, "OLD", tok, "still cached: not due for refresh yet")
	assert.EqualValues(t, 1, calls.Load())

	fail.Store(true)
	clk.Advance(2 * time.Second) // due for refresh (5 minutes early), still valid
	tok, err = get()
	require.NoError(t, err, "a failed refresh must not fail callers while the old token is valid")
	assert.Equal(t, "OLD", tok)
	assert.EqualValues(t, 2, calls.Load())

	tok, err = get() // backoff: no new fetch right away
	require.NoError(t, err)
	assert.Equal(t, "OLD", tok)
	assert.EqualValues(t, 2, calls.Load())

	clk.Advance(31 * time.Second) // the backoff is over: one more try, failing again
	tok, err = get()
	require.NoError(t, err)
	assert.Equal(t, "OLD", tok)
	assert.EqualValues(t, 3, calls.Load())

	clk.Advance(5 * time.Minute) // expired now
	_, err = get()
	require.Error(t, err)
	assert.ErrorIs(t, err, wecom.CodeSystemBusy)
	assert.EqualValues(t, 4, calls.Load())

	fail.Store(false)
	tok, err = get()
	require.NoError(t, err)
	assert.Equal(t, "OLD", tok, "a fetch after expiry succeeds as soon as WeCom answers")
}

// A rejection (40014) of an old token that arrives after another call already replaced that token
// must not drop the new one: compare-and-drop, so no second refresh. Pinned here on the in-process
// store, with and without its CompareAndDelete.
func TestLateRejectionOfOldTokenDoesNotRefreshAgain(t *testing.T) {
	for _, tt := range []struct {
		name  string
		store wecom.TokenStore
	}{
		{"memory store", wecom.NewMemoryStore()},
		{"store without CompareAndDelete", plainStore{wecom.NewMemoryStore()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seq := &tokenSeq{}
			c, mt := newSeqClient(t, seq, wecom.WithTokenStore(tt.store))
			_, err := c.AccessToken(t.Context()) // TOKEN1
			require.NoError(t, err)

			lateArrived, releaseLate := make(chan struct{}), make(chan struct{})
			var mu sync.Mutex
			var seen []string // tokens of the calls, in order of arrival
			mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/message/send", func(r *http.Request) (*http.Response, error) {
				tok := r.URL.Query().Get("access_token")
				mu.Lock()
				seen = append(seen, tok)
				first := len(seen) == 1
				mu.Unlock()
				if tok != "TOKEN1" {
					return httpmock.NewJsonResponse(200, map[string]any{"errcode": 0, "errmsg": "ok"})
				}
				if first { // the slow call: WeCom answers only after the other call refreshed
					close(lateArrived)
					<-releaseLate
				}
				return httpmock.NewJsonResponse(200, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
			})
			send := func() error {
				return c.Do(t.Context(), &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/message/send", Body: struct{}{}}, nil)
			}
			slow := make(chan error, 1)
			go func() { slow <- send() }()
			<-lateArrived

			require.NoError(t, send(), "the fast call: 40014, one refresh (TOKEN2), sent again")
			require.EqualValues(t, 2, seq.n.Load())
			close(releaseLate) // the old token's 40014 arrives now
			require.NoError(t, <-slow)

			assert.EqualValues(t, 2, seq.n.Load(), "the late 40014 of TOKEN1 must not drop TOKEN2")
			assert.Equal(t, []string{"TOKEN1", "TOKEN1", "TOKEN2", "TOKEN2"}, seen)
			tok, err := c.AccessToken(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "TOKEN2", tok)
		})
	}
}

// plainStore hides MemoryStore's optional capabilities: a bare TokenStore.
type plainStore struct{ m *wecom.MemoryStore }

func (p plainStore) Get(ctx context.Context, k string) (string, bool, error) { return p.m.Get(ctx, k) }
func (p plainStore) Set(ctx context.Context, k, v string, ttl time.Duration) error {
	return p.m.Set(ctx, k, v, ttl)
}
func (p plainStore) Delete(ctx context.Context, k string) error { return p.m.Delete(ctx, k) }

func TestTwoAppsOfOneCorpNeverShareTokens(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken", func(r *http.Request) (*http.Response, error) {
		return httpmock.NewJsonResponse(200, map[string]any{"access_token": "T-" + r.URL.Query().Get("corpsecret"), "expires_in": 7200})
	})
	store := wecom.NewMemoryStore()
	mk := func(secret string, agent int64) *wecom.Client {
		c, err := wecom.New("corp", secret, wecom.WithAgentID(agent), wecom.WithBaseURL(testBase),
			wecom.WithHTTPClient(&http.Client{Transport: mt}), wecom.WithTokenStore(store))
		require.NoError(t, err)
		return c
	}
	a, b := mk("s1", 1), mk("s2", 2)
	ta, err := a.AccessToken(t.Context())
	require.NoError(t, err)
	tb, err := b.AccessToken(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "T-s1", ta)
	assert.Equal(t, "T-s2", tb)
}

func TestOfficialAccountStableToken(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var bodies []string
	var mu sync.Mutex
	var n atomic.Int64
	mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/stable_token", func(r *http.Request) (*http.Response, error) {
		b := make([]byte, 512)
		k, _ := r.Body.Read(b)
		mu.Lock()
		bodies = append(bodies, string(b[:k]))
		mu.Unlock()
		// Normal mode keeps returning the current token until forced.
		if n.Add(1) >= 3 {
			return httpmock.NewJsonResponse(200, map[string]any{"access_token": "NEW", "expires_in": 7200})
		}
		return httpmock.NewJsonResponse(200, map[string]any{"access_token": "CUR", "expires_in": 7200})
	})
	mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/message/template/send", func(r *http.Request) (*http.Response, error) {
		if r.URL.Query().Get("access_token") == "CUR" {
			return httpmock.NewJsonResponse(200, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
		}
		return httpmock.NewJsonResponse(200, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": 1})
	})
	c, err := wecom.NewOfficialAccount("APPID", "APPSECRET", wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	require.NoError(t, c.Do(t.Context(), &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/message/template/send", Body: struct{}{}}, nil))
	require.Len(t, bodies, 3)
	assert.JSONEq(t, string(fixture(t, "testdata/stable_token/request.json")), bodies[0])
	assert.JSONEq(t, string(fixture(t, "testdata/stable_token/request.json")), bodies[1], "non-force first")
	assert.Contains(t, bodies[2], `"force_refresh":true`, "force only when the rejected token comes back")
}

func TestTicketsCached(t *testing.T) {
	c, mt := newMocked(t)
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/get_jsapi_ticket",
		httpmock.NewBytesResponder(200, fixture(t, "testdata/get_jsapi_ticket/ok.json")))
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/ticket/get", func(r *http.Request) (*http.Response, error) {
		if r.URL.Query().Get("type") != "agent_config" {
			return httpmock.NewJsonResponse(200, map[string]any{"errcode": 40097, "errmsg": "invalid args"})
		}
		return httpmock.NewBytesResponse(200, fixture(t, "testdata/ticket_get/ok.json")), nil
	})
	for range 3 {
		cfg, err := c.JSSDKConfig(t.Context(), "https://shop.example/p/BAG1?x=1", "scanQRCode")
		require.NoError(t, err)
		require.NotNil(t, cfg.AgentConfig)
		assert.Equal(t, wecom.SignJSAPI("bxLdikRXVbTPdHSM05e5u5sUoXNKd8-41ZO3MhKoyN5OfkWITDGgnr2fwJ0m9E8NYzWKVZvdVtaUgWvsdshFKA",
			cfg.Config.NonceStr, cfg.Config.Timestamp, "https://shop.example/p/BAG1?x=1"), cfg.Config.Signature)
		assert.Equal(t, wecom.SignJSAPI("AGENT_TICKET", cfg.AgentConfig.NonceStr, cfg.AgentConfig.Timestamp,
			"https://shop.example/p/BAG1?x=1"), cfg.AgentConfig.Signature)
		assert.True(t, cfg.Config.Beta)
		assert.Equal(t, int64(1000002), cfg.AgentConfig.AgentID)
	}
	info := mt.GetCallCountInfo()
	assert.Equal(t, 1, info["GET "+testBase+"/cgi-bin/get_jsapi_ticket"])
	assert.Equal(t, 1, info["GET "+testBase+"/cgi-bin/ticket/get"])
	assert.Equal(t, 1, info["GET "+testBase+"/cgi-bin/gettoken"])
}
