package wecomtest

import (
	"net/http"
	"time"
)

// token is an issued access token.
type token struct {
	agentID    int64 // WeCom app; 0 for 公众号
	mp         bool
	expires    time.Time
	superseded bool // a newer 公众号 token replaced it (expiry moved to now+grace)
}

type tokenState struct {
	tokens   map[string]*token
	mpToken  string // latest classic 公众号 token (cgi-bin/token)
	mpStable string // current stable token (stable_token)
}

func (s *tokenState) init() { s.tokens = map[string]*token{} }

type tokenResp struct {
	base
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// mpTokenResp is the 公众号 token answer: no errcode on success.
type mpTokenResp struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// issueToken creates a token valid for the configured TTL. h.mu must be held.
func (h *Handler) issueToken(agentID int64, mp bool) string {
	now := h.now()
	if len(h.tok.tokens) > 1000 {
		for v, t := range h.tok.tokens { // forget tokens long expired
			if now.Sub(t.expires) > 24*time.Hour {
				delete(h.tok.tokens, v)
			}
		}
	}
	v := h.randString(tokenAlphabet, 128)
	h.tok.tokens[v] = &token{agentID: agentID, mp: mp, expires: now.Add(h.cfg.tokenTTL)}
	return v
}

// supersede ends a 公众号 token's life after the grace period. h.mu must be held.
func (h *Handler) supersede(v string) {
	if t := h.tok.tokens[v]; t != nil {
		if end := h.now().Add(h.cfg.tokenGrace); end.Before(t.expires) {
			t.expires = end
		}
		t.superseded = true
	}
}

func (h *Handler) ttlSeconds() int64 { return int64(h.cfg.tokenTTL / time.Second) }

// getToken serves gettoken (获取access_token): one new 7200 s token per call, per app secret.
func (h *Handler) getToken(r *http.Request, _ *caller) (any, error) {
	q := r.URL.Query()
	corpID, secret := q.Get("corpid"), q.Get("corpsecret")
	switch {
	case corpID == "":
		return nil, errf(41002, "corpid missing")
	case corpID != h.cfg.corpID:
		return nil, errf(codeInvalidCorpID, "invalid corpid")
	case secret == "":
		return nil, errf(codeMissingSecret, "corpsecret missing")
	}
	for _, a := range h.cfg.apps {
		if a.Secret == secret {
			h.mu.Lock()
			v := h.issueToken(a.AgentID, false)
			h.unlock()
			return tokenResp{base: ok, AccessToken: v, ExpiresIn: h.ttlSeconds()}, nil
		}
	}
	return nil, errf(codeInvalidCredential, "invalid credential (corpsecret)")
}

// checkMPCredentials validates a 公众号 appid/secret pair.
func (h *Handler) checkMPCredentials(grant, appID, secret string) error {
	switch {
	case grant != "client_credential":
		return errf(codeInvalidGrantType, "invalid grant_type")
	case appID != h.cfg.mpAppID:
		return errf(codeInvalidCorpID, "invalid appid")
	case secret != h.cfg.mpSecret:
		return errf(codeInvalidAppSecret, "invalid appsecret")
	}
	return nil
}

// mpToken serves the classic 公众号 cgi-bin/token: every call issues a new token, and the previous one
// stays valid only for the grace period (about 5 minutes upstream).
func (h *Handler) mpToken(r *http.Request, _ *caller) (any, error) {
	q := r.URL.Query()
	if err := h.checkMPCredentials(q.Get("grant_type"), q.Get("appid"), q.Get("secret")); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	if h.tok.mpToken != "" {
		h.supersede(h.tok.mpToken)
	}
	h.tok.mpToken = h.issueToken(0, true)
	return mpTokenResp{AccessToken: h.tok.mpToken, ExpiresIn: h.ttlSeconds()}, nil
}

type stableTokenReq struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// stableToken serves POST stable_token. Normal mode returns the current token while more than the
// grace period is left (expires_in = seconds left) and rotates it otherwise; force_refresh rotates at
// once. A rotated token stays valid for the grace period. Stable and classic tokens are independent.
// The upstream limit of 20 forced refreshes a day is not enforced.
func (h *Handler) stableToken(r *http.Request, _ *caller) (any, error) {
	var req stableTokenReq
	if err := decodeJSON(r, &req, true); err != nil {
		return nil, err
	}
	if err := h.checkMPCredentials(req.GrantType, req.AppID, req.Secret); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	now := h.now()
	if cur := h.tok.tokens[h.tok.mpStable]; cur != nil && !req.ForceRefresh {
		if left := cur.expires.Sub(now); left > h.cfg.tokenGrace {
			return mpTokenResp{AccessToken: h.tok.mpStable, ExpiresIn: int64(left / time.Second)}, nil
		}
	}
	if h.tok.mpStable != "" {
		h.supersede(h.tok.mpStable)
	}
	h.tok.mpStable = h.issueToken(0, true)
	return mpTokenResp{AccessToken: h.tok.mpStable, ExpiresIn: h.ttlSeconds()}, nil
}

// ExpireTokens makes every access token issued so far (WeCom, 公众号 and OAuth web tokens) expired:
// the next call with one gets 42001, and the client must fetch a new token.
func (h *Handler) ExpireTokens() {
	h.mu.Lock()
	defer h.unlock()
	now := h.now()
	for _, t := range h.tok.tokens {
		if t.expires.After(now) {
			t.expires = now
		}
	}
	for _, t := range h.oa.webTokens {
		if t.expires.After(now) {
			t.expires = now
		}
	}
}

const (
	tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	idAlphabet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// randString returns n characters from alphabet. h.mu must be held (the RNG is not concurrency safe).
func (h *Handler) randString(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[h.rng.IntN(len(alphabet))]
	}
	return string(b)
}
