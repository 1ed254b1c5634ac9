package wecom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// TokenSource supplies access tokens. The client's default caches them in its [TokenStore], refreshes
// them ahead of expiry and makes one upstream fetch per refresh, however many goroutines ask.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Invalidator is implemented by token sources that can drop a token WeCom rejected. Invalidate drops
// stale only if it is still the current token, so that N callers that saw the same rejection cause one
// refresh, not N.
type Invalidator interface {
	Invalidate(ctx context.Context, stale string)
}

// AccessToken returns a valid access token (from cache when possible). Prefer [Client.Do], which also
// refreshes a token WeCom rejects.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	if c == nil {
		return "", fmt.Errorf("%w (AccessToken)", ErrNilClient)
	}
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("wecom: access token: %w", err)
	}
	return tok, nil
}

const (
	fetchTimeout = 15 * time.Second
	lockTTL      = 20 * time.Second // longer than fetchTimeout: the lock outlives the fetch it guards
	pollEvery    = 50 * time.Millisecond
	errorBackoff = 30 * time.Second // after a failed refresh of a still-valid token
)

// fetchFunc gets a fresh token from upstream. stale is the last token WeCom rejected ("" if none), so
// a fetch that returns it again can force a new one (公众号 stable_token force_refresh).
type fetchFunc func(ctx context.Context, stale string) (tok string, ttl time.Duration, err error)

type entry struct {
	tok       string
	exp       time.Time // when WeCom stops accepting it
	refreshAt time.Time // when we start fetching a new one
}

// cachedSource is the default TokenSource (and ticket cache): an in-process atomic fast path in front
// of a TokenStore, singleflight inside the process, the store's Locker across processes.
type cachedSource struct {
	key     string
	store   TokenStore
	fetch   fetchFunc
	early   time.Duration
	log     *slog.Logger
	health  *storeHealth
	timeout time.Duration // bound of one upstream fetch: fetchTimeout
	now     func() time.Time

	cur atomic.Pointer[entry]
	sf  singleflight.Group

	mu    sync.Mutex
	stale string
}

// newCachedSource returns a cache of the token or ticket fetch gets, under key in c's store.
func (c *Client) newCachedSource(key string, fetch fetchFunc) *cachedSource {
	return &cachedSource{key: key, store: c.store, fetch: fetch, early: c.early, log: c.log, health: c.health,
		timeout: fetchTimeout, now: c.now}
}

// ErrTokenFetchTimeout is returned (wrapped, also matching context.DeadlineExceeded) when fetching
// a token or ticket from WeCom took longer than the internal limit of 15 seconds, to callers whose
// own context had not ended: they may have joined a fetch another caller started.
var ErrTokenFetchTimeout = errors.New("wecom: token fetch timed out")

// Token returns the cached token while it is not due for refresh. The fast path is one atomic load
// and one clock read, with no allocation.
func (s *cachedSource) Token(ctx context.Context) (string, error) {
	if e := s.cur.Load(); e != nil && s.now().Before(e.refreshAt) {
		return e.tok, nil
	}
	ch := s.sf.DoChan(s.key, func() (any, error) {
		// Detach from this caller's cancellation (others wait on the same fetch), but bound it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		tok, err := s.refresh(fctx)
		if err != nil && errors.Is(fctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w after %v (%s): %w", ErrTokenFetchTimeout, s.timeout, s.kind(), err)
		}
		return tok, err
	})
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	}
}

func (s *cachedSource) refresh(ctx context.Context) (string, error) {
	now := s.now()
	old := s.cur.Load()
	e, ok, storeErr := s.load(ctx)
	if ok {
		if now.Before(e.refreshAt) {
			s.keep(e)
			return e.tok, nil
		}
		if old == nil || e.exp.After(old.exp) {
			old = e
		}
	}
	// With the store failing, its lock would only add another timeout: fetch alone.
	if l, ok := s.store.(Locker); ok && storeErr == nil {
		unlock, fresh, err := s.acquire(ctx, l)
		switch {
		case fresh != nil:
			s.keep(fresh)
			return fresh.tok, nil
		case unlock != nil:
			defer unlock()
		case err != nil && ctx.Err() == nil:
			s.health.fail(ctx, "lock", s.key, err)
		}
	}
	s.mu.Lock()
	stale := s.stale
	s.mu.Unlock()
	tok, ttl, err := s.fetch(ctx, stale)
	if err == nil && (tok == "" || ttl <= 0) {
		err = fmt.Errorf("wecom: %s: upstream returned an empty token or expires_in ≤ 0", s.kind())
	}
	if err != nil {
		if old != nil && old.tok != stale && s.now().Before(old.exp) {
			// Stale-while-error: keep serving the still-valid token; try again a bit later.
			s.log.LogAttrs(ctx, slog.LevelWarn, "wecom: refresh failed; serving the still-valid cached value",
				slogKey(s.key), slogErr(err), slog.Time("expires", old.exp))
			retryAt := s.now().Add(errorBackoff)
			if old.exp.Before(retryAt) {
				retryAt = old.exp
			}
			s.keep(&entry{tok: old.tok, exp: old.exp, refreshAt: retryAt})
			return old.tok, nil
		}
		return "", err
	}
	now = s.now()
	e = &entry{tok: tok, exp: now.Add(ttl), refreshAt: now.Add(ttl - min(s.early, ttl/2))}
	if err := s.store.Set(ctx, s.key, encodeEntry(e), ttl); err != nil {
		s.health.fail(ctx, "set", s.key, err)
	}
	s.cur.Store(e)
	return tok, nil
}

