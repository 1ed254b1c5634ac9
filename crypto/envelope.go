package crypto

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file reads the Encrypt value out of a POSTed envelope and writes reply envelopes.
//
// The XML scanner is hand-rolled because encoding/xml costs more than the whole decryption.
// It walks the complete document (so truncated or mismatched XML is rejected) with a fixed-size
// element stack, and returns the content of the Encrypt element that is a direct child of the
// root element. In the usual case (one CDATA section or one run of plain text) the value is a
// subslice of the body; entity references, several text pieces or carriage returns take a slow
// path that decodes the value exactly as encoding/xml would.

const maxXMLDepth = 32 // far deeper than any WeCom message; deeper documents are rejected

var utf8BOM = []byte("\xef\xbb\xbf")

// extractXML returns the text of the root element's Encrypt child.
func extractXML(body []byte) ([]byte, error) {
	p := skipProlog(bytes.TrimPrefix(body, utf8BOM))
	if p == nil {
		return nil, ErrInvalidEnvelope
	}
	name, selfClosing, p, ok := startTag(p[1:])
	if !ok {
		return nil, ErrInvalidEnvelope
	}
	if selfClosing {
		return nil, ErrMissingEncrypt
	}
	var stack [maxXMLDepth][]byte
	stack[0] = name
	depth := 1
	var enc []byte
	found := false
	for depth > 0 {
		i := bytes.IndexByte(p, '<')
		if i < 0 {
			return nil, ErrInvalidEnvelope // truncated
		}
		p = p[i:]
		switch {
		case hasPrefix(p, "</"):
			name, p, ok = endTag(p[2:])
			if !ok || !bytes.Equal(name, stack[depth-1]) {
				return nil, ErrInvalidEnvelope
			}
			depth--
		case hasPrefix(p, "<!--"):
			p = skipPast(p[4:], "-->")
		case hasPrefix(p, "<![CDATA["):
			p = skipPast(p[9:], "]]>")
		case hasPrefix(p, "<?"):
			p = skipPast(p[2:], "?>")
		case hasPrefix(p, "<!"):
			return nil, ErrInvalidEnvelope
		default:
			name, selfClosing, p, ok = startTag(p[1:])
			switch {
			case !ok:
				return nil, ErrInvalidEnvelope
			case depth == 1 && string(name) == "Encrypt":
				if found {
					return nil, ErrInvalidEnvelope // two Encrypt elements: ambiguous
				}
				found = true
				if !selfClosing {
					var err error
					if enc, p, err = encryptContent(p); err != nil {
						return nil, err
					}
				}
			case selfClosing:
			case depth == maxXMLDepth:
				return nil, ErrInvalidEnvelope
			default:
				stack[depth] = name
				depth++
			}
		}
		if p == nil {
			return nil, ErrInvalidEnvelope
		}
	}
	// Epilogue: only whitespace, comments and processing instructions may follow the root.
	for {
		p = trimSpace(p)
		switch {
		case len(p) == 0:
			if len(enc) == 0 {
				return nil, ErrMissingEncrypt
			}
			return enc, nil
		case hasPrefix(p, "<!--"):
			p = skipPast(p[4:], "-->")
		case hasPrefix(p, "<?"):
			p = skipPast(p[2:], "?>")
		default:
			return nil, ErrInvalidEnvelope
		}
		if p == nil {
			return nil, ErrInvalidEnvelope
		}
	}
}

// skipProlog skips whitespace, an XML declaration, processing instructions and comments, and
// returns the input from the root element's '<', or nil if there is no root element. A DOCTYPE
// (which could declare entities) is not accepted.
func skipProlog(p []byte) []byte {
	for p != nil {
		p = trimSpace(p)
		switch {
		case hasPrefix(p, "<?"):
			p = skipPast(p[2:], "?>")
		case hasPrefix(p, "<!--"):
			p = skipPast(p[4:], "-->")
		case hasPrefix(p, "<!"):
			return nil
		case hasPrefix(p, "<"):
			return p
		default:
			return nil
		}
	}
	return nil
}

// encryptContent reads character data up to </Encrypt>. p starts right after <Encrypt ...>.
func encryptContent(p []byte) (val, rest []byte, err error) {
	start := p
	var single []byte // the only non-empty piece so far
	pieces := 0
	slow := false // entity references, carriage returns or several pieces
	for {
		i := bytes.IndexByte(p, '<')
		if i < 0 {
			return nil, nil, ErrInvalidEnvelope
		}
		if i > 0 {
			single, pieces = p[:i], pieces+1
			slow = slow || bytes.IndexByte(single, '&') >= 0 || bytes.IndexByte(single, '\r') >= 0
		}
		p = p[i:]
		switch {
		case hasPrefix(p, "<![CDATA["):
			j := bytes.Index(p[9:], []byte("]]>"))
			if j < 0 {
				return nil, nil, ErrInvalidEnvelope
			}
			if j > 0 {
				single, pieces = p[9:9+j], pieces+1
				slow = slow || bytes.IndexByte(single, '\r') >= 0
			}
			p = p[9+j+3:]
		case hasPrefix(p, "<!--"):
			if p = skipPast(p[4:], "-->"); p == nil {
				return nil, nil, ErrInvalidEnvelope
			}
		case hasPrefix(p, "<?"):
			if p = skipPast(p[2:], "?>"); p == nil {
				return nil, nil, ErrInvalidEnvelope
			}
		case hasPrefix(p, "</"):
			var name []byte
			var ok bool
			raw := start[:len(start)-len(p)]
			if name, p, ok = endTag(p[2:]); !ok || string(name) != "Encrypt" {
				return nil, nil, ErrInvalidEnvelope
			}
			switch {
			case slow || pieces > 1:
				val, err = decodeCharData(raw)
			case pieces == 1:
				val = single
			}
			return val, p, err
		default: // an element inside Encrypt
			return nil, nil, ErrInvalidEnvelope
		}
	}
}

