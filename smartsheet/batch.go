package smartsheet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Range is a half-open range [From, To) of input indexes.
type Range struct{ From, To int }

func (r Range) String() string { return fmt.Sprintf("[%d,%d)", r.From, r.To) }

// BatchError reports a batched write (AddRecords, UpdateRecords, DeleteRecords) that failed part-way.
// Rows in Applied were certainly written, rows in Unknown may or may not have been (the call failed
// ambiguously), and every other row was certainly not written.
type BatchError struct {
	Op      string   // "add_records", "update_records" or "delete_records"
	Total   int      // rows in the call
	Applied []Range  // input ranges certainly written, ascending
	Unknown []Range  // input ranges whose outcome is unknown, ascending
	Failed  Range    // the first batch that failed
	Done    []Record // AddRecords/UpdateRecords: the written records of Applied, in input order
	Err     error    // why Failed failed
}

func (e *BatchError) Error() string {
	n := 0
	for _, r := range e.Applied {
		n += r.To - r.From
	}
	var b strings.Builder
	fmt.Fprintf(&b, "smartsheet: %s: rows %v of %d failed", e.Op, e.Failed, e.Total)
	if len(e.Unknown) > 0 {
		fmt.Fprintf(&b, " (rows %v may have been written)", e.Unknown)
	}
	fmt.Fprintf(&b, ", %d rows written: %v", n, e.Err)
	return b.String()
}

func (e *BatchError) Unwrap() error { return e.Err }

// MayHaveApplied reports whether some rows' outcome is unknown (Unknown is not empty).
func (e *BatchError) MayHaveApplied() bool { return len(e.Unknown) > 0 }

// runBatches calls send for consecutive windows of at most c.batchSize of n items, c.concurrency at
// a time (in input order when sequential). After the first failure no new batch starts. On failure it
// returns a *BatchError, which finish (if non-nil) completes before it is returned.
func (c *Client) runBatches(ctx context.Context, op string, n int, send func(ctx context.Context, lo, hi int) error,
	finish func(*BatchError)) error {
	if n == 0 {
		return nil
	}
	var (
		mu      sync.Mutex
		applied []Range
		unknown []Range
		failed  *Range
		ferr    error
		stop    bool
	)
	record := func(r Range, err error, sent bool) {
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			applied = append(applied, r)
			return
		}
		stop = true
		if sent && MayHaveApplied(err) {
			unknown = append(unknown, r)
		}
		if failed == nil || r.From < failed.From {
			failed, ferr = &r, err
		}
	}
	stopped := func() bool { mu.Lock(); defer mu.Unlock(); return stop }

	sem := make(chan struct{}, c.concurrency)
	var wg sync.WaitGroup
	for lo := 0; lo < n && !stopped(); lo += c.batchSize {
		r := Range{lo, min(lo+c.batchSize, n)}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			record(r, err, false) // not sent
			break
		}
		if stopped() {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			record(r, send(ctx, r.From, r.To), true)
		}()
		if c.concurrency == 1 {
			wg.Wait() // sequential: in order, and stop at the first failure
		}
	}
	wg.Wait()
	if failed == nil {
		return nil
	}
	slices.SortFunc(applied, func(a, b Range) int { return a.From - b.From })
	slices.SortFunc(unknown, func(a, b Range) int { return a.From - b.From })
	be := &BatchError{Op: op, Total: n, Applied: applied, Unknown: unknown, Failed: *failed, Err: ferr}
	if finish != nil {
		finish(be)
	}
	return be
}
