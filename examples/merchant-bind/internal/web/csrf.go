package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

const (
	csrfCookie = "mb_csrf"
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

func (s *Server) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.cfg.CSRFKey)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// csrfToken returns the form token for the request's CSRF cookie, setting the cookie if missing.
// The token is an HMAC of the cookie: a forged form cannot carry it (double submit, signed).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	val := ""
	if err == nil && len(c.Value) >= 16 {
		val = c.Value
	} else {
		val = s.newCSRFCookie(w, r)
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: val})
	}
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf", val))
}

func (s *Server) newCSRFCookie(w http.ResponseWriter, r *http.Request) string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	val := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: val, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
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
		if !s.sameOrigin(r) || !s.validCSRF(w, r) {
			s.cfg.Log.Warn("merchant-bind: CSRF check failed", "path", r.URL.Path, "origin", r.Header.Get("Origin"), "host", r.Host)
			s.fail(w, r, http.StatusForbidden, "csrf", "请求已失效，请刷新页面后重试 (invalid or missing CSRF token; reload the page)")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) validCSRF(w http.ResponseWriter, r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 16 {
		return false
	}
	tok := r.Header.Get(csrfHeader)
	if tok == "" {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		tok = r.PostFormValue(csrfField)
	}
	got, err := base64.RawURLEncoding.DecodeString(tok)
	return err == nil && hmac.Equal(got, s.mac("csrf", c.Value))
}

// sameOrigin refuses requests a browser marks as cross-site, and an Origin that is not this site
// (see allowedOrigin). Clients that send no Origin (curl, old browsers) rely on the token alone.
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return s.allowedOrigin(r, o)
	}
	return true
}
