package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"sort"
	"strings"
	"testing"
)

// Each hot-path benchmark has a floor benchmark next to it that does only the unavoidable work
// on the same sizes: base64 + AES-256-CBC + one SHA-1 of the signature string, into buffers
// allocated once. Compare DecryptMessage/N with DecryptFloor/N and EncryptMessage/N with
// EncryptFloor/N (go test -run x -bench . -count 10 ./crypto/).

var benchSizes = []struct {
	name string
	n    int
}{{"1KiB", 1 << 10}, {"16KiB", 16 << 10}}

const benchTS, benchNonce = "1700000000", "1320562132"

// benchMessage returns an n-byte message that looks like a WeCom XML callback.
func benchMessage(n int) []byte {
	const item = "<Item><Title><![CDATA[托特包 · tote bag]]></Title><Price>1299</Price></Item>"
	s := "<xml><ToUserName><![CDATA[ww0123456789]]></ToUserName><MsgType><![CDATA[text]]></MsgType>" +
		strings.Repeat(item, n/len(item)+1)
	return []byte(s[:n])
}

type benchCase struct {
	c       *Cryptor
	msg     []byte
	body    []byte // the POSTed envelope
	sig     string
	enc     string
	sigText []byte // sorted, concatenated signature input
}

func newBenchCase(b *testing.B, n int) benchCase {
	c := newTestCryptor(b)
	msg := benchMessage(n)
	reply, err := c.EncryptMessage(msg, benchTS, benchNonce)
	if err != nil {
		b.Fatal(err)
	}
	var env struct{ Encrypt, MsgSignature string }
	if err := xml.Unmarshal(reply, &env); err != nil {
		b.Fatal(err)
	}
	body := []byte("<xml><ToUserName><![CDATA[" + testReceiver + "]]></ToUserName><Encrypt><![CDATA[" +
		env.Encrypt + "]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>")
	parts := []string{testToken, benchTS, benchNonce, env.Encrypt}
	sort.Strings(parts)
	return benchCase{c: c, msg: msg, body: body, sig: env.MsgSignature, enc: env.Encrypt,
		sigText: []byte(strings.Join(parts, ""))}
}

func BenchmarkDecryptMessage(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			bc := newBenchCase(b, s.n)
			b.SetBytes(int64(s.n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.c.DecryptMessage(bc.sig, benchTS, benchNonce, bc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecryptFloor(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			bc := newBenchCase(b, s.n)
			key := testAESKey(b)
			block, err := aes.NewCipher(key)
			if err != nil {
				b.Fatal(err)
			}
			enc := []byte(bc.enc)
			buf := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
			b.SetBytes(int64(s.n))
			b.ReportAllocs()
			for b.Loop() {
				_ = sha1.Sum(bc.sigText)
				n, err := base64.StdEncoding.Decode(buf, enc)
				if err != nil {
					b.Fatal(err)
				}
				cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(buf[:n], buf[:n])
			}
		})
	}
}

func BenchmarkEncryptMessage(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			bc := newBenchCase(b, s.n)
			b.SetBytes(int64(s.n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.c.EncryptMessage(bc.msg, benchTS, benchNonce); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncryptFloor(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			bc := newBenchCase(b, s.n)
			key := testAESKey(b)
			block, err := aes.NewCipher(key)
			if err != nil {
				b.Fatal(err)
			}
			plain := layout(uint32(len(bc.msg)), string(bc.msg), testReceiver)
			// The signature text with the base64 written in place, as sha1 input.
			prefix := len(testToken) + len(benchTS) + len(benchNonce)
			sigText := make([]byte, prefix+base64.StdEncoding.EncodedLen(len(plain)))
			copy(sigText, testToken+benchTS+benchNonce)
			b.SetBytes(int64(s.n))
			b.ReportAllocs()
			for b.Loop() {
				cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(plain, plain)
				base64.StdEncoding.Encode(sigText[prefix:], plain)
				_ = sha1.Sum(sigText)
			}
		})
	}
}

// BenchmarkVerifyPlain measures the 3-part 公众号 signature and its constant-time check.
func BenchmarkVerifyPlain(b *testing.B) {
	sig := Signature("AAAAA", "1714037059", "486452656")
	b.ReportAllocs()
	for b.Loop() {
		if !VerifyPlain("AAAAA", sig, "1714037059", "486452656") {
			b.Fatal("mismatch")
		}
	}
}
