package wecom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"time"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
)

// MessageHandler handles one callback message or event. Return a [Reply] for a passive reply, or
// nil for none. Returning an error answers HTTP 500 and forgets the delivery, so that WeCom's retry
// is processed again; return (nil, nil) once the message is dealt with.
//
// With [WithAsync] the handler runs after the HTTP answer: its Reply is ignored (send results with
// [MessageService] instead) and its error is only logged.
type MessageHandler func(ctx context.Context, m *Message) (Reply, error)

// CallbackHandler is the http.Handler for the callback URL (接收消息服务器) of a WeCom app or a
// 公众号.
//
// For a WeCom app it answers URL verification (GET with msg_signature, timestamp, nonce, echostr)
// with the decrypted echostr and decrypts POSTed messages; WeCom always encrypts.
//
// For a 公众号 it checks the plain signature on GET and answers echostr unchanged. On POST:
//
//   - Built with an EncodingAESKey, it accepts only encrypted deliveries (安全模式, and 兼容模式
//     whose plaintext elements are ignored: only the decrypted Encrypt element is read). A plaintext
//     POST is refused with 403 even when its signature is valid, because that signature does not
//     cover the body; [WithPlaintextAllowed] accepts it during a migration, at a documented risk.
//   - Built without a key (明文模式), it accepts plaintext deliveries signed with signature, within
//     a timestamp window ([WithMaxClockSkew], default [DefaultPlainMaxSkew]); a (timestamp, nonce)
//     pair seen before with another body is refused with 403 and logged, so that a signature read
//     from an access log cannot carry a forged body. [WithAccountID] also pins ToUserName.
//
// Every message is parsed into a [Message], deduplicated (WeCom retries three times when it gets no
// answer within 5 s) and passed to the [MessageHandler]. Change notifications (smart_sheet_change,
// doc_change) are not deduplicated: a retry of one cannot be told from a second change of the same
// record by the same member within the same second, so every delivery reaches the handler, which
// must treat them idempotently (re-read what they name); see [Message.SkipsDedupe]. Malformed
// requests get 400, bad signatures 403, both with a short plain-text body; nothing secret is echoed
// or logged.
type CallbackHandler struct {
	handle     MessageHandler
	token      string
	cryptor    *wxcrypto.Cryptor // nil: 公众号 without EncodingAESKey (plain mode only)
	mp         bool
	allowPlain bool   // a 公众号 with a key also takes plaintext deliveries
	accountID  string // 公众号 original id ToUserName must equal, "" for no check
	dedupe     Deduper
	dedupeTTL  time.Duration
	keyPrefix  string
	maxBody    int64
	maxSkew    time.Duration // encrypted deliveries and URL checks; 0: not checked
	plainSkew  time.Duration // plaintext deliveries; never 0
	replay     *replayGuard
	now        func() time.Time
	log        *slog.Logger
	pool       *workerPool // nil: synchronous
	jobTimeout time.Duration
}

