package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Session cookie errors.
var (
	// ErrInvalidSession means the session cookie is malformed, altered or signed with another key.
	ErrInvalidSession = errors.New("oauth: invalid session")
	// ErrSessionExpired means the session cookie was genuine but has expired.
	ErrSessionExpired = errors.New("oauth: session expired")
)

const (
	sessionVersion = "1"
	sessionDomain  = "qiwei/oauth/session\x00"
	// maxCookieValue keeps the cookie under browsers' 4096-byte limit with room for its attributes.
	maxCookieValue = 3800
)

// sessionCodec signs and verifies session cookie values: "1." ‖ base64url(JSON) ‖ "." ‖
// base64url(HMAC-SHA256). The value is signed, not encrypted: it holds the user's own identity
// (never a user_ticket or token) and its expiry, and nothing is stored on the server.
type sessionCodec struct {
	key []byte
	now func() time.Time
}

type sessionPayload struct {
	Identity
	Exp int64 `json:"exp"`
}

// encode returns the cookie value for id, valid until exp. Name and Avatar are dropped if the value
// would be too large for a cookie.
func (s *sessionCodec) encode(id *Identity, exp time.Time) (string, error) {
	p := sessionPayload{Identity: *id, Exp: exp.Unix()}
	p.UserTicket = ""
	for range 2 {
		v, err := s.sign(&p)
		if err != nil || len(v) <= maxCookieValue {
			return v, err
		}
		p.Avatar, p.Name = "", ""
	}
	return "", errors.New("oauth: identity too large for a session cookie")
}

func (s *sessionCodec) sign(p *sessionPayload) (string, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	body := sessionVersion + "." + base64.RawURLEncoding.EncodeToString(data)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(body)), nil
}

// decode verifies v and returns the identity it carries.
func (s *sessionCodec) decode(v string) (*Identity, time.Time, error) {
	if len(v) > maxCookieValue+64 {
		return nil, time.Time{}, ErrInvalidSession
	}
	i := strings.LastIndexByte(v, '.')
	if i < 0 || !strings.HasPrefix(v, sessionVersion+".") {
		return nil, time.Time{}, ErrInvalidSession
	}
	body, sig := v[:i], v[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(body)) {
		return nil, time.Time{}, ErrInvalidSession
	}
	data, err := base64.RawURLEncoding.DecodeString(body[len(sessionVersion)+1:])
	if err != nil {
		return nil, time.Time{}, ErrInvalidSession
	}
	var p sessionPayload
	if err := json.Unmarshal(data, &p); err != nil || (p.UserID == "" && p.OpenID == "") {
		return nil, time.Time{}, ErrInvalidSession
	}
	exp := time.Unix(p.Exp, 0)
	if !s.now().Before(exp) {
		return nil, exp, ErrSessionExpired
	}
	id := p.Identity
	return &id, exp, nil
}

func (s *sessionCodec) mac(body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(sessionDomain))
	m.Write([]byte(body))
	return m.Sum(nil)
}

// deriveKey derives an independent key for one purpose from the configured session key, so that a
// state can never pass for a session cookie or the reverse.
func deriveKey(master []byte, purpose string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("qiwei/oauth/key\x00" + purpose))
	return m.Sum(nil)
}

type ctxKey struct{}

// WithIdentity returns a copy of ctx carrying id, as the middleware does; handy in handler tests.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	if id == nil {
		return ctx
	}
	cp := *id
	return context.WithValue(ctx, ctxKey{}, &cp)
}

// IdentityFrom returns the logged-in identity the middleware stored in ctx. The result is a copy.
func IdentityFrom(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(*Identity)
	if !ok || id == nil {
		return nil, false
	}
	cp := *id
	return &cp, true
}
