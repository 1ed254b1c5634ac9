package crypto

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		key     string
		opts    []Option
		wantErr error
	}{
		{"ok", testToken, testKey, nil, nil},
		{"key with zero trailing bits", testToken, strings.Repeat("A", 43), nil, nil},
		{"key with + and /", testToken, strings.Repeat("+/", 21) + "A", nil, nil},
		{"all options", testToken, testKey, []Option{WithRandom(repeatReader("x")), WithClock(time.Now), WithMaxSkew(time.Minute)}, nil},
		{"zero skew is off", testToken, testKey, []Option{WithMaxSkew(0)}, nil},
		{"empty key", testToken, "", nil, ErrInvalidKey},
		{"42 chars", testToken, testKey[:42], nil, ErrInvalidKey},
		{"44 chars", testToken, testKey + "=", nil, ErrInvalidKey},
		{"non-base64 char", testToken, testKey[:42] + "!", nil, ErrInvalidKey},
		{"newline inside", testToken, testKey[:20] + "\n" + testKey[21:], nil, ErrInvalidKey},
		{"padding inside", testToken, testKey[:41] + "==", nil, ErrInvalidKey},
		{"non-ASCII", testToken, testKey[:40] + "中", nil, ErrInvalidKey},
		{"empty token", "", testKey, nil, ErrInvalidOption},
		{"nil random", testToken, testKey, []Option{WithRandom(nil)}, ErrInvalidOption},
		{"nil clock", testToken, testKey, []Option{WithClock(nil)}, ErrInvalidOption},
		{"negative skew", testToken, testKey, []Option{WithMaxSkew(-time.Second)}, ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.token, tt.key, testReceiver, tt.opts...)
			if tt.wantErr == nil {
				require.NoError(t, err)
				require.NotNil(t, c)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, c)
			if len(tt.key) > 8 {
				assert.NotContains(t, err.Error(), tt.key[:8], "the key must not leak into errors")
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 31, 32, 33, 1 << 10, 64 << 10}
	type msg struct {
		name string
		data []byte
	}
	var msgs []msg
	for _, n := range sizes {
		msgs = append(msgs, msg{fmt.Sprintf("%dB", n), bytes.Repeat([]byte("<xml>a&b</xml>"), n/14+1)[:n]})
	}
	msgs = append(msgs,
		msg{"non-ASCII", []byte("<xml><Content><![CDATA[你好，企业微信！🎒 ¥1299.00]]></Content></xml>")},
		msg{"binary", []byte{0, 1, 2, 0xff, 0xfe, '<', ']', ']', '>'}},
	)
	for _, receiver := range []string{testReceiver, ""} {
		c, err := New(testToken, testKey, receiver)
		require.NoError(t, err)
		for _, m := range msgs {
			t.Run(fmt.Sprintf("%s/receiver=%q", m.name, receiver), func(t *testing.T) {
				reply, err := c.EncryptMessage(m.data, "1700000000", "nonce1")
				require.NoError(t, err)

				// The reply is well-formed XML with a valid signature.
				var env struct {
					Encrypt, MsgSignature, TimeStamp, Nonce string
				}
				require.NoError(t, xml.Unmarshal(reply, &env))
				assert.Equal(t, "1700000000", env.TimeStamp)
				assert.Equal(t, "nonce1", env.Nonce)
				assert.Equal(t, Signature(testToken, "1700000000", "nonce1", env.Encrypt), env.MsgSignature)

				// The ciphertext is padded to 32-byte blocks with a fresh random prefix.
				ct, err := base64.StdEncoding.DecodeString(env.Encrypt)
				require.NoError(t, err)
				assert.Zero(t, len(ct)%32)
				assert.Equal(t, 20+len(m.data)+len(receiver)+32-(20+len(m.data)+len(receiver))%32, len(ct))
				plainRef, err := refDecrypt(t, env.Encrypt, receiver)
				require.NoError(t, err)
				assert.Equal(t, m.data, plainRef)

				plain, err := c.DecryptMessage(env.MsgSignature, "1700000000", "nonce1", reply)
				require.NoError(t, err)
				assert.Equal(t, m.data, plain)
				assert.Equal(t, len(plain), cap(plain), "appending to the result must not touch our buffer")

				// JSON variant.
				jreply, err := c.EncryptJSON(m.data, "1700000000", "nonce1")
				require.NoError(t, err)
				var jenv struct{ Encrypt, MsgSignature, Timestamp, Nonce string }
				require.NoError(t, json.Unmarshal(jreply, &jenv))
				assert.Equal(t, "1700000000", jenv.Timestamp)
				plain, err = c.DecryptJSON(jenv.MsgSignature, jenv.Timestamp, jenv.Nonce, jreply)
				require.NoError(t, err)
				assert.Equal(t, m.data, plain)
			})
		}
	}
}

