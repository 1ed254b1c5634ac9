package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

const sessionCookie = "mb_session"

// Sessions live in the database (sessions): the cookie holds a random token, the table its
// SHA-256. Logging out, changing the password and disabling the admin end them at once; nothing in
// the cookie can be forged or replayed once the row is revoked.

func sessionID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// startSession creates a session for a and sets its cookie.
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, a *store.Admin) error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.cfg.Now()
	if err := s.db.CreateSession(ctx, &store.Session{ID: sessionID(token), AdminID: a.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL), IP: s.clientIP(r), UserAgent: r.UserAgent()}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r), MaxAge: int(s.cfg.SessionTTL / time.Second)})
	return nil
}

// session returns the request's active session and its admin, or ErrNotFound.
func (s *Server) session(r *http.Request) (*store.Session, *store.Admin, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) < 32 || len(c.Value) > 64 {
		return nil, nil, store.ErrNotFound
	}
	return s.db.ActiveSession(r.Context(), sessionID(c.Value), s.cfg.Now())
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, Expires: time.Unix(1, 0), HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
}

type ctxKey int

const (
	adminKey ctxKey = iota
	sessionKey
)

func adminFrom(ctx context.Context) *store.Admin {
	a, _ := ctx.Value(adminKey).(*store.Admin)
	return a
}

func sessionFrom(ctx context.Context) *store.Session {
	ss, _ := ctx.Value(sessionKey).(*store.Session)
	return ss
}

// requireAdmin lets signed-in admins through; others go to the login page (or get 401 JSON).
func (s *Server) requireAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, a, err := s.session(r)
		if err == nil {
			if now := s.cfg.Now(); now.Sub(ss.LastSeenAt) > time.Minute {
				_ = s.db.TouchSession(r.Context(), ss.ID, now)
			}
			ctx := context.WithValue(context.WithValue(r.Context(), adminKey, a), sessionKey, ss)
			h.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		if !errors.Is(err, store.ErrNotFound) {
			s.internal(w, r, err)
			return
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

// requireWriter refuses 只读 admins (403).
func (s *Server) requireWriter(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a := adminFrom(r.Context()); a == nil || !a.CanWrite() {
			s.fail(w, r, http.StatusForbidden, "read_only", "只读账号不能执行此操作 (read-only account)")
			return
		}
		h(w, r)
	}
}
