package redisstore_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/testsvc"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/redisstore"
)

// fakeWeCom answers gettoken with TOKEN1, TOKEN2, … after a delay (so that replicas really race),
// and GET /cgi-bin/echo with the token it was called with, or 42001 for a token marked rejected.
type fakeWeCom struct {
	delay    time.Duration
	gettoken atomic.Int64

	mu       sync.Mutex
	rejected map[string]bool
}

func newFakeWeCom(t *testing.T, delay time.Duration) (*fakeWeCom, *httptest.Server) {
	f := &fakeWeCom{delay: delay, rejected: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("corpid") != "corp" || r.URL.Query().Get("corpsecret") != "secret" {
			writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
			return
		}
		n := f.gettoken.Add(1)
		time.Sleep(f.delay)
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok",
			"access_token": "TOKEN" + strconv.FormatInt(n, 10), "expires_in": 7200})
	})
	mux.HandleFunc("GET /cgi-bin/echo", func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("access_token")
		f.mu.Lock()
		rejected := f.rejected[tok]
		f.mu.Unlock()
		if rejected {
			writeJSON(w, map[string]any{"errcode": 42001, "errmsg": "access_token expired"})
			return
		}
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "token": tok})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeWeCom) reject(tok string) {
	f.mu.Lock()
	f.rejected[tok] = true
	f.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// replicas builds n clients as n processes would: each with its own Redis connection pool and its
// own in-process token cache, all on the same Redis and prefix.
func replicas(t *testing.T, n int, addr, baseURL string) []*wecom.Client {
	t.Helper()
	clients := make([]*wecom.Client, n)
	for i := range clients {
		c, err := wecom.New("corp", "secret", wecom.WithBaseURL(baseURL),
			wecom.WithTokenStore(redisstore.New(newClient(t, addr), "t:")))
		require.NoError(t, err)
		clients[i] = c
	}
	return clients
}

// fanOut runs f perClient times concurrently for every client, all released at once, and returns
// the results in client-major order.
func fanOut(clients []*wecom.Client, perClient int, f func(*wecom.Client) (string, error)) ([]string, []error) {
	n := len(clients) * perClient
	vals, errs := make([]string, n), make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			vals[i], errs[i] = f(clients[i/perClient])
		}()
	}
	close(start)
	wg.Wait()
	return vals, errs
}

func echo(ctx context.Context) func(*wecom.Client) (string, error) {
	return func(c *wecom.Client) (string, error) {
		var out struct {
			Token string `json:"token"`
		}
		err := c.Do(ctx, &wecom.Request{Method: http.MethodGet, Path: "/cgi-bin/echo"}, &out)
		return out.Token, err
	}
}

func requireAll(t *testing.T, want string, vals []string, errs []error) {
	t.Helper()
	for i := range vals {
		require.NoError(t, errs[i], "call %d (client %d)", i, i/perClient)
		require.Equal(t, want, vals[i], "call %d (client %d)", i, i/perClient)
	}
}

const (
	nReplicas = 8
	perClient = 50
)

// Eight replicas, each with its own in-process cache, sharing one real Redis make exactly
// one gettoken request; after WeCom rejects the token, they converge on a new one with exactly one
// more request.
func TestReplicasShareOneToken(t *testing.T) {
	addr := testsvc.Redis(t)
	fake, srv := newFakeWeCom(t, 100*time.Millisecond)
	clients := replicas(t, nReplicas, addr, srv.URL)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	// Cold start: 8 × 50 concurrent callers.
	vals, errs := fanOut(clients, perClient, func(c *wecom.Client) (string, error) { return c.AccessToken(ctx) })
	requireAll(t, "TOKEN1", vals, errs)
	require.EqualValues(t, 1, fake.gettoken.Load(), "8 replicas × 50 callers, one gettoken")

	// WeCom rejects TOKEN1; one replica notices first and refreshes…
	fake.reject("TOKEN1")
	tok, err := echo(ctx)(clients[0])
	require.NoError(t, err)
	assert.Equal(t, "TOKEN2", tok)
	require.EqualValues(t, 2, fake.gettoken.Load(), "one refresh after the rejection")

	// …and the other seven, whose in-process caches still hold TOKEN1, pick TOKEN2 up from Redis.
	vals, errs = fanOut(clients, perClient, echo(ctx))
	requireAll(t, "TOKEN2", vals, errs)
	assert.EqualValues(t, 2, fake.gettoken.Load(), "the other replicas converge without fetching")

	// WeCom rejects TOKEN2 while all replicas are busy: they all see 42001 at once.
	fake.reject("TOKEN2")
	vals, errs = fanOut(clients, perClient, echo(ctx))
	requireAll(t, "TOKEN3", vals, errs)
	assert.EqualValues(t, 3, fake.gettoken.Load(), "a concurrent rejection on 8 replicas, one gettoken")

	for i, c := range clients {
		tok, err := c.AccessToken(ctx)
		require.NoError(t, err)
		assert.Equal(t, "TOKEN3", tok, "client %d", i)
	}
}
