package oauth_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/oauth"
	"github.com/qiwei-go/qiwei/wecom"
)

const (
	uaWeCom   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/7.0.1 NetType/WIFI Language/zh wxwork/4.1.20"
	uaWeChat  = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F51) NetType/WIFI Language/zh_CN"
	uaDesktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type mwEnv struct {
	t    *testing.T
	c    *wecom.Client
	mt   *httpmock.MockTransport
	mp   *wecom.Client
	mpmt *httpmock.MockTransport
	clk  *clock
	opts *oauth.MiddlewareOptions
	h    http.Handler
	logs *syncBuffer
}

// newMW builds a middleware on mocked WeCom (and 公众号) clients. The wrapped handler answers
// "hello userid|openid" or "anon".
func newMW(t *testing.T, mutate func(*mwEnv, *oauth.MiddlewareOptions)) *mwEnv {
	t.Helper()
	e := &mwEnv{t: t, clk: newClock(), logs: &syncBuffer{}}
	e.c, e.mt = newMocked(t)
	e.mp, e.mpmt = newMockedMP(t)
	e.opts = &oauth.MiddlewareOptions{
		Client:     e.c,
		Config:     oauth.Config{RedirectURL: "https://shop.example/oauth/callback"},
		SessionKey: testKey,
		Public:     []string{"/healthz", "/static/"},
		Logger:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:        e.clk.Now,
	}
	if mutate != nil {
		mutate(e, e.opts)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := oauth.IdentityFrom(r.Context()); ok {
			fmt.Fprintf(w, "hello %s|%s", id.UserID, id.OpenID)
			return
		}
		fmt.Fprint(w, "anon")
	})
	e.h = oauth.Middleware(next, e.opts)
	t.Cleanup(func() {
		logs := e.logs.String()
		for _, secret := range []string{"ACCESS_TOKEN", "WEB_ACCESS_TOKEN", "REFRESH_TOKEN", "s3cret", "mpS3cret",
			"USER_TICKET", "THE-CODE", oauth.DefaultCookieName + "="} {
			assert.NotContains(t, logs, secret, "logs must not carry codes, tokens or cookies")
		}
	})
	return e
}

func (e *mwEnv) get(target, ua string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("User-Agent", ua)
	r.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func (e *mwEnv) answerGetUserInfo(fixtureName string) {
	e.mt.RegisterResponder(http.MethodGet, mockBase+"/cgi-bin/auth/getuserinfo",
		httpmock.NewBytesResponder(200, fixture(fixtureName)))
}

func (e *mwEnv) getUserInfoCalls() int {
	return e.mt.GetCallCountInfo()["GET "+mockBase+"/cgi-bin/auth/getuserinfo"]
}

// stateFrom extracts the state of a login redirect.
func stateFrom(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	u, err := url.Parse(w.Header().Get("Location"))
	require.NoError(t, err)
	st := u.Query().Get("state")
	require.NotEmpty(t, st)
	return st
}

func sessionCookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == oauth.DefaultCookieName {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", w.Header())
	return nil
}

// login runs the whole flow against the mocks and returns the session cookie.
func (e *mwEnv) login(path string) *http.Cookie {
	e.t.Helper()
	e.answerGetUserInfo("auth_getuserinfo/member.json")
	st := stateFrom(e.t, e.get(path, uaWeCom))
	w := e.get("/oauth/callback?code=THE-CODE&state="+st, uaWeCom)
	require.Equal(e.t, http.StatusFound, w.Code, w.Body.String())
	require.Equal(e.t, path, w.Header().Get("Location"))
	return sessionCookie(e.t, w)
}

func TestMiddlewareChoosesFlow(t *testing.T) {
	const enc = "https%3A%2F%2Fshop.example%2Foauth%2Fcallback"
	tests := []struct {
		name   string
		ua     string
		withMP bool
		prefix string
	}{
		{"WeCom app: in-app authorize", uaWeCom, true,
			mockBase + "/connect/oauth2/authorize?appid=wwCORP&redirect_uri=" + enc + "&response_type=code&scope=snsapi_base&state="},
		{"desktop browser: web login", uaDesktop, true,
			mockBase + "/wwlogin/sso/login?login_type=CorpApp&appid=wwCORP&agentid=1000002&redirect_uri=" + enc + "&state="},
		{"WeChat with a 公众号: 公众号 authorize", uaWeChat, true,
			mockBase + "/connect/oauth2/authorize?appid=wxAPP&redirect_uri=https%3A%2F%2Fshop.example%2Fmp%2Fcallback&response_type=code&scope=snsapi_base&state="},
		{"WeChat without a 公众号: web login", uaWeChat, false,
			mockBase + "/wwlogin/sso/login?login_type=CorpApp&appid=wwCORP&"},
		{"no user agent: web login", "", false, mockBase + "/wwlogin/sso/login?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMW(t, func(e *mwEnv, o *oauth.MiddlewareOptions) {
				if tt.withMP {
					o.MPClient = e.mp
					o.MPConfig = oauth.MPConfig{RedirectURL: "https://shop.example/mp/callback"}
				}
			})
			w := e.get("/p/BAG42?x=1", tt.ua)
			require.Equal(t, http.StatusFound, w.Code)
			loc := w.Header().Get("Location")
			assert.True(t, strings.HasPrefix(loc, tt.prefix), "Location %s\nwant prefix %s", loc, tt.prefix)
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			assert.Empty(t, w.Result().Cookies(), "no cookie before the callback")
			assert.Regexp(t, stateChars, stateFrom(t, w))
		})
	}
}

