package wecomtest

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const (
	codeTTL       = 5 * time.Minute // OAuth code validity (single use)
	userTicketTTL = 1800 * time.Second
	refreshTTL    = 30 * 24 * time.Hour
)

type oauthCode struct {
	mp      bool   // a 公众号 code (sns/oauth2/access_token) rather than a WeCom one (auth/getuserinfo)
	agentID int64  // WeCom: the app it was issued for (agentid); 0: any app of the corp
	userID  string // member, WeCom only; empty for a non-member
	openID  string
	scope   string
	expires time.Time
}

type userTicket struct {
	userID  string
	expires time.Time
}

type webToken struct {
	openID  string
	scope   string
	expires time.Time
}

type oauthState struct {
	codes       map[string]*oauthCode
	userTickets map[string]*userTicket
	webTokens   map[string]*webToken // sns access tokens
	refresh     map[string]*webToken // sns refresh tokens
	currentUser string               // member the authorize page approves; "" = a non-member
	currentOpen string               // WeChat identity of the browser
}

func (s *oauthState) init(cfg *config) {
	s.codes = map[string]*oauthCode{}
	s.userTickets = map[string]*userTicket{}
	s.webTokens = map[string]*webToken{}
	s.refresh = map[string]*webToken{}
	if len(cfg.members) > 0 {
		s.currentUser = cfg.members[0].UserID
	}
	if len(cfg.wxUsers) > 0 {
		s.currentOpen = cfg.wxUsers[0].OpenID
	}
}

// member returns a configured member or nil (cfg is immutable: no lock needed).
func (h *Handler) member(userID string) *Member {
	for i := range h.cfg.members {
		if h.cfg.members[i].UserID == userID {
			return &h.cfg.members[i]
		}
	}
	return nil
}

func (h *Handler) wechatUser(openID string) *WeChatUser {
	for i := range h.cfg.wxUsers {
		if h.cfg.wxUsers[i].OpenID == openID {
			return &h.cfg.wxUsers[i]
		}
	}
	return nil
}

// SetCurrentUser sets the member the OAuth pages approve at once (the user "in the browser").
// "" makes the visitor a non-member: auth/getuserinfo then answers the current OpenID, and web login
// refuses. The default is the first member.
func (h *Handler) SetCurrentUser(userID string) error {
	if userID != "" && h.member(userID) == nil {
		return fmt.Errorf("wecomtest: %q is not a member", userID)
	}
	h.mu.Lock()
	defer h.unlock()
	h.oa.currentUser = userID
	return nil
}

// SetCurrentOpenID sets the WeChat identity of the browser, used by the 公众号 authorize page and for
// non-members on the WeCom one. The default is the first WeChat user ([DefaultOpenID]).
func (h *Handler) SetCurrentOpenID(openID string) {
	h.mu.Lock()
	defer h.unlock()
	h.oa.currentOpen = openID
}

// oauthError answers an authorize page error as the real pages do: an HTML page, no redirect.
func oauthError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>wecomtest</title><p>%s</p>\n", html.EscapeString(msg))
}

// checkRedirect validates redirect_uri — an absolute http(s) URL on a trusted domain (see trusted) —
// and state (≤128 bytes; a-zA-Z0-9 unless WithLenientState).
func (h *Handler) checkRedirect(r *http.Request, q url.Values, domains []domain) (*url.URL, string, error) {
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", fmt.Errorf("redirect_uri %q is not an absolute http(s) URL (errcode 50001 upstream)", q.Get("redirect_uri"))
	}
	if !h.trusted(r, u, domains) {
		return nil, "", fmt.Errorf("redirect_uri需使用应用可信域名: %s is not a trusted domain of the app (errcode 50001 upstream, redirect_uri unauthorized)", u.Host)
	}
	state := q.Get("state")
	if len(state) > 128 {
		return nil, "", fmt.Errorf("state is longer than 128 bytes")
	}
	if h.cfg.strictState {
		for _, c := range []byte(state) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				return nil, "", fmt.Errorf("state may only contain a-zA-Z0-9 (see WithLenientState)")
			}
		}
	}
	return u, state, nil
}

