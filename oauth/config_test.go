package oauth_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/oauth"
	"github.com/qiwei-go/qiwei/wecom"
)

func TestConfigAuthCodeURL(t *testing.T) {
	tests := []struct {
		name  string
		cfg   oauth.Config
		state string
		want  string
	}{
		{
			name:  "default scope with agent id",
			cfg:   oauth.Config{CorpID: "ww123", AgentID: 1000002, RedirectURL: "https://shop.example.com/oauth/callback?from=wx&x=a b"},
			state: "STATE123",
			want: "https://open.weixin.qq.com/connect/oauth2/authorize?appid=ww123" +
				"&redirect_uri=https%3A%2F%2Fshop.example.com%2Foauth%2Fcallback%3Ffrom%3Dwx%26x%3Da+b" +
				"&response_type=code&scope=snsapi_base&state=STATE123&agentid=1000002#wechat_redirect",
		},
		{
			name:  "privateinfo scope, fake host with trailing slash",
			cfg:   oauth.Config{CorpID: "ww123", AgentID: 7, RedirectURL: "http://127.0.0.1:8080/cb", Scope: oauth.ScopePrivateInfo, AuthBaseURL: "http://127.0.0.1:9999/"},
			state: "s",
			want: "http://127.0.0.1:9999/connect/oauth2/authorize?appid=ww123&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb" +
				"&response_type=code&scope=snsapi_privateinfo&state=s&agentid=7#wechat_redirect",
		},
		{
			name:  "no agent id: agentid omitted; hostile values escaped",
			cfg:   oauth.Config{CorpID: "w&w=1#", RedirectURL: "https://a.example/#frag"},
			state: "a&b=c",
			want: "https://open.weixin.qq.com/connect/oauth2/authorize?appid=w%26w%3D1%23&redirect_uri=https%3A%2F%2Fa.example%2F%23frag" +
				"&response_type=code&scope=snsapi_base&state=a%26b%3Dc#wechat_redirect",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.AuthCodeURL(tt.state)
			assert.Equal(t, tt.want, got)
			u, err := url.Parse(got)
			require.NoError(t, err)
			assert.Equal(t, "wechat_redirect", u.Fragment)
			assert.Equal(t, tt.cfg.RedirectURL, u.Query().Get("redirect_uri"), "redirect_uri survives a round trip")
			assert.Equal(t, tt.state, u.Query().Get("state"))
		})
	}
}

func TestConfigWebLoginURL(t *testing.T) {
	tests := []struct {
		name string
		cfg  oauth.Config
		want string
	}{
		{
			name: "default host",
			cfg:  oauth.Config{CorpID: "ww123", AgentID: 1000002, RedirectURL: "https://shop.example.com/oauth/callback"},
			want: "https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=ww123&agentid=1000002" +
				"&redirect_uri=https%3A%2F%2Fshop.example.com%2Foauth%2Fcallback&state=ST",
		},
		{
			name: "lang and fake host; scope is ignored",
			cfg:  oauth.Config{CorpID: "ww123", AgentID: 5, RedirectURL: "http://h/cb", Lang: "en", LoginBaseURL: "http://fake", Scope: oauth.ScopePrivateInfo},
			want: "http://fake/wwlogin/sso/login?login_type=CorpApp&appid=ww123&agentid=5&redirect_uri=http%3A%2F%2Fh%2Fcb&state=ST&lang=en",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.cfg.WebLoginURL("ST"))
		})
	}
}

func TestMPConfigAuthCodeURL(t *testing.T) {
	tests := []struct {
		name string
		cfg  oauth.MPConfig
		want string
	}{
		{
			name: "base",
			cfg:  oauth.MPConfig{AppID: "wx520c15f417810387", RedirectURL: "https://chong.qq.com/mp/callback"},
			want: "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx520c15f417810387" +
				"&redirect_uri=https%3A%2F%2Fchong.qq.com%2Fmp%2Fcallback&response_type=code&scope=snsapi_base&state=123#wechat_redirect",
		},
		{
			name: "userinfo",
			cfg:  oauth.MPConfig{AppID: "wxA", RedirectURL: "https://m.example/cb?a=1", Scope: oauth.ScopeUserInfo, AuthBaseURL: "http://fake:1"},
			want: "http://fake:1/connect/oauth2/authorize?appid=wxA&redirect_uri=https%3A%2F%2Fm.example%2Fcb%3Fa%3D1" +
				"&response_type=code&scope=snsapi_userinfo&state=123#wechat_redirect",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.cfg.AuthCodeURL("123"))
		})
	}
}

