package wecom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ErrTokenStoreUnavailable is matched (errors.Is) by [TokenStoreStatus].LastError: the token store
// failed, and the client fell back to its own, uncoordinated fetch (or skipped caching a token).
var ErrTokenStoreUnavailable = errors.New("wecom: token store unavailable")

// TokenStoreStatus tells whether the token store has been failing. When a shared store (e.g. Redis
// through wecom/redisstore) is unreachable the client keeps working on its own: it fetches tokens
// without the cross-process lock and keeps them in memory, so replicas may each call gettoken.
// Export Failures as a metric, or alert on a recent LastFailure.
type TokenStoreStatus struct {
	Failures    uint64    // store operations that failed since the client was created
	LastError   error     // the latest failure, matching ErrTokenStoreUnavailable; nil if none
	LastFailure time.Time // when it happened; zero if never
}

// TokenStoreStatus returns the health of the client's token store. The zero value means the store
// never failed.
func (c *Client) TokenStoreStatus() TokenStoreStatus {
	if c == nil || c.health == nil {
		return TokenStoreStatus{}
	}
	return c.health.status()
}

// storeHealth counts token store failures and logs them: through the client's logger when one was
// given, else through slog.Default(), so that a fallback is never silent.
type storeHealth struct {
	log      *slog.Logger // nil: slog.Default() at the time of logging
	now      func() time.Time
	failures atomic.Uint64

	mu   sync.Mutex
	last error
	at   time.Time
}

func (h *storeHealth) fail(ctx context.Context, op, key string, err error) {
	h.failures.Add(1)
	wrapped := fmt.Errorf("%w: %s %s: %w", ErrTokenStoreUnavailable, op, key, err)
	h.mu.Lock()
	h.last, h.at = wrapped, h.now()
	h.mu.Unlock()
	log := h.log
	if log == nil {
		log = slog.Default()
	}
	log.LogAttrs(ctx, slog.LevelWarn, "wecom: token store failed; working without it",
		slog.String("op", op), slogKey(key), slogErr(err))
}

func (h *storeHealth) status() TokenStoreStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	return TokenStoreStatus{Failures: h.failures.Load(), LastError: h.last, LastFailure: h.at}
}
