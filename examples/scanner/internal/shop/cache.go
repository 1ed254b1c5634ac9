package shop

import (
	"sync"
	"time"
)

// productCache keeps products by code and the full list for a short time, so that a warm scan costs
// no storage call. Every write through the service invalidates it.
type productCache struct {
	ttl time.Duration
	now func() time.Time

	mu     sync.RWMutex
	byCode map[string]cached
	list   []Product
	listAt time.Time
	gen    uint64 // bumped on every invalidation; fills from older generations are dropped
}

type cached struct {
	p  Product
	at time.Time
}

func newProductCache(ttl time.Duration, now func() time.Time) *productCache {
	return &productCache{ttl: ttl, now: now, byCode: map[string]cached{}}
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
	c.list = nil
	c.gen++
	c.mu.Unlock()
}

// store records the result of a write made under the bag's lock.
func (c *productCache) store(p Product) {
	c.mu.Lock()
	c.gen++
	c.list = nil
	c.byCode[p.Code] = cached{p: p, at: c.now()}
	c.mu.Unlock()
}
