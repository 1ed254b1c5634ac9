package crypto

import "errors"

// Official WXBizMsgCrypt error codes (错误码), numbered as in Tencent's Python sample (ierror.py).
// [Code] maps an error returned by this package to one of them.
const (
	CodeOK               = 0
	CodeInvalidSignature = -40001 // ValidateSignature_Error: signature mismatch (also timestamp outside the window)
	CodeParseEnvelope    = -40002 // ParseXml_Error: malformed XML or JSON envelope
	CodeComputeSignature = -40003 // ComputeSignature_Error: never returned, listed for completeness
	CodeIllegalAESKey    = -40004 // IllegalAesKey: EncodingAESKey is not 43 base64 characters
	CodeReceiverMismatch = -40005 // ValidateCorpid_Error: ReceiveId (corpid / appid / suiteid) mismatch
	CodeEncryptAES       = -40006 // EncryptAES_Error: random source or message size failure
	CodeDecryptAES       = -40007 // DecryptAES_Error: ciphertext length or PKCS#7 padding invalid
	CodeIllegalBuffer    = -40008 // IllegalBuffer: decrypted layout or length field invalid
	CodeEncodeBase64     = -40009 // EncodeBase64_Error: never returned, listed for completeness
	CodeDecodeBase64     = -40010 // DecodeBase64_Error: Encrypt / echostr is not valid base64
	CodeGenerateXML      = -40011 // GenReturnXml_Error: timestamp or nonce cannot be put in a reply
	CodeOther            = -1     // not a WeCom code: configuration errors and errors from elsewhere
)

// Error is the type of every error this package returns. Compare with errors.Is against the
// Err* variables; [Code] or [Error.Code] give the official numeric code.
// Error strings never contain the token, the EncodingAESKey or message content.
type Error struct {
	code   int
	msg    string
	parent *Error // a more general sentinel this one refines, for errors.Is
}

func (e *Error) Error() string { return "wxcrypto: " + e.msg }

// Code returns the official WXBizMsgCrypt error code (-400xx) of e.
func (e *Error) Code() int { return e.code }

// Unwrap returns the more general sentinel e refines (ErrMissingEncrypt → ErrInvalidEnvelope), or nil.
func (e *Error) Unwrap() error {
	if e.parent == nil {
		return nil
	}
	return e.parent
}

// Sentinel errors. Every rejected input is reported as one of them (ErrMissingEncrypt also
// matches ErrInvalidEnvelope).
var (
	// ErrInvalidSignature: msg_signature does not match sha1(sort(token, timestamp, nonce, encrypt)).
	ErrInvalidSignature = &Error{code: CodeInvalidSignature, msg: "signature mismatch"}
	// ErrTimestampSkew: WithMaxSkew is set and the timestamp is not a number within the window.
	ErrTimestampSkew = &Error{code: CodeInvalidSignature, msg: "timestamp missing or outside the allowed window"}
	// ErrInvalidEnvelope: the POSTed XML or JSON envelope is malformed.
	ErrInvalidEnvelope = &Error{code: CodeParseEnvelope, msg: "malformed envelope"}
	// ErrMissingEncrypt: the envelope is well-formed but has no (or an empty) Encrypt element.
	// errors.Is(ErrMissingEncrypt, ErrInvalidEnvelope) is true.
	ErrMissingEncrypt = &Error{code: CodeParseEnvelope, msg: "envelope has no Encrypt element", parent: ErrInvalidEnvelope}
	// ErrInvalidKey: the EncodingAESKey given to New is not 43 base64 characters decoding to 32 bytes.
	ErrInvalidKey = &Error{code: CodeIllegalAESKey, msg: "EncodingAESKey must be 43 base64 characters"}
	// ErrReceiverMismatch: the ReceiveId inside the message is not the receiverID given to New.
	ErrReceiverMismatch = &Error{code: CodeReceiverMismatch, msg: "receiver id mismatch"}
	// ErrEncrypt: encryption failed (the random source failed, or the message is too large).
	ErrEncrypt = &Error{code: CodeEncryptAES, msg: "encryption failed"}
	// ErrCiphertextLength: the decoded ciphertext is empty or not a multiple of the AES block size.
	ErrCiphertextLength = &Error{code: CodeDecryptAES, msg: "ciphertext length is not a positive multiple of the AES block size"}
	// ErrInvalidPadding: the PKCS#7 padding (block size 32) is out of range or inconsistent.
	ErrInvalidPadding = &Error{code: CodeDecryptAES, msg: "invalid PKCS#7 padding"}
	// ErrInvalidLength: the decrypted buffer is too short or its 4-byte length field exceeds it.
	ErrInvalidLength = &Error{code: CodeIllegalBuffer, msg: "invalid message length in decrypted buffer"}
	// ErrInvalidBase64: Encrypt (or echostr) is not valid standard base64.
	ErrInvalidBase64 = &Error{code: CodeDecodeBase64, msg: "ciphertext is not valid base64"}
	// ErrInvalidReplyField: EncryptMessage or EncryptJSON got a timestamp that is not 1-20
	// decimal digits, or a nonce that is not valid UTF-8 or holds control characters or "]]>".
	ErrInvalidReplyField = &Error{code: CodeGenerateXML, msg: "reply timestamp must be decimal digits and nonce printable UTF-8 without \"]]>\""}
	// ErrInvalidOption: an Option or the token given to New is invalid (nil reader, nil clock,
	// negative skew, empty token).
	ErrInvalidOption = &Error{code: CodeOther, msg: "invalid configuration"}
)

// Code maps err to the official WXBizMsgCrypt error code: 0 for nil, the -400xx code of the
// first [*Error] in err's chain, and [CodeOther] (-1) for any other error.
func Code(err error) int {
	if err == nil {
		return CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.code
	}
	return CodeOther
}
