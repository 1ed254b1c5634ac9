package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/sheetsync"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// bigShop is a shop of many bags, synced to a fake WeCom in this process, with the app running as
// a child process in real mode against it (WECOM_BASE_URL): the app's own start-up time and memory
// are measured without the fake.
type bigShop struct {
	fake  *wecomtest.Server
	dir   string
	docID string
	codes []string
	env   []string
	app   *child
}

// newBigShop seeds a store with n bags and a year of sales (as -demo-bags does) and writes it all
// to the sheet, as a previous run of the app would have.
func newBigShop(t *testing.T, n int) *bigShop {
	t.Helper()
	ctx := t.Context()
	s := &bigShop{dir: t.TempDir()}
	s.fake = wecomtest.NewServer(wecomtest.WithMember(demoMembers[0]), wecomtest.WithMember(demoMembers[1]))
	t.Cleanup(s.fake.Close)
	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
		wecom.WithBaseURL(s.fake.URL))
	require.NoError(t, err)
	ss := smartsheet.New(wc)
	require.NoError(t, ss.Err())
	s.docID, err = sheetsync.CreateDoc(ctx, ss, []string{"zhangsan"})
	require.NoError(t, err)

	st, err := store.Open(ctx, filepath.Join(s.dir, "scanner.db"))
	require.NoError(t, err)
	defer st.Close()
	begin := time.Now()
	photos, err := saveDemoPhotos(ctx, st)
	require.NoError(t, err)
	ps, moves, sales := demoData(n, time.Now().In(shop.DefaultLocation()), photos)
	require.NoError(t, st.BulkLoad(ctx, ps, moves, sales))
	t.Logf("seeded the store: %d bags, %d ledger rows, %d sales in %v", len(ps), len(moves), len(sales),
		time.Since(begin).Round(time.Millisecond))
	for _, p := range ps {
		s.codes = append(s.codes, p.Code)
	}
	require.NoError(t, st.Set(ctx, "doc", s.docID))
	require.NoError(t, st.Set(ctx, "import:done", "seeded"))
	begin = time.Now()
	sy := sheetsync.New(st, ss, shop.NewService(st, shop.Options{}), s.docID, sheetsync.Options{Owner: "seeder"})
	require.NoError(t, sy.Flush(ctx))
	t.Logf("wrote them to the sheet through the outbox in %v: %v", time.Since(begin).Round(time.Millisecond), sy.Calls())
	for _, topic := range store.SheetTopics {
		require.NoError(t, st.ReleaseLease(ctx, "sync:"+topic, "seeder"))
	}
	return s
}

// start runs the app (real mode, on the fake) and reports how long it took to serve.
func (s *bigShop) start(t *testing.T) time.Duration {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	base := "http://" + addr
	require.NoError(t, s.fake.SetAppCallback(wecomtest.DefaultAgentID, wecomtest.CallbackConfig{URL: base + "/wecom/callback",
		Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey}))
	env := append([]string{"SCANNER_CHILD_ADDR=" + addr, "WECOM_CORP_ID=" + wecomtest.DefaultCorpID,
		"WECOM_SECRET=" + wecomtest.DefaultSecret, "WECOM_AGENT_ID=" + strconv.FormatInt(wecomtest.DefaultAgentID, 10),
		"PUBLIC_URL=" + base, "WECOM_CALLBACK_TOKEN=" + wecomtest.DefaultCallbackToken,
		"WECOM_CALLBACK_AES_KEY=" + wecomtest.DefaultEncodingAESKey, "WECOM_MANAGERS=zhangsan", "WECOM_BASE_URL=" + s.fake.URL,
		"SUMMARY_HOUR=-1"}, s.env...)
	begin := time.Now()
	s.app = startChild(t, s.dir, env...)
	return time.Since(begin)
}

// stop ends the app gracefully (SIGTERM).
func (s *bigShop) stop(t *testing.T) {
	_ = s.app.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.app.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the app did not stop")
	}
}

// rss returns the app's resident memory now and at its peak, in MB.
func (s *bigShop) rss(t *testing.T) (now, peak float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.app.cmd.Process.Pid))
	if err != nil {
		t.Logf("no /proc: %v", err)
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			kb, _ := strconv.ParseFloat(f[1], 64)
			switch f[0] {
			case "VmRSS:":
				now = kb / 1024
			case "VmHWM:":
				peak = kb / 1024
			}
		}
	}
	return now, peak
}

