package qrcode

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Signature errors. Treat both as "not one of our labels" (HTTP 404 or 403).
var (
	// ErrInvalidSignature means the tag does not match the code: forged, altered, or signed
	// with another key.
	ErrInvalidSignature = errors.New("qrcode: invalid signature")
	// ErrMalformedSignature means the input is not a signed label at all: empty code, a tag of
	// the wrong length or alphabet, or a URL that is not …/p/{code}?s={tag}.
	ErrMalformedSignature = errors.New("qrcode: malformed signed URL")
)

const (
	// SignatureParam is the query parameter that carries the tag.
	SignatureParam = "s"
	tagBytes       = 9 // 72 bits, 12 base64url characters
	tagChars       = 12
	signerDomain   = "qiwei/qrcode/label/v1\x00" // domain separation: the key may be shared
	minKeyLen      = 16
)

// Signer builds and checks signed product URLs for labels, https://host/p/{code}?s={tag}, where
// tag is a truncated HMAC-SHA256 of the code (72 bits, 12 base64url characters). Without the
// key nobody can print a label for a code of their choosing, and knowing one code does not
// reveal another, so codes cannot be enumerated through the product page. A Signer is
// immutable and safe for concurrent use.
type Signer struct {
	key  []byte
	base string // scheme://host[/prefix], no trailing slash
}

// NewSigner returns a Signer for key (at least 16 bytes; use 32 random bytes) and baseURL, the
// public origin of the product pages, optionally with a path prefix: "https://shop.example.com"
// or "https://example.com/inventory".
func NewSigner(key []byte, baseURL string) (*Signer, error) {
	if len(key) < minKeyLen {
		return nil, fmt.Errorf("%w: signer key must be at least %d bytes", ErrInvalidOption, minKeyLen)
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: signer base URL must be http(s)://host[/path] without query", ErrInvalidOption)
	}
	base := u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/")
	return &Signer{key: append([]byte(nil), key...), base: base}, nil
}

// Sign returns the tag for code.
func (s *Signer) Sign(code string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac(code))
}

func (s *Signer) mac(code string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(signerDomain))
	h.Write([]byte(code))
	return h.Sum(nil)[:tagBytes]
}

// URL returns the signed product URL for code: {base}/p/{escaped code}?s={tag}. The code is
// path-escaped, so any string (including "/" and Chinese) round-trips through [Signer.VerifyURL].
func (s *Signer) URL(code string) string {
	seg := url.PathEscape(code)
	if code == "." || code == ".." { // servers would clean these path segments away
		seg = strings.Repeat("%2E", len(code))
	}
	return s.base + "/p/" + seg + "?" + SignatureParam + "=" + s.Sign(code)
}

// Verify checks tag against code in constant time. It returns nil, or an error matching
// [ErrInvalidSignature] or [ErrMalformedSignature].
func (s *Signer) Verify(code, tag string) error {
	if code == "" {
		return fmt.Errorf("%w: empty code", ErrMalformedSignature)
	}
	if len(tag) != tagChars {
		return fmt.Errorf("%w: tag must be %d characters", ErrMalformedSignature, tagChars)
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(tag)
	if err != nil || len(got) != tagBytes {
		return fmt.Errorf("%w: tag is not base64url", ErrMalformedSignature)
	}
	if !hmac.Equal(got, s.mac(code)) {
		return ErrInvalidSignature
	}
	return nil
}

// VerifyURL checks a scanned URL and returns its product code. Only the last two path
// segments ("p" and the code) and the s parameter are used; the host and any path prefix are
// not checked, so the same key works behind proxies and on several hosts.
func (s *Signer) VerifyURL(rawURL string) (code string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("%w: unparsable URL", ErrMalformedSignature)
	}
	return s.verify(u)
}

// VerifyRequest checks the request of a product page (GET /p/{code}?s=…) and returns the code.
func (s *Signer) VerifyRequest(r *http.Request) (code string, err error) {
	if r == nil || r.URL == nil {
		return "", fmt.Errorf("%w: no URL", ErrMalformedSignature)
	}
	return s.verify(r.URL)
}

func (s *Signer) verify(u *url.URL) (string, error) {
	p := u.EscapedPath()
	i := strings.LastIndex(p, "/p/")
	if i < 0 || strings.Contains(p[i+3:], "/") {
		return "", fmt.Errorf("%w: path is not /p/{code}", ErrMalformedSignature)
	}
	code, err := url.PathUnescape(p[i+3:])
	if err != nil {
		return "", fmt.Errorf("%w: bad escape in code", ErrMalformedSignature)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("%w: bad query", ErrMalformedSignature)
	}
	if err := s.Verify(code, q.Get(SignatureParam)); err != nil {
		return "", err
	}
	return code, nil
}
