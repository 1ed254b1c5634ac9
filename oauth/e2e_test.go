package oauth_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/fakeclock"
	"github.com/qiwei-go/qiwei/oauth"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// e2e is an app behind the middleware, a fake WeCom + 公众号, and a browser with a cookie jar.
type e2e struct {
	t    *testing.T
	clk  *fakeclock.Clock
	fake *wecomtest.Server
	app  *httptest.Server
	opts *oauth.MiddlewareOptions
}

func newE2E(t *testing.T, mutate func(*e2e, *oauth.MiddlewareOptions)) *e2e {
	t.Helper()
	e := &e2e{t: t, clk: fakeclock.New(time.Now())}
	e.fake = wecomtest.NewServer(wecomtest.WithClock(e.clk.Now), wecomtest.WithSeed(1),
		wecomtest.WithWeChatUser(wecomtest.WeChatUser{OpenID: wecomtest.DefaultOpenID, Nickname: "微信用户", UnionID: "UNION1"}))
	t.Cleanup(e.fake.Close)
	c, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(e.fake.URL))
	require.NoError(t, err)
	e.opts = &oauth.MiddlewareOptions{Client: c, SessionKey: testKey, SessionTTL: time.Hour, Now: e.clk.Now,
		Public: []string{"/healthz"}}
	if mutate != nil {
		mutate(e, e.opts)
	}
	require.NoError(t, e.opts.Validate())
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		id, ok := oauth.IdentityFrom(r.Context())
		if !ok {
			fmt.Fprint(w, "anon")
			return
		}
		fmt.Fprintf(w, "hello %s|%s|%s", id.UserID, id.OpenID, id.Name)
	})
	mux.Handle("/logout", oauth.Logout(e.opts))
	e.app = httptest.NewServer(oauth.Middleware(mux, e.opts))
	t.Cleanup(e.app.Close)
	return e
}

func (e *e2e) mpClient() *wecom.Client {
	mp, err := wecom.NewOfficialAccount(wecomtest.DefaultAppID, wecomtest.DefaultAppSecret, wecom.WithBaseURL(e.fake.URL))
	require.NoError(e.t, err)
	return mp
}

type uaTransport struct{ ua string }

func (t uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.ua)
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// browser is a cookie-keeping client with a user agent; hops records every URL it was redirected to.
type browser struct {
	*http.Client
	hops []string
}

func (e *e2e) browser(ua string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(e.t, err)
	b := &browser{}
	b.Client = &http.Client{Jar: jar, Transport: uaTransport{ua}, Timeout: 10 * time.Second,
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			b.hops = append(b.hops, r.URL.String())
			if len(via) > 10 {
				return fmt.Errorf("redirect loop: %v", b.hops)
			}
			return nil
		}}
	return b
}

func (b *browser) get(t *testing.T, u string, header ...string) (*http.Response, string) {
	t.Helper()
	b.hops = nil
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func (e *e2e) getUserInfoCalls() int { return e.fake.Calls("GET /cgi-bin/auth/getuserinfo") }

func TestE2ELoginChains(t *testing.T) {
	tests := []struct {
		name  string
		ua    string
		hop1  string // path of the first hop, on the fake
		withM bool
		want  string
	}{
		{"WeCom app: in-app authorize", uaWeCom, "/connect/oauth2/authorize", false, "hello zhangsan||"},
		{"desktop: web login", uaDesktop, "/wwlogin/sso/login", false, "hello zhangsan||"},
		{"WeChat: 公众号 authorize with userinfo", uaWeChat, "/connect/oauth2/authorize", true, "hello |" + wecomtest.DefaultOpenID + "|微信用户"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, func(e *e2e, o *oauth.MiddlewareOptions) {
				if tt.withM {
					o.MPClient = e.mpClient()
					o.MPConfig.Scope = oauth.ScopeUserInfo
				}
			})
			b := e.browser(tt.ua)
			page := e.app.URL + "/p/BAG42?src=qr&n=1"
			resp, body := b.get(t, page)
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			assert.Equal(t, tt.want, body)
			assert.Equal(t, page, resp.Request.URL.String(), "lands on the page first asked for")
			require.Len(t, b.hops, 3, "app → fake login → app callback → page: %v", b.hops)
			assert.True(t, strings.HasPrefix(b.hops[0], e.fake.URL+tt.hop1+"?"), b.hops[0])
			assert.True(t, strings.HasPrefix(b.hops[1], e.app.URL+"/oauth/callback"), b.hops[1])

			// The session now serves pages and APIs without another login.
			_, body = b.get(t, e.app.URL+"/api/products/BAG42")
			assert.Equal(t, tt.want, body)
			assert.Empty(t, b.hops)
			if !tt.withM {
				assert.Equal(t, 1, e.getUserInfoCalls())
			} else {
				assert.Equal(t, 1, e.fake.Calls("GET /sns/oauth2/access_token"))
				assert.Equal(t, 1, e.fake.Calls("GET /sns/userinfo"))
			}
		})
	}
}

