package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/wecom"
)

// MaxCodeLen is the longest OAuth code WeCom issues (512 bytes).
const MaxCodeLen = 512

// CodeOAuthCodeUsed is the 公众号 errcode for a code that was already exchanged (code been used).
// Errors carrying it also match wecom.CodeInvalidOAuthCode with errors.Is.
const CodeOAuthCodeUsed wecom.ErrCode = 40163

// ErrNoIdentity is returned when WeCom accepts a code but names neither a member nor an openid.
var ErrNoIdentity = errors.New("oauth: response carries no userid or openid")

// Identity is who logged in.
//
// A WeCom member has UserID (and UserTicket with snsapi_privateinfo). A WeCom non-member (e.g. a
// WeChat user opening the app's page) has OpenID and possibly ExternalUserID. A 公众号 user has
// OpenID, UnionID when the 公众号 is bound to an open platform account, and with snsapi_userinfo
// Name and Avatar.
type Identity struct {
	UserID string `json:"userid,omitempty"` // 成员UserID
	OpenID string `json:"openid,omitempty"` // non-member (WeCom) or 公众号 openid
	// UserTicket lets [UserDetail] read the member's private details (snsapi_privateinfo only). It is
	// valid for 30 minutes and is never stored in the session cookie.
	UserTicket     string `json:"-"`
	ExternalUserID string `json:"external_userid,omitempty"` // non-member who is an external contact
	UnionID        string `json:"unionid,omitempty"`         // 公众号 bound to an open platform account
	Name           string `json:"name,omitempty"`            // 公众号 nickname (snsapi_userinfo)
	Avatar         string `json:"avatar,omitempty"`          // avatar URL, when known
}

// IsMember reports whether the identity is a member of the corp (has a UserID).
func (id *Identity) IsMember() bool { return id != nil && id.UserID != "" }

// LogValue keeps the user ticket out of logs.
func (id *Identity) LogValue() slog.Value {
	if id == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(slog.String("userid", id.UserID), slog.String("openid", id.OpenID))
}

// Exchange turns the code from an authorize or web login callback into an [Identity].
//
// With a WeCom client it calls auth/getuserinfo (获取访问用户身份), which serves in-app OAuth and web
// login alike. With a 公众号 client (wecom.NewOfficialAccount) it calls sns/oauth2/access_token and
// returns OpenID and UnionID; use [ExchangeMP] to keep the web access token for [MPUserInfo].
//
// A used, expired or foreign code fails with an error matching wecom.CodeInvalidOAuthCode (40029)
// under errors.Is; so does an empty or over-long code, without a request.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/91023
func Exchange(ctx context.Context, c *wecom.Client, code string) (*Identity, error) {
	if c == nil {
		return nil, fmt.Errorf("%w (oauth.Exchange)", wecom.ErrNilClient)
	}
	if c.IsOfficialAccount() {
		t, err := ExchangeMP(ctx, c, code)
		if err != nil {
			return nil, err
		}
		return &Identity{OpenID: t.OpenID, UnionID: t.UnionID}, nil
	}
	if err := checkCode(code); err != nil {
		return nil, err
	}
	var r struct {
		UserID         string `json:"userid"` // encoding/json also matches the legacy "UserId"
		OpenID         string `json:"openid"`
		UserTicket     string `json:"user_ticket"`
		ExternalUserID string `json:"external_userid"`
	}
	err := c.Do(ctx, &wecom.Request{Method: http.MethodGet, Path: "/cgi-bin/auth/getuserinfo",
		Query: url.Values{"code": {code}}}, &r)
	if err != nil {
		return nil, fmt.Errorf("oauth: exchange code: %w", err)
	}
	if r.UserID == "" && r.OpenID == "" {
		return nil, ErrNoIdentity
	}
	return &Identity{UserID: r.UserID, OpenID: r.OpenID, UserTicket: r.UserTicket, ExternalUserID: r.ExternalUserID}, nil
}

