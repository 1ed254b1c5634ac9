package wecomtest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// TestOAuthTrustedDomains: the OAuth pages redirect only to the app's trusted domains (可信域名); by
// default to the fake's own host name, so the fake is no open redirect.
func TestOAuthTrustedDomains(t *testing.T) {
	wecomQ := func(redirect, agent string) url.Values {
		q := url.Values{"appid": {wecomtest.DefaultCorpID}, "redirect_uri": {redirect}, "response_type": {"code"},
			"scope": {"snsapi_base"}, "state": {"s"}}
		if agent != "" {
			q.Set("agentid", agent)
		}
		return q
	}
	loginQ := func(redirect, agent string) url.Values {
		return url.Values{"login_type": {"CorpApp"}, "appid": {wecomtest.DefaultCorpID}, "agentid": {agent}, "redirect_uri": {redirect}, "state": {"s"}}
	}
	mpQ := func(redirect string) url.Values {
		return url.Values{"appid": {wecomtest.DefaultAppID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"snsapi_base"}, "state": {"s"}}
	}
	status := func(c *raw, path string, q url.Values) int {
		t.Helper()
		s, _ := c.do("GET", path, q, nil)
		return s
	}
	agent := strconv.FormatInt(wecomtest.DefaultAgentID, 10)

	t.Run("default: the fake's own host, any port", func(t *testing.T) {
		srv := newServer(t)
		c := newRaw(t, srv)
		u, err := url.Parse(srv.URL)
		require.NoError(t, err)
		for path, q := range map[string]func(string) url.Values{
			"/connect/oauth2/authorize":    func(r string) url.Values { return wecomQ(r, agent) },
			"/wwlogin/sso/login":           func(r string) url.Values { return loginQ(r, agent) },
			"/connect/oauth2/authorize#mp": mpQ,
		} {
			path, _, _ = strings.Cut(path, "#")
			assert.Equal(t, http.StatusFound, status(c, path, q(srv.URL+"/cb")), path)
			assert.Equal(t, http.StatusFound, status(c, path, q("http://"+u.Hostname()+":1/app/cb")), "%s: another port of the same host", path)
			assert.Equal(t, http.StatusBadRequest, status(c, path, q("https://evil.example/")), path)
			assert.Equal(t, http.StatusBadRequest, status(c, path, q("http://localhost:"+u.Port()+"/cb")), "%s: another host name", path)
		}
		_, body := c.do("GET", "/connect/oauth2/authorize", wecomQ("https://evil.example/", agent), nil)
		assert.Contains(t, string(body), "可信域名")
	})

	t.Run("configured per app and for the 公众号", func(t *testing.T) {
		srv := newServer(t,
			wecomtest.WithApp(wecomtest.App{AgentID: 1, Secret: "a", TrustedDomains: []string{"Shop.Example.com", "admin.example.com:8443"}}),
			wecomtest.WithApp(wecomtest.App{AgentID: 2, Secret: "b", TrustedDomains: []string{"other.example.com"}}),
			wecomtest.WithOfficialAccountDomains("m.example.com"))
		c := newRaw(t, srv)
		tests := []struct {
			name, path string
			q          url.Values
			want       int
		}{
			{"app 1's domain", "/connect/oauth2/authorize", wecomQ("https://shop.example.com/cb", "1"), http.StatusFound},
			{"a port not registered", "/connect/oauth2/authorize", wecomQ("https://shop.example.com:8080/cb", "1"), http.StatusBadRequest},
			{"the registered port", "/connect/oauth2/authorize", wecomQ("https://admin.example.com:8443/cb", "1"), http.StatusFound},
			{"registered with a port, used without", "/connect/oauth2/authorize", wecomQ("https://admin.example.com/cb", "1"), http.StatusBadRequest},
			{"a sub-domain", "/connect/oauth2/authorize", wecomQ("https://a.shop.example.com/cb", "1"), http.StatusBadRequest},
			{"another app's domain", "/connect/oauth2/authorize", wecomQ("https://other.example.com/cb", "1"), http.StatusBadRequest},
			{"no agentid: any app's domain", "/connect/oauth2/authorize", wecomQ("https://other.example.com/cb", ""), http.StatusFound},
			{"the fake's own host is no longer trusted", "/connect/oauth2/authorize", wecomQ(srv.URL+"/cb", "1"), http.StatusBadRequest},
			{"web login", "/wwlogin/sso/login", loginQ("https://other.example.com/cb", "2"), http.StatusFound},
			{"web login, another app's domain", "/wwlogin/sso/login", loginQ("https://shop.example.com/cb", "2"), http.StatusBadRequest},
			{"公众号", "/connect/oauth2/authorize", mpQ("https://m.example.com/cb"), http.StatusFound},
			{"公众号, a WeCom app's domain", "/connect/oauth2/authorize", mpQ("https://shop.example.com/cb"), http.StatusBadRequest},
		}
		for _, tt := range tests {
			assert.Equal(t, tt.want, status(c, tt.path, tt.q), tt.name)
		}
	})

	for _, bad := range []string{"https://shop.example.com", "shop.example.com/cb", "", "shop.example.com:99999", "a b"} {
		_, err := wecomtest.NewHandler(wecomtest.WithApp(wecomtest.App{AgentID: 1, Secret: "a", TrustedDomains: []string{bad}}))
		assert.Error(t, err, "app domain %q", bad)
		_, err = wecomtest.NewHandler(wecomtest.WithOfficialAccountDomains(bad))
		assert.Error(t, err, "公众号 domain %q", bad)
	}
}

