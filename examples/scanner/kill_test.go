package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// TestMain lets the test binary run the app itself, as a child process (SCANNER_CHILD=1): the
// kill -9 test starts it, kills it and starts it again.
func TestMain(m *testing.M) {
	if os.Getenv("SCANNER_CHILD") == "1" {
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		addr := os.Getenv("SCANNER_CHILD_ADDR")
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		if path := os.Getenv("SCANNER_CHILD_CPUPROFILE"); path != "" { // a profile of the app alone
			if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
		o := options{Addr: addr, DataDir: os.Getenv("SCANNER_CHILD_DATA"), DemoBags: 30}
		if v := os.Getenv("SCANNER_CHILD_CLOCK"); v != "" { // the shop's clock starts at this instant
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fmt.Fprintln(os.Stderr, "SCANNER_CHILD_CLOCK:", err)
				os.Exit(2)
			}
			began := time.Now()
			o.Now = func() time.Time { return at.Add(time.Since(began)) }
		}
		err := run(ctx, o, log, os.Stdout)
		pprof.StopCPUProfile()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is the app running as a separate process.
type child struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

// startChild starts the app (demo mode) on dir and waits until it serves; env adds variables.
func startChild(t *testing.T, dir string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SCANNER_CHILD=1", "SCANNER_CHILD_DATA="+dir)
	for _, k := range envVars {
		cmd.Env = append(cmd.Env, k+"=")
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = &testWriter{t: t}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { c.kill() })
	lines := bufio.NewScanner(out)
	urls := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if _, u, ok := strings.Cut(lines.Text(), "scanner is running: "); ok {
				urls <- strings.TrimSpace(u)
			}
		}
	}()
	select {
	case c.base = <-urls:
	case <-c.done:
		t.Fatal("the app exited before it served")
	case <-time.After(2 * time.Minute):
		t.Fatal("the app did not start")
	}
	return c
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// op is one acknowledged change, to be checked after the crash.
type op struct {
	kind, requestID, code string
	stock                 int // restock: the stock it answered
}

// TestKill9DuringAWriteBurst runs the app as a real child process and kills it with SIGKILL at a
// random moment of a burst of registrations, sells and restocks (while the sheet sync writes too),
// three times. After a restart: every acknowledged change is in the store (its request ID
// replays, changing nothing), stock equals the ledger sum, and once the sync has caught up the
// smart sheet holds every row exactly once, with the store's stock.
func TestKill9DuringAWriteBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the app four times")
	}
	dir := t.TempDir()
	env := []string{"SYNC_MAX_DELAY=0"} // write to the sheet all the time, so kills land mid-write too
	var (
		mu    sync.Mutex
		acked []op
	)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for round := range 3 {
		c := startChild(t, dir, env...)
		b := newBrowser(t, c.base)
		b.login(t, "/")
		killAt := int64(20 + rng.IntN(100))
		var n atomic.Int64
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				burst(b, fmt.Sprintf("r%dw%d", round, w), func(o op) {
					mu.Lock()
					acked = append(acked, o)
					mu.Unlock()
					if n.Add(1) == killAt {
						c.kill()
					}
				})
			}()
		}
		wg.Wait()
		c.kill()
		t.Logf("round %d: killed after %d acknowledged changes", round, killAt)
	}

	c := startChild(t, dir, env...)
	b := newBrowser(t, c.base)
	b.login(t, "/")
	st, err := store.Open(t.Context(), filepath.Join(dir, "scanner.db"))
	require.NoError(t, err)
	defer st.Close()
	bad, err := st.LedgerMismatches(t.Context())
	require.NoError(t, err)
	assert.Empty(t, bad, "stock = ledger sum for every bag")
	t.Logf("%d acknowledged changes to check", len(acked))
	for _, o := range acked {
		switch o.kind {
		case "register":
			s, m := b.json(t, "POST", "/api/products", map[string]any{"name": "崩溃测试包", "price": 100, "stock": 3, "request_id": o.requestID})
			require.Equal(t, http.StatusCreated, s, m)
			assert.Equal(t, o.code, m["code"], "registration %s kept", o.requestID)
		case "sell":
			s, m := b.json(t, "POST", "/api/products/"+o.code+"/sell", map[string]any{"request_id": o.requestID})
			require.Equal(t, http.StatusOK, s, m)
			assert.Equal(t, true, m["replay"], "sale %s kept", o.requestID)
		case "restock":
			_, before := b.json(t, "GET", "/api/products/"+o.code, nil)
			s, m := b.json(t, "POST", "/api/products/"+o.code+"/restock", map[string]any{"qty": 1, "request_id": o.requestID})
			require.Equal(t, http.StatusOK, s, m)
			assert.Equal(t, before["stock"], m["stock"], "restock %s kept, not applied twice", o.requestID)
		}
	}

	// The sheet catches up: each row once, the store's stock in 商品, the ledger adding up.
	mgr := newBrowser(t, c.base)
	mgr.login(t, "/")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s, m := mgr.json(t, "GET", "/api/sync", nil)
		require.Equal(t, http.StatusOK, s, m)
		if m["pending"] == 0.0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the sync did not catch up: %v", m)
		time.Sleep(100 * time.Millisecond)
	}
	resp, _ := mgr.raw(t, "GET", "/demo/sheet", "", nil)
	docID := pathOf(resp.Request.URL.String())
	docID = docID[strings.LastIndex(docID, "/")+1:]
	stock, ledger := sheetTotals(t, c.base+fakePrefix, docID)
	ps, _, err := st.Search(t.Context(), shop.Query{Limit: 1000})
	require.NoError(t, err)
	require.Len(t, stock, len(ps), "one row per product in 商品")
	for _, p := range ps {
		assert.EqualValues(t, p.Stock, stock[p.Code], "库存 of %s in the sheet", p.Code)
		assert.EqualValues(t, p.Stock, ledger[p.Code], "the sheet's ledger of %s", p.Code)
	}
}

// burst registers a bag, then sells and restocks it with request IDs, until the app stops
// answering; ack records each change the app acknowledged.
func burst(b *browser, prefix string, ack func(op)) {
	hc := &http.Client{Jar: b.hc.Jar, Timeout: 5 * time.Second}
	post := func(path, rid string, body map[string]any) (int, map[string]any, bool) {
		body["request_id"] = rid
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", b.base+path, bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return 0, nil, false
		}
		defer resp.Body.Close()
		var m map[string]any
		err = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m, err == nil
	}
	for i := 0; ; i++ {
		rid := fmt.Sprintf("%s-reg%d", prefix, i)
		s, m, ok := post("/api/products", rid, map[string]any{"name": "崩溃测试包", "price": 100, "stock": 3})
		if !ok || s != http.StatusCreated {
			return
		}
		code := m["code"].(string)
		ack(op{kind: "register", requestID: rid, code: code})
		for j := 0; j < 6; j++ {
			kind, path, body := "sell", "/api/products/"+code+"/sell", map[string]any{}
			if j%3 == 2 {
				kind, path, body = "restock", "/api/products/"+code+"/restock", map[string]any{"qty": 1}
			}
			rid := fmt.Sprintf("%s-%s%d-%d", prefix, kind, i, j)
			s, m, ok := post(path, rid, body)
			if !ok {
				return
			}
			if s == http.StatusOK {
				o := op{kind: kind, requestID: rid, code: code}
				if st, ok := m["stock"].(float64); ok {
					o.stock = int(st)
				}
				ack(o)
			}
		}
	}
}
