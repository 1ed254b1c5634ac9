package wecom

import (
	"errors"
	"strings"
	"time"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
)

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
	allowPlain     bool
	accountID      string
}

// Callback defaults.
const (
	DefaultCallbackMaxBody    = 1 << 20          // 1 MiB
	DefaultDedupeTTL          = 10 * time.Minute // covers WeCom's 3 tries many times over
	DefaultCallbackWorkers    = 4
	DefaultCallbackQueue      = 256
	DefaultCallbackJobTimeout = time.Minute
	// DefaultPlainMaxSkew is the timestamp window of plaintext (明文模式) deliveries when
	// [WithMaxClockSkew] is not set: their (timestamp, nonce) pairs are remembered for the window,
	// so it cannot be switched off.
	DefaultPlainMaxSkew = 5 * time.Minute
)

// WithAsync makes the handler answer at once (empty 200, or "success" for a 公众号) and run the
// [MessageHandler] afterwards on a pool of at most workers goroutines, with up to queue messages
// waiting. Each run gets a context that keeps the request's values but not its cancellation,
// bounded by timeout. Zero values take the defaults (4 workers, 256 queued, 1 minute). Use it when
// handling can take close to WeCom's 5 seconds. Call [CallbackHandler.Shutdown] to drain the pool.
//
// When the queue is full (or the pool is shut down) the message is handled in the request itself,
// before the answer: back-pressure instead of a 503, because WeCom and WeChat deliver again only
// when no answer arrives within 5 seconds, so a refused message could be lost. An accepted message
// is always answered 200. A handler error (or panic) is logged and forgets the delivery, so that a
// redelivery is processed again.
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
// [MemoryStore]. A store that also has Delete(ctx, key) lets a failed delivery be retried. The
// plain-mode replay guard keeps its (timestamp, nonce) keys there too.
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
// replays of captured requests. Default 0: encrypted deliveries are not checked, plaintext ones use
// [DefaultPlainMaxSkew]. Use minutes, not seconds: retries of one delivery keep its first timestamp.
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

// WithCallbackClock sets the clock used for reply CreateTime, reply timestamps, the plain-mode
// replay window and [WithMaxClockSkew] (tests). Default: the client's clock ([WithClock]).
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

// WithPlaintextAllowed lets a 公众号 handler built with an EncodingAESKey also accept plaintext
// deliveries (明文模式: no msg_signature, no encrypt_type=aes), for the minutes in which the account
// is switched between plain and safe mode in the console.
//
// Risk: a plaintext delivery is authenticated only by its signature, which covers the token, the
// timestamp and the nonce but not the body, and sits in the query string of every delivery, so in
// every proxy access log. Anyone who can read one such URL can replay it with a body of their own
// (another openid, a forged unsubscribe) until the timestamp leaves the window. The handler limits
// this ((timestamp, nonce) pairs are remembered for the window, see [DefaultPlainMaxSkew], and
// [WithAccountID] pins ToUserName) but cannot prevent it. Remove the option once the account is in
// safe mode (安全模式). It is an error for a WeCom client, whose callbacks are always encrypted.
func WithPlaintextAllowed() CallbackOption {
	return func(c *callbackConfig) error {
		c.allowPlain = true
		return nil
	}
}

// WithAccountID makes a 公众号 handler refuse (403) any delivery whose ToUserName is not the
// account's original id (原始ID, "gh_…", shown in the console's account details). It matters most
// in plain mode, where the body is not signed. It is an error for a WeCom client.
func WithAccountID(originalID string) CallbackOption {
	return func(c *callbackConfig) error {
		if originalID == "" || strings.TrimSpace(originalID) != originalID {
			return errors.New("wecom: WithAccountID: empty id or surrounding spaces")
		}
		c.accountID = originalID
		return nil
	}
}
