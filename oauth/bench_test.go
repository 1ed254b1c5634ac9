package oauth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/qiwei-go/qiwei/oauth"
)

// BenchmarkState measures Issue and Verify next to their floor: one HMAC-SHA256 of the same size.
func BenchmarkState(b *testing.B) {
	s := oauth.NewStateSigner(testKey, time.Minute)
	const path = "/p/BAG42?src=qr"
	st := s.Issue(path)
	b.Run("Issue", func(b *testing.B) {
		for b.Loop() {
			_ = s.Issue(path)
		}
	})
	b.Run("Verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Verify(st); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-HMAC", func(b *testing.B) {
		msg := make([]byte, 40)
		for b.Loop() {
			m := hmac.New(sha256.New, testKey)
			m.Write(msg)
			_ = m.Sum(nil)
		}
	})
}

// BenchmarkMiddlewareSession is the per-request cost of an authenticated request, next to the same
// request served without the middleware.
func BenchmarkMiddlewareSession(b *testing.B) {
	c, mt := newMocked(b)
	mt.RegisterResponder(http.MethodGet, mockBase+"/cgi-bin/auth/getuserinfo",
		httpmock.NewBytesResponder(200, fixture("auth_getuserinfo/member.json")))
	opts := &oauth.MiddlewareOptions{Client: c, SessionKey: testKey,
		Config: oauth.Config{RedirectURL: "https://shop.example/oauth/callback"}}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := oauth.IdentityFrom(r.Context()); !ok {
			w.WriteHeader(http.StatusTeapot)
		}
	})
	h := oauth.Middleware(next, opts)
	ck := sessionFor(b, h, opts)
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"middleware", h}, {"floor-fixed-identity", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(oauth.WithIdentity(r.Context(), &oauth.Identity{UserID: "USERID"})))
	})}} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/p/1", nil)
			r.AddCookie(ck)
			for b.Loop() {
				w := httptest.NewRecorder()
				tc.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

func sessionFor(b *testing.B, h http.Handler, _ *oauth.MiddlewareOptions) *http.Cookie {
	b.Helper()
	r := httptest.NewRequest(http.MethodGet, "/p/1", nil)
	r.Header.Set("User-Agent", uaWeCom)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	loc, _ := w.Result().Location()
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/oauth/callback?code=C&state="+loc.Query().Get("state"), nil))
	for _, c := range w.Result().Cookies() {
		return c
	}
	b.Fatal(fmt.Sprint("no cookie: ", w.Code, w.Body.String()))
	return nil
}
