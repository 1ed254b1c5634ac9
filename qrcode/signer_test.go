package qrcode_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newTestSigner(t testing.TB, base string) *qrcode.Signer {
	t.Helper()
	s, err := qrcode.NewSigner(testKey, base)
	require.NoError(t, err)
	return s
}

func TestSignerRoundTrip(t *testing.T) {
	codes := []string{".", "..", "BAG-000123", "a/b", "棕色托特包-1", "with space", "100%", "?s=x&y", "p", "../p/x", "#frag"}
	for _, base := range []string{"https://shop.example.com", "https://shop.example.com/", "http://127.0.0.1:8080/inventory/"} {
		s := newTestSigner(t, base)
		for _, code := range codes {
			u := s.URL(code)
			assert.True(t, strings.HasPrefix(u, strings.TrimSuffix(base, "/")+"/p/"), u)
			parsed, err := url.Parse(u)
			require.NoError(t, err, u)
			ep := parsed.EscapedPath()
			seg := ep[strings.LastIndex(ep, "/p/")+3:]
			assert.NotContains(t, seg, "/", "the code is one path segment: %s", u)
			assert.NotContains(t, []string{".", ".."}, seg, "no dot segments a server would clean: %s", u)

			got, err := s.VerifyURL(u)
			require.NoError(t, err, u)
			assert.Equal(t, code, got)

			tag := parsed.Query().Get(qrcode.SignatureParam)
			assert.Len(t, tag, 12)
			assert.NoError(t, s.Verify(code, tag))
			assert.Equal(t, s.Sign(code), tag)

			r := httptest.NewRequest("GET", u, nil)
			got, err = s.VerifyRequest(r)
			require.NoError(t, err)
			assert.Equal(t, code, got)
		}
	}
}

func TestSignerRejectsTampering(t *testing.T) {
	s := newTestSigner(t, "https://shop.example.com")
	other, err := qrcode.NewSigner([]byte("another key, 32 bytes long......"), "https://shop.example.com")
	require.NoError(t, err)
	tag := s.Sign("BAG-000123")

	// Every single-character change of the tag is rejected.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range tag {
		for _, c := range alphabet {
			if byte(c) == tag[i] {
				continue
			}
			bad := tag[:i] + string(c) + tag[i+1:]
			require.ErrorIs(t, s.Verify("BAG-000123", bad), qrcode.ErrInvalidSignature, bad)
		}
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"other code, same tag", s.Verify("BAG-000124", tag), qrcode.ErrInvalidSignature},
		{"code case changed", s.Verify("bag-000123", tag), qrcode.ErrInvalidSignature},
		{"wrong key", other.Verify("BAG-000123", tag), qrcode.ErrInvalidSignature},
		{"wrong key's tag", s.Verify("BAG-000123", other.Sign("BAG-000123")), qrcode.ErrInvalidSignature},
		{"empty code", s.Verify("", tag), qrcode.ErrMalformedSignature},
		{"empty tag", s.Verify("BAG-000123", ""), qrcode.ErrMalformedSignature},
		{"short tag", s.Verify("BAG-000123", tag[:11]), qrcode.ErrMalformedSignature},
		{"long tag", s.Verify("BAG-000123", tag+"A"), qrcode.ErrMalformedSignature},
		{"padded tag", s.Verify("BAG-000123", tag[:10]+"=="), qrcode.ErrMalformedSignature},
		{"std base64 alphabet", s.Verify("BAG-000123", "++++////++++"), qrcode.ErrMalformedSignature},
		{"non-ASCII tag", s.Verify("BAG-000123", "棕色托特"), qrcode.ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.err, tt.want)
		})
	}
}

func TestSignerVerifyURLErrors(t *testing.T) {
	s := newTestSigner(t, "https://shop.example.com")
	good := s.URL("BAG-1")
	tag := s.Sign("BAG-1")
	tests := []struct {
		name, url string
		want      error
	}{
		{"other code in path", strings.Replace(good, "BAG-1", "BAG-2", 1), qrcode.ErrInvalidSignature},
		{"no tag", "https://shop.example.com/p/BAG-1", qrcode.ErrMalformedSignature},
		{"tag in another parameter", "https://shop.example.com/p/BAG-1?sig=" + tag, qrcode.ErrMalformedSignature},
		{"not a product path", "https://shop.example.com/q/BAG-1?s=" + tag, qrcode.ErrMalformedSignature},
		{"extra segment", "https://shop.example.com/p/BAG-1/edit?s=" + tag, qrcode.ErrMalformedSignature},
		{"empty code", "https://shop.example.com/p/?s=" + tag, qrcode.ErrMalformedSignature},
		{"bad escape", "https://shop.example.com/p/BAG%zz?s=" + tag, qrcode.ErrMalformedSignature},
		{"bad query", "https://shop.example.com/p/BAG-1?s=%zz", qrcode.ErrMalformedSignature},
		{"unparsable", "http://[::1", qrcode.ErrMalformedSignature},
		{"empty", "", qrcode.ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := s.VerifyURL(tt.url)
			assert.ErrorIs(t, err, tt.want)
			assert.Empty(t, code)
		})
	}
	// Another host or prefix carries the same signature: only the code is signed.
	code, err := s.VerifyURL("http://localhost:8080/shop/p/BAG-1?s=" + tag + "&utm=x")
	require.NoError(t, err)
	assert.Equal(t, "BAG-1", code)

	_, err = s.VerifyRequest(nil)
	assert.ErrorIs(t, err, qrcode.ErrMalformedSignature)
}

func TestNewSignerValidates(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
		base string
	}{
		{"short key", []byte("short"), "https://shop.example.com"},
		{"nil key", nil, "https://shop.example.com"},
		{"no scheme", testKey, "shop.example.com"},
		{"ftp", testKey, "ftp://shop.example.com"},
		{"no host", testKey, "https:///p"},
		{"query", testKey, "https://shop.example.com/?a=b"},
		{"fragment", testKey, "https://shop.example.com/#x"},
		{"user info", testKey, "https://user:pw@shop.example.com"},
		{"unparsable", testKey, "https://[::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := qrcode.NewSigner(tt.key, tt.base)
			assert.ErrorIs(t, err, qrcode.ErrInvalidOption)
			assert.Nil(t, s)
			if err != nil {
				assert.NotContains(t, err.Error(), string(testKey), "the key never appears in errors")
			}
		})
	}
}

func TestSignerCopiesKey(t *testing.T) {
	key := append([]byte(nil), testKey...)
	s, err := qrcode.NewSigner(key, "https://shop.example.com")
	require.NoError(t, err)
	before := s.Sign("X")
	key[0] ^= 0xff
	assert.Equal(t, before, s.Sign("X"))
}

func FuzzSignerURL(f *testing.F) {
	for _, seed := range []string{"BAG-000123", "a/b", "棕色托特包", "%2F", "?s=", "\x00\xff"} {
		f.Add(seed)
	}
	s := newTestSigner(f, "https://shop.example.com/x")
	f.Fuzz(func(t *testing.T, code string) {
		u := s.URL(code)
		got, err := s.VerifyURL(u)
		if code == "" {
			if err == nil {
				t.Fatalf("empty code verified: %q", u)
			}
			return
		}
		if err != nil || got != code {
			t.Fatalf("URL(%q) = %q: VerifyURL = %q, %v", code, u, got, err)
		}
		// Garbage must never verify or panic.
		if _, err := s.VerifyURL(code); err == nil && !strings.Contains(code, "/p/") {
			t.Fatalf("VerifyURL(%q) accepted", code)
		}
	})
}
