// Package crypto implements WeCom's callback security (WXBizMsgCrypt, 加解密方案): the SHA-1
// callback signatures and the AES-256-CBC message envelope used by WeCom (企业微信) apps, the
// WeCom AI bot (智能机器人) and WeChat Official Accounts (公众号) in safe mode.
//
// The package name shadows the standard library's crypto, so import it under an alias:
//
//	import wxcrypto "github.com/qiwei-go/qiwei/crypto"
//
// # Receiving callbacks
//
// Create one [Cryptor] per callback configuration with the Token and EncodingAESKey from the
// admin console and the ReceiveId to expect (the corpid for a self-built app, the appid for a
// 公众号). It is safe for concurrent use. WeCom first verifies the URL with a GET, then POSTs
// every message:
//
//	c, err := wxcrypto.New(token, encodingAESKey, corpID)
//	...
//	func callback(w http.ResponseWriter, r *http.Request) {
//		q := r.URL.Query() // decodes %2B etc.; never split the raw query by hand
//		sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
//		if r.Method == http.MethodGet {
//			echo, err := c.VerifyURL(sig, ts, nonce, q.Get("echostr"))
//			if err != nil {
//				http.Error(w, "forbidden", http.StatusForbidden)
//				return
//			}
//			w.Write(echo) // the plaintext, nothing else
//			return
//		}
//		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
//		plain, err := c.DecryptMessage(sig, ts, nonce, body)
//		if err != nil { ... } // see Errors
//		// plain is the message XML (ToUserName, FromUserName, MsgType, ...).
//	}
//
// [Cryptor.DecryptMessage] checks the signature in constant time before it decrypts anything,
// then checks the padding, the length field and the ReceiveId. It reads the Encrypt element
// with a small scanner instead of encoding/xml: CDATA or plain text, entity references, extra
// elements in any order, a UTF-8 BOM and an XML declaration are all accepted, and malformed
// input is an error, never a panic.
//
// # Replying
//
// A passive reply (被动回复) is encrypted into the envelope WeCom expects; the request's
// timestamp and nonce are usually reused. An empty HTTP 200 body is always a valid answer too.
//
//	reply, err := c.EncryptMessage(replyXML, ts, nonce)
//	w.Write(reply)
//
// # 公众号
//
// In plain mode (明文模式) a 公众号 signs requests with a 3-part signature and sends plain XML;
// check it with [VerifyPlain] and answer a URL verification with the echostr unchanged. In
// safe and compatible mode the POST body carries an Encrypt element signed by msg_signature:
// use a Cryptor created with the appid as receiverID, exactly as for WeCom.
//
// # AI bot and other JSON callbacks
//
// The WeCom AI bot sends {"encrypt": "..."} and its ReceiveId is empty: create the Cryptor with
// receiverID "" (which also disables the ReceiveId check) and use [Cryptor.DecryptJSON] and
// [Cryptor.EncryptJSON].
//
// Images and files the bot receives are downloaded from a URL in the message and are encrypted
// with the same key (AES-256-CBC, IV = key[:16], PKCS#7 padding, no base64): decrypt them with
// [Cryptor.DecryptFile], which checks the padding as strictly as a callback, and then check
// that the bytes are what you expect (e.g. an image's magic bytes), since a wrong key is not
// always detected by the padding alone. [Cryptor.EncryptFile] produces such files for tests.
//
// # Replay protection
//
// [WithMaxSkew] rejects callbacks whose timestamp is too far from the current time
// ([ErrTimestampSkew]). It is off by default because WeCom retries a callback for a while and
// server clocks drift; a window of several minutes, combined with deduplication by MsgId, is a
// reasonable setting.
//
// # Errors
//
// Every error is an [*Error] and matches exactly one sentinel with errors.Is:
// [ErrInvalidSignature], [ErrTimestampSkew], [ErrInvalidEnvelope] (and its refinement
// [ErrMissingEncrypt]), [ErrInvalidBase64], [ErrCiphertextLength], [ErrInvalidPadding],
// [ErrInvalidLength], [ErrReceiverMismatch], [ErrInvalidKey], [ErrEncrypt],
// [ErrInvalidReplyField] and [ErrInvalidOption]. [Code] maps an error to the official
// numeric code (-40001 … -40011) used by Tencent's samples, for logs and metrics. Error
// strings never contain the token, the key or message content.
//
// Answer a request that fails verification with a 4xx status and do not process it. WeCom
// counts any HTTP 200 as delivered and retries (three attempts in all) only a callback that was
// not answered within 5 seconds, so acknowledge quickly and process asynchronously.
//
// # Performance
//
// A call does what it must and little else: DecryptMessage makes one allocation (the buffer the
// plaintext is decrypted into, which the result is a subslice of), EncryptMessage one (the
// reply). The scanner, the sorting of the signature strings and the hex comparison do not
// allocate; AES block modes and encryption scratch space are reused. See bench_test.go for
// benchmarks next to floor benchmarks that do only base64, AES and SHA-1.
//
// # Testing
//
// [WithRandom] makes encryption reproducible and [WithClock] fixes the time seen by
// [WithMaxSkew]. [Signature] computes the signature of any request you build in a test, and
// [Cryptor.EncryptMessage] produces an envelope that [Cryptor.DecryptMessage] accepts, which is
// all a fake WeCom server needs to deliver encrypted callbacks.
package crypto