// TestOAuthCodeOfAnotherApp: a code is redeemed only by the app it was issued for (40029 otherwise,
// and it stays usable by its own app); a code issued without agentid by any app of the corp.
func TestOAuthCodeOfAnotherApp(t *testing.T) {
	srv := newServer(t, wecomtest.WithApp(wecomtest.App{AgentID: 1, Secret: "a"}), wecomtest.WithApp(wecomtest.App{AgentID: 2, Secret: "b"}))
	c := newRaw(t, srv)
	tokenOf := func(secret string) string {
		return c.ok("GET", "/cgi-bin/gettoken", tq("", "corpid", wecomtest.DefaultCorpID, "corpsecret", secret), nil)["access_token"].(string)
	}
	a, b := tokenOf("a"), tokenOf("b")
	code := func(path string, q url.Values) string {
		return authorize(t, c, path, q).Query().Get("code")
	}
	q := url.Values{"appid": {wecomtest.DefaultCorpID}, "redirect_uri": {srv.URL + "/cb"}, "response_type": {"code"}, "scope": {"snsapi_base"},
		"state": {"s"}, "agentid": {"1"}}
	forA := code("/connect/oauth2/authorize", q)
	assert.Equal(t, 40029, c.errcode("GET", "/cgi-bin/auth/getuserinfo", tq(b, "code", forA), nil), "app 2 cannot redeem app 1's code")
	assert.Zero(t, c.errcode("GET", "/cgi-bin/auth/getuserinfo", tq(a, "code", forA), nil), "app 1 still can")

	login := code("/wwlogin/sso/login", url.Values{"login_type": {"CorpApp"}, "appid": {wecomtest.DefaultCorpID}, "agentid": {"2"},
		"redirect_uri": {srv.URL + "/cb"}, "state": {"s"}})
	assert.Equal(t, 40029, c.errcode("GET", "/cgi-bin/auth/getuserinfo", tq(a, "code", login), nil), "a web-login code of app 2")

	q.Del("agentid")
	anyApp := code("/connect/oauth2/authorize", q)
	assert.Zero(t, c.errcode("GET", "/cgi-bin/auth/getuserinfo", tq(b, "code", anyApp), nil), "without agentid any app of the corp")

	mp := code("/connect/oauth2/authorize", url.Values{"appid": {wecomtest.DefaultAppID}, "redirect_uri": {srv.URL + "/cb"},
		"response_type": {"code"}, "scope": {"snsapi_base"}, "state": {"s"}})
	assert.Equal(t, 40029, c.errcode("GET", "/cgi-bin/auth/getuserinfo", tq(a, "code", mp), nil), "a 公众号 code is no WeCom code")
}

func pngOf(size int) []byte {
	return append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, size-8)...)
}

// TestUploadLimits: media/uploadimg takes up to 2 MB on WeCom and 1 MB on the 公众号, each with its
// own errcodes; WithMaxRequestBody caps every body.
func TestUploadLimits(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok, mp := c.token(), c.mpToken()
	code := func(tok string, data []byte, name string) float64 {
		t.Helper()
		_, body := upload(t, c, "/cgi-bin/media/uploadimg", tq(tok), name, data)
		var m map[string]any
		require.NoError(t, json.Unmarshal(body, &m), "%s", body)
		if m["url"] != nil {
			return 0
		}
		return m["errcode"].(float64)
	}
	gif := append([]byte("GIF89a"), make([]byte, 100)...)
	assert.Zero(t, code(tok, pngOf(1536<<10), "a.png"), "WeCom: 1.5 MB")
	assert.EqualValues(t, 40009, code(tok, pngOf(2<<20+1), "a.png"), "WeCom: over 2 MB")
	assert.EqualValues(t, 40004, code(tok, gif, "a.gif"), "WeCom: not JPG/PNG")
	assert.Zero(t, code(mp, pngOf(1000<<10), "a.png"), "公众号: under 1 MB")
	assert.EqualValues(t, 40009, code(mp, pngOf(1536<<10), "a.png"), "公众号: 1.5 MB")
	assert.EqualValues(t, 40005, code(mp, gif, "a.gif"), "公众号: not JPG/PNG")

	small := newServer(t, wecomtest.WithMaxRequestBody(64<<10))
	sc := newRaw(t, small)
	tok, mp = sc.token(), sc.mpToken()
	_, body := upload(t, sc, "/cgi-bin/media/upload", tq(tok, "type", "file"), "big.bin", make([]byte, 100<<10))
	assert.Contains(t, string(body), `"errcode":40006`, "an upload over the cap")
	_, body = upload(t, sc, "/cgi-bin/media/upload", tq(tok, "type", "file"), "ok.bin", make([]byte, 32<<10))
	assert.Contains(t, string(body), `"media_id"`, "an upload under the cap")
	doc := sc.ok("POST", "/cgi-bin/wedoc/create_doc", tq(tok), map[string]any{"doc_type": 10, "doc_name": "x"})["docid"].(string)
	m := sc.json("POST", "/cgi-bin/wedoc/image_upload", tq(tok), map[string]any{"docid": doc,
		"base64_content": base64.StdEncoding.EncodeToString(pngOf(100 << 10))})
	assert.EqualValues(t, 40058, m["errcode"])
	assert.Contains(t, m["errmsg"], "too large")
	m = sc.json("POST", "/cgi-bin/message/custom/send", tq(mp), map[string]any{"touser": wecomtest.DefaultOpenID, "msgtype": "text",
		"text": map[string]any{"content": strings.Repeat("长", 40<<10)}})
	assert.EqualValues(t, 47001, m["errcode"], "公众号 JSON over the cap")

	_, err := wecomtest.NewHandler(wecomtest.WithMaxRequestBody(10))
	assert.Error(t, err)
}
