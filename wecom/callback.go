package wecom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
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
// 公众号. For a WeCom app it answers URL verification (GET with msg_signature, timestamp, nonce,
// echostr) with the decrypted echostr and decrypts POSTed messages. For a 公众号 it checks the plain
// signature on GET and answers echostr unchanged, accepts plain-mode POSTs (signature), and
// safe/compatible-mode POSTs (encrypt_type=aes with msg_signature).
//
// Every message is parsed into a [Message], deduplicated (WeCom retries three times when it gets no
// answer within 5 s) and passed to the [MessageHandler]. Malformed requests get 400, bad signatures
// 403, both with a short plain-text body; nothing secret is echoed or logged.
type CallbackHandler struct {
	handle     MessageHandler
	token      string
	cryptor    *wxcrypto.Cryptor // nil: 公众号 without EncodingAESKey (plain mode only)
	mp         bool
	dedupe     Deduper
	dedupeTTL  time.Duration
	keyPrefix  string
	maxBody    int64
	maxSkew    time.Duration
	now        func() time.Time
	log        *slog.Logger
	pool       *workerPool // nil: synchronous
	jobTimeout time.Duration
}

// CallbackOption configures a [CallbackHandler].
type CallbackOption func(*callbackConfig) error

type callbackConfig struct {
	workers, queue int
	jobTimeout     time.Duration
	dedupe         Deduper
	dedupeTTL      time.Duration
	maxBody        int64
	maxSkew        time.Duration
	receiverID     *string
	now            func() time.Time
	cryptoOpts     []wxcrypto.Option
}

// Callback defaults.
const (
	DefaultCallbackMaxBody    = 1 << 20          // 1 MiB
	DefaultDedupeTTL          = 10 * time.Minute // covers WeCom's 3 tries many times over
	DefaultCallbackWorkers    = 4
	DefaultCallbackQueue      = 256
	DefaultCallbackJobTimeout = time.Minute
)

// WithAsync makes the handler answer at once (empty 200, or "success" for a 公众号) and run the
// [MessageHandler] afterwards on a pool of at most workers goroutines, with up to queue messages
// waiting (a full queue answers 503, so WeCom delivers again later). Each run gets a context that
// keeps the request's values but not its cancellation, bounded by timeout. Zero values take the
// defaults (4 workers, 256 queued, 1 minute). Use it when handling can take close to WeCom's 5
// seconds. Call [CallbackHandler.Shutdown] to drain the pool.
func WithAsync(workers, queue int, timeout time.Duration) CallbackOption {
	return func(c *callbackConfig) error {
		if workers < 0 || queue < 0 || timeout < 0 {
			return errors.New("wecom: WithAsync: negative value")
		}
		c.workers, c.queue, c.jobTimeout = workers, queue, timeout
		if c.workers == 0 {
			c.workers = DefaultCallbackWorkers
		}
		if c.queue == 0 {
			c.queue = DefaultCallbackQueue
		}
		if c.jobTimeout == 0 {
			c.jobTimeout = DefaultCallbackJobTimeout
		}
		return nil
	}
}

// WithDeduper sets where delivery keys are remembered. Default: the client's [TokenStore] when it
// implements [Deduper] (so replicas sharing a Redis store share dedupe), else an in-process
// [MemoryStore]. A store that also has Delete(ctx, key) lets a failed delivery be retried.
func WithDeduper(d Deduper) CallbackOption {
	return func(c *callbackConfig) error {
		if d == nil {
			return errors.New("wecom: WithDeduper: nil deduper")
		}
		c.dedupe = d
		return nil
	}
}

// WithDedupeTTL sets how long a delivery is remembered (default 10 minutes).
func WithDedupeTTL(d time.Duration) CallbackOption {
	return func(c *callbackConfig) error {
		if d <= 0 {
			return errors.New("wecom: WithDedupeTTL: ttl must be positive")
		}
		c.dedupeTTL = d
		return nil
	}
}

