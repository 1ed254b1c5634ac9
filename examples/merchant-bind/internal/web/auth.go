package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

// Sign-in throttling, kept in the database (a restart does not clear it, replicas share it): an
// account is locked after 5 failures within 15 minutes, a client address after 20 — the address
// being the browser's, not a trusted proxy's (see clientIP).
var (
	accountPolicy = store.ThrottlePolicy{MaxFailures: 5, Window: 15 * time.Minute, LockFor: 15 * time.Minute}
	addressPolicy = store.ThrottlePolicy{MaxFailures: 20, Window: 15 * time.Minute, LockFor: 15 * time.Minute}
)

// Password rules: bcrypt reads at most 72 bytes.
const (
	MinPassword = 10
	MaxPassword = 72
)

// ErrWeakPassword is a password outside MinPassword–MaxPassword bytes.
var ErrWeakPassword = errors.New("密码须为 10–72 个字节 (password must be 10–72 bytes)")

// HashPassword returns the bcrypt hash of an admin password.
func HashPassword(pw string) (string, error) {
	if len(pw) < MinPassword || len(pw) > MaxPassword || !utf8.ValidString(pw) {
		return "", ErrWeakPassword
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// dummyHash is compared against when the username is unknown, so that both cases take as long.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not-a-real-password"), bcrypt.DefaultCost)
	return h
})

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.session(r); err == nil {
		http.Redirect(w, r, "/merchants", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", "登录 Sign in", map[string]string{"Next": safeNext(r.URL.Query().Get("next"))})
}

// AccountKey is the login-throttle key of an account (see store.ThrottlePolicy).
func AccountKey(user string) string { return "user:" + strings.ToLower(user) }
func addressKey(ip string) string   { return "ip:" + ip }

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user, pw := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	ip := s.clientIP(r)
	now := s.cfg.Now()
	again := func(status int, msg string) {
		s.render(w, r, status, "login", "登录 Sign in", map[string]string{"Next": next, "Error": msg, "Username": store.SafeText(user, 64)})
	}
	for _, key := range []string{addressKey(ip), AccountKey(user)} {
		until, err := s.db.LockedUntil(ctx, key, now)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if !until.IsZero() {
			again(http.StatusTooManyRequests, "尝试次数过多，请于 "+until.In(s.loc).Format("15:04")+" 后再试 (too many attempts; try again later)")
			return
		}
	}
	a, err := s.db.AdminByUsername(ctx, user)
	hash := dummyHash()
	switch {
	case err == nil:
		hash = []byte(a.PasswordHash)
	case !errors.Is(err, store.ErrNotFound):
		s.internal(w, r, err)
		return
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pw)) != nil || err != nil || a.Disabled() {
		reason := "wrong username or password"
		if err == nil && a.Disabled() && bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil {
			reason = "account disabled"
		}
		s.svc.Audit(ctx, "login:"+store.SafeText(user, 64), "admin.login_failed", 0, "ip="+ip+" "+reason)
		for _, t := range []struct {
			key string
			p   store.ThrottlePolicy
			who string
		}{{AccountKey(user), accountPolicy, "account"}, {addressKey(ip), addressPolicy, "address"}} {
			until, err := s.db.RecordLoginFailure(ctx, t.key, t.p, now)
			if err != nil {
				s.cfg.Log.Error("merchant-bind: login throttle", "err", err)
				continue
			}
			if !until.IsZero() {
				s.svc.Audit(ctx, "login:"+store.SafeText(user, 64), "admin.locked", 0,
					"ip="+ip+" "+t.who+" locked until "+s.fmtTime(until))
			}
		}
		again(http.StatusUnauthorized, "用户名或密码错误 (wrong username or password)")
		return
	}
	_ = s.db.ClearLoginFailures(ctx, AccountKey(user))
	if err := s.startSession(ctx, w, r, a); err != nil {
		s.internal(w, r, err)
		return
	}
	_ = s.db.TouchAdminLogin(ctx, a.ID, now)
	_ = s.db.PurgeSessions(ctx, now.Add(-7*24*time.Hour))
	s.newCSRFCookie(w, r) // a fresh token after sign-in
	s.svc.Audit(ctx, a.Username, "admin.login", 0, "ip="+ip)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if ss, a, err := s.session(r); err == nil {
		if err := s.db.RevokeSession(r.Context(), ss.ID, s.cfg.Now()); err != nil {
			s.internal(w, r, err)
			return
		}
		s.svc.Audit(r.Context(), a.Username, "admin.logout", 0, "ip="+s.clientIP(r))
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n") {
		return "/merchants"
	}
	return next
}

// constantTimeEqual compares secrets of any length in constant time.
func constantTimeEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
