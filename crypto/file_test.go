package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encryptFileRef encrypts raw (block-aligned) with the test key independently of the package.
func encryptFileRef(t testing.TB, raw []byte) []byte {
	t.Helper()
	key := testAESKey(t)
	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	out := make([]byte, len(raw))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, raw)
	return out
}

// refFileOpen is the oracle for DecryptFile: decrypt with the standard library, then check the
// PKCS#7 padding (1–32, all bytes equal) in the most obvious way.
func refFileOpen(t testing.TB, ct []byte) ([]byte, error) {
	t.Helper()
	if len(ct) == 0 || len(ct)%16 != 0 {
		return nil, ErrCiphertextLength
	}
	key := testAESKey(t)
	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	raw := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(raw, ct)
	pad := int(raw[len(raw)-1])
	if pad == 0 || pad > 32 || pad > len(raw) {
		return nil, ErrInvalidPadding
	}
	for _, b := range raw[len(raw)-pad:] {
		if int(b) != pad {
			return nil, ErrInvalidPadding
		}
	}
	return raw[:len(raw)-pad], nil
}

func TestDecryptFile(t *testing.T) {
	c := newTestCryptor(t)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 100)...)
	padded := func(b []byte, pad int, fill byte) []byte {
		return append(bytes.Clone(b), bytes.Repeat([]byte{fill}, pad)...)
	}
	tests := []struct {
		name    string
		in      []byte
		want    []byte
		wantErr error
	}{
		{"image padded to 32", encryptFileRef(t, padded(png, 32-len(png)%32, byte(32-len(png)%32))), png, nil},
		{"full block of padding", encryptFileRef(t, padded(make([]byte, 32), 32, 32)), make([]byte, 32), nil},
		{"padded to 16 only", encryptFileRef(t, padded([]byte("0123456789"), 6, 6)), []byte("0123456789"), nil},
		{"empty", nil, nil, ErrCiphertextLength},
		{"not block aligned", []byte("abc"), nil, ErrCiphertextLength},
		{"pad byte zero", encryptFileRef(t, make([]byte, 32)), nil, ErrInvalidPadding},
		{"pad byte 33", encryptFileRef(t, padded(nil, 48, 33)), nil, ErrInvalidPadding},
		{"pad longer than data", encryptFileRef(t, padded(nil, 16, 32)), nil, ErrInvalidPadding},
		{"inconsistent padding", encryptFileRef(t, append([]byte("0123456789ab"), 9, 4, 4, 4)), nil, ErrInvalidPadding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := bytes.Clone(tt.in)
			got, err := c.DecryptFile(tt.in)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, got)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
			assert.Equal(t, orig, tt.in, "input modified")
		})
	}
}

func TestEncryptFileRoundTrip(t *testing.T) {
	c := newTestCryptor(t)
	for _, n := range []int{0, 1, 31, 32, 33, 1000} {
		plain := bytes.Repeat([]byte{byte(n)}, n)
		ct := c.EncryptFile(plain)
		assert.Zero(t, len(ct)%32, "n=%d", n)
		assert.Greater(t, len(ct), n)
		got, err := c.DecryptFile(ct)
		require.NoError(t, err, "n=%d", n)
		assert.Equal(t, plain, got)
		ref, err := refFileOpen(t, ct)
		require.NoError(t, err)
		assert.Equal(t, plain, ref)
	}
	// The token and the receiver id play no part: any Cryptor with the same key decrypts.
	other, err := New("another-token", testKey, "")
	require.NoError(t, err)
	got, err := other.DecryptFile(c.EncryptFile([]byte("hello")))
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
}

// FuzzDecryptFile checks DecryptFile against the oracle refFileOpen on arbitrary ciphertexts,
// and on arbitrary plaintext buffers encrypted with the test key (which reach the padding
// check), and that EncryptFile round-trips any plaintext.
//
//	go test -run x -fuzz FuzzDecryptFile -fuzztime 2m ./crypto/
func FuzzDecryptFile(f *testing.F) {
	c := newTestCryptor(f)
	f.Fuzz(func(t *testing.T, data, raw []byte) {
		orig := bytes.Clone(data)
		got, err := c.DecryptFile(data)
		want, wantErr := refFileOpen(t, data)
		checkAgainstOracle(t, got, err, want, wantErr)
		if !bytes.Equal(data, orig) {
			t.Fatal("DecryptFile modified its input")
		}

		if len(raw) >= 16 {
			block := raw[:len(raw)/16*16]
			ct := encryptFileRef(t, block)
			got, err := c.DecryptFile(ct)
			want, wantErr := refFileOpen(t, ct)
			checkAgainstOracle(t, got, err, want, wantErr)
		}

		back, err := c.DecryptFile(c.EncryptFile(raw))
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("round trip of %d bytes: %v", len(raw), err)
		}
	})
}

// FuzzDecryptJSON feeds arbitrary JSON envelopes (the AI bot's {"encrypt": ...}) through
// DecryptJSON: a forged signature is always refused, and a correctly signed one decrypts
// exactly as refDecrypt, the test's direct implementation of the algorithm, does.
//
//	go test -run x -fuzz FuzzDecryptJSON -fuzztime 2m ./crypto/
func FuzzDecryptJSON(f *testing.F) {
	c := newTestCryptor(f)
	f.Fuzz(func(t *testing.T, body []byte, timestamp, nonce string) {
		orig := bytes.Clone(body)
		_, err := c.DecryptJSON(strings.Repeat("0", 40), timestamp, nonce, body)
		if err == nil {
			t.Fatal("accepted a forged signature")
		}
		requirePackageError(t, err)
		enc, xerr := extractJSON(body)
		if xerr != nil {
			if !errors.Is(err, ErrInvalidEnvelope) {
				t.Fatalf("DecryptJSON returned %v for an envelope the parser rejects (%v)", err, xerr)
			}
		} else {
			sig := Signature(testToken, timestamp, nonce, enc)
			plain, err := c.DecryptJSON(sig, timestamp, nonce, body)
			want, wantErr := refDecrypt(t, enc, testReceiver)
			checkAgainstOracle(t, plain, err, want, wantErr)
		}
		if !bytes.Equal(body, orig) {
			t.Fatal("DecryptJSON modified its input")
		}
	})
}