// decodeCharData decodes mixed content without child elements the way an XML parser does:
// text has its entity references expanded, CDATA is taken literally, comments and processing
// instructions are dropped, and line endings (\r\n, lone \r) become \n. It allocates.
func decodeCharData(raw []byte) ([]byte, error) {
	out := make([]byte, 0, len(raw))
	for len(raw) > 0 {
		switch {
		case hasPrefix(raw, "<![CDATA["):
			j := bytes.Index(raw[9:], []byte("]]>"))
			out = appendNormalized(out, raw[9:9+j])
			raw = raw[9+j+3:]
		case hasPrefix(raw, "<!--"):
			raw = skipPast(raw[4:], "-->")
		case hasPrefix(raw, "<?"):
			raw = skipPast(raw[2:], "?>")
		default:
			i := bytes.IndexByte(raw, '<')
			if i < 0 {
				i = len(raw)
			}
			var err error
			if out, err = appendUnescaped(out, raw[:i]); err != nil {
				return nil, err
			}
			raw = raw[i:]
		}
	}
	return out, nil
}

// appendUnescaped appends text with line endings normalized and entity references expanded.
func appendUnescaped(out, s []byte) ([]byte, error) {
	for {
		i := bytes.IndexByte(s, '&')
		if i < 0 {
			return appendNormalized(out, s), nil
		}
		out = appendNormalized(out, s[:i])
		s = s[i+1:]
		j := bytes.IndexByte(s, ';')
		if j < 0 {
			return nil, ErrInvalidEnvelope
		}
		ref := s[:j]
		s = s[j+1:]
		switch string(ref) {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "apos":
			out = append(out, '\'')
		case "quot":
			out = append(out, '"')
		default:
			r, ok := charRef(ref)
			if !ok {
				return nil, ErrInvalidEnvelope
			}
			out = utf8.AppendRune(out, r)
		}
	}
}

// charRef decodes the inside of a character reference: "#43" or "#x2B".
func charRef(ref []byte) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	base, digits := 10, ref[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if len(digits) == 0 || digits[0] == '+' || digits[0] == '-' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	if err != nil {
		return 0, false
	}
	r := rune(n)
	// Only characters XML allows (the Char production).
	ok := r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
	return r, ok
}

// appendNormalized appends s with \r\n and lone \r replaced by \n (XML end-of-line handling).
func appendNormalized(out, s []byte) []byte {
	for {
		i := bytes.IndexByte(s, '\r')
		if i < 0 {
			return append(out, s...)
		}
		out = append(out, s[:i]...)
		out = append(out, '\n')
		s = s[i+1:]
		if len(s) > 0 && s[0] == '\n' {
			s = s[1:]
		}
	}
}

// startTag parses a start tag; p starts right after '<'. It returns the element name, whether
// the tag is self-closing (<a/>) and the input after '>'.
func startTag(p []byte) (name []byte, selfClosing bool, rest []byte, ok bool) {
	n := nameLen(p)
	if n == 0 {
		return nil, false, nil, false
	}
	name = p[:n]
	for i := n; i < len(p); i++ {
		switch p[i] {
		case '"', '\'':
			j := bytes.IndexByte(p[i+1:], p[i])
			if j < 0 {
				return nil, false, nil, false
			}
			i += j + 1
		case '>':
			return name, p[i-1] == '/', p[i+1:], true
		case '<':
			return nil, false, nil, false
		}
	}
	return nil, false, nil, false
}

// endTag parses an end tag; p starts right after "</". It returns the name and the input after '>'.
func endTag(p []byte) (name, rest []byte, ok bool) {
	n := nameLen(p)
	if n == 0 {
		return nil, nil, false
	}
	rest = trimSpace(p[n:])
	if len(rest) == 0 || rest[0] != '>' {
		return nil, nil, false
	}
	return p[:n], rest[1:], true
}

// nameLen returns the length of the element name at the start of p (0 if there is none).
// It accepts any bytes that cannot end or break a tag; names are only compared, never trusted.
func nameLen(p []byte) int {
	for i, b := range p {
		switch b {
		case ' ', '\t', '\r', '\n', '/', '>':
			return i
		case '<', '"', '\'', '=', '&', '!', '?':
			return 0
		}
	}
	return 0 // the tag never ends
}

