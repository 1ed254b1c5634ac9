package wecom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"time"
)

// RetryPolicy says how a call that failed is sent again. It drives every retry of the SDK:
// [Client.Do] and [Client.Stream] use the client's policy ([WithRetry]) unless a [Request] carries
// its own (Request.Retry), which is how package smartsheet applies its policy.
//
// Which failures are retried depends on whether the call may already have been applied:
//
//   - a connection that could not be dialled: the request never left, so always;
//   - errcode -1 (系统繁忙), HTTP 5xx, a transport error after the request was sent, a try that
//     ran out of AttemptTimeout, or a success response that cannot be decoded: only when the call
//     is idempotent (GET, HEAD, or a request marked Idempotent), because a POST such as
//     message/send could otherwise be applied twice;
//   - with RetryLater, also calls WeCom refused without applying them and asked to repeat later:
//     frequency and concurrency limits (45009, 45033) and data version conflicts (6000), whatever
//     the method.
//
// An access token WeCom rejects (40001, 40014, 42001) is not a retry of this policy: it is dropped
// and the call is sent once more with a fresh token, whatever the policy says.
type RetryPolicy struct {
	// Attempts is the number of tries in all (at least 1; 1 disables retries).
	Attempts int
	// Base is the wait before the second try; each later wait doubles. Waits are jittered by ±50%.
	Base time.Duration
	// Max caps one wait (before jitter). 0 means no cap: the waits are still bounded by Attempts.
	Max time.Duration
	// RetryLater also retries rate-limit (45009, 45033) and data-version (6000) rejections. Use waits
	// of seconds for it: WeCom's frequency limits are counted per minute.
	RetryLater bool
	// AttemptTimeout bounds each try of [Client.Do] (0: only the context and the HTTP client's
	// timeout). [Client.Stream] does not apply it, since its caller reads the body afterwards.
	AttemptTimeout time.Duration
}

// DefaultRetryPolicy is the policy of a client created without [WithRetry]: 3 tries, 200 ms then
// 400 ms apart (jittered), rate limits not retried.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Attempts: 3, Base: 200 * time.Millisecond, Max: 5 * time.Second}
}

// Validate reports whether p can be used: Attempts ≥ 1, no negative duration, Max 0 or ≥ Base.
func (p RetryPolicy) Validate() error {
	switch {
	case p.Attempts < 1:
		return fmt.Errorf("wecom: RetryPolicy: Attempts must be at least 1, got %d", p.Attempts)
	case p.Base < 0 || p.Max < 0 || p.AttemptTimeout < 0:
		return fmt.Errorf("wecom: RetryPolicy: negative duration (Base %v, Max %v, AttemptTimeout %v)",
			p.Base, p.Max, p.AttemptTimeout)
	case p.Max != 0 && p.Max < p.Base:
		return fmt.Errorf("wecom: RetryPolicy: Max %v is below Base %v", p.Max, p.Base)
	}
	return nil
}

// WithRetry sets the client's retry policy (default [DefaultRetryPolicy]); see [RetryPolicy] for
// which failures are retried. RetryPolicy{Attempts: 1} disables retries.
func WithRetry(p RetryPolicy) Option {
	return func(o *options) error {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("wecom: WithRetry: %w", err)
		}
		o.retry = p
		return nil
	}
}

// retrying runs try until it succeeds, fails for good, or p is spent. ctx ending stops it at once.
func (c *Client) retrying(ctx context.Context, p RetryPolicy, path string, idempotent bool, try func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := p.try(ctx, try)
		if err == nil {
			return nil
		}
		if attempt >= p.Attempts || ctx.Err() != nil || !p.retryable(err, idempotent) {
			return err
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "wecom: retrying", slogPath(path), slogAttempt(attempt+1), slogErr(err))
		if p.Wait(ctx, attempt) != nil {
			return err
		}
	}
}

// try runs one try, bounded by AttemptTimeout.
func (p RetryPolicy) try(ctx context.Context, try func(context.Context) error) error {
	if p.AttemptTimeout <= 0 {
		return try(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, p.AttemptTimeout)
	defer cancel()
	err := try(actx)
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		return &attemptTimeoutError{after: p.AttemptTimeout, err: err}
	}
	return err
}

func (p RetryPolicy) retryable(err error, idempotent bool) bool {
	var op *net.OpError
	var he *HTTPError
	var te *attemptTimeoutError
	switch {
	case p.RetryLater && (IsRateLimited(err) || errors.Is(err, CodeDataVersionConflict)):
		return true
	case errors.Is(err, errTransport) && errors.As(err, &op) && op.Op == "dial":
		return true // never reached the server: safe for any method
	case !idempotent:
		return false
	case errors.Is(err, CodeSystemBusy), errors.Is(err, errTransport), errors.Is(err, errDecode), errors.As(err, &te):
		return true
	case errors.As(err, &he):
		return he.StatusCode >= 500
	}
	return false
}

// delay is the wait after try number attempt: Base·2^(attempt-1), capped at Max, ±50% jitter.
func (p RetryPolicy) delay(attempt int) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d <= math.MaxInt64/4 && (p.Max == 0 || d < p.Max); i++ {
		d *= 2
	}
	if p.Max > 0 {
		d = min(d, p.Max)
	}
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d)
}

// Wait sleeps for the backoff after try number attempt (1 before the second try):
// Base·2^(attempt-1), capped at Max, jittered by ±50%. It returns ctx's error if ctx ends first.
// Code that repeats a step of its own under the policy (smartsheet checks whether a write that may
// have been applied was, before sending it again) uses it to keep the policy's timing.
func (p RetryPolicy) Wait(ctx context.Context, attempt int) error {
	d := p.delay(attempt)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attemptTimeoutError is a try that ran out of [RetryPolicy.AttemptTimeout] while the caller's
// context was still alive. It matches context.DeadlineExceeded.
type attemptTimeoutError struct {
	after time.Duration
	err   error
}

func (e *attemptTimeoutError) Error() string {
	return fmt.Sprintf("%v (try timed out after %v)", e.err, e.after)
}

func (e *attemptTimeoutError) Unwrap() error { return e.err }

var (
	errTransport = errors.New("wecom: transport")
	errDecode    = errors.New("wecom: decode response")
)

// transportError is a failure to send a request or read its response.
type transportError struct {
	path string
	err  error
}

func (e *transportError) Error() string        { return fmt.Sprintf("wecom: %s: %v", e.path, e.err) }
func (e *transportError) Unwrap() []error      { return []error{errTransport, e.err} }
func (e *transportError) Is(target error) bool { return target == errTransport }

// decodeError is a response WeCom answered with HTTP 2xx that is not the JSON expected.
type decodeError struct {
	path string
	err  error
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("wecom: %s: decode response: %v", e.path, e.err)
}
func (e *decodeError) Unwrap() []error { return []error{errDecode, e.err} }