func TestEncryptFreshRandom(t *testing.T) {
	c := newTestCryptor(t)
	a, err := c.EncryptMessage([]byte("hi"), "1", "n")
	require.NoError(t, err)
	b, err := c.EncryptMessage([]byte("hi"), "1", "n")
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "crypto/rand must give every message its own prefix")
}

func TestEncryptMessageFields(t *testing.T) {
	clock := func() time.Time { return time.Unix(1700000123, 0) }
	c := newTestCryptor(t, WithRandom(repeatReader("0123456789abcdef")), WithClock(clock))

	reply, err := c.EncryptMessage([]byte("x"), "", "n")
	require.NoError(t, err)
	assert.Contains(t, string(reply), "<TimeStamp>1700000123</TimeStamp>", "empty timestamp means now")

	reply, err = c.EncryptJSON([]byte("x"), "1", `a"b\c`)
	require.NoError(t, err)
	var env map[string]string
	require.NoError(t, json.Unmarshal(reply, &env))
	assert.Equal(t, `a"b\c`, env["nonce"])
	assert.Equal(t, Signature(testToken, "1", `a"b\c`, env["encrypt"]), env["msgsignature"])
	assert.True(t, strings.HasPrefix(string(reply), `{"encrypt":"`), "member order as in the official sample")

	for _, bad := range []struct{ ts, nonce string }{
		{"12a", "n"}, {"-1", "n"}, {"1 ", "n"}, {"123456789012345678901", "n"},
		{"1", "a]]>b"}, {"1", "a\x00"}, {"1", "line\nbreak"}, {"1", "\xff"},
	} {
		_, err := c.EncryptMessage([]byte("x"), bad.ts, bad.nonce)
		assert.ErrorIs(t, err, ErrInvalidReplyField, "%q %q", bad.ts, bad.nonce)
		assert.Equal(t, CodeGenerateXML, Code(err))
		_, err = c.EncryptJSON([]byte("x"), bad.ts, bad.nonce)
		assert.ErrorIs(t, err, ErrInvalidReplyField)
	}
	_, err = c.EncryptMessage([]byte("x"), "1", "你好 nonce")
	assert.NoError(t, err)
}

func TestEncryptRandomFailure(t *testing.T) {
	boom := errors.New("boom")
	for name, r := range map[string]io.Reader{
		"error": iotest.ErrReader(boom),
		"short": strings.NewReader("short"),
	} {
		t.Run(name, func(t *testing.T) {
			c := newTestCryptor(t, WithRandom(r))
			_, err := c.EncryptMessage([]byte("x"), "1", "n")
			require.ErrorIs(t, err, ErrEncrypt)
			assert.Equal(t, CodeEncryptAES, Code(err))
		})
	}
	c := newTestCryptor(t, WithRandom(iotest.ErrReader(boom)))
	_, err := c.EncryptJSON([]byte("x"), "1", "n")
	assert.ErrorIs(t, err, boom, "the reader's error stays visible")
}

