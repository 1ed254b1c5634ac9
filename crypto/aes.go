package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"
)

// Plaintext layout before encryption (加解密方案):
//
//	random(16) || msg_len(4, big-endian) || msg || ReceiveId || PKCS#7 padding to a multiple of 32
const (
	randomLen = 16
	headerLen = randomLen + 4
	padBlock  = 32 // WeCom pads with PKCS#7 to 32-byte blocks, not to the AES block size
)

// open base64-decodes enc into one new buffer, decrypts it in place (AES-256-CBC, IV = key[:16]),
// checks the padding, the length field and the ReceiveId, and returns the message as a
// capacity-limited subslice of that buffer.
func open[T text](c *Cryptor, enc T) ([]byte, error) {
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
	n, err := base64.StdEncoding.Decode(buf, []byte(enc))
	if err != nil {
		return nil, ErrInvalidBase64
	}
	if n == 0 || n%aes.BlockSize != 0 {
		return nil, ErrCiphertextLength
	}
	buf = buf[:n]
	c.cryptBlocks(&c.decrypters, cipher.NewCBCDecrypter, buf)

	buf, err = unpad(buf)
	if err != nil {
		return nil, err
	}
	if len(buf) < headerLen {
		return nil, ErrInvalidLength
	}
	msgLen := binary.BigEndian.Uint32(buf[randomLen:headerLen])
	rest := buf[headerLen:]
	if uint64(msgLen) > uint64(len(rest)) {
		return nil, ErrInvalidLength
	}
	if c.receiverID != "" && string(rest[msgLen:]) != c.receiverID {
		return nil, ErrReceiverMismatch
	}
	return rest[:msgLen:msgLen], nil
}

// unpad checks and removes the PKCS#7 padding (block size 32) of a decrypted, non-empty buf.
func unpad(buf []byte) ([]byte, error) {
	n := len(buf)
	pad := int(buf[n-1])
	if pad < 1 || pad > padBlock || pad > n {
		return nil, ErrInvalidPadding
	}
	for _, b := range buf[n-pad : n-1] {
		if int(b) != pad {
			return nil, ErrInvalidPadding
		}
	}
	return buf[: n-pad : n-pad], nil
}

// sealedLen returns the length of the padded plaintext (= ciphertext) for a message of n bytes.
func (c *Cryptor) sealedLen(n int) int {
	l := headerLen + n + len(c.receiverID)
	return l + padBlock - l%padBlock
}

// seal lays out msg, pads it and encrypts it in place into dst, which must be c.sealedLen(len(msg))
// bytes long.
func (c *Cryptor) seal(dst, msg []byte) error {
	if uint64(len(msg)) > math.MaxUint32 {
		return fmt.Errorf("%w: message longer than 4 GiB", ErrEncrypt)
	}
	if c.random == nil {
		rand.Read(dst[:randomLen]) // never fails since Go 1.24 (it crashes the program instead)
	} else if _, err := io.ReadFull(c.random, dst[:randomLen]); err != nil {
		return fmt.Errorf("%w: random source: %w", ErrEncrypt, err)
	}
	binary.BigEndian.PutUint32(dst[randomLen:headerLen], uint32(len(msg)))
	n := headerLen + copy(dst[headerLen:], msg)
	n += copy(dst[n:], c.receiverID)
	pad := byte(len(dst) - n)
	for i := n; i < len(dst); i++ {
		dst[i] = pad
	}
	c.cryptBlocks(&c.encrypters, cipher.NewCBCEncrypter, dst)
	return nil
}

// ivSetter is implemented by the standard library's CBC modes, which lets a BlockMode be
// reused instead of copying the AES key schedule into a new one on every call.
type ivSetter interface{ SetIV([]byte) }

// cryptBlocks encrypts or decrypts buf in place with AES-256-CBC and IV = key[:16], reusing a
// BlockMode from pool (c.encrypters or c.decrypters) or creating one with newMode
// (cipher.NewCBCEncrypter or cipher.NewCBCDecrypter).
func (c *Cryptor) cryptBlocks(pool *sync.Pool, newMode func(cipher.Block, []byte) cipher.BlockMode, buf []byte) {
	m, ok := pool.Get().(cipher.BlockMode)
	if ok {
		m.(ivSetter).SetIV(c.iv[:])
	} else {
		m = newMode(c.block, c.iv[:])
	}
	m.CryptBlocks(buf, buf)
	if _, ok := m.(ivSetter); ok {
		pool.Put(m)
	}
}

// sealPool recycles the scratch buffers EncryptMessage encrypts into before base64-encoding.
// They only ever hold ciphertext when returned to the pool.
var sealPool sync.Pool // of *[]byte

const maxPooledSeal = 64 << 10

func getSealBuffer(n int) *[]byte {
	if p, ok := sealPool.Get().(*[]byte); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n)
	return &b
}

func putSealBuffer(p *[]byte) {
	if cap(*p) <= maxPooledSeal {
		sealPool.Put(p)
	}
}