// WithMaxBodyBytes limits the POST body (default 1 MiB); larger bodies get 413.
func WithMaxBodyBytes(n int64) CallbackOption {
	return func(c *callbackConfig) error {
		if n <= 0 {
			return errors.New("wecom: WithMaxBodyBytes: limit must be positive")
		}
		c.maxBody = n
		return nil
	}
}

// WithMaxClockSkew rejects (403) requests whose timestamp is further than d from now, limiting
// replays of captured requests. Default 0: not checked. Use minutes, not seconds: retries of one
// delivery keep its first timestamp.
func WithMaxClockSkew(d time.Duration) CallbackOption {
	return func(c *callbackConfig) error {
		if d < 0 {
			return errors.New("wecom: WithMaxClockSkew: negative duration")
		}
		c.maxSkew = d
		return nil
	}
}

// WithReceiverID overrides the ReceiveId checked in encrypted messages (default: the client's corp
// id or app id), e.g. a suite id for third-party apps.
func WithReceiverID(id string) CallbackOption {
	return func(c *callbackConfig) error {
		c.receiverID = &id
		return nil
	}
}

// WithCallbackClock sets the clock used for reply CreateTime, reply timestamps and
// [WithMaxClockSkew] (tests).
func WithCallbackClock(now func() time.Time) CallbackOption {
	return func(c *callbackConfig) error {
		if now == nil {
			return errors.New("wecom: WithCallbackClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithCryptoOptions passes options to the underlying crypto.New, e.g. crypto.WithRandom in tests to
// get reproducible encrypted replies.
func WithCryptoOptions(opts ...wxcrypto.Option) CallbackOption {
	return func(c *callbackConfig) error {
		c.cryptoOpts = append(c.cryptoOpts, opts...)
		return nil
	}
}

// NewCallbackHandler returns the callback handler for client c's app: token and encodingAESKey are
// the values of the app's 接收消息 settings. For a WeCom client the key is required; for a 公众号
// it may be empty when the account uses plain mode (明文模式) only.
func NewCallbackHandler(c *Client, token, encodingAESKey string, handle MessageHandler, opts ...CallbackOption) (*CallbackHandler, error) {
	switch {
	case c == nil:
		return nil, errors.New("wecom: NewCallbackHandler: nil client")
	case handle == nil:
		return nil, errors.New("wecom: NewCallbackHandler: nil handler")
	case token == "":
		return nil, errors.New("wecom: NewCallbackHandler: empty token")
	case encodingAESKey == "" && c.kind == kindWeCom:
		return nil, errors.New("wecom: NewCallbackHandler: a WeCom app needs its EncodingAESKey")
	}
	cfg := callbackConfig{dedupeTTL: DefaultDedupeTTL, maxBody: DefaultCallbackMaxBody, now: time.Now}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	receiver := c.ID()
	if cfg.receiverID != nil {
		receiver = *cfg.receiverID
	}
	h := &CallbackHandler{
		handle: handle, token: token, mp: c.kind == kindOfficialAccount,
		dedupe: cfg.dedupe, dedupeTTL: cfg.dedupeTTL, maxBody: cfg.maxBody, maxSkew: cfg.maxSkew,
		now: cfg.now, log: c.Logger(), jobTimeout: cfg.jobTimeout,
		keyPrefix: "wecom:callback:" + receiver + ":" + strconv.FormatInt(c.agentID, 10) + ":",
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
	if !h.fresh(ts) {
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
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
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
	if !h.fresh(ts) {
		h.reject(w, r, http.StatusForbidden, "timestamp out of range", nil)
		return
	}
	encrypted := !h.mp || q.Get("encrypt_type") == "aes"
	plain := body
	switch {
	case encrypted && h.cryptor == nil:
		// A 公众号 in compatible or safe mode while we have no EncodingAESKey. Compatible mode also
		// carries the plaintext elements, which the plain signature covers (same token): serve those
		// and reply in plain text, which compatible mode accepts.
		if !wxcrypto.VerifyPlain(h.token, q.Get("signature"), ts, nonce) {
			h.reject(w, r, http.StatusForbidden, "invalid signature", nil)
			return
		}
		if _, err := ParseMessage(body); err != nil {
			h.log.LogAttrs(r.Context(), slog.LevelError,
				"wecom: encrypted callback received but the handler has no EncodingAESKey")
			http.Error(w, "encrypted mode not configured", http.StatusInternalServerError)
			return
		}
		encrypted = false
	case encrypted:
		if plain, err = h.cryptor.DecryptMessage(q.Get("msg_signature"), ts, nonce, body); err != nil {
			h.rejectCrypto(w, r, err)
			return
		}
	default:
		if !wxcrypto.VerifyPlain(h.token, q.Get("signature"), ts, nonce) {
			h.reject(w, r, http.StatusForbidden, "invalid signature", nil)
			return
		}
	}
	msg, err := ParseMessage(plain)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "malformed message", err)
		return
	}
	ctx := r.Context()
	key := h.keyPrefix + msg.DedupeKey()
	if !h.claim(ctx, key) {
		h.log.LogAttrs(ctx, slog.LevelDebug, "wecom: duplicate callback dropped", slogMsg(msg))
		h.ack(w)
		return
	}
	if h.pool != nil {
		if !h.pool.submit(func() { h.runAsync(ctx, msg) }) {
			h.release(ctx, key)
			h.reject(w, r, http.StatusServiceUnavailable, "busy", nil)
			return
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

// fresh checks the timestamp window, if one is set.
func (h *CallbackHandler) fresh(ts string) bool {
	if h.maxSkew == 0 {
		return true
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := h.now().Sub(time.Unix(n, 0))
	return d <= h.maxSkew && d >= -h.maxSkew
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
	if !ok {
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

func (h *CallbackHandler) runAsync(reqCtx context.Context, m *Message) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), h.jobTimeout)
	defer cancel()
	reply, err := h.invoke(ctx, m)
	switch {
	case err != nil:
		h.log.LogAttrs(ctx, slog.LevelError, "wecom: async callback handler failed", slogMsg(m), slogErr(err))
	case !isNilReply(reply):
		h.log.LogAttrs(ctx, slog.LevelDebug, "wecom: passive reply ignored in async mode", slogMsg(m))
	}
}

// Shutdown stops accepting asynchronous work (new deliveries then get 503) and waits until queued
// and running handlers finish or ctx ends. It is a no-op for a synchronous handler.
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

// workerPool runs jobs on at most cap(sem) goroutines, started on demand, with a bounded queue.
// No goroutine lives while the queue is empty, so an idle handler owns none.
type workerPool struct {
	jobs chan func()
	sem  chan struct{}
	wg   sync.WaitGroup // queued + running jobs

	mu     sync.RWMutex
	closed bool
}

func newWorkerPool(workers, queue int) *workerPool {
	return &workerPool{jobs: make(chan func(), queue), sem: make(chan struct{}, workers)}
}

// submit queues f; it reports false when the queue is full or the pool is shut down.
func (p *workerPool) submit(f func()) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	select {
	case p.jobs <- f:
	default:
		p.wg.Done()
		return false
	}
	select {
	case p.sem <- struct{}{}:
		go p.work()
	default: // every worker is busy; one of them will pick f up
	}
	return true
}

func (p *workerPool) work() {
	for {
		for drained := false; !drained; {
			select {
			case f := <-p.jobs:
				f()
				p.wg.Done()
			default:
				drained = true
			}
		}
		<-p.sem
		// A job queued between the drain and the release may have found every slot taken.
		if len(p.jobs) == 0 {
			return
		}
		select {
		case p.sem <- struct{}{}:
		default:
			return // another worker holds a slot and will see it
		}
	}
}

func (p *workerPool) shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
