package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/wecom"
)

// Sender sends 公众号 messages; *wecom.MPMessageService is one.
type Sender interface {
	SendTemplate(ctx context.Context, msg *wecom.TemplateMessage) (int64, error)
	SendCustomText(ctx context.Context, openID, content string) error
}

// Defaults of [Config].
const (
	DefaultSendTimeout   = 15 * time.Second
	DefaultPollInterval  = 10 * time.Second
	DefaultWorkers       = 4
	DefaultGiveUpAfter   = 4 * time.Hour
	DefaultFallbackGrace = 30 * time.Minute
)

// Config configures a [Worker]. Store and Sender are required.
type Config struct {
	Store        *store.DB
	Sender       Sender
	SendTimeout  time.Duration // per send; default 15 s
	Lease        time.Duration // how long a claimed message is ours; default SendTimeout + 30 s
	PollInterval time.Duration // how often to look for due messages besides Kick; default 10 s
	Workers      int           // concurrent sends; default 4
	// FallbackGrace extends a message's deadline when it falls back to 客服消息 at its deadline,
	// so that the fallback gets a few tries too; default 30 min.
	FallbackGrace time.Duration
	// Backoff is the wait after the n-th failed attempt (n ≥ 1); default 10 s · 3^(n-1), at most 30 min.
	Backoff func(n int) time.Duration
	Now     func() time.Time
	Log     *slog.Logger
}

// DefaultBackoff waits 10 s, 30 s, 90 s, 4.5 min, 13.5 min, then 30 min between attempts.
func DefaultBackoff(n int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < n && d < 30*time.Minute; i++ {
		d *= 3
	}
	return min(d, 30*time.Minute)
}

// Worker sends the outbox's due messages. Start it once; Stop drains it.
type Worker struct {
	cfg  Config
	db   *store.DB
	kick chan struct{}

	mu       sync.Mutex
	waiters  map[int64][]chan struct{}
	changed  chan struct{} // closed (and replaced) whenever an attempt ends
	inflight atomic.Int64

	stop    context.CancelFunc
	done    chan struct{}
	started bool
}

// New returns a worker; call Start to run it.
func New(cfg Config) (*Worker, error) {
	if cfg.Store == nil || cfg.Sender == nil {
		return nil, errors.New("outbox: Store and Sender are required")
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = DefaultSendTimeout
	}
	if cfg.Lease <= 0 {
		cfg.Lease = cfg.SendTimeout + 30*time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.FallbackGrace <= 0 {
		cfg.FallbackGrace = DefaultFallbackGrace
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Worker{cfg: cfg, db: cfg.Store, kick: make(chan struct{}, 1), waiters: map[int64][]chan struct{}{},
		changed: make(chan struct{})}, nil
}

// Start runs the worker in the background until Stop.
func (w *Worker) Start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return
	}
	w.started = true
	ctx, cancel := context.WithCancel(context.Background())
	w.stop, w.done = cancel, make(chan struct{})
	go w.loop(ctx)
}

// Stop stops claiming messages and waits, at most until ctx ends, for the sends in flight to be
// sent and recorded. Call it before closing the database.
func (w *Worker) Stop(ctx context.Context) error {
	w.mu.Lock()
	started, cancel, done := w.started, w.stop, w.done
	w.mu.Unlock()
	if !started {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("outbox: stop: %w", ctx.Err())
	}
}

// Kick makes the worker look for due messages now (after an enqueue).
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *Worker) loop(ctx context.Context) {
	defer close(w.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-w.kick:
		}
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Log.Error("merchant-bind: outbox", "err", err)
		}
		timer.Reset(w.untilNext(ctx))
	}
}

// untilNext is how long to sleep: until the next pending message is due, at most PollInterval.
func (w *Worker) untilNext(ctx context.Context) time.Duration {
	next, err := w.db.NextDue(ctx)
	if err != nil || next.IsZero() {
		return w.cfg.PollInterval
	}
	return min(max(next.Sub(w.cfg.Now()), 50*time.Millisecond), w.cfg.PollInterval)
}

