package crypto

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
)

// hexSignature is a lower-case hex SHA-1 digest, kept in a fixed array so computing and
// comparing signatures does not allocate.
type hexSignature [2 * sha1.Size]byte

// Signature returns the callback signature (签名): the lower-case hex SHA-1 of token,
// timestamp, nonce and more, sorted in byte order and concatenated without separators.
//
// With no more it is the 公众号 plain-mode signature (the signature query parameter, see
// [VerifyPlain]); with the Encrypt text (or echostr) as the single extra string it is the
// msg_signature of an encrypted callback. It does not compare anything: use [VerifyPlain] or
// the [Cryptor] methods to check a received signature in constant time.
func Signature(token, timestamp, nonce string, more ...string) string {
	var arr [8]string
	parts := arr[:0]
	if n := 3 + len(more); n > len(arr) {
		parts = make([]string, 0, n)
	}
	parts = append(parts, token, timestamp, nonce)
	parts = append(parts, more...)
	// Insertion sort: tiny input, no allocation (sort.Strings would box the slice).
	for i := 1; i < len(parts); i++ {
		for j := i; j > 0 && parts[j] < parts[j-1]; j-- {
			parts[j], parts[j-1] = parts[j-1], parts[j]
		}
	}
	h := sha1.New()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	var sum [sha1.Size]byte
	var out hexSignature
	hex.Encode(out[:], h.Sum(sum[:0]))
	return string(out[:])
}

// VerifyPlain reports whether signature is the 公众号 plain-mode signature
// sha1(sort(token, timestamp, nonce)) (明文模式 / URL 验证), comparing in constant time.
// On success a URL-verification GET is answered with its echostr unchanged.
func VerifyPlain(token, signature, timestamp, nonce string) bool {
	a, b, c := sort3(token, timestamp, nonce)
	h := sha1.New()
	h.Write([]byte(a))
	h.Write([]byte(b))
	h.Write([]byte(c))
	var sum [sha1.Size]byte
	var want hexSignature
	hex.Encode(want[:], h.Sum(sum[:0]))
	return equalSignature(signature, &want)
}

// text is the type of the Encrypt value: a string (echostr, JSON field) or a subslice of the
// request body.
type text interface{ ~string | ~[]byte }

// signEncrypt computes hex(sha1(sort(token, timestamp, nonce, enc))) without allocating.
func signEncrypt[T text](token, timestamp, nonce string, enc T) hexSignature {
	a, b, c := sort3(token, timestamp, nonce)
	h := sha1.New()
	switch { // string(enc) directly in a comparison does not copy
	case string(enc) < a:
		h.Write([]byte(enc))
		h.Write([]byte(a))
		h.Write([]byte(b))
		h.Write([]byte(c))
	case string(enc) < b:
		h.Write([]byte(a))
		h.Write([]byte(enc))
		h.Write([]byte(b))
		h.Write([]byte(c))
	case string(enc) < c:
		h.Write([]byte(a))
		h.Write([]byte(b))
		h.Write([]byte(enc))
		h.Write([]byte(c))
	default:
		h.Write([]byte(a))
		h.Write([]byte(b))
		h.Write([]byte(c))
		h.Write([]byte(enc))
	}
	var sum [sha1.Size]byte
	var out hexSignature
	hex.Encode(out[:], h.Sum(sum[:0]))
	return out
}

func sort3(a, b, c string) (string, string, string) {
	if b < a {
		a, b = b, a
	}
	if c < b {
		b, c = c, b
		if b < a {
			a, b = b, a
		}
	}
	return a, b, c
}

// equalSignature compares a received signature with the expected one in constant time
// (the length, 40, is public).
func equalSignature(got string, want *hexSignature) bool {
	return len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), want[:]) == 1
}
