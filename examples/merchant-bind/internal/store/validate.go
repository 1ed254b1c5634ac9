package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidationError names the field an input was refused for. Msg is for people: Chinese with
// English alongside.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return "store: " + e.Field + ": " + e.Msg }

// Invalid text: databases disagree about it (PostgreSQL refuses NUL bytes and invalid UTF-8 with an
// error, MySQL refuses invalid UTF-8, SQLite stores anything), so the store refuses it first.
const msgBadText = "包含无效字符（空字符、控制字符或非 UTF-8 编码）(invalid characters)"

// ValidText reports whether s is valid UTF-8 without NUL or other control characters; multiline
// text may hold tabs and line breaks.
func ValidText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\t' || (multiline && (r == '\n' || r == '\r')) {
			continue
		}
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// checkText returns a ValidationError for field when s is not valid one-line text.
func checkText(field, s string) error {
	if !ValidText(s, false) {
		return &ValidationError{field, msgBadText}
	}
	return nil
}

// SafeText makes s storable whatever it holds: invalid UTF-8 becomes U+FFFD, NUL and other control
// characters are dropped, and the result is cut to at most n characters on a character boundary
// (with "…" when cut). The audit log stores what people typed this way, e.g. a failed login's
// 200-byte username.
func SafeText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// foldKey is the case-insensitive key of a login or username: ASCII lower case, the same as SQL
// LOWER() on every supported database for the ASCII names these fields allow.
func foldKey(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