func TestE2EAPIWithoutSession(t *testing.T) {
	e := newE2E(t, nil)
	b := e.browser(uaWeCom)
	resp, body := b.get(t, e.app.URL+"/api/products/BAG42")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	var got map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, map[string]string{"error": "unauthorized"}, got)
	assert.Empty(t, b.hops, "no redirect for an API call")
	assert.Zero(t, e.getUserInfoCalls())

	resp, body = b.get(t, e.app.URL+"/healthz")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "anon", body)
}

func TestE2ETamperedCookie(t *testing.T) {
	e := newE2E(t, nil)
	b := e.browser(uaWeCom)
	_, body := b.get(t, e.app.URL+"/p/1")
	require.Equal(t, "hello zhangsan||", body)

	appURL, err := url.Parse(e.app.URL)
	require.NoError(t, err)
	cks := b.Jar.Cookies(appURL)
	require.Len(t, cks, 1)
	parts := strings.Split(cks[0].Value, ".")
	require.Len(t, parts, 3)
	// Become someone else: same signature, edited payload.
	payload := mustB64JSON(t, parts[1])
	forged := strings.Replace(payload, `"zhangsan"`, `"boss"`, 1)
	require.NotEqual(t, payload, forged)
	b.Jar.SetCookies(appURL, []*http.Cookie{{Name: oauth.DefaultCookieName, Value: parts[0] + "." + b64(forged) + "." + parts[2], Path: "/"}})

	resp, _ := b.get(t, e.app.URL+"/api/products/1")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a tampered cookie is no session")

	b.Jar.SetCookies(appURL, []*http.Cookie{{Name: oauth.DefaultCookieName, Value: parts[0] + "." + b64(forged) + "." + parts[2], Path: "/"}})
	resp, body = b.get(t, e.app.URL+"/p/1")
	assert.Equal(t, "hello zhangsan||", body, "a browser logs in again and stays who the fake says it is")
	assert.Len(t, b.hops, 3)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 2, e.getUserInfoCalls())
}

func TestE2EExpiredSession(t *testing.T) {
	e := newE2E(t, nil)
	b := e.browser(uaDesktop)
	_, body := b.get(t, e.app.URL+"/p/1")
	require.Equal(t, "hello zhangsan||", body)

	e.clk.Advance(59 * time.Minute)
	_, body = b.get(t, e.app.URL+"/api/x")
	assert.Equal(t, "hello zhangsan||", body, "still valid before SessionTTL")

	e.clk.Advance(2 * time.Minute)
	resp, _ := b.get(t, e.app.URL+"/api/x")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "expired: API gets 401")

	resp, body = b.get(t, e.app.URL+"/p/2")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "hello zhangsan||", body, "expired: the browser logs in again")
	assert.Len(t, b.hops, 3)
	assert.Equal(t, 2, e.getUserInfoCalls())
}

