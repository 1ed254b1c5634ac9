package shop

import (
	"sync"
	"time"
)

// productCache keeps products by code, the full list and each product's latest ledger rows for a
// short time, so that a warm scan costs no storage call. Every write through the service updates or
// invalidates it.
type productCache struct {
	ttl time.Duration
	now func() time.Time

	mu     sync.RWMutex
	byCode map[string]cached
	moves  map[string]cachedMoves // latest ledger rows per code, newest first
	list   []Product
	listAt time.Time
	gen    uint64 // bumped on every invalidation; fills from older generations are dropped
}

type cached struct {
	p  Product
	at time.Time
}

type cachedMoves struct {
	ms []Movement
	at time.Time
}

// movesCached is how many of a product's latest ledger rows the cache keeps.
const movesCached = 50

func newProductCache(ttl time.Duration, now func() time.Time) *productCache {
	return &productCache{ttl: ttl, now: now, byCode: map[string]cached{}, moves: map[string]cachedMoves{}}
}

// getMoves returns the cached latest ledger rows of code (at most movesCached, newest first).
func (c *productCache) getMoves(code string) ([]Movement, bool) {
	c.mu.RLock()
	e, ok := c.moves[code]
	c.mu.RUnlock()
	if !ok || c.now().Sub(e.at) > c.ttl {
		return nil, false
	}
	return e.ms, true
}

// putMoves stores code's latest ledger rows if no invalidation happened since gen was read.
func (c *productCache) putMoves(code string, ms []Movement, gen uint64) {
	c.mu.Lock()
	if gen == c.gen {
		c.moves[code] = cachedMoves{ms: ms, at: c.now()}
	}
	c.mu.Unlock()
}

func (c *productCache) get(code string) (Product, bool) {
	c.mu.RLock()
	e, ok := c.byCode[code]
	c.mu.RUnlock()
	if !ok || c.now().Sub(e.at) > c.ttl {
		return Product{}, false
	}
	return e.p, true
}

func (c *productCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put stores p if no invalidation happened since gen was read.
func (c *productCache) put(p Product, gen uint64) {
	c.mu.Lock()
	if gen == c.gen {
		c.byCode[p.Code] = cached{p: p, at: c.now()}
	}
	c.mu.Unlock()
}

func (c *productCache) getList() ([]Product, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.list == nil || c.now().Sub(c.listAt) > c.ttl {
		return nil, false
	}
	return c.list, true
}

func (c *productCache) putList(ps []Product, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	c.list, c.listAt = ps, c.now()
	for _, p := range ps {
		c.byCode[p.Code] = cached{p: p, at: c.listAt}
	}
}

// invalidate drops one product and the list.
func (c *productCache) invalidate(code string) {
	c.mu.Lock()
	delete(c.byCode, code)
	delete(c.moves, code)
	c.list = nil
	c.gen++
	c.mu.Unlock()
}

// store records the result of a write made under the bag's lock.
func (c *productCache) store(p Product) {
	c.mu.Lock()
	c.gen++
	c.list = nil
	delete(c.moves, p.Code)
	c.byCode[p.Code] = cached{p: p, at: c.now()}
	c.mu.Unlock()
}
