// Package sheetsync keeps the shop's WeCom smart sheet (智能表格) in step with the store, both ways.
//
// Store → sheet: every change queues outbox rows in its own transaction; the worker writes them to
// the sheet in batches (at most 500 records per call), waits out rate limits and outages for as
// long as needed, and deletes a row only after WeCom acknowledged it. An add whose answer was lost
// is looked up by key before it is sent again, so the sheet gets exactly one row per store row.
// Several replicas share the work: each sheet table is written by the holder of its lease.
//
// Sheet → store: WeCom's smart_sheet_change callback is stored, then the named records are read
// back and what members changed is applied (a change of 库存 becomes a 表格修改 ledger row). The
// app's own writes are recognised by comparing with what it last wrote. A periodic reconcile heals
// missed callbacks and rows missing from the sheet.
package sheetsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// Options configures a Syncer.
type Options struct {
	// Owner names this replica in the leases (stable across restarts of one replica).
	Owner string
	// MaxDelay is how long a change may wait to be batched with others (default 8 s): a table is
	// written when its oldest queued row is this old, or when a full batch is queued.
	MaxDelay time.Duration
	// Batch is the most records per add_records/update_records call (default and maximum 500).
	Batch int
	// ReconcileEvery is the period of the reconcile (default 10 minutes; < 0 turns it off).
	ReconcileEvery time.Duration
	// Poll is how often the loop looks for work queued by other replicas (default 1 s).
	Poll time.Duration
	// LeaseTTL is how long a lease lasts without renewal (default 60 s).
	LeaseTTL time.Duration
	// RetryBase and RetryMax bound the back-off between failed deliveries (default 2 s, 5 min).
	RetryBase, RetryMax time.Duration
	Logger              *slog.Logger
	Now                 func() time.Time
	// Location is the shop's time zone: a row goes to the yearly sheet of its year there (default
	// Asia/Shanghai).
	Location *time.Location
}

// Syncer runs the two-way sync of one document.
type Syncer struct {
	st    *store.Store
	ss    *smartsheet.Client
	shop  *shop.Service
	docID string
	o     Options
	log   *slog.Logger

	wake    chan struct{}
	leaseMu sync.Mutex
	leases  map[string]time.Time // leases held, until when (renewed in the store at half-life)
	callsMu sync.Mutex
	calls   map[string]int // write calls made by this replica, by "table:add" / "table:update"
	pending atomic.Int64   // outbox rows for the sheet, as last counted
	failing atomic.Int64
	lastRec atomic.Int64 // Unix ms of the last reconcile started here
	// schemaOK holds the sub-sheets whose columns this process has checked (see ensureSchema).
	schemaOK sync.Map
}

// New returns a Syncer; call Run to start it.
func New(st *store.Store, ss *smartsheet.Client, svc *shop.Service, docID string, o Options) *Syncer {
	if o.Owner == "" {
		o.Owner = "replica"
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 8 * time.Second
	}
	if o.Batch <= 0 || o.Batch > smartsheet.DefaultBatchSize {
		o.Batch = smartsheet.DefaultBatchSize
	}
	if o.ReconcileEvery == 0 {
		o.ReconcileEvery = 10 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = time.Minute
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 2 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = shop.DefaultLocation()
	}
	return &Syncer{st: st, ss: ss, shop: svc, docID: docID, o: o, log: o.Logger, wake: make(chan struct{}, 1),
		calls: map[string]int{}, leases: map[string]time.Time{}}
}

// lease takes or keeps the lease of a table. A lease held for more than half its time yet is not
// written again: an idle loop costs the database nothing.
func (s *Syncer) lease(ctx context.Context, topic string) (bool, error) {
	name := "sync:" + topic
	now := s.o.Now()
	s.leaseMu.Lock()
	until := s.leases[name]
	s.leaseMu.Unlock()
	if until.Sub(now) > s.o.LeaseTTL/2 {
		return true, nil
	}
	held, err := s.st.Lease(ctx, name, s.o.Owner, s.o.LeaseTTL)
	s.leaseMu.Lock()
	if held && err == nil {
		s.leases[name] = now.Add(s.o.LeaseTTL)
	} else {
		delete(s.leases, name)
	}
	s.leaseMu.Unlock()
	return held, err
}

