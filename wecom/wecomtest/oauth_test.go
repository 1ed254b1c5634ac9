package wecomtest_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// authorize opens an authorize page and returns the redirect target.
func authorize(t *testing.T, c *raw, path string, q url.Values) *url.URL {
	t.Helper()
	status, body := c.do("GET", path, q, nil)
	require.Equal(t, http.StatusFound, status, "body: %s", body)
	req, _ := http.NewRequest("GET", c.srv.URL+path+"?"+q.Encode(), nil)
	resp, err := c.hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return u
}

// oauthServer is a fake whose default app trusts shop.example.com and whose 公众号 trusts
// m.example.com, the redirect targets of these tests.
func oauthServer(t *testing.T, opts ...wecomtest.Option) *wecomtest.Server {
	t.Helper()
	return newServer(t, append([]wecomtest.Option{
		wecomtest.WithApp(wecomtest.App{AgentID: wecomtest.DefaultAgentID, Secret: wecomtest.DefaultSecret, TrustedDomains: []string{"shop.example.com"}}),
		wecomtest.WithOfficialAccountDomains("m.example.com"),
	}, opts...)...)
}

func wecomAuthQuery(scope, state string) url.Values {
	return url.Values{"appid": {wecomtest.DefaultCorpID}, "redirect_uri": {"https://shop.example.com/cb?x=1"},
		"response_type": {"code"}, "scope": {scope}, "state": {state}, "agentid": {strconv.FormatInt(wecomtest.DefaultAgentID, 10)}}
}

func TestOAuthWeComMember(t *testing.T) {
	srv := oauthServer(t)
	c := newRaw(t, srv)
	tok := c.token()
	u := authorize(t, c, "/connect/oauth2/authorize", wecomAuthQuery("snsapi_base", "abc123"))
	assert.Equal(t, "shop.example.com", u.Host)
	assert.Equal(t, "/cb", u.Path)
	assert.Equal(t, "1", u.Query().Get("x"), "redirect_uri's own query is kept")
	assert.Equal(t, "abc123", u.Query().Get("state"))
	code := u.Query().Get("code")
	require.NotEmpty(t, code)

	_, body := c.do("GET", "/cgi-bin/auth/getuserinfo", tq(tok, "code", code), nil)
	assertShape(t, fixture(t, "auth/getuserinfo/member.json"), body)
	assert.Contains(t, string(body), `"userid":"`+wecomtest.DefaultUserID+`"`)
	assert.Equal(t, 40029, c.errcode("GET", "/cgi-bin/auth/getuserinfo", tq(tok, "code", code), nil), "codes are single-use")
	assert.Equal(t, 41008, c.errcode("GET", "/cgi-bin/auth/getuserinfo", tq(tok), nil))
	assert.Equal(t, 40029, c.errcode("GET", "/cgi-bin/auth/getuserinfo", tq(tok, "code", "nope"), nil))
}

func TestOAuthPrivateInfo(t *testing.T) {
	srv := oauthServer(t, wecomtest.WithMember(wecomtest.Member{UserID: "lisi", Name: "李四", Mobile: "13900000000", Gender: "2",
		Email: "lisi@example.com", BizMail: "lisi@corp.example", Avatar: "https://example.com/a.png", Address: "广州"}))
	c := newRaw(t, srv)
	tok := c.token()
	u := authorize(t, c, "/connect/oauth2/authorize", wecomAuthQuery("snsapi_privateinfo", "s"))
	_, body := c.do("GET", "/cgi-bin/auth/getuserinfo", tq(tok, "code", u.Query().Get("code")), nil)
	assertShape(t, fixture(t, "auth/getuserinfo/member_privateinfo.json"), body)
	u = authorize(t, c, "/connect/oauth2/authorize", wecomAuthQuery("snsapi_privateinfo", "s"))
	info := c.ok("GET", "/cgi-bin/auth/getuserinfo", tq(tok, "code", u.Query().Get("code")), nil)
	req := fixture(t, "auth/getuserdetail/request.json", "USER_TICKET", info["user_ticket"].(string))
	_, body = c.do("POST", "/cgi-bin/auth/getuserdetail", tq(tok), req)
	assertShape(t, fixture(t, "auth/getuserdetail/ok.json"), body)
	assert.Contains(t, string(body), `"mobile":"13900000000"`)
}

func TestOAuthUserTicketInvalid(t *testing.T) {
	srv := oauthServer(t)
	c := newRaw(t, srv)
	assert.Equal(t, 40029, c.errcode("POST", "/cgi-bin/auth/getuserdetail", tq(c.token()), map[string]any{"user_ticket": "nope"}))
}

func TestOAuthNonMemberAndWebLogin(t *testing.T) {
	srv := oauthServer(t)
	c := newRaw(t, srv)
	tok := c.token()
	require.NoError(t, srv.SetCurrentUser(""))
	srv.SetCurrentOpenID("oVisitor")
	u := authorize(t, c, "/connect/oauth2/authorize", wecomAuthQuery("snsapi_base", "s"))
	_, body := c.do("GET", "/cgi-bin/auth/getuserinfo", tq(tok, "code", u.Query().Get("code")), nil)
	assertShape(t, fixture(t, "auth/getuserinfo/nonmember.json"), body, "external_userid")
	assert.Contains(t, string(body), `"openid":"oVisitor"`)

	login := url.Values{"login_type": {"CorpApp"}, "appid": {wecomtest.DefaultCorpID}, "agentid": {strconv.FormatInt(wecomtest.DefaultAgentID, 10)},
		"redirect_uri": {"https://shop.example.com/cb"}, "state": {"s"}}
	status, _ := c.do("GET", "/wwlogin/sso/login", login, nil)
	assert.Equal(t, http.StatusForbidden, status, "non-members cannot log in on the web")
	require.NoError(t, srv.SetCurrentUser(wecomtest.DefaultUserID))
	u = authorize(t, c, "/wwlogin/sso/login", login)
	m := c.ok("GET", "/cgi-bin/auth/getuserinfo", tq(tok, "code", u.Query().Get("code")), nil)
	assert.Equal(t, wecomtest.DefaultUserID, m["userid"])
	assert.Error(t, srv.SetCurrentUser("nobody"))
}