func TestMiddlewareMPOnly(t *testing.T) {
	e := newMW(t, func(e *mwEnv, o *oauth.MiddlewareOptions) {
		o.Client, o.Config = nil, oauth.Config{}
		o.MPClient = e.mp
		o.MPConfig.Scope = oauth.ScopeUserInfo
	})
	w := e.get("/m/1", uaDesktop)
	require.Equal(t, http.StatusFound, w.Code)
	assert.True(t, strings.HasPrefix(w.Header().Get("Location"), mockBase+
		"/connect/oauth2/authorize?appid=wxAPP&redirect_uri=http%3A%2F%2Fexample.com%2Foauth%2Fcallback%2Fmp&response_type=code&scope=snsapi_userinfo&state="),
		w.Header().Get("Location"))
}

func TestMiddlewareRedirectURLFromRequest(t *testing.T) {
	e := newMW(t, func(e *mwEnv, o *oauth.MiddlewareOptions) { o.Config = oauth.Config{} })
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/p/1", nil)
	r.Header.Set("User-Agent", uaWeCom)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	assert.Contains(t, w.Header().Get("Location"), "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Foauth%2Fcallback&")

	r = httptest.NewRequest(http.MethodGet, "https://shop.example/p/1", nil)
	r.TLS = &tls.ConnectionState{}
	w = httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	assert.Contains(t, w.Header().Get("Location"), "&redirect_uri=https%3A%2F%2Fshop.example%2Foauth%2Fcallback&")
}

func TestMiddlewareLoginAndSession(t *testing.T) {
	e := newMW(t, nil)
	ck := e.login("/p/BAG42?x=1")
	assert.True(t, ck.HttpOnly)
	assert.True(t, ck.Secure, "https RedirectURL makes the cookie Secure")
	assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	assert.Equal(t, "/", ck.Path)
	assert.Equal(t, int(oauth.DefaultSessionTTL/time.Second), ck.MaxAge)
	assert.Regexp(t, `^[A-Za-z0-9._-]+$`, ck.Value)
	assert.NotContains(t, ck.Value, "USER_TICKET")
	assert.Equal(t, 1, e.getUserInfoCalls())

	w := e.get("/p/BAG42?x=1", uaWeCom, ck)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "hello USERID|", w.Body.String())

	// An API call with the session works too.
	w = e.get("/api/products/1", uaDesktop, ck)
	assert.Equal(t, "hello USERID|", w.Body.String())
}

func TestMiddlewareAPIWithoutSession(t *testing.T) {
	e := newMW(t, nil)
	tests := []struct {
		name   string
		method string
		target string
		accept string
		xhr    bool
	}{
		{"api path", http.MethodGet, "/api/products/1", "", false},
		{"JSON accept", http.MethodGet, "/p/1", "application/json", false},
		{"problem+json accept", http.MethodGet, "/p/1", "application/problem+json", false},
		{"XHR", http.MethodGet, "/p/1", "*/*", true},
		{"POST to a page", http.MethodPost, "/p/1/sell", "text/html", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			r.Header.Set("User-Agent", uaWeCom)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			if tt.xhr {
				r.Header.Set("X-Requested-With", "XMLHttpRequest")
			}
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			assert.Equal(t, http.StatusUnauthorized, w.Code)
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
			assert.JSONEq(t, `{"error":"unauthorized"}`, w.Body.String())
			assert.Empty(t, w.Header().Get("Location"))
		})
	}
	// A browser that accepts both HTML and JSON is a browser.
	r := httptest.NewRequest(http.MethodGet, "/p/1", nil)
	r.Header.Set("Accept", "text/html, application/json")
	assert.False(t, oauth.DefaultIsAPI(r))
}

