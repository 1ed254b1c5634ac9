package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/qiwei-go/qiwei/wecom"
)

// Store keeps tokens, tickets, refresh locks and callback dedupe keys in Redis, so that every
// replica of an app shares them. It implements [wecom.TokenStore], [wecom.Locker],
// [wecom.CompareAndDeleter] and [wecom.Deduper], and is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// Compile-time checks of the capabilities the wecom client looks for.
var (
	_ wecom.TokenStore        = (*Store)(nil)
	_ wecom.Locker            = (*Store)(nil)
	_ wecom.CompareAndDeleter = (*Store)(nil)
	_ wecom.Deduper           = (*Store)(nil)
)

// ErrNilClient is returned by every method of a Store made with a nil Redis client.
var ErrNilClient = errors.New("redisstore: nil redis client")

// ErrLockNotHeld is returned by a lock's unlock function when the lock had already expired (the
// holder outlived its ttl), so another process may have held it meanwhile. Nothing was deleted.
var ErrLockNotHeld = errors.New("redisstore: lock no longer held (expired before unlock)")

// New returns a Store on rdb (a *redis.Client, *redis.ClusterClient or *redis.Ring) that puts prefix
// in front of every key, e.g. "myapp:". Use one prefix per application sharing the Redis.
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

// compareAndDelete deletes KEYS[1] only while it holds ARGV[1]: one atomic step, so that a value
// (or a lock) set by someone else in between is never removed.
var compareAndDelete = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0
`)

// Get implements [wecom.TokenStore]. A missing key is ("", false, nil).
func (s *Store) Get(ctx context.Context, key string) (string, bool, error) {
	if s.rdb == nil {
		return "", false, ErrNilClient
	}
	v, err := s.rdb.Get(ctx, s.prefix+key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, s.wrap("get", key, err)
	}
	return v, true, nil
}

// Set implements [wecom.TokenStore]: SET key val PX ttl. A ttl ≤ 0 is refused with
// [wecom.ErrInvalidTTL] (Redis would keep the value forever); a ttl under a millisecond counts as one.
func (s *Store) Set(ctx context.Context, key, val string, ttl time.Duration) error {
	if s.rdb == nil {
		return ErrNilClient
	}
	if ttl <= 0 {
		return wecom.ErrInvalidTTL
	}
	if err := s.rdb.Do(ctx, "set", s.prefix+key, val, "px", millis(ttl)).Err(); err != nil {
		return s.wrap("set", key, err)
	}
	return nil
}

// Delete implements [wecom.TokenStore]. Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if s.rdb == nil {
		return ErrNilClient
	}
	if err := s.rdb.Del(ctx, s.prefix+key).Err(); err != nil {
		return s.wrap("delete", key, err)
	}
	return nil
}

// CompareAndDelete implements [wecom.CompareAndDeleter]: it deletes key only if it still holds old,
// atomically (a Lua script), and reports whether it did.
func (s *Store) CompareAndDelete(ctx context.Context, key, old string) (bool, error) {
	if s.rdb == nil {
		return false, ErrNilClient
	}
	deleted, err := s.compareAndDelete(ctx, key, old)
	if err != nil {
		return false, s.wrap("compare-and-delete", key, err)
	}
	return deleted, nil
}

func (s *Store) compareAndDelete(ctx context.Context, key, old string) (bool, error) {
	n, err := compareAndDelete.Run(ctx, s.rdb, []string{s.prefix + key}, old).Int64()
	return n == 1, err
}

// Lock implements [wecom.Locker]: SET key <random token> NX PX ttl. When another holder has the
// lock it returns acquired=false and no error. The returned unlock deletes the key only while it
// still holds this call's token, so it can never release someone else's lock; it returns
// [ErrLockNotHeld] if the lock expired first. Calling unlock more than once is harmless.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, acquired bool, err error) {
	if s.rdb == nil {
		return nil, false, ErrNilClient
	}
	if ttl <= 0 {
		return nil, false, wecom.ErrInvalidTTL
	}
	token := rand.Text() // 128 random bits: only this call can match it
	ok, err := s.setNX(ctx, key, token, ttl)
	if err != nil {
		return nil, false, s.wrap("lock", key, err)
	}
	if !ok {
		return nil, false, nil
	}
	var (
		once      sync.Once
		unlockErr error
	)
	return func(ctx context.Context) error {
		once.Do(func() {
			deleted, err := s.compareAndDelete(ctx, key, token)
			switch {
			case err != nil:
				unlockErr = s.wrap("unlock", key, err)
			case !deleted:
				unlockErr = ErrLockNotHeld
			}
		})
		return unlockErr
	}, true, nil
}

// Claim implements [wecom.Deduper]: SET key 1 NX PX ttl. It reports whether this caller is the first
// to claim key within ttl.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if s.rdb == nil {
		return false, ErrNilClient
	}
	if ttl <= 0 {
		return false, wecom.ErrInvalidTTL
	}
	first, err := s.setNX(ctx, key, "1", ttl)
	if err != nil {
		return false, s.wrap("claim", key, err)
	}
	return first, nil
}

// setNX runs SET key val NX PX ttl and reports whether the key was set.
func (s *Store) setNX(ctx context.Context, key, val string, ttl time.Duration) (bool, error) {
	err := s.rdb.Do(ctx, "set", s.prefix+key, val, "nx", "px", millis(ttl)).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// wrap adds the operation and the Redis key (never a value: values are tokens) to a Redis error.
func (s *Store) wrap(op, key string, err error) error {
	return fmt.Errorf("redisstore: %s %s%s: %w", op, s.prefix, key, err)
}

// millis rounds ttl up to whole milliseconds (PX takes milliseconds; 0 would be an error).
func millis(ttl time.Duration) int64 {
	return int64((ttl + time.Millisecond - 1) / time.Millisecond)
}
