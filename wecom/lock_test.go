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

// lockingStore is a MemoryStore with an in-process Locker, standing in for a shared Redis.
type lockingStore struct {
	*wecom.MemoryStore
	mu   sync.Mutex
	held map[string]bool
}

func (s *lockingStore) Lock(_ context.Context, key string, _ time.Duration) (func(context.Context) error, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[key] {
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
// of every replica waiting out the lock and then fetching together.
func TestLockHolderFailureIsTakenOver(t *testing.T) {
	store := &lockingStore{MemoryStore: wecom.NewMemoryStore(), held: map[string]bool{}}
	var calls atomic.Int64
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken", func(r *http.Request) (*http.Response, error) {
		n := calls.Add(1)
		time.Sleep(100 * time.Millisecond)
		if n == 1 {
			return httpmock.NewJsonResponse(200, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
		}
		return httpmock.NewJsonResponse(200, map[string]any{"errcode": 0, "access_token": "T", "expires_in": 7200})
	})
	var clients []*wecom.Client
	for range 8 {
		c, err := wecom.New("corp", "secret", wecom.WithBaseURL(testBase), wecom.WithTokenStore(store),
			wecom.WithHTTPClient(&http.Client{Transport: mt}), wecom.WithRetry(1, 0))
		require.NoError(t, err)
		clients = append(clients, c)
	}
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, c := range clients {
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.AccessToken(t.Context()); err != nil {
					failed.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	assert.EqualValues(t, 2, calls.Load(), "the failed fetch and exactly one takeover")
	assert.LessOrEqual(t, failed.Load(), int64(5), "only the failed holder's callers see its error")
	assert.Less(t, time.Since(start), 5*time.Second, "no replica waits out the lock")
}