// redirectWithCode issues a code and answers 302 to redirect_uri?…&code=CODE&state=STATE.
func (h *Handler) redirectWithCode(w http.ResponseWriter, r *http.Request, u *url.URL, state string, c oauthCode) {
	h.mu.Lock()
	code := h.randString(idAlphabet, 64)
	c.expires = h.now().Add(codeTTL)
	if len(h.oa.codes) > 1000 {
		for k, old := range h.oa.codes {
			if !h.now().Before(old.expires) {
				delete(h.oa.codes, k)
			}
		}
	}
	h.oa.codes[code] = &c
	h.unlock()
	q := u.Query()
	q.Set("code", code)
	q.Set("state", state)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// authorize serves open.weixin.qq.com/connect/oauth2/authorize for WeCom (appid = corpid; scopes
// snsapi_base, snsapi_privateinfo) and the 公众号 (appid = its AppID; snsapi_base, snsapi_userinfo). The
// current user approves at once: 302 back to redirect_uri with a one-time code and the state.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var domains []domain
	switch q.Get("appid") {
	case h.cfg.corpID:
		id, _ := strconv.ParseInt(q.Get("agentid"), 10, 64)
		domains = h.appDomains(id)
	case h.cfg.mpAppID:
		domains = h.cfg.mpDomains
	}
	u, state, err := h.checkRedirect(r, q, domains)
	if err != nil {
		oauthError(w, http.StatusBadRequest, err.Error())
		return
	}
	if q.Get("response_type") != "code" {
		oauthError(w, http.StatusBadRequest, "response_type must be code")
		return
	}
	scope := q.Get("scope")
	h.mu.Lock()
	user, open := h.oa.currentUser, h.oa.currentOpen
	h.unlock()
	switch appID := q.Get("appid"); appID {
	case h.cfg.corpID:
		if scope != "snsapi_base" && scope != "snsapi_privateinfo" {
			oauthError(w, http.StatusBadRequest, "scope must be snsapi_base or snsapi_privateinfo")
			return
		}
		agent := q.Get("agentid")
		id, _ := strconv.ParseInt(agent, 10, 64)
		if (agent != "" || scope == "snsapi_privateinfo") && h.appByAgent(id) == nil {
			oauthError(w, http.StatusBadRequest, "agentid is missing or unknown")
			return
		}
		h.redirectWithCode(w, r, u, state, oauthCode{agentID: id, userID: user, openID: open, scope: scope})
	case h.cfg.mpAppID:
		if scope != "snsapi_base" && scope != "snsapi_userinfo" {
			oauthError(w, http.StatusBadRequest, "scope must be snsapi_base or snsapi_userinfo")
			return
		}
		if open == "" {
			oauthError(w, http.StatusForbidden, "no current WeChat user (SetCurrentOpenID)")
			return
		}
		h.redirectWithCode(w, r, u, state, oauthCode{mp: true, openID: open, scope: scope})
	default:
		oauthError(w, http.StatusBadRequest, "invalid appid")
	}
}

// webLogin serves login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp (企业微信Web登录): the
// current member is logged in at once. Non-members cannot log in.
func (h *Handler) webLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, _ := strconv.ParseInt(q.Get("agentid"), 10, 64)
	u, state, err := h.checkRedirect(r, q, h.appDomains(id))
	if err != nil {
		oauthError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch {
	case q.Get("login_type") != "CorpApp":
		oauthError(w, http.StatusBadRequest, "login_type must be CorpApp")
		return
	case q.Get("appid") != h.cfg.corpID:
		oauthError(w, http.StatusBadRequest, "invalid appid (corpid)")
		return
	case h.appByAgent(id) == nil:
		oauthError(w, http.StatusBadRequest, "agentid is missing or unknown")
		return
	}
	h.mu.Lock()
	user := h.oa.currentUser
	h.unlock()
	if user == "" {
		oauthError(w, http.StatusForbidden, "the current user is not a member of this corp")
		return
	}
	h.redirectWithCode(w, r, u, state, oauthCode{agentID: id, userID: user, scope: "snsapi_base"})
}