func TestOAuthCodeExpiry(t *testing.T) {
	clk := newClock()
	srv := oauthServer(t, wecomtest.WithClock(clk.Now))
	c := newRaw(t, srv)
	tok := c.token()
	u := authorize(t, c, "/connect/oauth2/authorize", wecomAuthQuery("snsapi_base", "s"))
	clk.Add(5 * time.Minute)
	assert.Equal(t, 40029, c.errcode("GET", "/cgi-bin/auth/getuserinfo", tq(tok, "code", u.Query().Get("code")), nil), "codes live 5 minutes")
	u = authorize(t, c, "/connect/oauth2/authorize", wecomAuthQuery("snsapi_base", "s"))
	clk.Add(5*time.Minute - time.Second)
	assert.Zero(t, c.errcode("GET", "/cgi-bin/auth/getuserinfo", tq(tok, "code", u.Query().Get("code")), nil))
}

func TestOAuthPageErrors(t *testing.T) {
	srv := oauthServer(t)
	c := newRaw(t, srv)
	mod := func(k, v string) url.Values {
		q := wecomAuthQuery("snsapi_base", "s")
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	tests := []struct {
		name string
		q    url.Values
	}{
		{"unknown appid", mod("appid", "wx0")},
		{"relative redirect", mod("redirect_uri", "/cb")},
		{"no redirect", mod("redirect_uri", "")},
		{"bad scope", mod("scope", "snsapi_userinfo")},
		{"bad response_type", mod("response_type", "token")},
		{"state with other characters", mod("state", "a-b_c")},
		{"state too long", mod("state", string(make([]byte, 129)))},
		{"unknown agent", mod("agentid", "42")},
	}
	for _, tt := range tests {
		status, _ := c.do("GET", "/connect/oauth2/authorize", tt.q, nil)
		assert.Equal(t, http.StatusBadRequest, status, tt.name)
	}
	lenient := oauthServer(t, wecomtest.WithLenientState())
	status, _ := newRaw(t, lenient).do("GET", "/connect/oauth2/authorize", mod("state", "a-b_c.d"), nil)
	assert.Equal(t, http.StatusFound, status)
}

func TestOAuthOfficialAccount(t *testing.T) {
	srv := oauthServer(t, wecomtest.WithWeChatUser(wecomtest.WeChatUser{OpenID: "oUser1", Nickname: "小明", UnionID: "uUnion1"}))
	c := newRaw(t, srv)
	q := url.Values{"appid": {wecomtest.DefaultAppID}, "redirect_uri": {"https://m.example.com/cb"}, "response_type": {"code"},
		"scope": {"snsapi_userinfo"}, "state": {"s"}}
	u := authorize(t, c, "/connect/oauth2/authorize", q)
	tq := url.Values{"appid": {wecomtest.DefaultAppID}, "secret": {wecomtest.DefaultAppSecret}, "code": {u.Query().Get("code")},
		"grant_type": {"authorization_code"}}
	_, body := c.do("GET", "/sns/oauth2/access_token", tq, nil)
	assertShape(t, fixture(t, "sns/oauth2/access_token/ok.json"), body, "is_snapshotuser")
	assert.Equal(t, 40029, c.errcode("GET", "/sns/oauth2/access_token", tq, nil), "single use")
	u = authorize(t, c, "/connect/oauth2/authorize", q)
	tq.Set("code", u.Query().Get("code"))
	m := c.ok("GET", "/sns/oauth2/access_token", tq, nil)
	assert.Equal(t, "oUser1", m["openid"])
	assert.Equal(t, "uUnion1", m["unionid"])
	web := m["access_token"].(string)
	_, body = c.do("GET", "/sns/userinfo", url.Values{"access_token": {web}, "openid": {"oUser1"}, "lang": {"zh_CN"}}, nil)
	assertShape(t, fixture(t, "sns/userinfo/ok.json"), body)
	assert.Contains(t, string(body), `"nickname":"小明"`)
	assert.Equal(t, 40003, c.errcode("GET", "/sns/userinfo", url.Values{"access_token": {web}, "openid": {"oOther"}}, nil))

	r := c.ok("GET", "/sns/oauth2/refresh_token", url.Values{"appid": {wecomtest.DefaultAppID}, "grant_type": {"refresh_token"},
		"refresh_token": {m["refresh_token"].(string)}}, nil)
	assert.NotEqual(t, web, r["access_token"])

	q.Set("scope", "snsapi_base")
	u = authorize(t, c, "/connect/oauth2/authorize", q)
	tq.Set("code", u.Query().Get("code"))
	m = c.ok("GET", "/sns/oauth2/access_token", tq, nil)
	assert.Equal(t, 48001, c.errcode("GET", "/sns/userinfo", url.Values{"access_token": {m["access_token"].(string)}, "openid": {"oUser1"}}, nil),
		"snsapi_base cannot read user info")
	srv.ExpireTokens()
	assert.Equal(t, 42001, c.errcode("GET", "/sns/userinfo", url.Values{"access_token": {web}, "openid": {"oUser1"}}, nil))
}
