package smartsheet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/qiwei-go/qiwei/wecom"
)

// Client calls the smart-sheet (智能表格) and document (文档) endpoints with a [wecom.Client]'s access
// token. It is safe for concurrent use and immutable after construction: create one and reuse it, so
// that its cache of sheet schemas and its per-sheet write lock are shared.
type Client struct {
	wc          *wecom.Client
	log         *slog.Logger
	batchSize   int
	concurrency int
	pageSize    int
	retry       wecom.RetryPolicy
	loc         *time.Location
	schemaTTL   time.Duration

	err error // an invalid option or a missing/wrong wecom.Client: every call returns it

	schemas schemaCache
	locks   sheetLocks
}

// Option configures a [Client] made by [New]. An invalid value makes every call of the Client fail
// with an error matching [ErrInvalidOption]; [Client.Err] reports it at once.
type Option func(*Client) error

// ErrInvalidOption is matched (errors.Is) by the error of a Client built with an invalid [Option].
var ErrInvalidOption = errors.New("smartsheet: invalid option")

func optionf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
}

// Defaults.
const (
	DefaultBatchSize = 500  // rows per add/update/delete_records call (WeCom recommends ≤ 500)
	MaxPageSize      = 1000 // most records get_records returns per call
)

// WithBatchSize sets how many rows one add_records, update_records or delete_records call carries
// (1…1000, default [DefaultBatchSize]).
func WithBatchSize(n int) Option {
	return func(c *Client) error {
		if n < 1 || n > 1000 {
			return optionf("WithBatchSize: %d is not within 1…1000", n)
		}
		c.batchSize = n
		return nil
	}
}

// WithConcurrency lets one AddRecords/UpdateRecords/DeleteRecords call send up to n batches at once
// (1…10, default 1: sequential, which WeCom recommends for writes to one sheet). Writes from different
// calls to the same sheet are always serialised within one Client.
func WithConcurrency(n int) Option {
	return func(c *Client) error {
		if n < 1 || n > 10 {
			return optionf("WithConcurrency: %d is not within 1…10", n)
		}
		c.concurrency = n
		return nil
	}
}

// WithPageSize sets how many records [Client.Records] asks for per get_records call (1…1000, default
// 1000: the fewest requests).
func WithPageSize(n int) Option {
	return func(c *Client) error {
		if n < 1 || n > MaxPageSize {
			return optionf("WithPageSize: %d is not within 1…%d", n, MaxPageSize)
		}
		c.pageSize = n
		return nil
	}
}

// WithRetry sets the retry policy of every call (see [wecom.RetryPolicy] for which failures are
// retried). The default is [DefaultRetryPolicy]: 5 tries, waits from 1 s to 30 s, and RetryLater
// set, so that rate limits (45009, 45033) and data-version conflicts (6000) are waited out.
// Reads are marked idempotent, so that their ambiguous failures (errcode -1, HTTP 5xx, transport
// errors, a try over AttemptTimeout) are retried too; writes that may have been applied never are
// (see [BatchError]). wecom.RetryPolicy{Attempts: 1} disables retries.
func WithRetry(p wecom.RetryPolicy) Option {
	return func(c *Client) error {
		if err := p.Validate(); err != nil {
			return optionf("WithRetry: %v", err)
		}
		c.retry = p
		return nil
	}
}

// DefaultRetryPolicy is the retry policy of a Client created without [WithRetry].
func DefaultRetryPolicy() wecom.RetryPolicy {
	return wecom.RetryPolicy{Attempts: 5, Base: time.Second, Max: 30 * time.Second, RetryLater: true}
}

// WithLocation sets the time zone date cells are read in and date-only filters are computed in
// (default China Standard Time, UTC+8, which is what the WeCom client uses in China).
func WithLocation(loc *time.Location) Option {
	return func(c *Client) error {
		if loc == nil {
			return optionf("WithLocation: nil location")
		}
		c.loc = loc
		return nil
	}
}

