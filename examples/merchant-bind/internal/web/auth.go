package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

const (
	sessionCookie = "mb_session"
	csrfCookie    = "mb_csrf"
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
)

// HashPassword returns the bcrypt hash of an admin password.
func HashPassword(pw string) (string, error) {
	if len(pw) < 8 || len(pw) > 72 {
		return "", errors.New("web: password must be 8–72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// dummyHash is compared against when the username is unknown, so that both cases take as long.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not-a-real-password"), bcrypt.DefaultCost)
	return h
})

func (s *Server) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.cfg.SessionKey)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// Session cookie: base64(adminID|expiry) "." base64(HMAC). Stateless, HttpOnly, SameSite=Lax.
func (s *Server) issueSession(w http.ResponseWriter, adminID int64, now time.Time) {
	payload := itoa(adminID) + "|" + itoa(now.Add(s.cfg.SessionTTL).Unix())
	v := base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." +
		base64.RawURLEncoding.EncodeToString(s.mac("session", payload))
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: v, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies, MaxAge: int(s.cfg.SessionTTL / time.Second)})
}

// sessionAdmin returns the admin id of a valid session cookie.
func (s *Server) sessionAdmin(r *http.Request) (int64, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return 0, false
	}
	p64, sig64, ok := strings.Cut(c.Value, ".")
	if !ok {
		return 0, false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, s.mac("session", string(payload))) {
		return 0, false
	}
	idStr, expStr, _ := strings.Cut(string(payload), "|")
	id, err1 := strconv.ParseInt(idStr, 10, 64)
	exp, err2 := strconv.ParseInt(expStr, 10, 64)
	if err1 != nil || err2 != nil || time.Now().Unix() >= exp {
		return 0, false
	}
	return id, true
}

type ctxKey struct{}

func adminFrom(ctx context.Context) *store.Admin {
	a, _ := ctx.Value(ctxKey{}).(*store.Admin)
	return a
}

// requireAdmin lets signed-in admins through; others go to the login page (or get 401 JSON).
func (s *Server) requireAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := s.sessionAdmin(r); ok {
			if a, err := s.db.AdminByID(r.Context(), id); err == nil {
				h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, a)))
				return
			}
		}
		switch {
		case wantsJSON(r):
			writeJSON(w, http.StatusUnauthorized, apiError{Error: "unauthorized", Message: "请先登录 (sign in first)"})
		case r.Method == http.MethodGet:
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		default: // a form posted after the session ended
			http.Redirect(w, r, "/login", http.StatusSeeOther)
		}
	})
}

// csrfToken returns the form token for the request's CSRF cookie, setting the cookie if missing.
// The token is an HMAC of the cookie: a forged form cannot carry it (double submit, signed).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	val := ""
	if err == nil && len(c.Value) >= 16 {
		val = c.Value
	} else {
		val = s.newCSRFCookie(w)
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: val})
	}
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf", val))
}

func (s *Server) newCSRFCookie(w http.ResponseWriter) string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	val := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: val, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
	return val
}

// csrf rejects state-changing requests without a valid token (form field or X-CSRF-Token header)
// or coming from another site.
func (s *Server) csrf(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		if !s.sameOrigin(r) || !s.validCSRF(r) {
			s.cfg.Log.Warn("merchant-bind: CSRF check failed", "path", r.URL.Path)
			s.fail(w, r, http.StatusForbidden, "csrf", "请求已失效，请刷新页面后重试 (invalid or missing CSRF token; reload the page)")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) validCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 16 {
		return false
	}
	tok := r.Header.Get(csrfHeader)
	if tok == "" {
		r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
		tok = r.PostFormValue(csrfField)
	}
	got, err := base64.RawURLEncoding.DecodeString(tok)
	return err == nil && hmac.Equal(got, s.mac("csrf", c.Value))
}

// sameOrigin refuses requests a browser marks as cross-site.
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
	return true
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.sessionAdmin(r); ok {
		http.Redirect(w, r, "/merchants", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", "登录 Sign in", map[string]string{"Next": safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	user, pw := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	key := clientIP(r)
	if !s.limiter.allow(key) {
		s.render(w, r, http.StatusTooManyRequests, "login", "登录 Sign in",
			map[string]string{"Next": next, "Error": "尝试次数过多，请 10 分钟后再试 (too many attempts; try again in 10 minutes)"})
		return
	}
	a, err := s.db.AdminByUsername(r.Context(), user)
	var hash []byte
	if err == nil {
		hash = []byte(a.PasswordHash)
	} else if errors.Is(err, store.ErrNotFound) {
		hash = dummyHash()
	} else {
		s.internal(w, r, err)
		return
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pw)) != nil || err != nil {
		s.limiter.fail(key)
		s.svc.Audit(r.Context(), truncateWho(user), "admin.login_failed", 0, "ip="+key)
		s.render(w, r, http.StatusUnauthorized, "login", "登录 Sign in",
			map[string]string{"Next": next, "Error": "用户名或密码错误 (wrong username or password)", "Username": user})
		return
	}
	s.limiter.reset(key)
	now := time.Now()
	_ = s.db.TouchAdminLogin(r.Context(), a.ID, now)
	s.issueSession(w, a.ID, now)
	s.newCSRFCookie(w) // a fresh token after sign-in
	s.svc.Audit(r.Context(), a.Username, "admin.login", 0, "ip="+key)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.sessionAdmin(r); ok {
		if a, err := s.db.AdminByID(r.Context(), id); err == nil {
			s.svc.Audit(r.Context(), a.Username, "admin.logout", 0, "")
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, Expires: time.Unix(1, 0), HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/merchants"
	}
	return next
}

func truncateWho(user string) string {
	if len(user) > 64 {
		user = user[:64]
	}
	if user == "" {
		user = "(empty)"
	}
	return "login:" + user
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginLimiter allows 10 failed sign-ins per client address per 10 minutes.
type loginLimiter struct {
	mu    sync.Mutex
	fails map[string][]time.Time
}

const (
	loginWindow   = 10 * time.Minute
	loginMaxFails = 10
)

func newLoginLimiter() *loginLimiter { return &loginLimiter{fails: map[string][]time.Time{}} }

func (l *loginLimiter) recent(key string, now time.Time) []time.Time {
	kept := l.fails[key][:0]
	for _, t := range l.fails[key] {
		if now.Sub(t) < loginWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = kept
	return kept
}

func (l *loginLimiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, time.Now())) < loginMaxFails
}

func (l *loginLimiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.fails[key] = append(l.recent(key, now), now)
	if len(l.fails) > 10000 { // a flood of addresses: forget the oldest state rather than grow
		clear(l.fails)
	}
}

func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// constantTimeEqual compares secrets of any length in constant time.
func constantTimeEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