func TestE2ELogout(t *testing.T) {
	e := newE2E(t, nil)
	b := e.browser(uaDesktop)
	_, body := b.get(t, e.app.URL+"/p/1")
	require.Equal(t, "hello zhangsan||", body)
	resp, body := b.get(t, e.app.URL+"/logout")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Signed out")
	resp, _ = b.get(t, e.app.URL+"/api/x")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestE2ENonMember(t *testing.T) {
	e := newE2E(t, nil)
	require.NoError(t, e.fake.SetCurrentUser(""))
	resp, body := e.browser(uaWeCom).get(t, e.app.URL+"/p/1")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "Only members")

	e = newE2E(t, func(_ *e2e, o *oauth.MiddlewareOptions) { o.AllowNonMembers = true })
	require.NoError(t, e.fake.SetCurrentUser(""))
	_, body = e.browser(uaWeCom).get(t, e.app.URL+"/p/1")
	assert.Equal(t, "hello |"+wecomtest.DefaultOpenID+"|", body)
}

func TestE2ECodeReplay(t *testing.T) {
	e := newE2E(t, nil)
	b := e.browser(uaWeCom)
	_, body := b.get(t, e.app.URL+"/p/1")
	require.Equal(t, "hello zhangsan||", body)
	require.Len(t, b.hops, 3)
	callback := b.hops[1] // carries the (now used) code and the state

	// Another browser replays the callback: the code is spent.
	resp, body := e.browser(uaWeCom).get(t, callback)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "already used")

	// The code also dies after 5 minutes, and the state after 10.
	e.clk.Advance(11 * time.Minute)
	resp, body = e.browser(uaWeCom).get(t, callback)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "invalid or has expired")
}

// TestE2EExchangePrivateInfo drives the fake's authorize page by hand, then Exchange and UserDetail.
func TestE2EExchangePrivateInfo(t *testing.T) {
	e := newE2E(t, nil)
	cfg := oauth.NewConfig(e.opts.Client, e.app.URL+"/cb") // on the fake's own host: a trusted domain by default
	cfg.Scope = oauth.ScopePrivateInfo
	signer := oauth.NewStateSigner(testKey, 0)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(cfg.AuthCodeURL(signer.Issue("/me")))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := resp.Location()
	require.NoError(t, err)
	assert.Equal(t, strings.TrimPrefix(e.app.URL, "http://"), loc.Host)
	ret, err := signer.Verify(loc.Query().Get("state"))
	require.NoError(t, err)
	assert.Equal(t, "/me", ret)

	id, err := oauth.Exchange(t.Context(), e.opts.Client, loc.Query().Get("code"))
	require.NoError(t, err)
	assert.Equal(t, wecomtest.DefaultUserID, id.UserID)
	require.NotEmpty(t, id.UserTicket)
	d, err := oauth.UserDetail(t.Context(), e.opts.Client, id.UserTicket)
	require.NoError(t, err)
	assert.Equal(t, wecomtest.DefaultUserID, d.UserID)
	assert.Equal(t, "13800000000", d.Mobile)

	_, err = oauth.Exchange(t.Context(), e.opts.Client, loc.Query().Get("code"))
	assert.ErrorIs(t, err, wecom.CodeInvalidOAuthCode, "a code is single-use")
}

func TestE2EExchangeMPRefresh(t *testing.T) {
	e := newE2E(t, nil)
	mp := e.mpClient()
	cfg := oauth.NewMPConfig(mp, e.app.URL+"/mp")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(cfg.AuthCodeURL("S1"))
	require.NoError(t, err)
	resp.Body.Close()
	loc, err := resp.Location()
	require.NoError(t, err)

	tok, err := oauth.ExchangeMP(t.Context(), mp, loc.Query().Get("code"))
	require.NoError(t, err)
	assert.Equal(t, wecomtest.DefaultOpenID, tok.OpenID)
	assert.Equal(t, "UNION1", tok.UnionID)
	_, err = oauth.MPUserInfo(t.Context(), mp, tok)
	assert.ErrorIs(t, err, wecom.CodeAPIUnauthorized, "snsapi_base cannot read the profile")

	again, err := oauth.RefreshMPToken(t.Context(), mp, tok.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, tok.OpenID, again.OpenID)
	assert.NotEqual(t, tok.AccessToken, again.AccessToken)
}

func mustB64JSON(t *testing.T, s string) string {
	t.Helper()
	b, err := b64dec(s)
	require.NoError(t, err)
	return string(b)
}

func b64(s string) string             { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
func b64dec(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