// TestDecryptMalformed drives every rejected-input class through DecryptMessage.
func TestDecryptMalformed(t *testing.T) {
	const ts, nonce = "1409304348", "xxxxxx"
	ok := layout(5, "hello", testReceiver)
	unequal := append([]byte(nil), ok...)
	unequal[len(unequal)-2] ^= 1 // one pad byte differs from the last
	pad0 := append([]byte(nil), ok...)
	pad0[len(pad0)-1] = 0
	pad33 := make([]byte, 64)
	for i := range pad33 {
		pad33[i] = 33
	}
	padTooLong := make([]byte, 16)
	for i := range padTooLong {
		padTooLong[i] = 32
	}
	short := append(bytes.Repeat([]byte{'r'}, 15), 1) // 15 bytes after unpadding < 20
	tests := []struct {
		name    string
		enc     string // Encrypt value; signed correctly unless sig is set
		sig     string
		wantErr error
		code    int
	}{
		{"ok", sealRaw(t, ok), "", nil, 0},
		{"bad base64", "!!!!" + sealRaw(t, ok), "", ErrInvalidBase64, -40010},
		{"base64 missing padding", strings.TrimRight(base64.StdEncoding.EncodeToString(make([]byte, 31)), "="), "", ErrInvalidBase64, -40010},
		{"length not a block multiple", base64.StdEncoding.EncodeToString(make([]byte, 31)), "", ErrCiphertextLength, -40007},
		{"too short for a block", base64.StdEncoding.EncodeToString(make([]byte, 15)), "", ErrCiphertextLength, -40007},
		{"pad value 0", sealRaw(t, pad0), "", ErrInvalidPadding, -40007},
		{"pad value 33", sealRaw(t, pad33), "", ErrInvalidPadding, -40007},
		{"unequal pad bytes", sealRaw(t, unequal), "", ErrInvalidPadding, -40007},
		{"pad longer than ciphertext", sealRaw(t, padTooLong), "", ErrInvalidPadding, -40007},
		{"shorter than header", sealRaw(t, short), "", ErrInvalidLength, -40008},
		{"length field too large", sealRaw(t, layout(5+uint32(len(testReceiver))+1, "hello", testReceiver)), "", ErrInvalidLength, -40008},
		{"length field huge", sealRaw(t, layout(0xffffffff, "hello", testReceiver)), "", ErrInvalidLength, -40008},
		{"receiver mismatch", sealRaw(t, layout(5, "hello", "wwother")), "", ErrReceiverMismatch, -40005},
		{"receiver missing", sealRaw(t, layout(5, "hello", "")), "", ErrReceiverMismatch, -40005},
		{"receiver prefix", sealRaw(t, layout(5, "hello", testReceiver[:5])), "", ErrReceiverMismatch, -40005},
		{"bad signature", sealRaw(t, ok), strings.Repeat("0", 40), ErrInvalidSignature, -40001},
		{"upper-case signature", sealRaw(t, ok), "UPPER", ErrInvalidSignature, -40001},
		{"empty signature", sealRaw(t, ok), "-", ErrInvalidSignature, -40001},
	}
	c := newTestCryptor(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := Signature(testToken, ts, nonce, tt.enc)
			switch tt.sig {
			case "":
			case "UPPER":
				sig = strings.ToUpper(sig)
			case "-":
				sig = ""
			default:
				sig = tt.sig
			}
			plain, err := c.DecryptMessage(sig, ts, nonce, envelope(tt.enc))
			assert.Equal(t, tt.code, Code(err))
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, "hello", string(plain))
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, plain)
			// The same ciphertext as an echostr and in a JSON envelope gives the same error.
			_, err = c.VerifyURL(sig, ts, nonce, tt.enc)
			assert.ErrorIs(t, err, tt.wantErr)
			_, err = c.DecryptJSON(sig, ts, nonce, []byte(`{"encrypt":"`+tt.enc+`"}`))
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestDecryptEnvelopeErrors(t *testing.T) {
	c := newTestCryptor(t)
	enc := sealRaw(t, layout(5, "hello", testReceiver))
	sig := Signature(testToken, "1", "n", enc)
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"BOM, whitespace and declaration", "\xef\xbb\xbf \r\n\t<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + string(envelope(enc)) + "\n", nil},
		{"plain text, other order", "<xml><Encrypt>" + enc + "</Encrypt><AgentID>1</AgentID><ToUserName>x</ToUserName></xml>", nil},
		{"missing Encrypt", "<xml><ToUserName><![CDATA[x]]></ToUserName></xml>", ErrMissingEncrypt},
		{"empty Encrypt", "<xml><Encrypt></Encrypt></xml>", ErrMissingEncrypt},
		{"truncated", string(envelope(enc)[:60]), ErrInvalidEnvelope},
		{"not XML", "encrypt=" + enc, ErrInvalidEnvelope},
		{"empty body", "", ErrInvalidEnvelope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, err := c.DecryptMessage(sig, "1", "n", []byte(tt.body))
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, "hello", string(plain))
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.ErrorIs(t, err, ErrInvalidEnvelope, "every envelope error is a parse error")
			assert.Equal(t, CodeParseEnvelope, Code(err))
		})
	}
}

