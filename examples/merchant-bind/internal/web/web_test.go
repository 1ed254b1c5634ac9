package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "/merchants",
		"/merchants/3":       "/merchants/3",
		"/audit?page=2":      "/audit?page=2",
		"//evil.example/x":   "/merchants",
		"/\\evil.example":    "/merchants",
		"https://evil.test/": "/merchants",
		"merchants":          "/merchants",
	} {
		assert.Equal(t, want, safeNext(in), in)
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   bool
	}{
		{"no headers (old browsers, curl)", nil, true},
		{"same origin", map[string]string{"Origin": "http://app.test"}, true},
		{"other origin", map[string]string{"Origin": "http://evil.test"}, false},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"same-site subdomain", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"same-origin fetch", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://app.test"}, true},
	}
	s := &Server{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://app.test/merchants", nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			assert.Equal(t, tt.want, s.sameOrigin(r))
		})
	}
}

func TestSessionCookie(t *testing.T) {
	s := &Server{cfg: Config{SessionKey: []byte("0123456789abcdef0123456789abcdef"), SessionTTL: time.Hour}}
	w := httptest.NewRecorder()
	s.issueSession(w, 42, time.Now())
	c := w.Result().Cookies()[0]
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(c)
	id, ok := s.sessionAdmin(r)
	require.True(t, ok)
	assert.Equal(t, int64(42), id)

	other := &Server{cfg: Config{SessionKey: []byte("another-key-0123456789abcdef0123"), SessionTTL: time.Hour}}
	_, ok = other.sessionAdmin(r)
	assert.False(t, ok, "signed with another key")

	expired := httptest.NewRecorder()
	s.issueSession(expired, 42, time.Now().Add(-2*time.Hour))
	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(expired.Result().Cookies()[0])
	_, ok = s.sessionAdmin(r)
	assert.False(t, ok, "expired")
}

func TestLoginLimiter(t *testing.T) {
	l := newLoginLimiter()
	for range loginMaxFails {
		require.True(t, l.allow("1.2.3.4"))
		l.fail("1.2.3.4")
	}
	assert.False(t, l.allow("1.2.3.4"))
	assert.True(t, l.allow("5.6.7.8"), "per address")
	l.reset("1.2.3.4")
	assert.True(t, l.allow("1.2.3.4"))
}

func TestHashPassword(t *testing.T) {
	_, err := HashPassword("short")
	assert.Error(t, err)
	h, err := HashPassword("long-enough-password")
	require.NoError(t, err)
	assert.NotContains(t, h, "long-enough-password")
	assert.True(t, constantTimeEqual("a", "a"))
	assert.False(t, constantTimeEqual("a", "ab"))
}