func checkCode(code string) error {
	switch {
	case code == "":
		return fmt.Errorf("oauth: empty code: %w", wecom.CodeInvalidOAuthCode)
	case len(code) > MaxCodeLen:
		return fmt.Errorf("oauth: code longer than %d bytes: %w", MaxCodeLen, wecom.CodeInvalidOAuthCode)
	}
	return nil
}

// UserDetailInfo is a member's private details (成员敏感信息). Only the fields the member agreed to
// share are filled.
type UserDetailInfo struct {
	UserID  string `json:"userid"`
	Gender  string `json:"gender"` // "0" unknown, "1" male, "2" female
	Avatar  string `json:"avatar"`
	QRCode  string `json:"qr_code"` // personal QR code URL
	Mobile  string `json:"mobile"`
	Email   string `json:"email"`
	BizMail string `json:"biz_mail"`
	Address string `json:"address"`
}

// UserDetail reads a member's private details with the user_ticket from an snsapi_privateinfo login
// (获取访问用户敏感信息).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/95833
func UserDetail(ctx context.Context, c *wecom.Client, userTicket string) (*UserDetailInfo, error) {
	if err := c.Require(wecom.PlatformWeCom, "oauth.UserDetail"); err != nil {
		return nil, err
	}
	if userTicket == "" {
		return nil, errors.New("oauth: UserDetail: empty user_ticket")
	}
	var r struct {
		UserDetailInfo
		Gender flexString `json:"gender"`
	}
	err := c.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/auth/getuserdetail",
		Body: map[string]string{"user_ticket": userTicket}}, &r)
	if err != nil {
		return nil, fmt.Errorf("oauth: user detail: %w", err)
	}
	d := r.UserDetailInfo
	d.Gender = string(r.Gender)
	return &d, nil
}

// MPToken is the 公众号 web authorization token (网页授权access_token). It is distinct from the
// 公众号's base access_token and is valid for one user only. Its String and LogValue omit the tokens.
type MPToken struct {
	AccessToken    string
	ExpiresIn      time.Duration
	RefreshToken   string // valid 30 days; see [RefreshMPToken]
	OpenID         string
	UnionID        string
	Scope          string // e.g. "snsapi_base" or "snsapi_userinfo" (comma-separated if several)
	IsSnapshotUser bool   // the user is browsing a snapshot page (快照页): OpenID is a virtual one
}

// String describes t without its tokens.
func (t MPToken) String() string {
	return fmt.Sprintf("MPToken{OpenID:%s Scope:%s ExpiresIn:%v}", t.OpenID, t.Scope, t.ExpiresIn)
}

// LogValue describes t without its tokens.
func (t MPToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("openid", t.OpenID), slog.String("scope", t.Scope))
}

// HasScope reports whether the token was granted scope.
func (t *MPToken) HasScope(scope string) bool {
	for s := range strings.SplitSeq(t.Scope, ",") {
		if strings.TrimSpace(s) == scope {
			return true
		}
	}
	return false
}

type mpTokenResp struct {
	AccessToken    string `json:"access_token"`
	ExpiresIn      int64  `json:"expires_in"`
	RefreshToken   string `json:"refresh_token"`
	OpenID         string `json:"openid"`
	Scope          string `json:"scope"`
	IsSnapshotUser int    `json:"is_snapshotuser"`
	UnionID        string `json:"unionid"`
}

func (r *mpTokenResp) token() *MPToken {
	return &MPToken{AccessToken: r.AccessToken, ExpiresIn: time.Duration(r.ExpiresIn) * time.Second,
		RefreshToken: r.RefreshToken, OpenID: r.OpenID, UnionID: r.UnionID, Scope: r.Scope,
		IsSnapshotUser: r.IsSnapshotUser == 1}
}