// readsCallNothing opens the product page of 50 random bags, the list, a search, a brand, the
// stats and the movements, and checks that none of it called WeCom.
func (s *bigShop) readsCallNothing(t *testing.T, b *browser, what string) {
	t.Helper()
	s.fake.ResetCalls()
	begin := time.Now()
	for range 50 {
		code := s.codes[rand.IntN(len(s.codes))]
		for _, p := range []string{"/p/" + code, "/api/products/" + code, "/api/products/" + code + "/movements"} {
			resp, _ := b.raw(t, "GET", p, "", nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, p)
		}
	}
	for _, p := range []string{"/", "/?page=3", "/?q=coach", "/?brand=Longchamp", "/?low=1", "/api/products?q=%E6%89%98%E7%89%B9",
		"/api/products?limit=1000&offset=20000", "/stats", "/api/stats", "/import", "/sync"} {
		resp, _ := b.raw(t, "GET", p, "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, p)
	}
	t.Logf("%s reads (161 requests) in %v: WeCom calls %v", what, time.Since(begin).Round(time.Millisecond), s.fake.CallCounts())
	assert.Empty(t, s.fake.CallCounts(), "%s reads make no WeCom call", what)
}

// TestTargets50k checks the shop at its target size (SCANNER_LOAD=1; SCANNER_BAGS, default 50,000):
// reads make no WeCom call, cold or warm; start-up with the existing store; the app's memory; a
// sale makes no WeCom call; a 5,000-row import; the product page at 500 requests/s. It logs the
// figures and asserts only what is not a timing.
//
//	SCANNER_LOAD=1 go test -run TestTargets50k -v -timeout 30m ./examples/scanner/
func TestTargets50k(t *testing.T) {
	if os.Getenv("SCANNER_LOAD") == "" {
		t.Skip("load test: set SCANNER_LOAD=1 to run (50,000 bags)")
	}
	n := envInt(t, "SCANNER_BAGS", 50000)
	s := newBigShop(t, n)
	t.Logf("start-up with an existing store of %d bags (first start on it): %v", n, s.start(t).Round(time.Millisecond))
	b := newBrowser(t, s.app.base)
	b.login(t, "/")
	s.readsCallNothing(t, b, "cold")
	s.readsCallNothing(t, b, "warm")
	rss, peak := s.rss(t)
	t.Logf("app memory after the reads: RSS %.0f MB, peak %.0f MB", rss, peak)

	// A sale and a restock answer without calling WeCom.
	s.fake.ResetCalls()
	code := s.codes[len(s.codes)-1]
	st, m := b.json(t, "POST", "/api/products/"+code+"/restock", map[string]any{"qty": 2})
	require.Equal(t, http.StatusOK, st, m)
	begin := time.Now()
	st, m = b.json(t, "POST", "/api/products/"+code+"/sell", map[string]any{})
	require.Equal(t, http.StatusOK, st, m)
	t.Logf("a sale in %v; WeCom calls during restock and sale: %v", time.Since(begin).Round(time.Microsecond), s.fake.CallCounts())
	assert.Empty(t, s.fake.CallCounts(), "a sale makes no synchronous WeCom call")

	s.importRows(t, b, 5000)
	s.loadProductPage(t, b, envInt(t, "SCANNER_LOAD_RATE", 500), envInt(t, "SCANNER_LOAD_SECONDS", 10))
	rss, peak = s.rss(t)
	t.Logf("app memory after the import and the load: RSS %.0f MB, peak %.0f MB", rss, peak)

	s.stop(t)
	t.Logf("start-up with an existing store of %d bags (restart): %v", n+5000, s.start(t).Round(time.Millisecond))
	b = newBrowser(t, s.app.base)
	b.login(t, "/")
	s.readsCallNothing(t, b, "cold after a restart")
	rss, peak = s.rss(t)
	t.Logf("app memory after the restart and the reads: RSS %.0f MB, peak %.0f MB", rss, peak)
}

// importRows uploads rows new bags and waits for the job and then for the sheet.
func (s *bigShop) importRows(t *testing.T, b *browser, rows int) {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("名称,品牌,售价,成本,库存,位置\n")
	for i := range rows {
		fmt.Fprintf(&csv, "导入托特包 %d,Coach,%d,%d,%d,D-%d\n", i, 1000+i%500, 500+i%200, 1+i%3, i%40)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "bags.csv")
	_, _ = fw.Write([]byte(csv.String()))
	require.NoError(t, mw.Close())
	_, before := b.json(t, "GET", "/api/sync", nil)
	begin := time.Now()
	resp, body := b.raw(t, "POST", "/api/import", mw.FormDataContentType(), &buf)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	t.Logf("import of %d rows: the upload answered in %v", rows, time.Since(begin).Round(time.Millisecond))
	job := decode(t, body)["job"].(string)
	for {
		st, m := b.json(t, "GET", "/api/import/"+job, nil)
		require.Equal(t, http.StatusOK, st)
		if m["state"] == "done" {
			assert.EqualValues(t, rows, m["created"])
			break
		}
		require.NotEqual(t, "failed", m["state"], m)
		require.Less(t, time.Since(begin), 10*time.Minute)
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("import of %d rows: all registered %v after the upload", rows, time.Since(begin).Round(time.Millisecond))
	var after map[string]any
	for {
		var st int
		st, after = b.json(t, "GET", "/api/sync", nil)
		require.Equal(t, http.StatusOK, st)
		if after["pending"] == 0.0 {
			break
		}
		require.Less(t, time.Since(begin), 10*time.Minute)
		time.Sleep(100 * time.Millisecond)
	}
	calls := func(m map[string]any, k string) int {
		c, _ := m["calls"].(map[string]any)
		f, _ := c[k].(float64)
		return int(f)
	}
	adds := calls(after, "products:add") - calls(before, "products:add")
	t.Logf("import of %d rows: in the sheet %v after the upload; add_records for 商品: %d, for 库存流水: %d",
		rows, time.Since(begin).Round(time.Millisecond), adds, calls(after, "ledger:add")-calls(before, "ledger:add"))
	assert.LessOrEqual(t, adds, 12, "≤ 12 add_records for the products")
}

// loadProductPage sends GET /p/{random code} at rate per second for seconds (open loop) and logs
// the latency from each request's scheduled time.
func (s *bigShop) loadProductPage(t *testing.T, b *browser, rate, seconds int) {
	t.Helper()
	targets := make([]string, 2000)
	for i := range targets {
		targets[i] = s.app.base + "/p/" + s.codes[rand.IntN(len(s.codes))]
	}
	s.fake.ResetCalls()
	res := openLoop(t, b, targets, rate, seconds)
	t.Logf("GET /p/{random code} of %d bags: %s", len(s.codes), res)
	assert.Zero(t, res.failed)
	assert.Empty(t, s.fake.CallCounts(), "scans make no WeCom call")
}
