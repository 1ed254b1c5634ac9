package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/sheetrepo"
	"github.com/qiwei-go/qiwei/internal/testsvc"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/redisstore"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

const sellers = 50

// sellTogether fires one sell per client at once and counts the answers by status.
func sellTogether(t *testing.T, clients []*browser, code string) map[int]int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		count = map[int]int{}
		start = make(chan struct{})
	)
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, data := c.do(t, "POST", "/api/products/"+code+"/sell", map[string]any{})
			mu.Lock()
			count[resp.StatusCode]++
			mu.Unlock()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusConflict {
				t.Errorf("sell: %d %s", resp.StatusCode, data)
			}
		}()
	}
	close(start)
	wg.Wait()
	return count
}

// TestConcurrentSellsOfTheLastBag: 50 phones sell the last bag at the same moment; one wins.
func TestConcurrentSellsOfTheLastBag(t *testing.T) {
	in := startDemoApp(t)
	mgr, staff := newBrowser(t, in.base), newBrowser(t, in.base)
	mgr.login(t, "/")
	staff.login(t, "/demo/login-as?user=lisi")
	st, m := mgr.json(t, "POST", "/api/products", map[string]any{"name": "最后一只", "price": 999, "stock": 1})
	require.Equal(t, http.StatusCreated, st, m)
	code := m["code"].(string)

	clients := make([]*browser, sellers)
	for i := range clients {
		clients[i] = []*browser{mgr, staff}[i%2]
	}
	begin := time.Now()
	count := sellTogether(t, clients, code)
	t.Logf("%d concurrent sells in %v: %v", sellers, time.Since(begin).Round(time.Millisecond), count)
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: sellers - 1}, count)

	st, m = staff.json(t, "GET", "/api/products/"+code, nil)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, 0.0, m["stock"])
	assert.Equal(t, "售罄", m["status"])
	sales, err := in.app.repo.SalesSince(t.Context(), time.Now().Add(-time.Hour))
	require.NoError(t, err)
	n := 0
	for _, s := range sales {
		if s.Code == code {
			n++
		}
	}
	assert.Equal(t, 1, n, "one sales record")
	checkLedger(t, in)
}

// replica is one app instance of a multi-replica deployment.
type replica struct {
	base string
	app  *app
}

// startReplica assembles the app as serve does with REDIS_URL set (Redis token store, dedupe and
// bag lock), on the shared fake WeCom and smart sheet, behind its own listener.
func startReplica(t *testing.T, fake *wecomtest.Server, rdb *redis.Client, docID string, sessionKey, labelKey []byte) *replica {
	t.Helper()
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	log := testLogger(t)
	cfg := &config{PublicURL: srv.URL, CallbackToken: wecomtest.DefaultCallbackToken, CallbackKey: wecomtest.DefaultEncodingAESKey,
		Managers: []string{"zhangsan"}, SessionKey: sessionKey, LabelKey: labelKey, ShopName: "测试店", LowStockAt: 1, SummaryHour: -1}
	store := redisstore.New(rdb, "qiwei:scanner:")
	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
		wecom.WithBaseURL(fake.URL), wecom.WithTokenStore(store), wecom.WithLogger(log))
	require.NoError(t, err)
	a, err := buildApp(t.Context(), deps{cfg: cfg, wc: wc, docID: docID, store: store, redis: store, log: log, names: demoNames()})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.shutdown(ctx)
	})
	h.Store(&a.handler)
	return &replica{base: srv.URL, app: a}
}

func randomKey(t *testing.T) []byte {
	var b [32]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return []byte(hex.EncodeToString(b[:]))
}

// TestTwoReplicasSellTheLastBagOnce: two app instances share one smart sheet and one Redis (as
// with REDIS_URL); 50 sells split across both, one wins. Without the Redis lock both replicas
// would read stock 1 and sell it.
func TestTwoReplicasSellTheLastBagOnce(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: testsvc.Redis(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	fake := wecomtest.NewServer(wecomtest.WithMember(demoMembers[0]), wecomtest.WithMember(demoMembers[1]))
	t.Cleanup(fake.Close)

	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
		wecom.WithBaseURL(fake.URL))
	require.NoError(t, err)
	ss, err := smartsheet.NewClient(wc)
	require.NoError(t, err)
	docID, err := sheetrepo.CreateDoc(t.Context(), ss, []string{"zhangsan"})
	require.NoError(t, err)
	sessionKey, labelKey := randomKey(t), randomKey(t)
	a := startReplica(t, fake, rdb, docID, sessionKey, labelKey)
	b := startReplica(t, fake, rdb, docID, sessionKey, labelKey)

	mgr := newBrowser(t, a.base)
	require.Equal(t, "zhangsan", mgr.login(t, "/"))
	st, m := mgr.json(t, "POST", "/api/products", map[string]any{"name": "最后一只", "price": 999, "stock": 1})
	require.Equal(t, http.StatusCreated, st, m)
	code := m["code"].(string)

	require.NoError(t, fake.SetCurrentUser("lisi"))
	onA, onB := newBrowser(t, a.base), newBrowser(t, b.base)
	require.Equal(t, "lisi", onA.login(t, "/"))
	require.Equal(t, "lisi", onB.login(t, "/"))
	// Both replicas have the bag in their cache before the rush.
	for _, c := range []*browser{onA, onB} {
		st, m := c.json(t, "GET", "/api/products/"+code, nil)
		require.Equal(t, http.StatusOK, st)
		require.Equal(t, 1.0, m["stock"])
	}

	clients := make([]*browser, sellers)
	for i := range clients {
		clients[i] = []*browser{onA, onB}[i%2]
	}
	begin := time.Now()
	count := sellTogether(t, clients, code)
	t.Logf("%d sells across 2 replicas in %v: %v", sellers, time.Since(begin).Round(time.Millisecond), count)
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: sellers - 1}, count)

	p, err := a.app.repo.Product(t.Context(), code)
	require.NoError(t, err)
	assert.Equal(t, 0, p.Stock)
	ms, err := a.app.repo.Movements(t.Context(), code, 0)
	require.NoError(t, err)
	sum := 0
	for _, m := range ms {
		sum += m.Qty
	}
	assert.Equal(t, 0, sum, "ledger: +1 opening, −1 sale")
	assert.Len(t, ms, 2)
}