// NewCallbackHandler returns the callback handler for client c's app: token and encodingAESKey are
// the values of the app's 接收消息 settings. For a WeCom client the key is required; for a 公众号
// it may be empty when the account uses plain mode (明文模式) only. With a key, a 公众号 handler
// accepts encrypted deliveries only (see [CallbackHandler] and [WithPlaintextAllowed]).
func NewCallbackHandler(c *Client, token, encodingAESKey string, handle MessageHandler, opts ...CallbackOption) (*CallbackHandler, error) {
	switch {
	case c == nil:
		return nil, fmt.Errorf("%w (NewCallbackHandler)", ErrNilClient)
	case handle == nil:
		return nil, errors.New("wecom: NewCallbackHandler: nil handler")
	case token == "":
		return nil, errors.New("wecom: NewCallbackHandler: empty token")
	case encodingAESKey == "" && c.kind == kindWeCom:
		return nil, errors.New("wecom: NewCallbackHandler: a WeCom app needs its EncodingAESKey")
	}
	cfg := callbackConfig{dedupeTTL: DefaultDedupeTTL, maxBody: DefaultCallbackMaxBody, now: c.now}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.allowPlain && c.kind == kindWeCom {
		return nil, &PlatformError{Call: "WithPlaintextAllowed", Want: PlatformOfficialAccount}
	}
	if cfg.accountID != "" && c.kind == kindWeCom {
		return nil, &PlatformError{Call: "WithAccountID", Want: PlatformOfficialAccount}
	}
	receiver := c.ID()
	if cfg.receiverID != nil {
		receiver = *cfg.receiverID
	}
	h := &CallbackHandler{
		handle: handle, token: token, mp: c.kind == kindOfficialAccount,
		allowPlain: cfg.allowPlain || encodingAESKey == "", accountID: cfg.accountID,
		dedupe: cfg.dedupe, dedupeTTL: cfg.dedupeTTL, maxBody: cfg.maxBody, maxSkew: cfg.maxSkew,
		plainSkew: cfg.maxSkew, now: cfg.now, log: c.Logger(), jobTimeout: cfg.jobTimeout,
		keyPrefix: "wecom:callback:" + receiver + ":" + strconv.FormatInt(c.agentID, 10) + ":",
	}
	if h.plainSkew == 0 {
		h.plainSkew = DefaultPlainMaxSkew
	}
	if encodingAESKey != "" {
		copts := append([]wxcrypto.Option{wxcrypto.WithClock(cfg.now)}, cfg.cryptoOpts...)
		cr, err := wxcrypto.New(token, encodingAESKey, receiver, copts...)
		if err != nil {
			return nil, fmt.Errorf("wecom: NewCallbackHandler: %w", err)
		}
		h.cryptor = cr
	}
	if h.dedupe == nil {
		if d, ok := c.TokenStore().(Deduper); ok {
			h.dedupe = d
		} else {
			h.dedupe = NewMemoryStore()
		}
	}
	if h.allowPlain && h.mp {
		h.replay = newReplayGuard(h.dedupe, h.keyPrefix, h.plainSkew, h.log)
	}
	if cfg.workers > 0 {
		h.pool = newWorkerPool(cfg.workers, cfg.queue)
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *CallbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.verifyURL(w, r)
	case http.MethodPost:
		h.receive(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		h.reject(w, r, http.StatusMethodNotAllowed, "method not allowed", nil)
	}
}

// verifyURL answers the URL check made when the callback URL is saved in the admin console.
func (h *CallbackHandler) verifyURL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts, nonce, echo := q.Get("timestamp"), q.Get("nonce"), q.Get("echostr")
	if echo == "" || ts == "" || nonce == "" {
		h.reject(w, r, http.StatusBadRequest, "missing query parameters", nil)
		return
	}
	if !h.fresh(ts, h.maxSkew) {
		h.reject(w, r, http.StatusForbidden, "timestamp out of range", nil)
		return
	}
	var out []byte
	if h.mp {
		if !wxcrypto.VerifyPlain(h.token, q.Get("signature"), ts, nonce) {
			h.reject(w, r, http.StatusForbidden, "invalid signature", nil)
			return
		}
		out = []byte(echo)
	} else {
		var err error
		if out, err = h.cryptor.VerifyURL(q.Get("msg_signature"), ts, nonce, echo); err != nil {
			h.rejectCrypto(w, r, err)
			return
		}
	}
	writePlain(w, out)
}