func TestDecryptJSONEnvelope(t *testing.T) {
	c := newTestCryptor(t)
	enc := sealRaw(t, layout(5, "hello", testReceiver))
	sig := Signature(testToken, "1", "n", enc)
	escaped := strings.ReplaceAll(strings.ReplaceAll(enc, "/", `\/`), "+", `\u002b`)
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"AI bot", `{"encrypt":"` + enc + `"}`, nil},
		{"callback_json sample", "\xef\xbb\xbf" + `{"tousername":"ww","encrypt":"` + escaped + `","agentid":"1000002"}`, nil},
		{"missing", `{"tousername":"ww"}`, ErrMissingEncrypt},
		{"empty", `{"encrypt":""}`, ErrMissingEncrypt},
		{"wrong type", `{"encrypt":1}`, ErrInvalidEnvelope},
		{"truncated", `{"encrypt":"` + enc, ErrInvalidEnvelope},
		{"XML", string(envelope(enc)), ErrInvalidEnvelope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, err := c.DecryptJSON(sig, "1", "n", []byte(tt.body))
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, "hello", string(plain))
				return
			}
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestTimestampSkew(t *testing.T) {
	v := loadVectors(t).C
	now := time.Unix(1409304348, 0)
	body := envelope(v.Encrypt)
	tests := []struct {
		name      string
		skew      time.Duration
		now       time.Time
		timestamp string
		wantErr   error
	}{
		{"off by default", 0, now.Add(1000 * time.Hour), v.Timestamp, nil},
		{"inside", 5 * time.Minute, now.Add(5 * time.Minute), v.Timestamp, nil},
		{"inside, clock behind", 5 * time.Minute, now.Add(-5 * time.Minute), v.Timestamp, nil},
		{"too old", 5 * time.Minute, now.Add(5*time.Minute + time.Second), v.Timestamp, ErrTimestampSkew},
		{"from the future", 5 * time.Minute, now.Add(-5*time.Minute - time.Second), v.Timestamp, ErrTimestampSkew},
		{"not a number", 5 * time.Minute, now, "14093043a8", ErrTimestampSkew},
		{"empty", 5 * time.Minute, now, "", ErrTimestampSkew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(v.Token, v.EncodingAESKey, v.ReceiverID,
				WithMaxSkew(tt.skew), WithClock(func() time.Time { return tt.now }))
			require.NoError(t, err)
			sig := Signature(v.Token, tt.timestamp, v.Nonce, v.Encrypt)
			_, err = c.DecryptMessage(sig, tt.timestamp, v.Nonce, body)
			assert.ErrorIs(t, err, tt.wantErr)
			_, err = c.VerifyURL(sig, tt.timestamp, v.Nonce, v.Encrypt)
			assert.ErrorIs(t, err, tt.wantErr)
			if tt.wantErr != nil {
				assert.NotErrorIs(t, err, ErrInvalidSignature)
				assert.Equal(t, CodeInvalidSignature, Code(err))
			}
		})
	}
	// A forged signature is reported as such even when the timestamp is also stale.
	c, err := New(v.Token, v.EncodingAESKey, v.ReceiverID, WithMaxSkew(time.Second))
	require.NoError(t, err)
	_, err = c.DecryptMessage(v.MsgSignature, v.Timestamp, "other", body)
	assert.ErrorIs(t, err, ErrInvalidSignature)
}

func TestVerifyURL(t *testing.T) {
	c := newTestCryptor(t, WithRandom(repeatReader("0123456789abcdef")))
	reply, err := c.EncryptMessage([]byte("8472936482938472"), "1", "n")
	require.NoError(t, err)
	var env struct{ Encrypt string }
	require.NoError(t, xml.Unmarshal(reply, &env))

	sig := Signature(testToken, "1409659813", "1372623149", env.Encrypt)
	echo, err := c.VerifyURL(sig, "1409659813", "1372623149", env.Encrypt)
	require.NoError(t, err)
	assert.Equal(t, "8472936482938472", string(echo))

	// The signature covers the echostr: a space where '+' was (a query decoded with a raw '+')
	// or a different echostr fails.
	_, err = c.VerifyURL(sig, "1409659813", "1372623149", env.Encrypt[:10]+"x"+env.Encrypt[11:])
	assert.ErrorIs(t, err, ErrInvalidSignature)
	_, err = c.VerifyURL(sig, "1409659814", "1372623149", env.Encrypt)
	assert.ErrorIs(t, err, ErrInvalidSignature)
}