// keep publishes e on the fast path unless it is the token WeCom just rejected (an Invalidate may
// have run between reading e and now).
func (s *cachedSource) keep(e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.tok != s.stale {
		s.cur.Store(e)
	}
}

// acquire takes the cross-process refresh lock. It returns either unlock (we hold the lock and the
// store has nothing fresh: fetch), or fresh (another process refreshed meanwhile), or an error
// (the lock is unusable or ctx ended: fetch without it). While another process holds the lock it
// polls the store and retries the lock, so a holder whose fetch fails is replaced within one poll.
func (s *cachedSource) acquire(ctx context.Context, l Locker) (unlock func(), fresh *entry, err error) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		u, acquired, err := l.Lock(ctx, s.key+":lock", lockTTL)
		if err != nil {
			return nil, nil, err
		}
		if acquired {
			release := func() {
				if err := u(context.WithoutCancel(ctx)); err != nil {
					s.log.LogAttrs(ctx, slog.LevelWarn, "wecom: token unlock failed", slogKey(s.key), slogErr(err))
				}
			}
			// Another process may have refreshed between our read and the lock.
			if e, ok, _ := s.load(ctx); ok && s.now().Before(e.refreshAt) {
				release()
				return nil, e, nil
			}
			return release, nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-t.C:
		}
		if e, ok, _ := s.load(ctx); ok && s.now().Before(e.refreshAt) {
			return nil, e, nil
		}
	}
}

// load reads the shared entry; err reports (after logging it) that the store failed.
func (s *cachedSource) load(ctx context.Context) (*entry, bool, error) {
	v, ok, err := s.store.Get(ctx, s.key)
	if err != nil {
		if ctx.Err() == nil {
			s.health.fail(ctx, "get", s.key, err)
		}
		return nil, false, err
	}
	if !ok {
		return nil, false, nil
	}
	e, ok := decodeEntry(v)
	if !ok || !s.now().Before(e.exp) {
		return nil, false, nil
	}
	s.mu.Lock()
	rejected := e.tok == s.stale
	s.mu.Unlock()
	if rejected { // WeCom already refused it; another process may not have dropped it yet
		return nil, false, nil
	}
	return e, true, nil
}

// Invalidate implements [Invalidator]: compare-and-delete, locally and in the store.
func (s *cachedSource) Invalidate(ctx context.Context, stale string) {
	if stale == "" {
		return
	}
	// Order matters: remember the stale token first (refresh ignores it from then on), then drop it
	// from the shared store, and only then from the fast path, so no refresh can resurrect it.
	s.mu.Lock()
	s.stale = stale
	s.mu.Unlock()
	s.dropFromStore(ctx, stale)
	if e := s.cur.Load(); e != nil && e.tok == stale {
		s.cur.CompareAndSwap(e, nil)
	}
}

func (s *cachedSource) dropFromStore(ctx context.Context, stale string) {
	v, ok, err := s.store.Get(ctx, s.key)
	if err != nil {
		s.health.fail(ctx, "get", s.key, err)
		return
	}
	if !ok {
		return
	}
	if e, ok := decodeEntry(v); !ok || e.tok != stale {
		return
	}
	if cad, ok := s.store.(CompareAndDeleter); ok {
		_, err = cad.CompareAndDelete(ctx, s.key, v)
	} else {
		err = s.store.Delete(ctx, s.key)
	}
	if err != nil {
		s.health.fail(ctx, "delete", s.key, err)
	}
}

func (s *cachedSource) kind() string {
	k, _, _ := strings.Cut(strings.TrimPrefix(s.key, "wecom:"), ":")
	return k
}

// Stored values are "v1|<refresh-at unix ms>|<expiry unix ms>|<token>", so every process knows the
// real expiry of a token another one fetched.
func encodeEntry(e *entry) string {
	return "v1|" + strconv.FormatInt(e.refreshAt.UnixMilli(), 10) + "|" + strconv.FormatInt(e.exp.UnixMilli(), 10) + "|" + e.tok
}

func decodeEntry(v string) (*entry, bool) {
	parts := strings.SplitN(v, "|", 4)
	if len(parts) != 4 || parts[0] != "v1" || parts[3] == "" {
		return nil, false
	}
	ra, err1 := strconv.ParseInt(parts[1], 10, 64)
	ex, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	return &entry{tok: parts[3], refreshAt: time.UnixMilli(ra), exp: time.UnixMilli(ex)}, true
}

var errNoAgent = errors.New("wecom: this call needs an agent id (WithAgentID)")