// RunOnce sends every message due now and returns how many attempts it made. Sends already begun
// finish even when ctx ends (their own timeout bounds them), so Stop leaves nothing half recorded.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		due, err := w.db.DueMessages(ctx, w.cfg.Now(), 50)
		if err != nil {
			return total, err
		}
		if len(due) == 0 {
			return total, nil
		}
		sem := make(chan struct{}, w.cfg.Workers)
		var wg sync.WaitGroup
		var n atomic.Int64
		for _, m := range due {
			if ctx.Err() != nil {
				break
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				if w.process(context.WithoutCancel(ctx), m.ID) {
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		total += int(n.Load())
		if n.Load() == 0 {
			return total, nil // all claimed elsewhere, or the database refuses: wait for the next round
		}
		// Loop: a fallback to 客服消息 is due at once.
	}
	return total, nil
}

// Await waits until the message's next attempt is recorded — and, when that attempt hands it to
// the 客服消息 fallback due at once, that one too — or returns at once when the message is no
// longer pending; at most until ctx ends. It returns the message as it then is.
func (w *Worker) Await(ctx context.Context, id int64) (*store.Message, error) {
	finished := -1 // attempts finished when Await began
	for {
		ch := make(chan struct{})
		w.mu.Lock()
		w.waiters[id] = append(w.waiters[id], ch)
		w.mu.Unlock()
		m, n, inFlight, err := w.state(context.WithoutCancel(ctx), id)
		if finished < 0 {
			finished = n
		}
		if err != nil || m.Status != store.MsgPending || (n > finished && !inFlight && m.NextAttemptAt.After(w.cfg.Now())) {
			w.forget(id, ch)
			return m, err
		}
		select {
		case <-ch:
			w.forget(id, ch)
		case <-ctx.Done():
			w.forget(id, ch)
			m, _, _, err := w.state(context.WithoutCancel(ctx), id)
			return m, err
		}
	}
}

// state reads a message with the number of its finished attempts and whether one is in flight.
func (w *Worker) state(ctx context.Context, id int64) (*store.Message, int, bool, error) {
	m, err := w.db.Message(ctx, id)
	if err != nil {
		return nil, 0, false, err
	}
	atts, err := w.db.Attempts(ctx, []int64{id})
	if err != nil {
		return nil, 0, false, err
	}
	n, inFlight := 0, false
	for _, a := range atts[id] {
		if a.Result == store.AttemptStarted {
			inFlight = true
		} else {
			n++
		}
	}
	return m, n, inFlight, nil
}

func (w *Worker) forget(id int64, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	list := w.waiters[id]
	for i, c := range list {
		if c == ch {
			w.waiters[id] = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(w.waiters[id]) == 0 {
		delete(w.waiters, id)
	}
}

// finished wakes Flush, and Await's waiters of id when an attempt was made.
func (w *Worker) finished(id int64, attempted bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if attempted {
		for _, ch := range w.waiters[id] {
			close(ch)
		}
		delete(w.waiters, id)
	}
	close(w.changed)
	w.changed = make(chan struct{})
}

// Flush sends every message due now — with the background worker, if started — and returns once
// none is due and no send is in flight (tests; a tool that must see the outbox settled).
func (w *Worker) Flush(ctx context.Context) error {
	for {
		w.mu.Lock()
		ch := w.changed
		w.mu.Unlock()
		if _, err := w.RunOnce(ctx); err != nil {
			return err
		}
		if w.inflight.Load() == 0 {
			due, err := w.db.DueMessages(ctx, w.cfg.Now(), 1)
			if err != nil || len(due) == 0 {
				return err
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// process claims one message, makes one attempt and records it. It reports whether it made the
// attempt.
func (w *Worker) process(ctx context.Context, id int64) bool {
	w.inflight.Add(1)
	attempted := w.attemptOne(ctx, id)
	w.inflight.Add(-1)
	w.finished(id, attempted) // also when not attempted: Flush counts what is in flight
	return attempted
}

func (w *Worker) attemptOne(ctx context.Context, id int64) bool {
	now := w.cfg.Now()
	m, attemptID, err := w.db.ClaimMessage(ctx, id, now, now.Add(w.cfg.Lease))
	if errors.Is(err, store.ErrConflict) {
		return false // another worker has it
	}
	if err != nil {
		w.cfg.Log.Error("merchant-bind: outbox claim", "message", id, "err", err)
		return false
	}
	res, next, audit := w.attempt(ctx, m)
	ours, err := w.db.FinishAttempt(ctx, m.ID, attemptID, res, next, audit)
	switch {
	case err != nil:
		// The attempt stays "started" and the lease makes the message due again: the next try
		// records it as interrupted and resends with the same client_msg_id.
		w.cfg.Log.Error("merchant-bind: outbox record", "message", id, "err", err)
	case !ours:
		w.cfg.Log.Warn("merchant-bind: outbox lease expired during a send", "message", id)
	}
	return true
}

// attempt sends m once and decides what comes next.
func (w *Worker) attempt(ctx context.Context, m *store.Message) (store.AttemptResult, store.NextState, *store.AuditEntry) {
	now := w.cfg.Now()
	next := store.NextState{Status: store.MsgPending, Channel: m.Channel, NextAttemptAt: now, DeadlineAt: m.DeadlineAt,
		MsgID: m.MsgID, LastError: m.LastError}
	res := store.AttemptResult{At: now, Channel: m.Channel, Result: store.AttemptError}
	fail := func(detail string) (store.AttemptResult, store.NextState, *store.AuditEntry) {
		res.Detail, next.Status, next.LastError = detail, store.MsgFailed, detail
		return res, next, w.audit(m, m.Kind+".failed", "发送失败 (gave up): "+detail)
	}

	merchant, err := w.db.Merchant(ctx, m.MerchantID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail("商户不存在 (merchant not found)")
	case err != nil:
		res.Detail, next.NextAttemptAt = "database: "+err.Error(), now.Add(w.cfg.Backoff(m.Attempts))
		return res, next, nil
	case merchant.OpenID != m.OpenID:
		return fail("商户已解除绑定，不再发送 (merchant no longer bound to this WeChat)")
	case !merchant.Active():
		return fail("商户已禁用，不再发送 (merchant disabled)")
	}
	windowOpen := merchant.InWindow(now) && m.Payload.Text != ""
	channel := m.Channel
	if channel == store.ChannelTemplate && m.TemplateID == "" {
		channel = store.ChannelCustom
	}
	res.Channel, next.Channel = channel, channel
	if channel == store.ChannelCustom && !windowOpen {
		return fail("无可用模板，且商户超过 48 小时未与公众号互动，不能发客服消息 (no template, and outside the 48-hour customer-service window)")
	}

	sctx, cancel := context.WithTimeout(ctx, w.cfg.SendTimeout)
	defer cancel()
	var msgID int64
	if channel == store.ChannelTemplate {
		msgID, err = w.cfg.Sender.SendTemplate(sctx, &wecom.TemplateMessage{ToUser: m.OpenID, TemplateID: m.TemplateID,
			URL: m.Payload.URL, ClientMsgID: m.ClientMsgID, Data: m.Payload.Data})
	} else {
		err = w.cfg.Sender.SendCustomText(sctx, m.OpenID, m.Payload.Text)
	}
	now = w.cfg.Now()
	res.At = now
	if err == nil {
		res.Result, next.Status, next.LastError = store.AttemptOK, store.MsgSent, ""
		details := "channel=" + channel
		if msgID != 0 {
			next.MsgID = strconv.FormatInt(msgID, 10)
			res.Detail, details = "msgid="+next.MsgID, details+" msgid="+next.MsgID
		}
		return res, next, w.audit(m, m.Kind+".sent", details+" "+m.Summary)
	}

	desc, code := Describe(err)
	res.Detail, res.ErrCode, next.LastError = desc, code, desc
	retryAt := now.Add(w.cfg.Backoff(m.Attempts))
	permanent := Permanent(err)
	if channel == store.ChannelTemplate && windowOpen && (permanent || retryAt.After(m.DeadlineAt)) {
		next.Channel, next.NextAttemptAt = store.ChannelCustom, now
		next.DeadlineAt = maxTime(m.DeadlineAt, now.Add(w.cfg.FallbackGrace))
		return res, next, w.audit(m, m.Kind+".fallback", "模板消息失败，改发客服消息 (template failed, sending a customer-service text): "+desc)
	}
	if permanent || retryAt.After(m.DeadlineAt) {
		return fail(desc)
	}
	next.NextAttemptAt = retryAt
	return res, next, nil
}

func (w *Worker) audit(m *store.Message, what, details string) *store.AuditEntry {
	return &store.AuditEntry{Who: "system", What: what, When: w.cfg.Now(), MerchantID: m.MerchantID,
		Details: "message #" + strconv.FormatInt(m.ID, 10) + " " + details}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
