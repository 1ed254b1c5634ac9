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
	retry       retryPolicy
	callTimeout time.Duration
	loc         *time.Location
	schemaTTL   time.Duration

	schemas schemaCache
	locks   sheetLocks
}

// Option configures a [Client] made by [NewClient]. An invalid value makes NewClient fail.
type Option func(*Client) error

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
			return fmt.Errorf("smartsheet: WithBatchSize: %d is not within 1…1000", n)
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
			return fmt.Errorf("smartsheet: WithConcurrency: %d is not within 1…10", n)
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
			return fmt.Errorf("smartsheet: WithPageSize: %d is not within 1…%d", n, MaxPageSize)
		}
		c.pageSize = n
		return nil
	}
}

// WithRetry sets how calls rejected for a rate limit (45009, 45033) or a data-version conflict (6000),
// and reads that failed ambiguously (errcode -1, HTTP 5xx, transport errors), are retried: at most
// attempts tries in all, with jittered exponential backoff from base, capped at max. Default 5 tries,
// 1 s, 30 s. attempts = 1 disables retries. Writes that may have been applied are never retried here;
// see [BatchError].
func WithRetry(attempts int, base, max time.Duration) Option {
	return func(c *Client) error {
		if attempts < 1 || base < 0 || max < base {
			return fmt.Errorf("smartsheet: WithRetry: invalid attempts %d, base %v or max %v", attempts, base, max)
		}
		c.retry = retryPolicy{attempts: attempts, base: base, max: max}
		return nil
	}
}

// WithCallTimeout bounds each HTTP attempt (0, the default, leaves it to the context and the
// wecom.Client's HTTP client).
func WithCallTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 {
			return fmt.Errorf("smartsheet: WithCallTimeout: negative duration %v", d)
		}
		c.callTimeout = d
		return nil
	}
}

// WithLocation sets the time zone date cells are read in and date-only filters are computed in
// (default China Standard Time, UTC+8, which is what the WeCom client uses in China).
func WithLocation(loc *time.Location) Option {
	return func(c *Client) error {
		if loc == nil {
			return errors.New("smartsheet: WithLocation: nil location")
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
			return fmt.Errorf("smartsheet: WithSchemaTTL: negative duration %v", d)
		}
		c.schemaTTL = d
		return nil
	}
}

// New returns a smart-sheet client with default settings that calls WeCom through wc. wc must be the
// client of the app that created the documents (see the package documentation).
func New(wc *wecom.Client) *Client {
	c, _ := NewClient(wc)
	return c
}

// NewClient is [New] with options.
func NewClient(wc *wecom.Client, opts ...Option) (*Client, error) {
	c := &Client{
		wc:          wc,
		batchSize:   DefaultBatchSize,
		concurrency: 1,
		pageSize:    MaxPageSize,
		retry:       retryPolicy{attempts: 5, base: time.Second, max: 30 * time.Second},
		loc:         chinaTime,
		schemaTTL:   5 * time.Minute,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	c.log = slog.New(slog.DiscardHandler)
	if wc != nil {
		c.log = wc.Logger()
	}
	return c, nil
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
	if c == nil || c.wc == nil {
		return fmt.Errorf("%w: %w", ErrNoClient, wecom.ErrNilClient)
	}
	if err := c.wc.Require(wecom.PlatformWeCom, "smartsheet "+path); err != nil {
		return err
	}
	req := &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/wedoc/" + path, Body: body}
	return c.withRetry(ctx, req.Path, idempotent, func(ctx context.Context) error {
		return c.wc.Do(ctx, req, out)
	})
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
