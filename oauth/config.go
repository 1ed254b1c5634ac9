package oauth

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/qiwei-go/qiwei/wecom"
)

// OAuth scopes.
const (
	// ScopeBase is the silent WeCom or 公众号 scope: the user id (or openid) only, no confirmation page.
	ScopeBase = "snsapi_base"
	// ScopePrivateInfo is the WeCom scope that asks the member to confirm and yields a user_ticket for
	// [UserDetail] (mobile, email, avatar…). It requires an AgentID.
	ScopePrivateInfo = "snsapi_privateinfo"
	// ScopeUserInfo is the 公众号 scope that asks the user to confirm and allows [MPUserInfo]
	// (nickname, avatar).
	ScopeUserInfo = "snsapi_userinfo"
)

// Config builds the WeCom login URLs of a self-built app (自建应用).
//
// The zero values of Scope, AuthBaseURL and LoginBaseURL mean snsapi_base and the real WeCom hosts;
// [NewConfig] fills CorpID, AgentID and both base URLs from a client, so that URLs built from a client
// that points at a fake server (wecomtest) lead to that fake.
type Config struct {
	CorpID      string // 企业ID (appid in the URLs)
	AgentID     int64  // the app's AgentId; sent whenever it is > 0
	RedirectURL string // absolute callback URL under the app's 可信域名 (trusted domain)

	// Scope is ScopeBase (default) or ScopePrivateInfo. It applies to AuthCodeURL only: web login
	// always yields a member identity without a user_ticket.
	Scope string
	// AuthBaseURL replaces https://open.weixin.qq.com (the in-app authorize page host).
	AuthBaseURL string
	// LoginBaseURL replaces https://login.work.weixin.qq.com (the web login page host).
	LoginBaseURL string
	// Lang, when set (e.g. "zh" or "en"), is sent as lang= on the web login page.
	Lang string
}

// NewConfig returns the Config of the WeCom app behind c: its corp id, agent id and hosts, with
// redirectURL as the callback.
func NewConfig(c *wecom.Client, redirectURL string) Config {
	if c == nil {
		return Config{RedirectURL: redirectURL}
	}
	return Config{
		CorpID:       c.ID(),
		AgentID:      c.AgentID(),
		RedirectURL:  redirectURL,
		AuthBaseURL:  c.BaseURL(wecom.HostOpen),
		LoginBaseURL: c.BaseURL(wecom.HostLogin),
	}
}

// AuthCodeURL returns the in-app authorize URL (构造网页授权链接) to open inside the WeCom client:
//
//	https://open.weixin.qq.com/connect/oauth2/authorize?appid=CORPID&redirect_uri=ENC
//	    &response_type=code&scope=snsapi_base&state=STATE&agentid=AGENTID#wechat_redirect
//
// WeCom redirects to RedirectURL?code=CODE&state=STATE; pass the code to [Exchange]. state must be
// at most 128 bytes of a-zA-Z0-9; [StateSigner.Issue] makes one.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/91022
func (c Config) AuthCodeURL(state string) string {
	var b strings.Builder
	b.WriteString(baseOr(c.AuthBaseURL, wecom.DefaultOpenBaseURL))
	b.WriteString("/connect/oauth2/authorize?appid=")
	b.WriteString(url.QueryEscape(c.CorpID))
	b.WriteString("&redirect_uri=")
	b.WriteString(url.QueryEscape(c.RedirectURL))
	b.WriteString("&response_type=code&scope=")
	b.WriteString(url.QueryEscape(orDefault(c.Scope, ScopeBase)))
	b.WriteString("&state=")
	b.WriteString(url.QueryEscape(state))
	if c.AgentID > 0 {
		b.WriteString("&agentid=")
		b.WriteString(strconv.FormatInt(c.AgentID, 10))
	}
	b.WriteString("#wechat_redirect")
	return b.String()
}

// WebLoginURL returns the WeCom web login page (企业微信Web登录) for desktop browsers, which shows a
// QR code to scan with the WeCom app plus an account login:
//
//	https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=CORPID
//	    &agentid=AGENTID&redirect_uri=ENC&state=STATE
//
// The callback receives code and state like AuthCodeURL's; [Exchange] handles both. The legacy
// open.work.weixin.qq.com/wwopen/sso/qrConnect page went offline on 2023-12-29 and is not offered.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/98152
func (c Config) WebLoginURL(state string) string {
	var b strings.Builder
	b.WriteString(baseOr(c.LoginBaseURL, wecom.DefaultLoginBaseURL))
	b.WriteString("/wwlogin/sso/login?login_type=CorpApp&appid=")
	b.WriteString(url.QueryEscape(c.CorpID))
	if c.AgentID > 0 {
		b.WriteString("&agentid=")
		b.WriteString(strconv.FormatInt(c.AgentID, 10))
	}
	b.WriteString("&redirect_uri=")
	b.WriteString(url.QueryEscape(c.RedirectURL))
	b.WriteString("&state=")
	b.WriteString(url.QueryEscape(state))
	if c.Lang != "" {
		b.WriteString("&lang=")
		b.WriteString(url.QueryEscape(c.Lang))
	}
	return b.String()
}

