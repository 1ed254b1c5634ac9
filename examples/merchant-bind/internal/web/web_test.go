package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

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
		"/x\r\nSet-Cookie:":  "/merchants",
	} {
		assert.Equal(t, want, safeNext(in), in)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies("127.0.0.1, 10.0.0.0/8 ::1\t192.168.1.7/24")
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("192.168.1.0/24")}, got)
	_, err = ParseTrustedProxies("10.0.0.0/33")
	assert.Error(t, err)
	_, err = ParseTrustedProxies("proxy.example")
	assert.Error(t, err)
	got, err = ParseTrustedProxies("")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func proxyServer(t *testing.T, publicURL, trusted string) *Server {
	t.Helper()
	p, err := ParseTrustedProxies(trusted)
	require.NoError(t, err)
	s := &Server{cfg: Config{TrustedProxies: p}}
	if publicURL != "" {
		s.origin = publicURL
	}
	return s
}

func TestClientIPAndHTTPS(t *testing.T) {
	s := proxyServer(t, "https://bind.example.com", "10.0.0.0/8")
	tests := []struct {
		name   string
		remote string
		xff    string
		proto  string
		ip     string
		https  bool
	}{
		{"direct", "203.0.113.5:4000", "", "", "203.0.113.5", false},
		{"direct client lying", "203.0.113.5:4000", "198.51.100.1", "https", "203.0.113.5", false},
		{"via trusted proxy", "10.0.0.2:4000", "198.51.100.1", "https", "198.51.100.1", true},
		{"client-supplied XFF is not believed", "10.0.0.2:4000", "6.6.6.6, 198.51.100.1", "https", "198.51.100.1", true},
		{"two trusted hops", "10.0.0.2:4000", "198.51.100.1, 10.0.0.3", "http", "198.51.100.1", false},
		{"garbage in XFF", "10.0.0.2:4000", "198.51.100.1, nonsense", "", "10.0.0.2", false},
		{"no XFF from the proxy", "10.0.0.2:4000", "", "", "10.0.0.2", false},
		{"IPv6 peer", "[2001:db8::1]:4000", "", "", "2001:db8::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8081/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			assert.Equal(t, tt.ip, s.clientIP(r))
			assert.Equal(t, tt.https, s.https(r))
			assert.True(t, s.secure(r), "PUBLIC_URL is https: cookies are always Secure")
		})
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		name      string
		publicURL string
		remote    string
		header    map[string]string
		want      bool
	}{
		{"no headers (old browsers, curl)", "", "192.0.2.1:1", nil, true},
		{"same origin, direct", "", "192.0.2.1:1", map[string]string{"Origin": "http://app.test"}, true},
		{"other origin", "", "192.0.2.1:1", map[string]string{"Origin": "http://evil.test"}, false},
		{"cross-site fetch", "", "192.0.2.1:1", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"same-site subdomain", "", "192.0.2.1:1", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"same-origin fetch", "", "192.0.2.1:1", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://app.test"}, true},
		{"PUBLIC_URL behind a proxy", "https://bind.example.com", "10.0.0.2:1", map[string]string{"Origin": "https://bind.example.com"}, true},
		{"PUBLIC_URL, trailing slash and case", "https://bind.example.com", "10.0.0.2:1", map[string]string{"Origin": "https://Bind.Example.com/"}, true},
		{"Host behind a proxy is the upstream", "https://bind.example.com", "10.0.0.2:1", map[string]string{"Origin": "http://app.test"}, false},
		{"X-Forwarded-Host from a trusted proxy", "", "10.0.0.2:1", map[string]string{"Origin": "https://bind.example.com",
			"X-Forwarded-Host": "bind.example.com", "X-Forwarded-Proto": "https"}, true},
		{"X-Forwarded-Host from anyone else", "", "192.0.2.1:1", map[string]string{"Origin": "https://bind.example.com",
			"X-Forwarded-Host": "bind.example.com", "X-Forwarded-Proto": "https"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := proxyServer(t, tt.publicURL, "10.0.0.0/8")
			r := httptest.NewRequest(http.MethodPost, "http://app.test/merchants", nil)
			r.RemoteAddr = tt.remote
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			assert.Equal(t, tt.want, s.sameOrigin(r))
		})
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+86 138": "'+86 138", "-x": "'-x", "@SUM(A1)": "'@SUM(A1)",
		"老王面馆": "老王面馆", "": "", "138 0000": "138 0000"} {
		assert.Equal(t, want, csvSafe(in), in)
	}
}

func TestHashPassword(t *testing.T) {
	_, err := HashPassword("short")
	assert.ErrorIs(t, err, ErrWeakPassword)
	_, err = HashPassword(string(make([]byte, 73)))
	assert.ErrorIs(t, err, ErrWeakPassword)
	h, err := HashPassword("long-enough-password")
	require.NoError(t, err)
	assert.NotContains(t, h, "long-enough")
	assert.Len(t, GeneratePassword(), 16)
	assert.NotEqual(t, GeneratePassword(), GeneratePassword())
}
