package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Test configuration: vector C's key (its last character has non-zero trailing bits).
const (
	testToken    = "pamtest"
	testKey      = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	testReceiver = "wwcorp0123456789"
)

func newTestCryptor(t testing.TB, opts ...Option) *Cryptor {
	t.Helper()
	c, err := New(testToken, testKey, testReceiver, opts...)
	require.NoError(t, err)
	return c
}

// testAESKey decodes testKey independently of New.
func testAESKey(t testing.TB) []byte {
	t.Helper()
	key, err := base64.RawStdEncoding.DecodeString(testKey)
	require.NoError(t, err)
	require.Len(t, key, 32)
	return key
}

// sealRaw encrypts an arbitrary block-aligned "decrypted buffer" with the test key and returns
// it base64-encoded, so that tests reach the checks that run after decryption.
func sealRaw(t testing.TB, raw []byte) string {
	t.Helper()
	require.Zero(t, len(raw)%aes.BlockSize)
	key := testAESKey(t)
	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	out := make([]byte, len(raw))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, raw)
	return base64.StdEncoding.EncodeToString(out)
}

// layout builds random(16) || msgLen || msg || receiver with PKCS#7 padding to 32 bytes.
func layout(msgLen uint32, msg, receiver string) []byte {
	b := make([]byte, 16, 64)
	copy(b, "0123456789abcdef")
	b = binary.BigEndian.AppendUint32(b, msgLen)
	b = append(b, msg...)
	b = append(b, receiver...)
	pad := 32 - len(b)%32
	for range pad {
		b = append(b, byte(pad))
	}
	return b
}

// envelope wraps an Encrypt value the way WeCom POSTs it.
func envelope(enc string) []byte {
	return []byte("<xml><ToUserName><![CDATA[" + testReceiver + "]]></ToUserName>" +
		"<Encrypt><![CDATA[" + enc + "]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>")
}

// refOpen is an independent, straightforward implementation of the decryption checks, used as
// the oracle in fuzz tests. It returns the sentinel the package should return.
func refOpen(raw []byte, receiver string) ([]byte, error) {
	n := len(raw)
	if n == 0 || n%16 != 0 {
		return nil, ErrCiphertextLength
	}
	pad := int(raw[n-1])
	if pad == 0 || pad > 32 || pad > n {
		return nil, ErrInvalidPadding
	}
	for i := n - pad; i < n; i++ {
		if int(raw[i]) != pad {
			return nil, ErrInvalidPadding
		}
	}
	content := raw[:n-pad]
	if len(content) < 20 {
		return nil, ErrInvalidLength
	}
	msgLen := int64(binary.BigEndian.Uint32(content[16:20]))
	if 20+msgLen > int64(len(content)) {
		return nil, ErrInvalidLength
	}
	if receiver != "" && string(content[20+msgLen:]) != receiver {
		return nil, ErrReceiverMismatch
	}
	return content[20 : 20+msgLen], nil
}

// refDecrypt base64-decodes and decrypts enc with the test key, then applies refOpen.
func refDecrypt(t testing.TB, enc, receiver string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, ErrInvalidBase64
	}
	if len(ct) == 0 || len(ct)%16 != 0 {
		return nil, ErrCiphertextLength
	}
	key := testAESKey(t)
	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(ct, ct)
	return refOpen(ct, receiver)
}

// stdXMLEncrypt extracts Encrypt with encoding/xml, the way Tencent's Go sample does.
func stdXMLEncrypt(body []byte) (string, error) {
	var env struct {
		XMLName xml.Name
		Encrypt string `xml:"Encrypt"`
	}
	err := xml.Unmarshal(body, &env)
	return env.Encrypt, err
}

// requirePackageError fails unless err is nil or one of this package's sentinels.
func requirePackageError(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	require.True(t, errors.As(err, &e), "foreign error %v", err)
	require.NotEqual(t, CodeOther, Code(err))
	require.True(t, strings.HasPrefix(err.Error(), "wxcrypto: "), err.Error())
}
