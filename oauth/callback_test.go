package oauth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/oauth"
)

func TestMiddlewareCallbackErrors(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*mwEnv, *oauth.MiddlewareOptions)
		fixture string
		query   func(state string) string
		advance time.Duration
		status  int
		body    string
		calls   int
	}{
		{name: "bad state", fixture: "auth_getuserinfo/member.json",
			query: func(string) string { return "code=THE-CODE&state=forged" }, status: 400, body: "invalid or has expired"},
		{name: "missing state", fixture: "auth_getuserinfo/member.json",
			query: func(string) string { return "code=THE-CODE" }, status: 400, body: "invalid or has expired"},
		{name: "expired state", fixture: "auth_getuserinfo/member.json", advance: oauth.DefaultStateTTL + time.Second,
			query: func(s string) string { return "code=THE-CODE&state=" + s }, status: 400, body: "invalid or has expired"},
		{name: "no code (declined)", fixture: "auth_getuserinfo/member.json",
			query: func(s string) string { return "state=" + s }, status: 403, body: "cancelled"},
		{name: "used code", fixture: "auth_getuserinfo/40029.json",
			query: func(s string) string { return "code=THE-CODE&state=" + s }, status: 400, body: "already used", calls: 1},
		{name: "WeCom busy", fixture: "auth_getuserinfo/-1.json",
			query: func(s string) string { return "code=THE-CODE&state=" + s }, status: 502, body: "try again", calls: 1},
		{name: "non-member refused", fixture: "auth_getuserinfo/non_member.json",
			query: func(s string) string { return "code=THE-CODE&state=" + s }, status: 403, body: "Only members", calls: 1},
		{name: "non-member allowed", fixture: "auth_getuserinfo/non_member.json",
			mutate: func(e *mwEnv, o *oauth.MiddlewareOptions) { o.AllowNonMembers = true },
			query:  func(s string) string { return "code=THE-CODE&state=" + s }, status: 302, calls: 1},
		{name: "Allow refuses", fixture: "auth_getuserinfo/member.json",
			mutate: func(e *mwEnv, o *oauth.MiddlewareOptions) {
				o.Allow = func(id *oauth.Identity) bool { return id.UserID == "boss" }
			},
			query: func(s string) string { return "code=THE-CODE&state=" + s }, status: 403, body: "may not use", calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMW(t, tt.mutate)
			e.answerGetUserInfo(tt.fixture)
			st := stateFrom(t, e.get("/p/BAG42", uaWeCom))
			e.clk.Advance(tt.advance)
			w := e.get("/oauth/callback?"+tt.query(st), uaWeCom)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			assert.Contains(t, w.Body.String(), tt.body)
			assert.Equal(t, tt.calls, e.getUserInfoCalls())
			if tt.status != http.StatusFound {
				assert.Empty(t, w.Result().Cookies())
				assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
			} else {
				assert.Equal(t, "/p/BAG42", w.Header().Get("Location"))
			}
		})
	}
}

func TestMiddlewareCallbackWhenSignedIn(t *testing.T) {
	e := newMW(t, nil)
	ck := e.login("/p/1")
	st := stateFrom(t, e.get("/p/2", uaWeCom))
	w := e.get("/oauth/callback?code=THE-CODE&state="+st, uaWeCom, ck)
	assert.Equal(t, http.StatusFound, w.Code)
	assert.Equal(t, "/p/2", w.Header().Get("Location"))
	assert.Equal(t, 1, e.getUserInfoCalls(), "a reload of the callback does not spend the code again")
}

func TestMiddlewareCallbackMethod(t *testing.T) {
	e := newMW(t, nil)
	r := httptest.NewRequest(http.MethodPost, "/oauth/callback", nil)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
}

func TestMiddlewareMPCallback(t *testing.T) {
	tests := []struct {
		name     string
		tokenFix string
		status   int
		want     string
		userinfo int
	}{
		{"base scope", "sns_access_token/base.json", 302, "hello |OPENID", 0},
		{"snapshot user refused", "sns_access_token/ok.json", 403, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMW(t, func(e *mwEnv, o *oauth.MiddlewareOptions) { o.MPClient = e.mp })
			e.mpmt.RegisterResponder(http.MethodGet, mockBase+"/sns/oauth2/access_token",
				httpmock.NewBytesResponder(200, fixture(tt.tokenFix)))
			e.mpmt.RegisterResponder(http.MethodGet, mockBase+"/sns/userinfo",
				httpmock.NewBytesResponder(200, fixture("sns_userinfo/ok.json")))
			w := e.get("/m/1", uaWeChat)
			loc := w.Header().Get("Location")
			require.Contains(t, loc, "redirect_uri=http%3A%2F%2Fexample.com%2Foauth%2Fcallback%2Fmp&", "built from the request")
			st := stateFrom(t, w)
			w = e.get("/oauth/callback/mp?code=THE-CODE&state="+st, uaWeChat)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			assert.Equal(t, tt.userinfo, e.mpmt.GetCallCountInfo()["GET "+mockBase+"/sns/userinfo"])
			if tt.status == http.StatusFound {
				assert.Equal(t, tt.want, e.get("/m/1", uaWeChat, sessionCookie(t, w)).Body.String())
			}
		})
	}
}

func TestMiddlewareMPUserInfo(t *testing.T) {
	var got *oauth.Identity
	e := newMW(t, func(e *mwEnv, o *oauth.MiddlewareOptions) {
		o.MPClient = e.mp
		o.MPConfig.Scope = oauth.ScopeUserInfo
		o.Allow = func(id *oauth.Identity) bool { got = id; return true }
	})
	e.mpmt.RegisterResponder(http.MethodGet, mockBase+"/sns/oauth2/access_token",
		httpmock.NewStringResponder(200, `{"access_token":"WEB_ACCESS_TOKEN","expires_in":7200,"refresh_token":"REFRESH_TOKEN","openid":"OPENID","scope":"snsapi_userinfo"}`))
	e.mpmt.RegisterResponder(http.MethodGet, mockBase+"/sns/userinfo",
		httpmock.NewBytesResponder(200, fixture("sns_userinfo/ok.json")))
	st := stateFrom(t, e.get("/m/1", uaWeChat))
	w := e.get("/oauth/callback/mp?code=THE-CODE&state="+st, uaWeChat)
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	require.NotNil(t, got)
	assert.Equal(t, "OPENID", got.OpenID)
	assert.Equal(t, "NICKNAME", got.Name)
	assert.Equal(t, "o6_bmasdasdsad6_2sgVt7hMZOPfL", got.UnionID)
	assert.NotEmpty(t, got.Avatar)
}

func TestMiddlewareLongQueryReturnsToPath(t *testing.T) {
	e := newMW(t, nil)
	e.answerGetUserInfo("auth_getuserinfo/member.json")
	long := "/p/BAG42?sig=" + strings.Repeat("s", 80)
	st := stateFrom(t, e.get(long, uaWeCom))
	w := e.get("/oauth/callback?code=THE-CODE&state="+st, uaWeCom)
	require.Equal(t, http.StatusFound, w.Code)
	assert.Equal(t, "/p/BAG42", w.Header().Get("Location"), "the query did not fit the state; the path did")

	st = stateFrom(t, e.get("/"+strings.Repeat("p", 100), uaWeCom))
	ck := sessionCookie(t, w)
	w = e.get("/oauth/callback?code=THE-CODE&state="+st, uaWeCom, ck)
	assert.Equal(t, "/", w.Header().Get("Location"), "nothing fits: home page")
}