// Validate reports a missing corp id, a redirect URL that is not an absolute http(s) URL, an unknown
// scope, or snsapi_privateinfo without an agent id.
func (c Config) Validate() error {
	var errs []error
	if c.CorpID == "" {
		errs = append(errs, errors.New("oauth: Config.CorpID is empty"))
	}
	if err := checkRedirect("Config", c.RedirectURL); err != nil {
		errs = append(errs, err)
	}
	switch c.Scope {
	case "", ScopeBase:
	case ScopePrivateInfo:
		if c.AgentID <= 0 {
			errs = append(errs, errors.New("oauth: Config.Scope snsapi_privateinfo requires an AgentID"))
		}
	default:
		errs = append(errs, fmt.Errorf("oauth: Config.Scope %q is not snsapi_base or snsapi_privateinfo", c.Scope))
	}
	return errors.Join(errs...)
}

// MPConfig builds the 公众号 (WeChat Official Account) web authorization URL (网页授权).
type MPConfig struct {
	AppID       string // the 公众号 AppID
	RedirectURL string // absolute callback URL under the 网页授权域名
	// Scope is ScopeBase (default, silent, openid only) or ScopeUserInfo (asks the user; allows
	// [MPUserInfo]).
	Scope string
	// AuthBaseURL replaces https://open.weixin.qq.com.
	AuthBaseURL string
}

// NewMPConfig returns the MPConfig of the 公众号 behind c (created with wecom.NewOfficialAccount),
// with redirectURL as the callback.
func NewMPConfig(c *wecom.Client, redirectURL string) MPConfig {
	if c == nil {
		return MPConfig{RedirectURL: redirectURL}
	}
	return MPConfig{AppID: c.ID(), RedirectURL: redirectURL, AuthBaseURL: c.BaseURL(wecom.HostOpen)}
}

// AuthCodeURL returns the 公众号 authorize URL, to open inside WeChat:
//
//	https://open.weixin.qq.com/connect/oauth2/authorize?appid=APPID&redirect_uri=ENC
//	    &response_type=code&scope=snsapi_base&state=STATE#wechat_redirect
//
// WeChat redirects to RedirectURL?code=CODE&state=STATE; pass the code to [Exchange] or [ExchangeMP]
// with the 公众号 client.
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
func (c MPConfig) AuthCodeURL(state string) string {
	var b strings.Builder
	b.WriteString(baseOr(c.AuthBaseURL, wecom.DefaultOpenBaseURL))
	b.WriteString("/connect/oauth2/authorize?appid=")
	b.WriteString(url.QueryEscape(c.AppID))
	b.WriteString("&redirect_uri=")
	b.WriteString(url.QueryEscape(c.RedirectURL))
	b.WriteString("&response_type=code&scope=")
	b.WriteString(url.QueryEscape(orDefault(c.Scope, ScopeBase)))
	b.WriteString("&state=")
	b.WriteString(url.QueryEscape(state))
	b.WriteString("#wechat_redirect")
	return b.String()
}

// Validate reports a missing app id, a redirect URL that is not an absolute http(s) URL, or an
// unknown scope.
func (c MPConfig) Validate() error {
	var errs []error
	if c.AppID == "" {
		errs = append(errs, errors.New("oauth: MPConfig.AppID is empty"))
	}
	if err := checkRedirect("MPConfig", c.RedirectURL); err != nil {
		errs = append(errs, err)
	}
	switch c.Scope {
	case "", ScopeBase, ScopeUserInfo:
	default:
		errs = append(errs, fmt.Errorf("oauth: MPConfig.Scope %q is not snsapi_base or snsapi_userinfo", c.Scope))
	}
	return errors.Join(errs...)
}

func checkRedirect(typ, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("oauth: %s.RedirectURL %q must be an absolute http(s) URL without fragment", typ, raw)
	}
	return nil
}

func baseOr(base, def string) string {
	if base == "" {
		return def
	}
	return strings.TrimRight(base, "/")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