func TestNewConfigFromClient(t *testing.T) {
	c, err := wecom.New("wwCORP", "secret", wecom.WithAgentID(42), wecom.WithBaseURL("http://127.0.0.1:5555"))
	require.NoError(t, err)
	cfg := oauth.NewConfig(c, "http://app/cb")
	assert.Equal(t, oauth.Config{CorpID: "wwCORP", AgentID: 42, RedirectURL: "http://app/cb",
		AuthBaseURL: "http://127.0.0.1:5555", LoginBaseURL: "http://127.0.0.1:5555"}, cfg)
	assert.True(t, strings.HasPrefix(cfg.AuthCodeURL("s"), "http://127.0.0.1:5555/connect/oauth2/authorize?appid=wwCORP&"))
	assert.True(t, strings.HasPrefix(cfg.WebLoginURL("s"), "http://127.0.0.1:5555/wwlogin/sso/login?login_type=CorpApp&appid=wwCORP&agentid=42&"))

	real, err := wecom.New("wwCORP", "secret")
	require.NoError(t, err)
	cfg = oauth.NewConfig(real, "https://app/cb")
	assert.True(t, strings.HasPrefix(cfg.AuthCodeURL("s"), "https://open.weixin.qq.com/connect/oauth2/authorize?"))
	assert.True(t, strings.HasPrefix(cfg.WebLoginURL("s"), "https://login.work.weixin.qq.com/wwlogin/sso/login?"))

	mp, err := wecom.NewOfficialAccount("wxAPP", "secret", wecom.WithBaseURL("http://fake"))
	require.NoError(t, err)
	assert.Equal(t, oauth.MPConfig{AppID: "wxAPP", RedirectURL: "http://app/mp", AuthBaseURL: "http://fake"},
		oauth.NewMPConfig(mp, "http://app/mp"))
	assert.Equal(t, oauth.Config{RedirectURL: "x"}, oauth.NewConfig(nil, "x"))
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr string
	}{
		{"ok", oauth.Config{CorpID: "ww", RedirectURL: "https://a/cb"}.Validate(), ""},
		{"privateinfo with agent", oauth.Config{CorpID: "ww", AgentID: 1, RedirectURL: "https://a/cb", Scope: oauth.ScopePrivateInfo}.Validate(), ""},
		{"privateinfo without agent", oauth.Config{CorpID: "ww", RedirectURL: "https://a/cb", Scope: oauth.ScopePrivateInfo}.Validate(), "requires an AgentID"},
		{"no corp", oauth.Config{RedirectURL: "https://a/cb"}.Validate(), "CorpID is empty"},
		{"relative redirect", oauth.Config{CorpID: "ww", RedirectURL: "/cb"}.Validate(), "absolute http(s) URL"},
		{"javascript redirect", oauth.Config{CorpID: "ww", RedirectURL: "javascript:alert(1)"}.Validate(), "absolute http(s) URL"},
		{"userinfo scope is 公众号 only", oauth.Config{CorpID: "ww", RedirectURL: "https://a/cb", Scope: oauth.ScopeUserInfo}.Validate(), "not snsapi_base or snsapi_privateinfo"},
		{"mp ok", oauth.MPConfig{AppID: "wx", RedirectURL: "https://a/cb", Scope: oauth.ScopeUserInfo}.Validate(), ""},
		{"mp no app id", oauth.MPConfig{RedirectURL: "https://a/cb"}.Validate(), "AppID is empty"},
		{"mp privateinfo", oauth.MPConfig{AppID: "wx", RedirectURL: "https://a/cb", Scope: oauth.ScopePrivateInfo}.Validate(), "not snsapi_base or snsapi_userinfo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantErr == "" {
				assert.NoError(t, tt.err)
			} else {
				assert.ErrorContains(t, tt.err, tt.wantErr)
			}
		})
	}
}
