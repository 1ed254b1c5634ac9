package crypto

import (
	"crypto/aes"
	"crypto/cipher"
)

// DecryptFile decrypts a file encrypted with the EncodingAESKey, such as an image or file
// downloaded from the URL in a WeCom AI bot (智能机器人) message: AES-256-CBC with IV = the
// key's first 16 bytes and PKCS#7 padding (to a multiple of 32 bytes), no base64, no signature
// and no framing. It returns the file in a new slice; ciphertext is never modified.
//
// The padding is checked exactly as for callbacks: [ErrCiphertextLength] when the input is empty
// or not a multiple of 16 bytes, [ErrInvalidPadding] when the last byte is not 1–32 or the
// padding bytes disagree. A wrong key usually fails the padding check, but not always: check
// that the result is what you expect (for an image, its magic bytes) before using it.
//
// Only the key matters: the Cryptor's token and receiver id are not used, so the bot's Cryptor
// (receiverID "") serves its callbacks and its files alike.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/100719
func (c *Cryptor) DecryptFile(ciphertext []byte) ([]byte, error) {
	n := len(ciphertext)
	if n == 0 || n%aes.BlockSize != 0 {
		return nil, ErrCiphertextLength
	}
	buf := make([]byte, n)
	copy(buf, ciphertext)
	c.cryptBlocks(&c.decrypters, cipher.NewCBCDecrypter, buf)
	return unpad(buf)
}

// EncryptFile is the inverse of [Cryptor.DecryptFile]: it pads plaintext with PKCS#7 to a
// multiple of 32 bytes and encrypts it with AES-256-CBC (IV = key[:16]). Fake servers and tests
// use it to serve files the way WeCom does.
func (c *Cryptor) EncryptFile(plaintext []byte) []byte {
	pad := padBlock - len(plaintext)%padBlock
	out := make([]byte, len(plaintext)+pad)
	copy(out, plaintext)
	for i := len(plaintext); i < len(out); i++ {
		out[i] = byte(pad)
	}
	c.cryptBlocks(&c.encrypters, cipher.NewCBCEncrypter, out)
	return out
}