// Calls returns how many write calls this replica made to the sheet since it started, by table
// and kind ("products:add", "products:update", "ledger:add", "sales:add", "photos:upload").
func (s *Syncer) Calls() map[string]int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

func (s *Syncer) called(key string) {
	s.callsMu.Lock()
	s.calls[key]++
	s.callsMu.Unlock()
}

// DocID returns the document's id.
func (s *Syncer) DocID() string { return s.docID }

// Kick wakes the loop (after a change or a callback), without waiting.
func (s *Syncer) Kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Pending returns how many outbox rows wait for the sheet, as last counted (at most a poll ago).
func (s *Syncer) Pending() int { return int(s.pending.Load()) }

// Failing returns how many of them failed their last delivery.
func (s *Syncer) Failing() int { return int(s.failing.Load()) }

// Run syncs until ctx ends: callbacks, outbox, notices of the reconcile, every Poll or when kicked.
func (s *Syncer) Run(ctx context.Context) {
	s.count(ctx)
	// The first reconcile comes one period after start: start-up reads nothing from WeCom.
	if s.lastRec.Load() == 0 {
		s.lastRec.Store(s.o.Now().UnixMilli())
	}
	t := time.NewTicker(s.o.Poll)
	defer t.Stop()
	for {
		if err := s.Step(ctx, false); err != nil && ctx.Err() == nil {
			s.log.Warn("sheetsync: step failed", "err", err)
		}
		if s.o.ReconcileEvery > 0 && s.o.Now().Sub(time.UnixMilli(s.lastRec.Load())) >= s.o.ReconcileEvery {
			s.lastRec.Store(s.o.Now().UnixMilli())
			if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("sheetsync: reconcile failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// Step runs one round: for each table whose lease this replica holds or takes, apply the stored
// callbacks of its sheets, then write what is due (everything queued when force is set).
func (s *Syncer) Step(ctx context.Context, force bool) error {
	var errs []error
	for _, topic := range store.SheetTopics {
		t := tables[topic]
		held, err := s.lease(ctx, topic)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !held {
			continue
		}
		if err := s.applyEvents(ctx, t); err != nil {
			errs = append(errs, err)
		}
		if err := s.push(ctx, t, force); err != nil {
			errs = append(errs, err)
		}
	}
	s.count(ctx)
	return errors.Join(errs...)
}

// ErrLeased is returned by Flush when another replica writes a table of the sheet now.
var ErrLeased = errors.New("sheetsync: another replica holds the table's lease")

// Flush writes everything queued now, ignoring MaxDelay and back-off, until nothing is left or a
// round fails. Tests and a graceful shutdown use it.
func (s *Syncer) Flush(ctx context.Context) error {
	for _, topic := range store.SheetTopics {
		held, err := s.lease(ctx, topic)
		if err != nil {
			return err
		}
		if !held {
			return fmt.Errorf("%w: %s", ErrLeased, topic)
		}
	}
	for round := 0; ; round++ {
		if err := s.st.RetryNow(ctx); err != nil {
			return err
		}
		if err := s.Step(ctx, true); err != nil {
			return err
		}
		st, err := s.st.OutboxStats(ctx, store.SheetTopics...)
		if err != nil {
			return err
		}
		if st.Pending == 0 {
			return nil
		}
		if round == 100 {
			return errors.New("sheetsync: outbox not empty after 100 rounds")
		}
	}
}

func (s *Syncer) count(ctx context.Context) {
	st, err := s.st.OutboxStats(ctx, store.SheetTopics...)
	if err == nil {
		s.pending.Store(int64(st.Pending))
		s.failing.Store(int64(st.Failing))
	}
}

// backoff is the wait before the attempt-th retry: exponential from RetryBase, capped, ±20 %.
func (s *Syncer) backoff(attempt int) time.Duration {
	d := s.o.RetryBase << min(attempt, 20)
	if d <= 0 || d > s.o.RetryMax {
		d = s.o.RetryMax
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