// ExchangeMP exchanges a 公众号 authorize code (通过code换取网页授权access_token); c must come from
// wecom.NewOfficialAccount. A used or invalid code matches wecom.CodeInvalidOAuthCode under
// errors.Is (40029, and 40163 "code been used").
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
func ExchangeMP(ctx context.Context, c *wecom.Client, code string) (*MPToken, error) {
	if err := c.Require(wecom.PlatformOfficialAccount, "oauth.ExchangeMP"); err != nil {
		return nil, err
	}
	if err := checkCode(code); err != nil {
		return nil, err
	}
	var r mpTokenResp
	err := c.Do(ctx, &wecom.Request{Method: http.MethodGet, Path: "/sns/oauth2/access_token",
		Query: url.Values{"code": {code}, "grant_type": {"authorization_code"}}, Auth: wecom.AuthAppSecret}, &r)
	if err != nil {
		return nil, mpCodeErr("exchange code", err)
	}
	if r.OpenID == "" {
		return nil, ErrNoIdentity
	}
	return r.token(), nil
}

// RefreshMPToken renews a 公众号 web access token with its refresh token (刷新access_token).
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
func RefreshMPToken(ctx context.Context, c *wecom.Client, refreshToken string) (*MPToken, error) {
	if err := c.Require(wecom.PlatformOfficialAccount, "oauth.RefreshMPToken"); err != nil {
		return nil, err
	}
	if refreshToken == "" {
		return nil, errors.New("oauth: RefreshMPToken: empty refresh token")
	}
	var r mpTokenResp
	err := c.Do(ctx, &wecom.Request{Method: http.MethodGet, Path: "/sns/oauth2/refresh_token", Auth: wecom.AuthNone,
		Query: url.Values{"appid": {c.ID()}, "grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}}, &r)
	if err != nil {
		return nil, fmt.Errorf("oauth: refresh web token: %w", err)
	}
	return r.token(), nil
}

// MPUser is a 公众号 user's public profile. Since October 2021 WeChat no longer returns gender or
// region, so those fields are not offered.
type MPUser struct {
	OpenID     string   `json:"openid"`
	UnionID    string   `json:"unionid"`
	Nickname   string   `json:"nickname"`
	HeadImgURL string   `json:"headimgurl"`
	Privilege  []string `json:"privilege"`
}

// MPUserInfo reads the profile of the user behind t (拉取用户信息). t must have been granted
// snsapi_userinfo, else WeChat answers 48001 (wecom.CodeAPIUnauthorized).
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
func MPUserInfo(ctx context.Context, c *wecom.Client, t *MPToken) (*MPUser, error) {
	if err := c.Require(wecom.PlatformOfficialAccount, "oauth.MPUserInfo"); err != nil {
		return nil, err
	}
	if t == nil || t.AccessToken == "" || t.OpenID == "" {
		return nil, errors.New("oauth: MPUserInfo: token without access_token or openid")
	}
	var u MPUser
	err := c.Do(ctx, &wecom.Request{Method: http.MethodGet, Path: "/sns/userinfo", Auth: wecom.AuthNone,
		Query: url.Values{"access_token": {t.AccessToken}, "openid": {t.OpenID}, "lang": {"zh_CN"}}}, &u)
	if err != nil {
		return nil, fmt.Errorf("oauth: user info: %w", err)
	}
	return &u, nil
}

func mpCodeErr(op string, err error) error {
	if errors.Is(err, CodeOAuthCodeUsed) {
		err = &usedCodeError{err}
	}
	return fmt.Errorf("oauth: %s: %w", op, err)
}

// usedCodeError makes 40163 (code been used) match wecom.CodeInvalidOAuthCode as well.
type usedCodeError struct{ err error }

func (e *usedCodeError) Error() string        { return e.err.Error() }
func (e *usedCodeError) Unwrap() error        { return e.err }
func (e *usedCodeError) Is(target error) bool { return target == wecom.CodeInvalidOAuthCode }

// flexString decodes a JSON string or number (WeCom documents gender as a string, some answers carry
// a number).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n)
	return nil
}
