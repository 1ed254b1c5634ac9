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

	"github.com/qiwei-go/qiwei/examples/scanner/internal/sheetsync"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
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
	sales, err := in.app.st.SalesSince(t.Context(), time.Now().Add(-time.Hour))
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

// startReplica assembles the app as serve does with DATABASE_URL and REDIS_URL set, on the shared
// PostgreSQL database, Redis and fake WeCom, behind its own listener. Its background loops do not
// run: the test drives the sheet sync itself.
func startReplica(t *testing.T, fake *wecomtest.Server, rdb *redis.Client, dsn, docID, name string, sessionKey, labelKey []byte) *replica {
	t.Helper()
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	log := testLogger(t)
	cfg := &config{PublicURL: srv.URL, CallbackToken: wecomtest.DefaultCallbackToken, CallbackKey: wecomtest.DefaultEncodingAESKey,
		Managers: []string{"zhangsan"}, SessionKey: sessionKey, LabelKey: labelKey, ShopName: "测试店", LowStockAt: 1, SummaryHour: -1,
		DatabaseURL: dsn, DocID: docID, SyncDelay: time.Second, Reconcile: 10 * time.Minute, DataDir: t.TempDir()}
	st, err := store.Open(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	tokens := redisstore.New(rdb, "qiwei:scanner:")
	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
		wecom.WithBaseURL(fake.URL), wecom.WithTokenStore(tokens), wecom.WithLogger(log))
	require.NoError(t, err)
	d := deps{cfg: cfg, wc: wc, st: st, owner: name, tokens: tokens, log: log, names: demoNames()}
	d.docID, err = resolveDoc(t.Context(), d)
	require.NoError(t, err)
	require.Equal(t, docID, d.docID, "the store keeps the document")
	a, err := buildApp(t.Context(), d)
	require.NoError(t, err)
	require.NoError(t, a.sync.Import(t.Context()))
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

// TestTwoReplicasSellTheLastBagOnce: two app instances share one PostgreSQL database (as with
// DATABASE_URL), one Redis and one smart sheet; 50 sells of the last bag split across both, one
// wins. Then WeCom fails — every smart-sheet call answers 503, then an add_records is applied but
// its answer lost — while 50 more sells of another last bag run: still exactly one sale, because a
// sale never waits on WeCom; once WeCom is back the sheet catches up, each row once.
func TestTwoReplicasSellTheLastBagOnce(t *testing.T) {
	dsn := testsvc.Postgres(t)
	rdb := redis.NewClient(&redis.Options{Addr: testsvc.Redis(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	fake := wecomtest.NewServer(wecomtest.WithMember(demoMembers[0]), wecomtest.WithMember(demoMembers[1]))
	t.Cleanup(fake.Close)

	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
		wecom.WithBaseURL(fake.URL))
	require.NoError(t, err)
	ss := smartsheet.New(wc)
	require.NoError(t, ss.Err())
	docID, err := sheetsync.CreateDoc(t.Context(), ss, []string{"zhangsan"})
	require.NoError(t, err)
	for _, k := range envVars {
		t.Setenv(k, "")
	}
	cfgDoc := docID
	sessionKey, labelKey := randomKey(t), randomKey(t)
	a := startReplica(t, fake, rdb, dsn, cfgDoc, "replica-a", sessionKey, labelKey)
	b := startReplica(t, fake, rdb, dsn, cfgDoc, "replica-b", sessionKey, labelKey)

	mgr := newBrowser(t, a.base)
	require.Equal(t, "zhangsan", mgr.login(t, "/"))
	require.NoError(t, fake.SetCurrentUser("lisi"))
	onA, onB := newBrowser(t, a.base), newBrowser(t, b.base)
	require.Equal(t, "lisi", onA.login(t, "/"))
	require.Equal(t, "lisi", onB.login(t, "/"))
	lastBag := func() string {
		st, m := mgr.json(t, "POST", "/api/products", map[string]any{"name": "最后一只", "price": 999, "stock": 1})
		require.Equal(t, http.StatusCreated, st, m)
		return m["code"].(string)
	}
	clients := make([]*browser, sellers)
	for i := range clients {
		clients[i] = []*browser{onA, onB}[i%2]
	}

	code := lastBag()
	require.NoError(t, a.app.sync.Flush(t.Context()))
	begin := time.Now()
	count := sellTogether(t, clients, code)
	t.Logf("%d sells across 2 replicas in %v: %v", sellers, time.Since(begin).Round(time.Millisecond), count)
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: sellers - 1}, count)

	// WeCom goes down: the outage is a window of failing calls, not a wait.
	second := lastBag()
	for _, ep := range []string{"POST /cgi-bin/wedoc/smartsheet/add_records", "POST /cgi-bin/wedoc/smartsheet/update_records",
		"POST /cgi-bin/wedoc/smartsheet/get_records"} {
		require.NoError(t, fake.InjectFault(ep, 1000, wecomtest.StatusFault(http.StatusServiceUnavailable)))
	}
	fake.ResetCalls()
	begin = time.Now()
	count = sellTogether(t, clients, second)
	t.Logf("%d sells while WeCom is down in %v: %v", sellers, time.Since(begin).Round(time.Millisecond), count)
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: sellers - 1}, count)
	assert.Empty(t, fake.CallCounts(), "a sale makes no WeCom call")
	require.Error(t, a.app.sync.Flush(t.Context()), "the sheet cannot be written while WeCom is down")
	require.ErrorIs(t, b.app.sync.Flush(t.Context()), sheetsync.ErrLeased, "one replica writes a table at a time")
	// Replica A stops; B takes the tables over. WeCom comes back, but the first add is applied with
	// its answer lost: B looks the rows up instead of adding them twice.
	for _, topic := range store.SheetTopics {
		require.NoError(t, a.app.st.ReleaseLease(t.Context(), "sync:"+topic, "replica-a"))
	}
	fake.ClearFaults()
	require.NoError(t, fake.InjectFault("POST /cgi-bin/wedoc/smartsheet/add_records", 1, wecomtest.AppliedDropFault()))
	require.Error(t, b.app.sync.Flush(t.Context()), "the add was applied, its answer lost")
	require.NoError(t, b.app.sync.Flush(t.Context()))

	for _, c := range []string{code, second} {
		st, m := onB.json(t, "GET", "/api/products/"+c, nil)
		require.Equal(t, http.StatusOK, st)
		assert.Equal(t, 0.0, m["stock"])
		assert.Equal(t, "售罄", m["status"])
		ms, err := a.app.shop.Movements(t.Context(), c, 0)
		require.NoError(t, err)
		assert.Len(t, ms, 2, "ledger: +1 opening, −1 sale")
	}
	sales, err := a.app.st.SalesSince(t.Context(), time.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Len(t, sales, 2, "one sale of each bag")
	stock, ledger := sheetTotals(t, fake.URL, docID)
	for _, c := range []string{code, second} {
		assert.EqualValues(t, 0, stock[c])
		assert.EqualValues(t, 0, ledger[c], "the sheet's ledger: +1, −1, each row once")
	}
}
