package main

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/redisstore"
)

// Redis is optional and never load-bearing: it shares the access token, the callback dedupe and
// the Binder's scene → merchant mirror between replicas, while the database stays the truth. When
// it fails, degradingStore carries on with an in-process store and tries Redis again after a
// pause, so a Redis outage makes the app forget less across replicas, never stop.

// redisRetryAfter is how long Redis is left alone after a failure.
const redisRetryAfter = 15 * time.Second

// newRedis connects with short timeouts (a hung Redis must not hold requests) and does not
// require Redis to answer at start.
func newRedis(rawURL string) (*redis.Client, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, errors.New("REDIS_URL is not a valid redis:// URL")
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = time.Second, time.Second, time.Second, time.Second
	opt.MaxRetries = 1
	return redis.NewClient(opt), nil
}

// degradingStore is a wecom.TokenStore (with Locker, CompareAndDeleter and Deduper) on Redis that
// falls back to memory while Redis fails.
type degradingStore struct {
	remote    *redisstore.Store
	local     *wecom.MemoryStore
	downUntil atomic.Int64 // unix nanos
	log       *slog.Logger
	now       func() time.Time
}

func newDegradingStore(rdb redis.UniversalClient, prefix string, log *slog.Logger) *degradingStore {
	return &degradingStore{remote: redisstore.New(rdb, prefix), local: wecom.NewMemoryStore(), log: log, now: time.Now}
}

// Degraded reports whether Redis is being skipped after a failure.
func (d *degradingStore) Degraded() bool { return d.now().UnixNano() < d.downUntil.Load() }

func (d *degradingStore) up() bool { return !d.Degraded() }

// failed notes a Redis failure; the first of an outage is logged.
func (d *degradingStore) failed(op string, err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	until := d.now().Add(redisRetryAfter).UnixNano()
	if prev := d.downUntil.Swap(until); prev < d.now().UnixNano() {
		d.log.Warn("merchant-bind: Redis unavailable; continuing without it (degraded)", "op", op, "err", err,
			"retry_in", redisRetryAfter.String())
	}
}

func (d *degradingStore) Get(ctx context.Context, key string) (string, bool, error) {
	if d.up() {
		v, ok, err := d.remote.Get(ctx, key)
		if err == nil && ok {
			return v, true, nil
		}
		d.failed("get", err)
	}
	return d.local.Get(ctx, key)
}

func (d *degradingStore) Set(ctx context.Context, key, val string, ttl time.Duration) error {
	if err := d.local.Set(ctx, key, val, ttl); err != nil {
		return err
	}
	if d.up() {
		d.failed("set", d.remote.Set(ctx, key, val, ttl))
	}
	return nil
}

func (d *degradingStore) Delete(ctx context.Context, key string) error {
	_ = d.local.Delete(ctx, key)
	if d.up() {
		d.failed("delete", d.remote.Delete(ctx, key))
	}
	return nil
}

func (d *degradingStore) CompareAndDelete(ctx context.Context, key, old string) (bool, error) {
	local, _ := d.local.CompareAndDelete(ctx, key, old)
	if d.up() {
		ok, err := d.remote.CompareAndDelete(ctx, key, old)
		if err == nil {
			return ok || local, nil
		}
		d.failed("compare-and-delete", err)
	}
	return local, nil
}

// Lock takes the cross-replica lock; without Redis every replica refreshes on its own.
func (d *degradingStore) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	if d.up() {
		unlock, ok, err := d.remote.Lock(ctx, key, ttl)
		if err == nil {
			return unlock, ok, nil
		}
		d.failed("lock", err)
	}
	return func(context.Context) error { return nil }, true, nil
}

// Claim dedupes callback deliveries; without Redis each replica remembers its own.
func (d *degradingStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if d.up() {
		first, err := d.remote.Claim(ctx, key, ttl)
		if err == nil {
			_, _ = d.local.Claim(ctx, key, ttl)
			return first, nil
		}
		d.failed("claim", err)
	}
	return d.local.Claim(ctx, key, ttl)
}

var (
	_ wecom.TokenStore        = (*degradingStore)(nil)
	_ wecom.Locker            = (*degradingStore)(nil)
	_ wecom.CompareAndDeleter = (*degradingStore)(nil)
	_ wecom.Deduper           = (*degradingStore)(nil)
)