func TestMiddlewareCustomIsAPI(t *testing.T) {
	e := newMW(t, func(e *mwEnv, o *oauth.MiddlewareOptions) {
		o.IsAPI = func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/v1/") }
	})
	assert.Equal(t, http.StatusUnauthorized, e.get("/v1/x", uaDesktop).Code)
	assert.Equal(t, http.StatusFound, e.get("/api/x", uaDesktop).Code)
}

func TestMiddlewarePublicPaths(t *testing.T) {
	e := newMW(t, nil)
	for _, p := range []string{"/healthz", "/static/app.js", "/static/"} {
		w := e.get(p, uaDesktop)
		assert.Equal(t, http.StatusOK, w.Code, p)
		assert.Equal(t, "anon", w.Body.String(), p)
	}
	for _, p := range []string{"/healthz/x", "/static", "/healthzz"} {
		assert.Equal(t, http.StatusFound, e.get(p, uaDesktop).Code, p)
	}
	ck := e.login("/")
	assert.Equal(t, "hello USERID|", e.get("/healthz", uaDesktop, ck).Body.String(), "identity attached on public paths too")
}

func TestMiddlewareTamperedCookie(t *testing.T) {
	e := newMW(t, nil)
	ck := e.login("/p/1")
	forged := func(v string) *http.Cookie { return &http.Cookie{Name: oauth.DefaultCookieName, Value: v} }
	parts := strings.Split(ck.Value, ".")
	require.Len(t, parts, 3)
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)/2] == 'A' {
			b[len(b)/2] = 'B'
		} else {
			b[len(b)/2] = 'A'
		}
		return string(b)
	}
	for name, v := range map[string]string{
		"payload changed": parts[0] + "." + flip(parts[1]) + "." + parts[2],
		"mac changed":     parts[0] + "." + parts[1] + "." + flip(parts[2]),
		"mac dropped":     parts[0] + "." + parts[1],
		"other version":   "2." + parts[1] + "." + parts[2],
		"garbage":         "x",
		"empty":           "",
	} {
		t.Run(name, func(t *testing.T) {
			w := e.get("/api/products/1", uaWeCom, forged(v))
			assert.Equal(t, http.StatusUnauthorized, w.Code)
			if v != "" {
				cleared := sessionCookie(t, w)
				assert.Less(t, cleared.MaxAge, 0, "a rejected cookie is cleared")
			}
			w = e.get("/p/1", uaWeCom, forged(v))
			assert.Equal(t, http.StatusFound, w.Code, "a browser is sent to log in again")
		})
	}

	// A cookie signed with another key is rejected as well.
	other := newMW(t, func(e *mwEnv, o *oauth.MiddlewareOptions) { o.SessionKey = []byte("another key, 32 bytes long......") })
	assert.Equal(t, http.StatusUnauthorized, other.get("/api/x", uaWeCom, ck).Code)
	// And a state can never pass for a cookie.
	st := stateFrom(t, e.get("/p/1", uaWeCom))
	assert.Equal(t, http.StatusUnauthorized, e.get("/api/x", uaWeCom, forged(st)).Code)
}

func TestMiddlewareSessionExpiry(t *testing.T) {
	e := newMW(t, func(e *mwEnv, o *oauth.MiddlewareOptions) { o.SessionTTL = time.Hour })
	ck := e.login("/p/1")
	assert.Equal(t, 3600, ck.MaxAge)
	e.clk.Advance(time.Hour - time.Second)
	assert.Equal(t, "hello USERID|", e.get("/p/1", uaWeCom, ck).Body.String())
	e.clk.Advance(time.Second)
	w := e.get("/p/1", uaWeCom, ck)
	assert.Equal(t, http.StatusFound, w.Code, "expired session: log in again")
	assert.Contains(t, e.logs.String(), "session expired")
	ck2 := e.login("/p/1")
	assert.Equal(t, "hello USERID|", e.get("/p/1", uaWeCom, ck2).Body.String())
}

