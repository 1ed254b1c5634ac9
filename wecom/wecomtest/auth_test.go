package wecomtest_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func TestGetToken(t *testing.T) {
	srv := newServer(t, wecomtest.WithApp(wecomtest.App{AgentID: 1000002, Secret: "s1"}),
		wecomtest.WithApp(wecomtest.App{AgentID: 1000003, Secret: "s2"}))
	c := newRaw(t, srv)
	tests := []struct {
		name     string
		q        url.Values
		wantCode int
	}{
		{"first app", url.Values{"corpid": {wecomtest.DefaultCorpID}, "corpsecret": {"s1"}}, 0},
		{"second app", url.Values{"corpid": {wecomtest.DefaultCorpID}, "corpsecret": {"s2"}}, 0},
		{"wrong secret", url.Values{"corpid": {wecomtest.DefaultCorpID}, "corpsecret": {"nope"}}, 40001},
		{"wrong corpid", url.Values{"corpid": {"ww0"}, "corpsecret": {"s1"}}, 40013},
		{"no corpid", url.Values{"corpsecret": {"s1"}}, 41002},
		{"no secret", url.Values{"corpid": {wecomtest.DefaultCorpID}}, 41004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := c.do("GET", "/cgi-bin/gettoken", tt.q, nil)
			require.Equal(t, 200, status) // errors are HTTP 200 with an errcode, as WeCom does
			if tt.wantCode == 0 {
				assertShape(t, fixture(t, "gettoken/ok.json"), body)
				return
			}
			assert.Contains(t, string(body), fmt.Sprintf(`{"errcode":%d,`, tt.wantCode))
			assert.NotContains(t, string(body), "s1", "secrets never appear in errors")
		})
	}
	assert.Equal(t, len(tests), srv.Calls("GET /cgi-bin/gettoken"))
	assert.Equal(t, len(tests), srv.Calls("/cgi-bin/gettoken"))
}

func TestTokenChecks(t *testing.T) {
	clk := newClock()
	srv := newServer(t, wecomtest.WithClock(clk.Now))
	c := newRaw(t, srv)
	tok := c.token()
	mp := c.mpToken()
	const path = "/cgi-bin/get_jsapi_ticket"
	tests := []struct {
		name string
		q    url.Values
		want int
	}{
		{"valid", tq(tok), 0},
		{"missing", nil, 41001},
		{"unknown", tq("nope"), 40014},
		{"公众号 token on a WeCom API", tq(mp), 40014},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, c.errcode("GET", path, tt.q, nil), tt.name)
	}
	assert.Equal(t, 40001, c.errcode("GET", "/cgi-bin/ticket/getticket", tq(tok, "type", "jsapi"), nil),
		"a WeCom token on a 公众号 API is an invalid credential")

	clk.Add(7199 * time.Second)
	assert.Zero(t, c.errcode("GET", path, tq(tok), nil))
	clk.Add(time.Second)
	assert.Equal(t, 42001, c.errcode("GET", path, tq(tok), nil), "7200 s tokens")
	assert.Zero(t, c.errcode("GET", path, tq(c.token()), nil), "a new token works")
}

func TestExpireTokens(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok, mp := c.token(), c.mpToken()
	srv.ExpireTokens()
	assert.Equal(t, 42001, c.errcode("GET", "/cgi-bin/get_jsapi_ticket", tq(tok), nil))
	assert.Equal(t, 42001, c.errcode("GET", "/cgi-bin/ticket/getticket", tq(mp, "type", "jsapi"), nil))
	assert.NotEqual(t, mp, c.mpToken(), "stable_token rotates an expired token")
}

func TestMPClassicTokenGrace(t *testing.T) {
	clk := newClock()
	srv := newServer(t, wecomtest.WithClock(clk.Now), wecomtest.WithTokenGrace(5*time.Minute))
	c := newRaw(t, srv)
	q := url.Values{"grant_type": {"client_credential"}, "appid": {wecomtest.DefaultAppID}, "secret": {wecomtest.DefaultAppSecret}}
	first := c.ok("GET", "/cgi-bin/token", q, nil)
	_, body := c.do("GET", "/cgi-bin/token", q, nil)
	assertShape(t, fixture(t, "token/ok.json"), body)
	second := c.ok("GET", "/cgi-bin/token", q, nil)
	old, cur := first["access_token"].(string), second["access_token"].(string)
	require.NotEqual(t, old, cur)
	const path = "/cgi-bin/ticket/getticket"
	assert.Zero(t, c.errcode("GET", path, tq(old, "type", "jsapi"), nil), "the old token still works during the grace period")
	clk.Add(5 * time.Minute)
	assert.Equal(t, 40001, c.errcode("GET", path, tq(old, "type", "jsapi"), nil), "superseded: invalid or not latest")
	assert.Zero(t, c.errcode("GET", path, tq(cur, "type", "jsapi"), nil))

	bad := map[string]url.Values{
		"40013": {"grant_type": {"client_credential"}, "appid": {"wx0"}, "secret": {wecomtest.DefaultAppSecret}},
		"40125": {"grant_type": {"client_credential"}, "appid": {wecomtest.DefaultAppID}, "secret": {"x"}},
		"40002": {"grant_type": {"password"}, "appid": {wecomtest.DefaultAppID}, "secret": {wecomtest.DefaultAppSecret}},
	}
	for code, q := range bad {
		_, body := c.do("GET", "/cgi-bin/token", q, nil)
		assert.Contains(t, string(body), `"errcode":`+code)
	}
	_, body = c.do("GET", "/cgi-bin/token", bad["40013"], nil)
	assertShape(t, fixture(t, "token/40013.json"), body)
}

