package wecom

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/patrickmn/go-cache"
)

// TokenStore holds tokens and tickets, possibly shared between processes. A miss is ("", false, nil).
// Implementations must never store a value with ttl ≤ 0 (which many caches read as "never expires").
type TokenStore interface {
	Get(ctx context.Context, key string) (val string, ok bool, err error)
	Set(ctx context.Context, key, val string, ttl time.Duration) error
	Delete(ctx context.Context, key string) error
}

// Locker is an optional [TokenStore] capability: a lock shared by every process using the store, so that
// N replicas make one upstream fetch per refresh. Lock returns acquired=false (and no error) when
// another holder has it; unlock releases only a lock this call acquired.
type Locker interface {
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, acquired bool, err error)
}

// CompareAndDeleter is an optional [TokenStore] capability: delete key only if it still holds old.
// Without it, invalidation is a Get followed by a Delete.
type CompareAndDeleter interface {
	CompareAndDelete(ctx context.Context, key, old string) (deleted bool, err error)
}

// Deduper remembers keys for a while; the callback handler uses it to drop retried deliveries.
// Claim reports whether the caller is the first to claim key within ttl.
type Deduper interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (first bool, err error)
}

// ErrInvalidTTL is returned by stores asked to keep a value for ttl ≤ 0.
var ErrInvalidTTL = errors.New("wecom: token store: ttl must be positive")

// MemoryStore is the default in-process [TokenStore], also a [CompareAndDeleter] and a [Deduper].
// It runs no background goroutine: expiry is checked on read.
type MemoryStore struct {
	mu sync.Mutex // serialises compare-and-delete
	c  *cache.Cache
}

// NewMemoryStore returns an empty in-process store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{c: cache.New(cache.NoExpiration, 0)}
}

// Get implements [TokenStore].
func (m *MemoryStore) Get(_ context.Context, key string) (string, bool, error) {
	v, ok := m.c.Get(key)
	if !ok {
		return "", false, nil
	}
	s, ok := v.(string)
	return s, ok, nil
}

// Set implements [TokenStore].
func (m *MemoryStore) Set(_ context.Context, key, val string, ttl time.Duration) error {
	if ttl <= 0 {
		return ErrInvalidTTL
	}
	m.c.Set(key, val, ttl)
	return nil
}

// Delete implements [TokenStore].
func (m *MemoryStore) Delete(_ context.Context, key string) error {
	m.c.Delete(key)
	return nil
}

// CompareAndDelete implements [CompareAndDeleter].
func (m *MemoryStore) CompareAndDelete(_ context.Context, key, old string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.c.Get(key)
	if !ok || v != old {
		return false, nil
	}
	m.c.Delete(key)
	return true, nil
}

// Claim implements [Deduper].
func (m *MemoryStore) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, ErrInvalidTTL
	}
	if m.c.ItemCount() > 100_000 {
		m.c.DeleteExpired() // bounded memory under a flood of distinct keys
	}
	return m.c.Add(key, "1", ttl) == nil, nil
}
