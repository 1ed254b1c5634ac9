package wecom_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

// lockingStore is a MemoryStore with an in-process Locker, standing in for a shared Redis. Its
// locks never expire: only unlock releases them. It records which replicas were refused the lock.
type lockingStore struct {
	*wecom.MemoryStore
	mu        sync.Mutex
	held      map[string]bool
	refused   map[int]bool  // replica ids refused the lock at least once
	contended chan struct{} // closed when `want` distinct replicas have been refused
	want      int
}

// replica is one process's view of the shared lockingStore.
type replica struct {
	*lockingStore
	id int
}

func (r replica) Lock(_ context.Context, key string, _ time.Duration) (func(context.Context) error, bool, error) {
	s := r.lockingStore
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[key] {
		if !s.refused[r.id] {
			s.refused[r.id] = true
			if len(s.refused) == s.want {
				close(s.contended)
			}
		}
		return nil, false, nil
	}
	s.held[key] = true
	return func(context.Context) error {
		s.mu.Lock()
		delete(s.held, key)
		s.mu.Unlock()
		return nil
	}, true, nil
}

// When the replica holding the refresh lock fails to fetch, another one takes over at once instead
// of every replica waiting for the lock. The failing fetch answers only once every other replica is
// waiting for the lock, and the lock never expires by itself: a replica that did not take over
// would wait until the callers' contexts end.
func TestLockHolderFailureIsTakenOver(t *testing.T) {
	const n = 8
	store := &lockingStore{MemoryStore: wecom.NewMemoryStore(), held: map[string]bool{}, refused: map[int]bool{},
		contended: make(chan struct{}), want: n - 1}
	var calls atomic.Int64
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken", func(r *http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			<-store.contended
			return httpmock.NewJsonResponse(200, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
		}
		return httpmock.NewJsonResponse(200, map[string]any{"errcode": 0, "access_token": "T", "expires_in": 7200})
	})
	var clients []*wecom.Client
	for i := range n {
		c, err := wecom.New("corp", "secret", wecom.WithBaseURL(testBase), wecom.WithTokenStore(replica{store, i}),
			wecom.WithHTTPClient(&http.Client{Transport: mt}), wecom.WithRetry(wecom.RetryPolicy{Attempts: 1}))
		require.NoError(t, err)
		clients = append(clients, c)
	}
	// A deadlock guard, not a timing assertion: a replica stuck behind the lock fails its callers.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, c := range clients {
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.AccessToken(ctx); err != nil {
					failed.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	assert.EqualValues(t, 2, calls.Load(), "the failed fetch and exactly one takeover")
	assert.LessOrEqual(t, failed.Load(), int64(5), "only the failed holder's callers see its error")
	assert.NoError(t, ctx.Err(), "no replica waited for the lock to expire")
}