// skipPast returns the input after the first occurrence of end, or nil if there is none. The
// scanner relies on this: no other step turns a non-nil input into a nil one.
func skipPast(p []byte, end string) []byte {
	i := bytes.Index(p, []byte(end))
	if i < 0 {
		return nil
	}
	return p[i+len(end):]
}

func hasPrefix(p []byte, prefix string) bool {
	return len(p) >= len(prefix) && string(p[:len(prefix)]) == prefix
}

func trimSpace(p []byte) []byte {
	for len(p) > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n') {
		p = p[1:]
	}
	return p
}

// extractJSON returns the "encrypt" member of a JSON envelope such as the AI-bot callback
// {"encrypt": "..."} or the official callback_json sample {"tousername","encrypt","agentid"}.
func extractJSON(body []byte) (string, error) {
	var env struct {
		Encrypt *string `json:"encrypt"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(body, utf8BOM), &env); err != nil {
		return "", ErrInvalidEnvelope
	}
	if env.Encrypt == nil || *env.Encrypt == "" {
		return "", ErrMissingEncrypt
	}
	return *env.Encrypt, nil
}

// Reply envelopes, element and member order as produced by Tencent's samples.
const (
	xmlReply0 = "<xml>\n<Encrypt><![CDATA["
	xmlReply1 = "]]></Encrypt>\n<MsgSignature><![CDATA["
	xmlReply2 = "]]></MsgSignature>\n<TimeStamp>"
	xmlReply3 = "</TimeStamp>\n<Nonce><![CDATA["
	xmlReply4 = "]]></Nonce>\n</xml>"

	jsonReply0 = `{"encrypt":"`
	jsonReply1 = `","msgsignature":"`
	jsonReply2 = `","timestamp":"`
	jsonReply3 = `","nonce":"`
	jsonReply4 = `"}`
)

// replyFormat selects the reply envelope written by buildReply.
type replyFormat int

const (
	replyXML replyFormat = iota
	replyJSON
)

// buildReply seals msg and writes the whole reply envelope into one exactly-sized buffer: the
// ciphertext is base64-encoded straight into place and signed there.
func (c *Cryptor) buildReply(f replyFormat, msg []byte, timestamp, nonce string) ([]byte, error) {
	if timestamp == "" {
		timestamp = strconv.FormatInt(c.clock().Unix(), 10)
	}
	if !validReplyFields(timestamp, nonce) {
		return nil, ErrInvalidReplyField
	}
	scratch := getSealBuffer(c.sealedLen(len(msg)))
	defer putSealBuffer(scratch)
	sealed := *scratch
	if err := c.seal(sealed, msg); err != nil {
		return nil, err
	}
	encLen := base64.StdEncoding.EncodedLen(len(sealed))
	parts := [5]string{xmlReply0, xmlReply1, xmlReply2, xmlReply3, xmlReply4}
	quotes := 0
	if f == replyJSON {
		parts = [5]string{jsonReply0, jsonReply1, jsonReply2, jsonReply3, jsonReply4}
		quotes = jsonQuotes(nonce)
	}
	size := len(parts[0]) + encLen + len(parts[1]) + len(hexSignature{}) + len(parts[2]) +
		len(timestamp) + len(parts[3]) + len(nonce) + quotes + len(parts[4])
	out := make([]byte, size)
	n := copy(out, parts[0])
	enc := out[n : n+encLen]
	base64.StdEncoding.Encode(enc, sealed)
	sig := signEncrypt(c.token, timestamp, nonce, enc)
	n += encLen
	n += copy(out[n:], parts[1])
	n += copy(out[n:], sig[:])
	n += copy(out[n:], parts[2])
	n += copy(out[n:], timestamp)
	n += copy(out[n:], parts[3])
	if quotes > 0 {
		n += copy(out[n:], appendJSONEscaped(out[n:n], nonce))
	} else {
		n += copy(out[n:], nonce)
	}
	copy(out[n:], parts[4])
	return out, nil
}

// validReplyFields reports whether timestamp is decimal digits and nonce is valid UTF-8
// without control characters or "]]>", so both fit a CDATA section and a JSON string.
func validReplyFields(timestamp, nonce string) bool {
	if len(timestamp) == 0 || len(timestamp) > 20 {
		return false
	}
	for i := 0; i < len(timestamp); i++ {
		if timestamp[i] < '0' || timestamp[i] > '9' {
			return false
		}
	}
	for i := 0; i < len(nonce); i++ {
		if nonce[i] < 0x20 || nonce[i] == 0x7f {
			return false
		}
	}
	return utf8.ValidString(nonce) && !strings.Contains(nonce, "]]>")
}

// jsonQuotes returns how many extra bytes JSON escaping adds to s (validated by validReplyFields).
func jsonQuotes(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			n++
		}
	}
	return n
}

func appendJSONEscaped(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return out
}