// WithSchemaTTL sets how long the fields of a sheet (used to decode cells, resolve filters and map
// tables) are cached. Changes made through this Client invalidate the cache at once; the TTL bounds
// how long a change made by a person in the WeCom client goes unseen. Default 5 minutes; 0 disables
// caching.
func WithSchemaTTL(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 {
			return optionf("WithSchemaTTL: negative duration %v", d)
		}
		c.schemaTTL = d
		return nil
	}
}

// New returns a smart-sheet client that calls WeCom through wc, the client of the app that
// created the documents (see the package documentation), configured by opts.
//
// New never fails: a nil or 公众号 wc, or an invalid option, makes every call of the Client return
// an error before any request (matching [ErrNoClient], wecom.ErrWrongPlatform or [ErrInvalidOption]),
// as a nil *wecom.Client does in package wecom. Check [Client.Err] at start-up to fail fast.
func New(wc *wecom.Client, opts ...Option) *Client {
	c := &Client{
		wc:          wc,
		batchSize:   DefaultBatchSize,
		concurrency: 1,
		pageSize:    MaxPageSize,
		retry:       DefaultRetryPolicy(),
		loc:         chinaTime,
		schemaTTL:   5 * time.Minute,
		log:         wc.Logger(),
	}
	switch {
	case wc == nil:
		c.err = fmt.Errorf("%w: %w", ErrNoClient, wecom.ErrNilClient)
	default:
		c.err = wc.Require(wecom.PlatformWeCom, "smartsheet.New")
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil && c.err == nil {
			c.err = err
		}
	}
	return c
}

// Err returns the error every call of c returns because of how c was built — an invalid option,
// a nil *wecom.Client or a 公众号 one — or nil when c is usable.
func (c *Client) Err() error {
	if c == nil {
		return fmt.Errorf("%w: %w", ErrNoClient, wecom.ErrNilClient)
	}
	return c.err
}

// chinaTime is UTC+8 without DST: China Standard Time. A fixed zone needs no tzdata.
var chinaTime = time.FixedZone("CST", 8*60*60)

// ErrNoClient is returned by every call of a Client created without a *wecom.Client; it also
// matches wecom.ErrNilClient. A Client on a 公众号 client (smart sheets are WeCom only) fails every
// call with an error matching wecom.ErrWrongPlatform. Both happen before any request.
var ErrNoClient = errors.New("smartsheet: Client has no wecom.Client")

// post calls a wedoc endpoint (path without the /cgi-bin/wedoc/ prefix). Reads are idempotent:
// ambiguous failures are retried. Writes are retried only when WeCom certainly rejected them.
func (c *Client) post(ctx context.Context, path string, body, out any, idempotent bool) error {
	if err := c.Err(); err != nil {
		return err
	}
	return c.wc.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/wedoc/" + path, Body: body,
		Idempotent: idempotent, Retry: &c.retry}, out)
}

// sheetLocks serialises writes per sheet within one Client (WeCom answers concurrent writes to one
// sheet with errcode 6000 data version conflicts).
type sheetLocks struct {
	mu sync.Mutex
	m  map[sheetKey]chan struct{}
}

type sheetKey struct{ doc, sheet string }

// lock waits for the sheet's write lock or ctx. The returned func releases it.
func (l *sheetLocks) lock(ctx context.Context, k sheetKey) (func(), error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[sheetKey]chan struct{}{}
	}
	ch := l.m[k]
	if ch == nil {
		ch = make(chan struct{}, 1)
		l.m[k] = ch
	}
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func checkIDs(docID, sheetID string) error {
	switch {
	case docID == "":
		return invalidf("empty doc id")
	case sheetID == "":
		return invalidf("empty sheet id")
	}
	return nil
}

// pageLimit checks a page request and returns the limit to send (0 means a full page).
func pageLimit(call string, offset, limit int) (int, error) {
	if offset < 0 || limit < 0 || limit > MaxPageSize {
		return 0, invalidf("%s: offset %d / limit %d out of range", call, offset, limit)
	}
	if limit == 0 {
		limit = MaxPageSize
	}
	return limit, nil
}