func TestSignature(t *testing.T) {
	// Sorted byte-wise, concatenated without separators.
	assert.Equal(t, Signature("c", "a", "b"), Signature("a", "b", "c"))
	assert.Equal(t, Signature("b", "c", "a", "d"), Signature("d", "c", "b", "a"))
	// Many parts take the allocating path and sort the same way.
	parts := []string{"j", "i", "h", "g", "f", "e", "d", "c", "b", "a"}
	assert.Equal(t, Signature("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), Signature(parts[0], parts[1], parts[2], parts[3:]...))
	assert.Equal(t, "a9993e364706816aba3e25717850c26c9cd0d89d", Signature("", "", "abc"), "sha1(\"abc\")")
	// The 4-part form agrees with the Cryptor's internal signer for strings and bytes.
	for _, enc := range []string{"", "0", "a", "zzz", "1409304348", "pamtest", "xxxxxx", "\xff"} {
		want := Signature("pamtest", "1409304348", "xxxxxx", enc)
		s := signEncrypt("pamtest", "1409304348", "xxxxxx", enc)
		b := signEncrypt("pamtest", "1409304348", "xxxxxx", []byte(enc))
		assert.Equal(t, want, string(s[:]), enc)
		assert.Equal(t, want, string(b[:]), enc)
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{ErrInvalidSignature, -40001},
		{ErrTimestampSkew, -40001},
		{ErrInvalidEnvelope, -40002},
		{ErrMissingEncrypt, -40002},
		{ErrInvalidKey, -40004},
		{ErrReceiverMismatch, -40005},
		{ErrEncrypt, -40006},
		{ErrCiphertextLength, -40007},
		{ErrInvalidPadding, -40007},
		{ErrInvalidLength, -40008},
		{ErrInvalidBase64, -40010},
		{ErrInvalidReplyField, -40011},
		{ErrInvalidOption, -1},
		{fmt.Errorf("callback: %w", ErrReceiverMismatch), -40005},
		{io.EOF, -1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Code(tt.err), "%v", tt.err)
	}
	var e *Error
	require.ErrorAs(t, fmt.Errorf("x: %w", ErrInvalidPadding), &e)
	assert.Equal(t, -40007, e.Code())
	assert.ErrorIs(t, ErrMissingEncrypt, ErrInvalidEnvelope)
	assert.NotErrorIs(t, ErrInvalidEnvelope, ErrMissingEncrypt)
	assert.NotErrorIs(t, ErrInvalidPadding, ErrCiphertextLength)
}

func TestConcurrentUse(t *testing.T) {
	c := newTestCryptor(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				msg := fmt.Appendf(nil, "<xml>%d-%d</xml>", g, i)
				ts, nonce := fmt.Sprint(1700000000+i), fmt.Sprint(g)
				reply, err := c.EncryptMessage(msg, ts, nonce)
				if err != nil {
					errs <- err
					return
				}
				var env struct{ Encrypt, MsgSignature string }
				if err := xml.Unmarshal(reply, &env); err != nil {
					errs <- err
					return
				}
				plain, err := c.DecryptMessage(env.MsgSignature, ts, nonce, reply)
				if err == nil && !bytes.Equal(plain, msg) {
					err = fmt.Errorf("got %q, want %q", plain, msg)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestAllocations guards the allocation budget of the hot paths (at most 4 per call).
func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	c := newTestCryptor(t)
	msg := bytes.Repeat([]byte("<xml>0123456789</xml>"), 50)
	reply, err := c.EncryptMessage(msg, "1700000000", "123456")
	require.NoError(t, err)
	var env struct{ MsgSignature string }
	require.NoError(t, xml.Unmarshal(reply, &env))

	dec := testing.AllocsPerRun(100, func() {
		if _, err := c.DecryptMessage(env.MsgSignature, "1700000000", "123456", reply); err != nil {
			t.Fatal(err)
		}
	})
	enc := testing.AllocsPerRun(100, func() {
		if _, err := c.EncryptMessage(msg, "1700000000", "123456"); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, dec, 4.0, "DecryptMessage allocations")
	assert.LessOrEqual(t, enc, 4.0, "EncryptMessage allocations")
	t.Logf("allocs/op: DecryptMessage %.0f, EncryptMessage %.0f", dec, enc)
}
