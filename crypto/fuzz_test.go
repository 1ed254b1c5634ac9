package crypto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Seed corpora live in testdata/fuzz/<Name>/. Run with
//
//	go test -run x -fuzz FuzzDecryptMessage -fuzztime 2m ./crypto/
//	go test -run x -fuzz FuzzVerifyURL -fuzztime 2m ./crypto/
//	go test -run x -fuzz FuzzDecryptJSON -fuzztime 2m ./crypto/
//	go test -run x -fuzz FuzzDecryptFile -fuzztime 2m ./crypto/

// FuzzDecryptMessage feeds arbitrary envelopes and arbitrary decrypted buffers through
// DecryptMessage. body exercises the XML scanner (differentially against encoding/xml) and,
// signed correctly, the base64 and AES checks; raw, encrypted with the test key, exercises the
// padding, length and receiver checks against the independent oracle refOpen.
func FuzzDecryptMessage(f *testing.F) {
	c := newTestCryptor(f)
	f.Fuzz(func(t *testing.T, body, raw []byte, timestamp, nonce string) {
		orig := bytes.Clone(body)

		// Any body with a wrong signature: an error from this package, never a panic.
		_, err := c.DecryptMessage(strings.Repeat("0", 40), timestamp, nonce, body)
		if err == nil {
			t.Fatal("accepted a forged signature")
		}
		requirePackageError(t, err)

		enc, xerr := extractXML(body)
		if xerr != nil {
			if !errors.Is(xerr, ErrInvalidEnvelope) {
				t.Fatalf("scanner error %v is not a parse error", xerr)
			}
			if !errors.Is(err, ErrInvalidEnvelope) {
				t.Fatalf("DecryptMessage returned %v for an envelope the scanner rejects (%v)", err, xerr)
			}
		} else {
			if len(enc) == 0 {
				t.Fatal("scanner returned an empty Encrypt without error")
			}
			// Agree with encoding/xml whenever both accept the document. encoding/xml also
			// matches namespaced names (x:Encrypt) and turns a &#13; reference into \n (a
			// literal \r never survives in ours, so mapping \r to \n compares the rest).
			if std, err := stdXMLEncrypt(body); err == nil && !bytes.Contains(body, []byte(":")) &&
				std != strings.ReplaceAll(string(enc), "\r", "\n") {
				t.Fatalf("scanner read %q, encoding/xml %q", enc, std)
			}
			// Correctly signed: the result must match refDecrypt, the test's direct decryption.
			sig := Signature(testToken, timestamp, nonce, string(enc))
			plain, err := c.DecryptMessage(sig, timestamp, nonce, body)
			want, wantErr := refDecrypt(t, string(enc), testReceiver)
			checkAgainstOracle(t, plain, err, want, wantErr)
		}
		if !bytes.Equal(body, orig) {
			t.Fatal("DecryptMessage modified its input")
		}

		// raw as the decrypted buffer.
		if len(raw) >= 16 {
			raw = raw[:len(raw)/16*16]
			enc := sealRaw(t, raw)
			sig := Signature(testToken, timestamp, nonce, enc)
			plain, err := c.DecryptMessage(sig, timestamp, nonce, envelope(enc))
			want, wantErr := refOpen(raw, testReceiver)
			checkAgainstOracle(t, plain, err, want, wantErr)
		}
	})
}

// FuzzVerifyURL does the same for the echostr of a URL verification.
func FuzzVerifyURL(f *testing.F) {
	c := newTestCryptor(f)
	f.Fuzz(func(t *testing.T, echo string, raw []byte, timestamp, nonce string) {
		if _, err := c.VerifyURL(strings.Repeat("0", 40), timestamp, nonce, echo); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("forged signature: got %v", err)
		}
		sig := Signature(testToken, timestamp, nonce, echo)
		plain, err := c.VerifyURL(sig, timestamp, nonce, echo)
		want, wantErr := refDecrypt(t, echo, testReceiver)
		checkAgainstOracle(t, plain, err, want, wantErr)

		if len(raw) >= 16 {
			raw = raw[:len(raw)/16*16]
			echo := sealRaw(t, raw)
			sig := Signature(testToken, timestamp, nonce, echo)
			plain, err := c.VerifyURL(sig, timestamp, nonce, echo)
			want, wantErr := refOpen(raw, testReceiver)
			checkAgainstOracle(t, plain, err, want, wantErr)
		}
	})
}

func checkAgainstOracle(t *testing.T, got []byte, err error, want []byte, wantErr error) {
	t.Helper()
	requirePackageError(t, err)
	switch {
	case wantErr != nil && !errors.Is(err, wantErr):
		t.Fatalf("got error %v, oracle says %v", err, wantErr)
	case wantErr == nil && err != nil:
		t.Fatalf("got error %v, oracle accepts %q", err, want)
	case wantErr == nil && !bytes.Equal(got, want):
		t.Fatalf("got %q, oracle %q", got, want)
	}
}
