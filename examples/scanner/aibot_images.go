package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"
)

// imageStore keeps chat images by name (store.Store implements it).
type imageStore interface {
	PutChatImage(ctx context.Context, name string, data []byte, ttl time.Duration) error
	ChatImage(ctx context.Context, name string, ttl time.Duration) ([]byte, error)
}

// keepImages makes the bot keep fetched images in s (package store: in the database, so a restart
// or another replica has them until "#"); without it they are kept in memory. Nil-safe.
func (b *aiBot) keepImages(s imageStore) {
	if b != nil {
		b.cache.mu.Lock()
		b.cache.s, b.cache.log = s, b.log
		b.cache.mu.Unlock()
	}
}

// imageCache keeps fetched bot images under the SHA-256 of their URL (which may carry a token).
type imageCache struct {
	mu  sync.Mutex
	s   imageStore
	log *slog.Logger
}

// store returns where images are kept: the one given to keepImages, else memory.
func (c *imageCache) store() (imageStore, *slog.Logger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s == nil {
		c.s = &memImages{m: map[string]memImage{}}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c.s, c.log
}

func imageKey(u string) string {
	sum := sha256.Sum256([]byte(u))
	return hex.EncodeToString(sum[:16])
}

func (c *imageCache) get(ctx context.Context, u string) []byte {
	s, log := c.store()
	img, err := s.ChatImage(ctx, imageKey(u), aibotCacheTTL)
	if err != nil {
		log.Warn("scanner: aibot image cache", "err", err)
	}
	return img
}

func (c *imageCache) put(ctx context.Context, u string, data []byte) {
	s, log := c.store()
	if err := s.PutChatImage(ctx, imageKey(u), data, aibotCacheTTL); err != nil {
		log.Warn("scanner: aibot image cache", "err", err)
	}
}

// memImages is an in-memory imageStore (tests, and a bot without a store), bounded by
// aibotCacheBytes.
type memImages struct {
	mu sync.Mutex
	m  map[string]memImage
}

type memImage struct {
	data []byte
	at   time.Time
}

func (m *memImages) PutChatImage(_ context.Context, name string, data []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	size := len(data)
	for k, v := range m.m {
		if time.Since(v.at) > ttl || size+len(v.data) > aibotCacheBytes {
			delete(m.m, k)
			continue
		}
		size += len(v.data)
	}
	m.m[name] = memImage{data: data, at: time.Now()}
	return nil
}

func (m *memImages) ChatImage(_ context.Context, name string, ttl time.Duration) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.m[name]; ok && time.Since(v.at) <= ttl {
		return v.data, nil
	}
	return nil, nil
}