func (h *CallbackHandler) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.reject(w, r, http.StatusRequestEntityTooLarge, "request too large", nil)
			return
		}
		h.reject(w, r, http.StatusBadRequest, "cannot read body", err)
		return
	}
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	plain, encrypted, ok := h.open(w, r, q, body)
	if !ok {
		return
	}
	msg, err := ParseMessage(plain)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "malformed message", err)
		return
	}
	if h.accountID != "" && msg.ToUserName != h.accountID {
		h.reject(w, r, http.StatusForbidden, "wrong account", nil)
		return
	}
	ctx := r.Context()
	key := "" // none: every delivery is handled (Message.SkipsDedupe)
	if !msg.SkipsDedupe() {
		key = h.keyPrefix + msg.DedupeKey()
	}
	if key != "" && !h.claim(ctx, key) {
		h.log.LogAttrs(ctx, slog.LevelDebug, "wecom: duplicate callback dropped", slogMsg(msg))
		h.ack(w)
		return
	}
	if h.pool != nil {
		if !h.pool.submit(func() { h.runJob(ctx, msg, key) }) {
			// Queue full or shut down: handle it here, before answering (back-pressure).
			h.log.LogAttrs(ctx, slog.LevelWarn, "wecom: callback queue full (or shut down); handling in the request", slogMsg(msg))
			h.runJob(ctx, msg, key)
		}
		h.ack(w)
		return
	}
	reply, err := h.invoke(ctx, msg)
	if err != nil {
		h.release(ctx, key)
		h.log.LogAttrs(ctx, slog.LevelError, "wecom: callback handler failed", slogMsg(msg), slogErr(err))
		http.Error(w, "handler failed", http.StatusInternalServerError)
		return
	}
	h.writeReply(w, r, msg, reply, encrypted, ts, nonce)
}

// open authenticates a POST and returns the message plaintext; encrypted tells how to reply. On
// failure it has answered the request and ok is false.
func (h *CallbackHandler) open(w http.ResponseWriter, r *http.Request, q url.Values, body []byte) (plain []byte, encrypted, ok bool) {
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	wantsEncrypted := !h.mp || q.Get("encrypt_type") == "aes" || q.Has("msg_signature")
	switch {
	case h.cryptor != nil && wantsEncrypted:
		if !h.fresh(ts, h.maxSkew) {
			h.reject(w, r, http.StatusForbidden, "timestamp out of range", nil)
			return nil, false, false
		}
		plain, err := h.cryptor.DecryptMessage(q.Get("msg_signature"), ts, nonce, body)
		if err != nil {
			h.rejectCrypto(w, r, err)
			return nil, false, false
		}
		return plain, true, true
	case !h.allowPlain:
		// Safe mode: the plain signature does not cover the body, so it proves nothing about it.
		h.reject(w, r, http.StatusForbidden, "encrypted delivery required", nil)
		return nil, false, false
	}
	if !h.fresh(ts, h.plainSkew) {
		h.reject(w, r, http.StatusForbidden, "timestamp out of range", nil)
		return nil, false, false
	}
	if !wxcrypto.VerifyPlain(h.token, q.Get("signature"), ts, nonce) {
		h.reject(w, r, http.StatusForbidden, "invalid signature", nil)
		return nil, false, false
	}
	if wantsEncrypted {
		// Compatible or safe mode while we have no EncodingAESKey. Compatible mode also carries the
		// plaintext elements, under the same plain signature: serve those and reply in plain text,
		// which compatible mode accepts. Safe mode cannot be served.
		if _, err := ParseMessage(body); err != nil {
			h.log.LogAttrs(r.Context(), slog.LevelError,
				"wecom: encrypted callback received but the handler has no EncodingAESKey")
			http.Error(w, "encrypted mode not configured", http.StatusInternalServerError)
			return nil, false, false
		}
	}
	if !h.replay.allow(r.Context(), ts, nonce, body) {
		h.reject(w, r, http.StatusForbidden, "replayed signature", errReplay)
		return nil, false, false
	}
	return body, false, true
}

var errReplay = errors.New("wecom: a (timestamp, nonce) pair already seen with another body")