func TestStableToken(t *testing.T) {
	clk := newClock()
	srv := newServer(t, wecomtest.WithClock(clk.Now))
	c := newRaw(t, srv)
	req := fixture(t, "stable_token/request.json", "APPSECRET", wecomtest.DefaultAppSecret, "APPID", wecomtest.DefaultAppID)
	force := fixture(t, "stable_token/request_force.json", "APPSECRET", wecomtest.DefaultAppSecret, "APPID", wecomtest.DefaultAppID)

	_, body := c.do("POST", "/cgi-bin/stable_token", nil, req)
	assertShape(t, fixture(t, "stable_token/ok.json"), body)
	a := c.ok("POST", "/cgi-bin/stable_token", nil, req)
	clk.Add(time.Hour)
	b := c.ok("POST", "/cgi-bin/stable_token", nil, req)
	assert.Equal(t, a["access_token"], b["access_token"], "normal mode returns the current token while valid")
	assert.EqualValues(t, 3600, b["expires_in"], "expires_in counts down")

	f := c.ok("POST", "/cgi-bin/stable_token", nil, force)
	assert.NotEqual(t, a["access_token"], f["access_token"], "force_refresh rotates")
	assert.EqualValues(t, 7200, f["expires_in"])
	old := a["access_token"].(string)
	assert.Zero(t, c.errcode("GET", "/cgi-bin/ticket/getticket", tq(old, "type", "jsapi"), nil), "old token valid for the grace period")
	clk.Add(5 * time.Minute)
	assert.Equal(t, 40001, c.errcode("GET", "/cgi-bin/ticket/getticket", tq(old, "type", "jsapi"), nil))

	clk.Add(7200*time.Second - 5*time.Minute - time.Minute) // 60 s left: less than the grace period
	g := c.ok("POST", "/cgi-bin/stable_token", nil, req)
	assert.NotEqual(t, f["access_token"], g["access_token"], "rotated shortly before expiry")

	assert.Equal(t, 40125, c.errcode("POST", "/cgi-bin/stable_token", nil, map[string]any{
		"grant_type": "client_credential", "appid": wecomtest.DefaultAppID, "secret": "wrong"}))
	assert.Equal(t, 47001, c.errcode("POST", "/cgi-bin/stable_token", nil, []byte("{")))
}

func TestTickets(t *testing.T) {
	clk := newClock()
	srv := newServer(t, wecomtest.WithClock(clk.Now))
	c := newRaw(t, srv)
	tok, mp := c.token(), c.mpToken()
	tests := []struct {
		name, path, fixture string
		q                   url.Values
	}{
		{"corp jsapi", "/cgi-bin/get_jsapi_ticket", "get_jsapi_ticket/ok.json", tq(tok)},
		{"agent_config", "/cgi-bin/ticket/get", "ticket/get/ok.json", tq(tok, "type", "agent_config")},
		{"公众号 jsapi", "/cgi-bin/ticket/getticket", "ticket/getticket/ok.json", tq(mp, "type", "jsapi")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := c.do("GET", tt.path, tt.q, nil)
			assertShape(t, fixture(t, tt.fixture), body)
			a := c.ok("GET", tt.path, tt.q, nil)
			b := c.ok("GET", tt.path, tt.q, nil)
			assert.Equal(t, a["ticket"], b["ticket"], "the same ticket while valid")
		})
	}
	assert.Equal(t, 40058, c.errcode("GET", "/cgi-bin/ticket/get", tq(tok, "type", "jsapi"), nil))
	assert.Equal(t, 40097, c.errcode("GET", "/cgi-bin/ticket/getticket", tq(mp, "type", "x"), nil))

	a := c.ok("GET", "/cgi-bin/get_jsapi_ticket", tq(tok), nil)
	srv.ExpireTickets()
	b := c.ok("GET", "/cgi-bin/get_jsapi_ticket", tq(tok), nil)
	assert.NotEqual(t, a["ticket"], b["ticket"])
	clk.Add(7200 * time.Second)
	tok = c.token()
	cc := c.ok("GET", "/cgi-bin/get_jsapi_ticket", tq(tok), nil)
	assert.NotEqual(t, b["ticket"], cc["ticket"], "a new ticket after expiry")
}
