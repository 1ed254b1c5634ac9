package shop

import (
	"context"
	"sync"
)

// LocalLocker is an in-process [Locker]: one lock per key, context-aware, entries freed when unused.
type LocalLocker struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // capacity 1: holding the token = holding the lock
	refs int
}

// NewLocalLocker returns an empty locker.
func NewLocalLocker() *LocalLocker { return &LocalLocker{locks: map[string]*keyLock{}} }

// Lock implements [Locker]. It gives up with ctx's error when ctx ends first.
func (l *LocalLocker) Lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	k := l.locks[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.locks[key] = k
	}
	k.refs++
	l.mu.Unlock()
	select {
	case k.ch <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-k.ch; l.release(key, k) }) }, nil
	case <-ctx.Done():
		l.release(key, k)
		return nil, ctx.Err()
	}
}

func (l *LocalLocker) release(key string, k *keyLock) {
	l.mu.Lock()
	k.refs--
	if k.refs == 0 {
		delete(l.locks, key)
	}
	l.mu.Unlock()
}

// ChainLocker takes the local lock first (cheap, fair inside the process), then the shared one.
type ChainLocker []Locker

// Lock implements [Locker].
func (c ChainLocker) Lock(ctx context.Context, key string) (func(), error) {
	var unlocks []func()
	release := func() {
		for i := len(unlocks) - 1; i >= 0; i-- {
			unlocks[i]()
		}
	}
	for _, l := range c {
		u, err := l.Lock(ctx, key)
		if err != nil {
			release()
			return nil, err
		}
		unlocks = append(unlocks, u)
	}
	return release, nil
}
