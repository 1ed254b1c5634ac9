package smartsheet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	"github.com/qiwei-go/qiwei/wecom"
)

type retryPolicy struct {
	attempts  int
	base, max time.Duration
}

// delay is base·2^(attempt-1) capped at max, with ±50% jitter.
func (p retryPolicy) delay(attempt int) time.Duration {
	d := p.base
	for i := 1; i < attempt && d < p.max; i++ {
		d *= 2
	}
	d = min(d, p.max)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d)
}

// withRetry runs fn (one HTTP attempt) until it succeeds, fails for good, or the policy is spent.
// Rejections that say "try later" (rate limits, version conflicts) are retried for every call; failures
// after which the call may have been applied are retried only when idempotent.
func (c *Client) withRetry(ctx context.Context, path string, idempotent bool, fn func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := c.attempt(ctx, fn)
		if err == nil {
			return nil
		}
		again := retryLater(err) || idempotent && MayHaveApplied(err) && !errors.Is(err, wecom.ErrResponseTooLarge)
		if ctx.Err() != nil || attempt >= c.retry.attempts || !again {
			return err
		}
		d := c.retry.delay(attempt)
		c.log.LogAttrs(ctx, slog.LevelDebug, "smartsheet: retrying", slog.String("path", path),
			slog.Int("attempt", attempt+1), slog.Duration("after", d), slog.String("err", err.Error()))
		if !sleep(ctx, d) {
			return err
		}
	}
}

func (c *Client) attempt(ctx context.Context, fn func(context.Context) error) error {
	if c.callTimeout <= 0 {
		return fn(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, c.callTimeout)
	defer cancel()
	return fn(actx)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// retryLater reports whether WeCom rejected the call without applying it and asks to come back later:
// a frequency or concurrency limit (45009, 45033) or a data version conflict (6000).
func retryLater(err error) bool {
	return wecom.IsRateLimited(err) || errors.Is(err, wecom.CodeDataVersionConflict)
}

// MayHaveApplied reports whether err leaves it unknown if WeCom applied the write: a timeout or
// cancellation, a transport error after the request was sent, an HTTP 5xx, errcode -1 (系统繁忙), or an
// unreadable success response. Such a write must be checked (e.g. by looking its key up) before it
// is sent again; [Table] does that. Errors WeCom answered with any other errcode, HTTP 4xx answers and
// dial failures mean the write was not applied.
func MayHaveApplied(err error) bool {
	if err == nil {
		return false
	}
	var be *BatchError
	if errors.As(err, &be) {
		return be.MayHaveApplied()
	}
	var ae *wecom.APIError
	if errors.As(err, &ae) {
		return ae.Code == wecom.CodeSystemBusy
	}
	var he *wecom.HTTPError
	if errors.As(err, &he) {
		return he.StatusCode >= 500
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	if errors.Is(err, ErrNoClient) || errors.Is(err, ErrInvalidInput) || errors.Is(err, wecom.ErrWrongPlatform) ||
		errors.Is(err, wecom.ErrNilClient) {
		return false // refused before anything was sent
	}
	return true
}

// ErrInvalidInput is wrapped by errors about the caller's input, found before anything was sent.
var ErrInvalidInput = errors.New("smartsheet: invalid input")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, args...)...)
}