func (h *CallbackHandler) writeReply(w http.ResponseWriter, r *http.Request, msg *Message, reply Reply, encrypted bool, ts, nonce string) {
	if isNilReply(reply) {
		h.ack(w)
		return
	}
	x, err := MarshalReply(msg, reply, h.now().Unix())
	if err == nil && encrypted {
		var enc []byte
		enc, err = h.cryptor.EncryptMessage(x, ts, nonce)
		if errors.Is(err, wxcrypto.ErrInvalidReplyField) { // odd request timestamp or nonce
			enc, err = h.cryptor.EncryptMessage(x, "", randomNonce())
		}
		x = enc
	}
	if err != nil {
		// The message was handled; a retry would not fix the reply. Acknowledge without one.
		h.log.LogAttrs(r.Context(), slog.LevelError, "wecom: passive reply dropped", slogMsg(msg), slogErr(err))
		h.ack(w)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(x)
}

// ack answers "received, no reply": empty for WeCom, "success" for a 公众号.
func (h *CallbackHandler) ack(w http.ResponseWriter) {
	if h.mp {
		writePlain(w, []byte("success"))
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

func writePlain(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

// fresh checks ts against the window d (0: no window).
func (h *CallbackHandler) fresh(ts string, d time.Duration) bool {
	if d == 0 {
		return true
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	age := h.now().Sub(time.Unix(n, 0))
	return age <= d && age >= -d
}

func (h *CallbackHandler) rejectCrypto(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, wxcrypto.ErrInvalidSignature), errors.Is(err, wxcrypto.ErrTimestampSkew):
		h.reject(w, r, http.StatusForbidden, "invalid signature", err)
	case errors.Is(err, wxcrypto.ErrReceiverMismatch):
		h.reject(w, r, http.StatusForbidden, "receiver mismatch", err)
	default:
		h.reject(w, r, http.StatusBadRequest, "bad request", err)
	}
}

// reject answers a short plain message. Crypto and parse errors never contain secrets or content.
func (h *CallbackHandler) reject(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	level := slog.LevelInfo
	if status == http.StatusForbidden || status >= 500 {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.Int("status", status), slog.String("reason", msg), slog.String("method", r.Method)}
	if err != nil {
		attrs = append(attrs, slogErr(err))
	}
	h.log.LogAttrs(r.Context(), level, "wecom: callback rejected", attrs...)
	http.Error(w, msg, status)
}

func (h *CallbackHandler) claim(ctx context.Context, key string) bool {
	first, err := h.dedupe.Claim(ctx, key, h.dedupeTTL)
	if err != nil {
		// Fail open: processing twice is better than losing the message.
		h.log.LogAttrs(ctx, slog.LevelWarn, "wecom: callback dedupe failed; processing anyway", slogErr(err))
		return true
	}
	return first
}

// release forgets a claimed key so that WeCom's retry is processed, when the store can delete.
func (h *CallbackHandler) release(ctx context.Context, key string) {
	d, ok := h.dedupe.(interface {
		Delete(ctx context.Context, key string) error
	})
	if !ok || key == "" {
		return
	}
	if err := d.Delete(context.WithoutCancel(ctx), key); err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "wecom: callback dedupe release failed", slogErr(err))
	}
}

// invoke runs the handler, turning a panic into an error.
func (h *CallbackHandler) invoke(ctx context.Context, m *Message) (reply Reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			h.log.LogAttrs(ctx, slog.LevelError, "wecom: callback handler panicked",
				slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
			reply, err = nil, fmt.Errorf("wecom: callback handler panicked: %v", p)
		}
	}()
	return h.handle(ctx, m)
}

// runJob runs the handler of an accepted asynchronous delivery (on a worker, or in the request
// when the queue is full). A failure forgets the delivery so that a redelivery can run.
func (h *CallbackHandler) runJob(reqCtx context.Context, m *Message, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), h.jobTimeout)
	defer cancel()
	reply, err := h.invoke(ctx, m)
	switch {
	case err != nil:
		h.release(ctx, key)
		h.log.LogAttrs(ctx, slog.LevelError, "wecom: async callback handler failed", slogMsg(m), slogErr(err))
	case !isNilReply(reply):
		h.log.LogAttrs(ctx, slog.LevelDebug, "wecom: passive reply ignored in async mode", slogMsg(m))
	}
}

// Shutdown waits until queued and running asynchronous handlers finish or ctx ends. Deliveries
// arriving meanwhile are handled in their requests (stop the http.Server first to refuse them). It
// is a no-op for a synchronous handler.
func (h *CallbackHandler) Shutdown(ctx context.Context) error {
	if h.pool == nil {
		return nil
	}
	return h.pool.shutdown(ctx)
}

func slogMsg(m *Message) slog.Attr {
	return slog.Group("msg", slog.String("type", m.MsgType), slog.String("event", m.Event),
		slog.String("id", m.MsgID), slog.Int64("agent", m.AgentID))
}
