package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadProductPage is the scan load test of the demo shop: GET /p/{code} over loopback at a
// fixed rate (open loop: requests are sent on schedule whether or not earlier ones have answered)
// and reports p50/p99 latency and the achieved rate. Latency is measured from each request's
// scheduled time, so a stalled server cannot hide its queueing delay. TestTargets50k runs the same
// load against a shop of 50,000 bags.
//
// It runs only with SCANNER_LOAD=1 (about 15 s; the figures depend on the machine) and asserts no
// timing: SCANNER_LOAD_RATE (default 500 requests/s) and SCANNER_LOAD_SECONDS (default 10) tune it.
//
//	SCANNER_LOAD=1 go test -run TestLoadProductPage -v ./examples/scanner/
func TestLoadProductPage(t *testing.T) {
	if os.Getenv("SCANNER_LOAD") == "" {
		t.Skip("load test: set SCANNER_LOAD=1 to run (GET /p/{code}, 500 requests/s for 10 s)")
	}
	in := startDemoApp(t)
	b := newBrowser(t, in.base)
	b.login(t, "/")
	require.NoError(t, in.app.sync.Flush(t.Context()))
	st, m := b.json(t, "GET", "/api/products?limit=30", nil)
	require.Equal(t, http.StatusOK, st)
	var targets []string
	for _, p := range m["products"].([]any) {
		targets = append(targets, in.base+"/p/"+url.PathEscape(p.(map[string]any)["code"].(string)))
	}
	in.fake.ResetCalls()
	res := openLoop(t, b, targets, envInt(t, "SCANNER_LOAD_RATE", 500), envInt(t, "SCANNER_LOAD_SECONDS", 10))
	t.Logf("GET /p/{code} of the demo's 30 bags: %s", res)
	assert.Zero(t, res.failed, "first error: %v", res.firstErr)
	assert.Empty(t, in.fake.CallCounts(), "a scan makes no WeCom call")
}

// loadResult is what openLoop measured.
type loadResult struct {
	rate, seconds      int
	sent, failed, shed int64
	firstErr           error
	achieved           float64
	lat, svc           []time.Duration // sorted; from the schedule, from the send
}

func (r loadResult) String() string {
	q := func(ds []time.Duration, p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		return ds[min(len(ds)-1, int(float64(len(ds))*p))].Round(time.Microsecond)
	}
	return fmt.Sprintf("target %d req/s for %ds, achieved %.0f req/s, sent %d, failed %d, shed %d; latency from schedule "+
		"p50 %v p90 %v p99 %v max %v; service time p50 %v p99 %v", r.rate, r.seconds, r.achieved, r.sent, r.failed, r.shed,
		q(r.lat, .5), q(r.lat, .9), q(r.lat, .99), q(r.lat, 1), q(r.svc, .5), q(r.svc, .99))
}

// openLoop sends GET requests to the targets (in turn) at rate per second for seconds, with b's
// session, after a warm-up of 200 requests.
func openLoop(t *testing.T, b *browser, targets []string, rate, seconds int) loadResult {
	t.Helper()
	const maxInFlight = 500
	hc := &http.Client{Jar: b.hc.Jar, Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: maxInFlight, MaxIdleConnsPerHost: maxInFlight, IdleConnTimeout: time.Minute}}
	get := func(u string) (int, error) {
		resp, err := hc.Get(u)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, err
	}
	for i := range 200 { // warm the connection pool and the template
		status, err := get(targets[i%len(targets)])
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
	}
	total := rate * seconds
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, total)
	svc := make([]time.Duration, total)
	var (
		wg                     sync.WaitGroup
		inFlight, failed, shed atomic.Int64
		firstErrOnce           sync.Once
		firstErr               error
	)
	begin := time.Now()
	for i := range total {
		due := begin.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if inFlight.Load() >= maxInFlight {
			shed.Add(1) // the generator's bound: count it, never wait for the server
			lat[i], svc[i] = -1, -1
			continue
		}
		inFlight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inFlight.Add(-1)
			sent := time.Now()
			status, err := get(targets[i%len(targets)])
			lat[i], svc[i] = time.Since(due), time.Since(sent)
			if err != nil || status != http.StatusOK {
				failed.Add(1)
				firstErrOnce.Do(func() { firstErr = fmt.Errorf("status %d: %v", status, err) })
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	keep := func(d time.Duration) bool { return d < 0 }
	lat, svc = slices.DeleteFunc(lat, keep), slices.DeleteFunc(svc, keep)
	slices.Sort(lat)
	slices.Sort(svc)
	return loadResult{rate: rate, seconds: seconds, sent: int64(len(lat)), failed: failed.Load(), shed: shed.Load(),
		firstErr: firstErr, achieved: float64(len(lat)) / elapsed.Seconds(), lat: lat, svc: svc}
}

func envInt(t *testing.T, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, key)
	require.Positive(t, n, key)
	return n
}

// BenchmarkProductPage measures the in-process cost of one GET /p/{code} through the whole handler
// chain (login cookie check, routing, store reads, template), without the network.
func BenchmarkProductPage(b *testing.B) {
	in := startDemoApp(b)
	br := newBrowser(b, in.base)
	br.login(b, "/")
	st, m := br.json(b, "GET", "/api/products?limit=1", nil)
	require.Equal(b, http.StatusOK, st)
	code := m["products"].([]any)[0].(map[string]any)["code"].(string)
	u, _ := url.Parse(in.base)
	cookies := br.hc.Jar.Cookies(u)
	req := httptest.NewRequest("GET", "/p/"+code, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	in.app.handler.ServeHTTP(rec, req)
	require.Equal(b, http.StatusOK, rec.Code)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		in.app.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