// takeCode consumes a code: unknown, used or expired → 40029, as is a code issued for another app
// (agentID: the caller's app, 0 for the 公众号) or the other platform, which stays unused.
func (h *Handler) takeCode(code string, mp bool, agentID int64) (*oauthCode, error) {
	if code == "" {
		return nil, errf(codeMissingCode, "code missing")
	}
	h.mu.Lock()
	defer h.unlock()
	c := h.oa.codes[code]
	if c == nil || c.mp != mp || c.agentID != 0 && c.agentID != agentID {
		return nil, errf(codeInvalidOAuthCode, "invalid code")
	}
	delete(h.oa.codes, code)
	if !h.now().Before(c.expires) {
		return nil, errf(codeInvalidOAuthCode, "invalid code: expired")
	}
	return c, nil
}

// getUserInfo serves auth/getuserinfo (获取访问用户身份): a member → userid (+ user_ticket with
// snsapi_privateinfo); a non-member → openid.
func (h *Handler) getUserInfo(r *http.Request, cl *caller) (any, error) {
	c, err := h.takeCode(r.URL.Query().Get("code"), false, cl.app.AgentID)
	if err != nil {
		return nil, err
	}
	if c.userID == "" {
		return struct {
			base
			OpenID string `json:"openid"`
		}{ok, c.openID}, nil
	}
	resp := struct {
		base
		UserID     string `json:"userid"`
		UserTicket string `json:"user_ticket,omitempty"`
	}{base: ok, UserID: c.userID}
	if c.scope == "snsapi_privateinfo" {
		h.mu.Lock()
		resp.UserTicket = h.randString(tokenAlphabet, 64)
		h.oa.userTickets[resp.UserTicket] = &userTicket{userID: c.userID, expires: h.now().Add(userTicketTTL)}
		h.unlock()
	}
	return resp, nil
}

