package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/web"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// proxyIP is the simulated reverse proxy's own address; TRUSTED_PROXIES names it. Linux routes all
// of 127.0.0.0/8 to the loopback interface, so the proxy connects from another address than the
// test's direct client (127.0.0.1).
const proxyIP = "127.0.0.2"

// newTLSProxy is nginx with its default proxy_pass: TLS outside, the upstream's address as Host,
// X-Forwarded-For carrying the browser's address (here a fixed public one) and X-Forwarded-Proto https.
func newTLSProxy(t *testing.T, upstream, browserIP string) *httptest.Server {
	t.Helper()
	target, err := url.Parse(upstream)
	require.NoError(t, err)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(proxyIP)}, Timeout: 5 * time.Second}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target) // Host becomes the upstream address, as proxy_pass does
			r.Out.Header.Set("X-Forwarded-For", browserIP)
			r.Out.Header.Set("X-Forwarded-Proto", "https")
		},
		Transport: &http.Transport{DialContext: dialer.DialContext},
	}
	ts := httptest.NewTLSServer(rp)
	t.Cleanup(ts.Close)
	return ts
}

// Behind a TLS-terminating proxy that sends nginx's default headers: sign-in, creating a merchant,
// generating a code and notifying all work with the browser's Origin (PUBLIC_URL), the audit log
// and the login throttle see the browser's address, cookies are Secure. The same headers sent
// straight to the app by anyone else are not believed.
func TestBehindAProxy(t *testing.T) {
	t.Parallel()
	fake := wecomtest.NewServer()
	t.Cleanup(fake.Close)
	cfg := realConfig(t, fake.URL, t.TempDir())
	var err error
	cfg.TrustedProxies, err = web.ParseTrustedProxies(proxyIP + "/32")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan *app, 1), make(chan error, 1)
	var base string
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), &bytes.Buffer{}, &serveHooks{Ready: func(b string, a *app) { base = b; ready <- a }})
	}()
	a := <-ready
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	require.NoError(t, fake.SetOfficialAccountCallback(wecomtest.CallbackConfig{URL: base + "/wx/callback",
		Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey, Mode: wecomtest.ModeSafe}))

	const browser = "203.0.113.50"
	proxy := newTLSProxy(t, base, browser)
	hc := proxy.Client()
	hc.Jar, _ = cookiejar.New(nil)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	h := &harness{t: t, ts: &httptest.Server{URL: proxy.URL}, hc: hc}
	origin := &originTransport{next: hc.Transport, origin: cfg.PublicURL}
	hc.Transport = origin

	h.page("/login")
	resp, body := h.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	for _, c := range resp.Cookies() {
		assert.True(t, c.Secure, "cookie %s is Secure", c.Name)
	}
	h.page("/merchants")
	id := h.createMerchant("老王面馆", "laowang")
	ticket := h.issueCode(id)
	_, err = fake.SimulateScan(t.Context(), "oProxy", ticket, false)
	require.NoError(t, err)
	resp, _ = h.post("/merchants/"+itoa(id)+"/notify", url.Values{"content": {"代理后发送"}, "idem": {"p1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.page("/merchants/" + itoa(id))
	assert.Contains(t, body, `id="notify-result">已发送`)
	log, _, err := a.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "admin.login"})
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, "ip="+browser, log[0].Details, "the browser's address, not the proxy's")

	// Without the Origin PUBLIC_URL names, the proxied POST is refused (Host is the upstream's).
	origin.origin = "https://evil.example"
	resp, _ = h.post("/merchants", url.Values{"name": {"x"}, "login": {"xx"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Straight to the app from an address that is not a trusted proxy: X-Forwarded-* are ignored.
	direct := &http.Client{Timeout: 10 * time.Second, CheckRedirect: hc.CheckRedirect}
	direct.Jar, _ = cookiejar.New(nil)
	d := &harness{t: t, ts: &httptest.Server{URL: base}, hc: direct}
	direct.Transport = &originTransport{next: http.DefaultTransport, origin: cfg.PublicURL,
		extra: map[string]string{"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}}
	d.page("/login")
	for i := range 20 { // different accounts: the address's limit, not an account's
		resp, _ := d.post("/login", url.Values{"username": {fmt.Sprintf("guess%d", i)}, "password": {"wrong-password"}})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, body = d.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}})
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the real address is locked, whatever X-Forwarded-For says")
	assert.Contains(t, body, "尝试次数过多")
	for _, c := range resp.Cookies() {
		assert.True(t, c.Secure, "PUBLIC_URL is https")
	}
	failed, _, err := a.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "admin.login_failed", Limit: 1})
	require.NoError(t, err)
	assert.Contains(t, failed[0].Details, "ip=127.0.0.1")
	assert.NotContains(t, failed[0].Details, "198.51.100.7")

	// … while the proxy's browsers are not locked out by it.
	h.page("/login")
	origin.origin = cfg.PublicURL
	resp, _ = h.post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	h.page("/login")
	resp, _ = h.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

// originTransport adds what a browser sends: Origin on POSTs (and any extra headers).
type originTransport struct {
	next   http.RoundTripper
	origin string
	extra  map[string]string
}

func (o *originTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.Method == http.MethodPost {
		r.Header.Set("Origin", o.origin)
	}
	for k, v := range o.extra {
		r.Header.Set(k, v)
	}
	return o.next.RoundTrip(r)
}
