package oauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// State errors, usable with errors.Is.
var (
	// ErrInvalidState means the state is malformed, was signed with another key or was altered.
	ErrInvalidState = errors.New("oauth: invalid state")
	// ErrStateExpired means the state was genuine but is older than the signer's TTL.
	ErrStateExpired = errors.New("oauth: state expired")
	// ErrUnsafeReturnTo means the return path is not a same-site relative path (open redirect).
	ErrUnsafeReturnTo = errors.New("oauth: unsafe return path")
	// ErrWeakKey means the signer's key is shorter than MinKeyLen bytes.
	ErrWeakKey = errors.New("oauth: signing key too short")
)

const (
	// MinKeyLen is the shortest key [NewStateSigner] accepts (and the shortest session key). Use 32
	// random bytes.
	MinKeyLen = 16
	// MaxStateLen is WeCom's limit on the state parameter: 128 bytes of a-zA-Z0-9.
	MaxStateLen = 128
	// MaxReturnToLen is the longest return path a state can carry: the 128 base62 characters hold 95
	// bytes, of which 21 are the version, the expiry and the MAC.
	MaxReturnToLen = 74
	// DefaultStateTTL is used when NewStateSigner gets ttl ≤ 0. A WeCom code itself lives 5 minutes.
	DefaultStateTTL = 10 * time.Minute

	stateVersion = 1
	stateMACLen  = 16 // HMAC-SHA256 truncated to 128 bits
	stateHdrLen  = 1 + 4
	stateDomain  = "qiwei/oauth/state\x00"
)

// StateSigner issues and verifies the OAuth state parameter without server-side storage: the state
// carries the page to return to and an expiry, authenticated with HMAC-SHA256. WeCom's in-app
// browser does not reliably keep cookies across the authorize redirect, so the state cannot be tied
// to a cookie; the signature and the expiry are what protect it.
//
// Wire format: base62 (0-9A-Za-z, as WeCom allows) of
// version(1) ‖ expiry unix seconds (4, big-endian) ‖ return path ‖ HMAC-SHA256(key, …)[:16],
// at most [MaxStateLen] characters. Return paths longer than [MaxReturnToLen] bytes, and paths that
// are not same-site relative paths, are replaced by "/" at Issue time rather than refused, so that a
// login always works; keep deep links short (e.g. /p/CODE).
//
// Being stateless, a state can be replayed until it expires (login CSRF with the attacker's own
// code is not prevented); the code it travels with is single-use and lives 5 minutes.
//
// A StateSigner is immutable and safe for concurrent use.
type StateSigner struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewStateSigner returns a signer using key (at least [MinKeyLen] bytes, ideally 32 random bytes,
// shared by all replicas) whose states are valid for ttl (≤ 0 means [DefaultStateTTL]).
//
// A shorter key is a configuration error caught at construction: NewStateSigner panics with an
// error matching [ErrWeakKey] (the key itself is never part of it), as regexp.MustCompile does with
// a bad pattern, rather than returning a signer whose Issue would silently return "". When the key
// comes from configuration, check it first with [ValidateStateKey] and report the error yourself.
func NewStateSigner(key []byte, ttl time.Duration) *StateSigner {
	if err := ValidateStateKey(key); err != nil {
		panic(fmt.Errorf("oauth.NewStateSigner: %w", err))
	}
	if ttl <= 0 {
		ttl = DefaultStateTTL
	}
	return &StateSigner{key: append([]byte(nil), key...), ttl: ttl, now: time.Now}
}

// ValidateStateKey reports whether key can sign states: nil, or an error matching [ErrWeakKey] when
// it is shorter than [MinKeyLen] bytes.
func ValidateStateKey(key []byte) error {
	if len(key) < MinKeyLen {
		return fmt.Errorf("%w: %d bytes, need at least %d (use 32 random bytes)", ErrWeakKey, len(key), MinKeyLen)
	}
	return nil
}

// WithClock returns a copy of s that reads the time from now (for tests).
func (s *StateSigner) WithClock(now func() time.Time) *StateSigner {
	var cp StateSigner
	if s != nil {
		cp = *s
	}
	if now == nil {
		now = time.Now
	}
	cp.now = now
	return &cp
}

// TTL returns how long an issued state stays valid.
func (s *StateSigner) TTL() time.Duration {
	if s == nil {
		return 0
	}
	return s.ttl
}

// Issue returns a state carrying returnTo (a path such as "/p/ABC?x=1", typically r.URL.RequestURI())
// and an expiry. returnTo becomes "/" when it is not a safe same-site path or is longer than
// [MaxReturnToLen] bytes. The result has at most 128 characters of a-zA-Z0-9. Only a signer not made
// by [NewStateSigner] (a nil or zero StateSigner) returns "".
func (s *StateSigner) Issue(returnTo string) string {
	if s == nil || len(s.key) < MinKeyLen {
		return ""
	}
	if len(returnTo) > MaxReturnToLen || checkReturnTo(returnTo) != nil {
		returnTo = "/"
	}
	exp := s.now().Add(s.ttl).Unix()
	buf := make([]byte, stateHdrLen, stateHdrLen+len(returnTo)+stateMACLen)
	buf[0] = stateVersion
	binary.BigEndian.PutUint32(buf[1:], uint32(max(0, min(exp, 1<<32-1))))
	buf = append(buf, returnTo...)
	buf = append(buf, s.mac(buf)...)
	return base62Encode(buf)
}

// Verify checks state's signature, expiry and return path, and returns the return path.
// Errors: [ErrInvalidState] (malformed or tampered), [ErrStateExpired], [ErrUnsafeReturnTo],
// [ErrWeakKey].
func (s *StateSigner) Verify(state string) (returnTo string, err error) {
	if s == nil || len(s.key) < MinKeyLen {
		return "", ErrWeakKey
	}
	if len(state) == 0 || len(state) > MaxStateLen {
		return "", ErrInvalidState
	}
	buf, ok := base62Decode(state)
	if !ok || len(buf) < stateHdrLen+stateMACLen || buf[0] != stateVersion {
		return "", ErrInvalidState
	}
	body, sum := buf[:len(buf)-stateMACLen], buf[len(buf)-stateMACLen:]
	if !hmac.Equal(sum, s.mac(body)) {
		return "", ErrInvalidState
	}
	exp := int64(binary.BigEndian.Uint32(body[1:stateHdrLen]))
	if s.now().Unix() > exp {
		return "", ErrStateExpired
	}
	returnTo = string(body[stateHdrLen:])
	if err := checkReturnTo(returnTo); err != nil {
		return "", err
	}
	return returnTo, nil
}

func (s *StateSigner) mac(body []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(stateDomain))
	m.Write(body)
	return m.Sum(nil)[:stateMACLen]
}