// getUserDetail serves auth/getuserdetail (获取访问用户敏感信息). An unknown or expired user_ticket gets
// 40029 (the 获取访问用户敏感信息 page lists no dedicated code).
func (h *Handler) getUserDetail(r *http.Request, _ *caller) (any, error) {
	var req struct {
		UserTicket string `json:"user_ticket"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	h.mu.Lock()
	t := h.oa.userTickets[req.UserTicket]
	valid := t != nil && h.now().Before(t.expires)
	h.unlock()
	if !valid {
		return nil, errf(codeInvalidOAuthCode, "invalid user_ticket")
	}
	m := h.member(t.userID)
	if m == nil {
		return nil, errf(codeInvalidOAuthCode, "invalid user_ticket")
	}
	return struct {
		base
		UserID  string `json:"userid"`
		Gender  string `json:"gender"`
		Avatar  string `json:"avatar"`
		QRCode  string `json:"qr_code"`
		Mobile  string `json:"mobile"`
		Email   string `json:"email"`
		BizMail string `json:"biz_mail"`
		Address string `json:"address"`
	}{ok, m.UserID, m.Gender, m.Avatar, "", m.Mobile, m.Email, m.BizMail, m.Address}, nil
}

// getUser serves user/get (读取成员) with the basic fields; an unknown userid gets 60111.
func (h *Handler) getUser(r *http.Request, _ *caller) (any, error) {
	m := h.member(r.URL.Query().Get("userid"))
	if m == nil {
		return nil, errf(codeUserNotFound, "userid not found")
	}
	return struct {
		base
		UserID string `json:"userid"`
		Name   string `json:"name"`
		Mobile string `json:"mobile,omitempty"`
		Gender string `json:"gender,omitempty"`
		Email  string `json:"email,omitempty"`
		Avatar string `json:"avatar,omitempty"`
		Status int    `json:"status"`
	}{ok, m.UserID, m.Name, m.Mobile, m.Gender, m.Email, m.Avatar, 1}, nil
}

type snsTokenResp struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	OpenID       string `json:"openid"`
	Scope        string `json:"scope"`
	UnionID      string `json:"unionid,omitempty"`
}

// issueWebToken creates an sns access token and answers with it. h.mu must be held.
func (h *Handler) issueWebToken(openID, scope, refresh string) snsTokenResp {
	now := h.now()
	tok := h.randString(tokenAlphabet, 96)
	h.oa.webTokens[tok] = &webToken{openID: openID, scope: scope, expires: now.Add(h.cfg.tokenTTL)}
	if refresh == "" {
		refresh = h.randString(tokenAlphabet, 96)
		h.oa.refresh[refresh] = &webToken{openID: openID, scope: scope, expires: now.Add(refreshTTL)}
	}
	resp := snsTokenResp{AccessToken: tok, ExpiresIn: h.ttlSeconds(), RefreshToken: refresh, OpenID: openID, Scope: scope}
	if u := h.wechatUser(openID); u != nil {
		resp.UnionID = u.UnionID
	}
	return resp
}

// snsAccessToken serves the 公众号 sns/oauth2/access_token (通过code换取网页授权access_token).
func (h *Handler) snsAccessToken(r *http.Request, _ *caller) (any, error) {
	q := r.URL.Query()
	if q.Get("grant_type") != "authorization_code" {
		return nil, errf(codeInvalidGrantType, "invalid grant_type")
	}
	if err := h.checkMPCredentials("client_credential", q.Get("appid"), q.Get("secret")); err != nil {
		return nil, err
	}
	c, err := h.takeCode(q.Get("code"), true, 0)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	return h.issueWebToken(c.openID, c.scope, ""), nil
}

// snsRefreshToken serves sns/oauth2/refresh_token (刷新网页授权access_token); refresh tokens last 30 days.
func (h *Handler) snsRefreshToken(r *http.Request, _ *caller) (any, error) {
	q := r.URL.Query()
	if q.Get("grant_type") != "refresh_token" {
		return nil, errf(codeInvalidGrantType, "invalid grant_type")
	}
	if q.Get("appid") != h.cfg.mpAppID {
		return nil, errf(codeInvalidCorpID, "invalid appid")
	}
	h.mu.Lock()
	defer h.unlock()
	rt := q.Get("refresh_token")
	t := h.oa.refresh[rt]
	if t == nil || !h.now().Before(t.expires) {
		return nil, errf(40030, "invalid refresh_token")
	}
	return h.issueWebToken(t.openID, t.scope, rt), nil
}

// snsUserInfo serves sns/userinfo (拉取用户信息): needs snsapi_userinfo (else 48001); since the 2021
// change sex/province/city/country are empty.
func (h *Handler) snsUserInfo(r *http.Request, _ *caller) (any, error) {
	q := r.URL.Query()
	tok := q.Get("access_token")
	if tok == "" {
		return nil, errf(codeMissingToken, "access_token missing")
	}
	h.mu.Lock()
	t := h.oa.webTokens[tok]
	var expired bool
	if t != nil {
		expired = !h.now().Before(t.expires)
	}
	h.unlock()
	switch {
	case t == nil:
		return nil, errf(codeInvalidCredential, "invalid credential, access_token is invalid or not latest")
	case expired:
		return nil, errf(codeTokenExpired, "access_token expired")
	case q.Get("openid") != t.openID:
		return nil, errf(codeInvalidOpenID, "invalid openid")
	case t.scope != "snsapi_userinfo":
		return nil, errf(codeScopeUnauthorized, "api unauthorized: scope is %s", t.scope)
	}
	u := h.wechatUser(t.openID)
	if u == nil {
		u = &WeChatUser{OpenID: t.openID, Nickname: "微信用户"}
	}
	return struct {
		OpenID     string   `json:"openid"`
		Nickname   string   `json:"nickname"`
		Sex        int      `json:"sex"`
		Province   string   `json:"province"`
		City       string   `json:"city"`
		Country    string   `json:"country"`
		HeadImgURL string   `json:"headimgurl"`
		Privilege  []string `json:"privilege"`
		UnionID    string   `json:"unionid,omitempty"`
	}{u.OpenID, u.Nickname, 0, "", "", "", u.HeadImgURL, []string{}, u.UnionID}, nil
}
