package wecom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"
)

// replayGuard protects plaintext deliveries, whose signature does not cover the body: a
// (timestamp, nonce) pair, once seen with one body, is refused with any other body for as long as
// its timestamp can pass the window. The same body again is a retry and goes on to dedupe.
//
// Two claims in the shared Deduper implement it without reading values back: first the pair plus
// the body's hash (already claimed: a retry of that very body), then the pair alone (already
// claimed: another body came first, so this one is a forgery). The order makes a genuine retry
// pass even when the process died between the two claims.
type replayGuard struct {
	store  Deduper
	local  *MemoryStore // used when store fails, so the guard never fails open across requests
	prefix string
	ttl    time.Duration
	log    *slog.Logger
}

func newReplayGuard(store Deduper, prefix string, window time.Duration, log *slog.Logger) *replayGuard {
	// A timestamp up to window in the future passes until 2×window from now; add a minute of slack.
	return &replayGuard{store: store, local: NewMemoryStore(), prefix: prefix + "replay:",
		ttl: 2*window + time.Minute, log: log}
}

// allow reports whether body may be processed for (timestamp, nonce).
func (g *replayGuard) allow(ctx context.Context, timestamp, nonce string, body []byte) bool {
	sum := sha256.Sum256(body)
	pair := g.prefix + hex.EncodeToString([]byte(timestamp)) + ":" + hex.EncodeToString([]byte(nonce))
	first, err := g.claim(ctx, pair+":"+hex.EncodeToString(sum[:16]))
	if err != nil || !first {
		return err == nil // already seen with this body: a retry
	}
	first, err = g.claim(ctx, pair)
	return err == nil && first
}

func (g *replayGuard) claim(ctx context.Context, key string) (bool, error) {
	first, err := g.store.Claim(ctx, key, g.ttl)
	if err == nil {
		return first, nil
	}
	g.log.LogAttrs(ctx, slog.LevelWarn, "wecom: callback replay store failed; using process memory", slogErr(err))
	return g.local.Claim(ctx, key, g.ttl)
}