// checkReturnTo accepts only same-site relative references: a single leading "/", printable ASCII
// without spaces or backslashes (browsers treat "\" as "/", and drop tabs and newlines, so both can
// turn "/x" into "//host").
func checkReturnTo(p string) error {
	if len(p) == 0 || p[0] != '/' || (len(p) > 1 && (p[1] == '/' || p[1] == '\\')) {
		return ErrUnsafeReturnTo
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return ErrUnsafeReturnTo
		}
	}
	return nil
}

// SafeReturnTo reports whether p is a path the middleware and [StateSigner] accept as a place to
// return to after login: it starts with exactly one "/" and holds printable ASCII only, with no
// spaces or backslashes.
func SafeReturnTo(p string) bool { return checkReturnTo(p) == nil }

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

var base62Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base62Alphabet); i++ {
		t[base62Alphabet[i]] = int8(i)
	}
	return t
}()

// base62Encode writes 0x01 ‖ src as a base-62 big number, so that leading zero bytes survive.
func base62Encode(src []byte) string {
	num := make([]byte, 0, len(src)+1)
	num = append(num, 1)
	num = append(num, src...)
	out := make([]byte, 0, len(num)*4/3+2)
	for len(num) > 0 {
		rem := 0
		for i, b := range num {
			acc := rem<<8 | int(b)
			num[i] = byte(acc / 62)
			rem = acc % 62
		}
		out = append(out, base62Alphabet[rem])
		for len(num) > 0 && num[0] == 0 {
			num = num[1:]
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// base62Decode reverses base62Encode. It rejects foreign characters, a leading "0" (non-canonical)
// and numbers that do not start with the 0x01 marker byte.
func base62Decode(s string) ([]byte, bool) {
	if s == "" || s[0] == '0' {
		return nil, false
	}
	num := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		d := base62Index[s[i]]
		if d < 0 {
			return nil, false
		}
		carry := int(d)
		for j := len(num) - 1; j >= 0; j-- {
			acc := int(num[j])*62 + carry
			num[j] = byte(acc)
			carry = acc >> 8
		}
		for carry > 0 {
			num = append(num, 0)
			copy(num[1:], num)
			num[0] = byte(carry)
			carry >>= 8
		}
	}
	if len(num) == 0 || num[0] != 1 {
		return nil, false
	}
	return num[1:], true
}