func TestMiddlewareMisconfigured(t *testing.T) {
	c, _ := newMocked(t)
	mp, _ := newMockedMP(t)
	tests := []struct {
		name string
		o    *oauth.MiddlewareOptions
		want string
	}{
		{"nil", nil, "nil MiddlewareOptions"},
		{"no client", &oauth.MiddlewareOptions{SessionKey: testKey}, "set Client"},
		{"short key", &oauth.MiddlewareOptions{Client: c, SessionKey: []byte("short")}, "SessionKey"},
		{"公众号 as Client", &oauth.MiddlewareOptions{Client: mp, SessionKey: testKey}, "put it in MPClient"},
		{"WeCom as MPClient", &oauth.MiddlewareOptions{Client: c, MPClient: c, SessionKey: testKey}, "NewOfficialAccount"},
		{"bad redirect", &oauth.MiddlewareOptions{Client: c, SessionKey: testKey, Config: oauth.Config{RedirectURL: "/cb"}}, "absolute http(s)"},
		{"same callback paths", &oauth.MiddlewareOptions{Client: c, MPClient: mp, SessionKey: testKey, CallbackPath: "/cb", MPCallbackPath: "/cb"}, "share the path"},
		{"bad public path", &oauth.MiddlewareOptions{Client: c, SessionKey: testKey, Public: []string{"healthz"}}, "must start with /"},
		{"bad logout redirect", &oauth.MiddlewareOptions{Client: c, SessionKey: testKey, LogoutRedirect: "//evil.com"}, "LogoutRedirect"},
		{"weak signer", &oauth.MiddlewareOptions{Client: c, SessionKey: testKey, Signer: &oauth.StateSigner{}}, "too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			assert.ErrorContains(t, err, tt.want)
			// Building the handlers fails at once, with the same reason, instead of a 500 per request.
			assert.PanicsWithError(t, "oauth.Middleware: "+err.Error(), func() { oauth.Middleware(http.NotFoundHandler(), tt.o) })
			assert.PanicsWithError(t, "oauth.Logout: "+err.Error(), func() { oauth.Logout(tt.o) })
			assert.NotContains(t, err.Error(), string(testKey))
		})
	}
	assert.NoError(t, (&oauth.MiddlewareOptions{Client: c, MPClient: mp, SessionKey: testKey}).Validate())
}

func TestLogout(t *testing.T) {
	e := newMW(t, nil)
	ck := e.login("/p/1")
	logout := oauth.Logout(e.opts)

	r := httptest.NewRequest(http.MethodGet, "/logout", nil)
	r.AddCookie(ck)
	w := httptest.NewRecorder()
	logout.ServeHTTP(w, r)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "Signed out")
	cleared := sessionCookie(t, w)
	assert.Less(t, cleared.MaxAge, 0)
	assert.Empty(t, cleared.Value)

	r = httptest.NewRequest(http.MethodPost, "/api/logout", nil)
	w = httptest.NewRecorder()
	logout.ServeHTTP(w, r)
	assert.Equal(t, http.StatusNoContent, w.Code)

	e.opts.LogoutRedirect = "/bye"
	w = httptest.NewRecorder()
	oauth.Logout(e.opts).ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/logout", nil))
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, "/bye", w.Header().Get("Location"))
}

func TestMiddlewareCookieSecureFlag(t *testing.T) {
	tests := []struct {
		name     string
		redirect string
		secure   bool
		tls      bool
		want     bool
	}{
		{"http demo", "http://127.0.0.1:8080/oauth/callback", false, false, false},
		{"https redirect", "https://shop.example/oauth/callback", false, false, true},
		{"forced", "http://127.0.0.1:8080/oauth/callback", true, false, true},
		{"TLS request", "", false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMW(t, func(e *mwEnv, o *oauth.MiddlewareOptions) {
				o.Config.RedirectURL, o.Secure = tt.redirect, tt.secure
				o.CookieName = "sid"
			})
			e.answerGetUserInfo("auth_getuserinfo/member.json")
			do := func(target string) *httptest.ResponseRecorder {
				r := httptest.NewRequest(http.MethodGet, target, nil)
				r.Header.Set("User-Agent", uaWeCom)
				if tt.tls {
					r.TLS = &tls.ConnectionState{}
				}
				w := httptest.NewRecorder()
				e.h.ServeHTTP(w, r)
				return w
			}
			st := stateFrom(t, do("/p/1"))
			w := do("/oauth/callback?code=THE-CODE&state=" + st)
			require.Equal(t, http.StatusFound, w.Code, w.Body.String())
			cks := w.Result().Cookies()
			require.Len(t, cks, 1)
			assert.Equal(t, "sid", cks[0].Name)
			assert.Equal(t, tt.want, cks[0].Secure)
		})
	}
}

func TestIdentityFromIsACopy(t *testing.T) {
	ctx := oauth.WithIdentity(t.Context(), &oauth.Identity{UserID: "u"})
	id, ok := oauth.IdentityFrom(ctx)
	require.True(t, ok)
	id.UserID = "changed"
	again, _ := oauth.IdentityFrom(ctx)
	assert.Equal(t, "u", again.UserID)
	_, ok = oauth.IdentityFrom(t.Context())
	assert.False(t, ok)
	assert.Equal(t, t.Context(), oauth.WithIdentity(t.Context(), nil))
}
