package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// Cryptor verifies, decrypts and encrypts callback messages for one (token, EncodingAESKey,
// ReceiveId) configuration (WXBizMsgCrypt). It is immutable and safe for concurrent use,
// provided the reader given to [WithRandom] is.
type Cryptor struct {
	token      string
	receiverID string
	block      cipher.Block // AES-256 with the decoded key, created once
	iv         [aes.BlockSize]byte
	random     io.Reader // nil: crypto/rand
	clock      func() time.Time
	maxSkew    time.Duration // 0: timestamps are not checked

	encrypters, decrypters sync.Pool // reusable CBC BlockModes for this key
}

// Option configures a [Cryptor] in [New]. An invalid option makes New fail with
// [ErrInvalidOption].
type Option func(*Cryptor) error

// WithRandom sets the source of the 16 random bytes that prefix every encrypted message.
// The default is crypto/rand. Use a fixed reader only in tests, to get reproducible output.
// r must be safe for concurrent use if the Cryptor is used concurrently.
func WithRandom(r io.Reader) Option {
	return func(c *Cryptor) error {
		if r == nil {
			return fmt.Errorf("%w: WithRandom: nil reader", ErrInvalidOption)
		}
		c.random = r
		return nil
	}
}

// WithClock sets the clock used by [WithMaxSkew] and for an empty reply timestamp.
// The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *Cryptor) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock: nil clock", ErrInvalidOption)
		}
		c.clock = now
		return nil
	}
}

// WithMaxSkew turns on replay protection: a callback whose timestamp (Unix seconds) is further
// than d from the clock's current time is rejected with [ErrTimestampSkew]. WeCom makes up to
// three attempts with a 5-second timeout each, and clocks drift: d should be a few minutes.
// Zero, the default, disables the check.
func WithMaxSkew(d time.Duration) Option {
	return func(c *Cryptor) error {
		if d < 0 {
			return fmt.Errorf("%w: WithMaxSkew: negative duration", ErrInvalidOption)
		}
		c.maxSkew = d
		return nil
	}
}

// New returns a Cryptor for the callback configuration of a WeCom app (企业微信接收消息服务器配置)
// or a 公众号 in safe mode.
//
// token and encodingAESKey are the values set in the admin console; encodingAESKey must be
// 43 base64 characters ([ErrInvalidKey] otherwise; the key never appears in an error).
// receiverID is the ReceiveId checked in every decrypted message and written into every
// encrypted one: the corpid for a self-built app, the suiteid for a third-party suite, the appid
// for a 公众号. An empty receiverID disables the check, as the WeCom AI bot (智能机器人) needs.
func New(token, encodingAESKey, receiverID string, opts ...Option) (*Cryptor, error) {
	if token == "" {
		return nil, fmt.Errorf("%w: empty token", ErrInvalidOption)
	}
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("%w (got %d characters)", ErrInvalidKey, len(encodingAESKey))
	}
	// Not Strict(): console keys often have non-zero trailing bits.
	var key [32 + 2]byte // room for DecodedLen(44) = 33
	n, err := base64.StdEncoding.Decode(key[:], []byte(encodingAESKey+"="))
	if err != nil || n != 32 {
		return nil, ErrInvalidKey
	}
	block, err := aes.NewCipher(key[:32])
	if err != nil {
		return nil, ErrInvalidKey
	}
	c := &Cryptor{token: token, receiverID: receiverID, block: block, clock: time.Now}
	copy(c.iv[:], key[:aes.BlockSize])
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// VerifyURL answers the callback URL verification (验证URL有效性): it checks msgSignature
// over (token, timestamp, nonce, echoStr) and returns the decrypted echostr, which is to be
// written back as the whole response body. All four arguments are the URL-decoded query
// values (r.URL.Query().Get(...)).
func (c *Cryptor) VerifyURL(msgSignature, timestamp, nonce, echoStr string) ([]byte, error) {
	if err := verify(c, msgSignature, timestamp, nonce, echoStr); err != nil {
		return nil, err
	}
	return open(c, echoStr)
}

// DecryptMessage verifies and decrypts a POSTed callback (接收消息与事件). body is the XML
// envelope <xml><ToUserName/><AgentID/><Encrypt/></xml>; msgSignature, timestamp and nonce are
// the query values. It returns the inner plaintext, usually the message XML, in a slice the
// caller owns. body is never modified.
//
// Errors: [ErrInvalidEnvelope] or [ErrMissingEncrypt] for a bad body, [ErrInvalidSignature],
// [ErrTimestampSkew], then [ErrInvalidBase64], [ErrCiphertextLength], [ErrInvalidPadding],
// [ErrInvalidLength] or [ErrReceiverMismatch] for a bad ciphertext.
func (c *Cryptor) DecryptMessage(msgSignature, timestamp, nonce string, body []byte) ([]byte, error) {
	enc, err := extractXML(body)
	if err != nil {
		return nil, err
	}
	if err := verify(c, msgSignature, timestamp, nonce, enc); err != nil {
		return nil, err
	}
	return open(c, enc)
}

// DecryptJSON is [Cryptor.DecryptMessage] for JSON envelopes such as {"encrypt": "..."}, used by
// the WeCom AI bot (智能机器人) and the official callback_json samples.
func (c *Cryptor) DecryptJSON(msgSignature, timestamp, nonce string, body []byte) ([]byte, error) {
	enc, err := extractJSON(body)
	if err != nil {
		return nil, err
	}
	if err := verify(c, msgSignature, timestamp, nonce, enc); err != nil {
		return nil, err
	}
	return open(c, enc)
}

// EncryptMessage encrypts a passive reply (被动回复) and returns the envelope
//
//	<xml>
//	<Encrypt><![CDATA[...]]></Encrypt>
//	<MsgSignature><![CDATA[...]]></MsgSignature>
//	<TimeStamp>1411525903</TimeStamp>
//	<Nonce><![CDATA[...]]></Nonce>
//	</xml>
//
// timestamp must be decimal digits (an empty one means the clock's current time) and nonce must
// fit a CDATA section; otherwise it returns [ErrInvalidReplyField]. The request's own timestamp
// and nonce are commonly reused.
func (c *Cryptor) EncryptMessage(plaintext []byte, timestamp, nonce string) ([]byte, error) {
	return c.buildReply(replyXML, plaintext, timestamp, nonce)
}

// EncryptJSON is [Cryptor.EncryptMessage] for JSON callbacks (AI bot): it returns
// {"encrypt":"...","msgsignature":"...","timestamp":"...","nonce":"..."}.
func (c *Cryptor) EncryptJSON(plaintext []byte, timestamp, nonce string) ([]byte, error) {
	return c.buildReply(replyJSON, plaintext, timestamp, nonce)
}

// verify checks the msg_signature in constant time, then the timestamp window if one is set.
func verify[T text](c *Cryptor, msgSignature, timestamp, nonce string, enc T) error {
	want := signEncrypt(c.token, timestamp, nonce, enc)
	if !equalSignature(msgSignature, &want) {
		return ErrInvalidSignature
	}
	return c.checkSkew(timestamp)
}

func (c *Cryptor) checkSkew(timestamp string) error {
	if c.maxSkew == 0 {
		return nil
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrTimestampSkew
	}
	d := c.clock().Sub(time.Unix(ts, 0))
	if d > c.maxSkew || d < -c.maxSkew {
		return ErrTimestampSkew
	}
	return nil
}
