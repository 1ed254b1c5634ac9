package shop

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Scan records are written in batches, not one transaction per page view. A product page is the
// shop's hottest read (hundreds a second when staff count stock); a write per view would cost an
// fsync each and, on SQLite, would make every reader connection drop its page cache after each one
// (WAL mode resets a reader's cache whenever the database changed), which is what made the page's
// p99 jump from a few milliseconds to tens. Scans are statistics, not stock: a crash loses at most
// the last flush interval of them (see [ScanFlushEvery]), never a sale.

// ScanFlushEvery is how often [Service.RunScanLog] writes the scans kept since the last flush.
const ScanFlushEvery = 5 * time.Second

// scanFlushAt is the number of kept scans at which the next RecordScan writes them at once, so
// that memory stays bounded whatever the rate.
const scanFlushAt = 2000

type scanLog struct {
	mu      sync.Mutex
	pending []Scan
	// flushMu: one flush at a time (scans reach the store in order); readers hold it shared so
	// that a record is counted either as kept or as written, never both or neither.
	flushMu sync.RWMutex
}

// RecordScan keeps a scan record (扫码记录). It writes no outbox row: scans stay in the app. The
// record is written with the next flush; [Service.Scans] counts it at once.
func (s *Service) RecordScan(ctx context.Context, a Actor, code string, src ScanSource) error {
	if src != ScanLabel && src != ScanSearch {
		src = ScanSearch
	}
	sc := Scan{Code: NormalizeCode(code), Actor: a.UserID, Source: src, At: s.now()}
	if sc.Code == "" {
		return ErrNotFound
	}
	s.scans.mu.Lock()
	s.scans.pending = append(s.scans.pending, sc)
	full := len(s.scans.pending) >= scanFlushAt
	s.scans.mu.Unlock()
	if full {
		return s.FlushScans(ctx)
	}
	return nil
}

// FlushScans writes the kept scan records in one transaction. On failure they are kept for the
// next flush.
func (s *Service) FlushScans(ctx context.Context) error {
	s.scans.flushMu.Lock()
	defer s.scans.flushMu.Unlock()
	s.scans.mu.Lock()
	batch := s.scans.pending
	s.scans.pending = nil
	s.scans.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		for _, sc := range batch {
			if err := tx.AddScan(ctx, sc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.scans.mu.Lock()
		s.scans.pending = append(batch, s.scans.pending...)
		s.scans.mu.Unlock()
	}
	return err
}

// RunScanLog flushes the kept scan records every interval until ctx ends, and once more then.
func (s *Service) RunScanLog(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := s.FlushScans(fctx); err != nil {
				s.log.Warn("shop: scan records not written at shutdown", "err", err)
			}
			return
		case <-t.C:
			if err := s.FlushScans(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("shop: scan records not written; will retry", "err", err)
			}
		}
	}
}

// pendingScans returns the kept (not yet written) scans of code, newest first.
func (s *Service) pendingScans(code string) []Scan {
	s.scans.mu.Lock()
	defer s.scans.mu.Unlock()
	var out []Scan
	for _, sc := range s.scans.pending {
		if sc.Code == code {
			out = append(out, sc)
		}
	}
	slices.Reverse(out)
	return out
}

// Scans returns how often a product was scanned and its latest scans, newest first, counting the
// records not written yet.
func (s *Service) Scans(ctx context.Context, code string, limit int) (int, []Scan, error) {
	code = NormalizeCode(code)
	if code == "" {
		return 0, nil, ErrNotFound
	}
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	s.scans.flushMu.RLock()
	defer s.scans.flushMu.RUnlock()
	n, stored, err := s.store.Scans(ctx, code, limit)
	if err != nil {
		return 0, nil, err
	}
	kept := s.pendingScans(code)
	all := append(kept, stored...)
	if len(all) > limit {
		all = all[:limit]
	}
	return n + len(kept), all, nil
}
