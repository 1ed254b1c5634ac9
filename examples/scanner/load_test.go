package main

import (
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

// TestLoadProductPage is the scan load test: GET /p/{code} with a warm cache over loopback at a
// fixed rate (open loop: requests are sent on schedule whether or not earlier ones have answered)
// and reports p50/p99 latency and the achieved rate. Latency is measured from each request's
// scheduled time, so a stalled server cannot hide its queueing delay.
//
// It runs only with SCANNER_LOAD=1 (about 15 s; the figures depend on the machine) and asserts no
// timing: SCANNER_LOAD_RATE (default 500 requests/s) and SCANNER_LOAD_SECONDS (default 10) tune it.
//
//	SCANNER_LOAD=1 go test -run TestLoadProductPage -v ./examples/scanner/
func TestLoadProductPage(t *testing.T) {
	if os.Getenv("SCANNER_LOAD") == "" {
		t.Skip("load test: set SCANNER_LOAD=1 to run (GET /p/{code}, 500 requests/s for 10 s)")
	}
	rate := envInt(t, "SCANNER_LOAD_RATE", 500)
	seconds := envInt(t, "SCANNER_LOAD_SECONDS", 10)
	const maxInFlight = 500

	in := startDemoApp(t)
	b := newBrowser(t, in.base)
	b.login(t, "/")
	st, m := b.json(t, "GET", "/api/products?limit=1", nil)
	require.Equal(t, http.StatusOK, st)
	code := m["products"].([]any)[0].(map[string]any)["code"].(string)
	target := in.base + "/p/" + url.PathEscape(code)

	hc := &http.Client{Jar: b.hc.Jar, Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: maxInFlight, MaxIdleConnsPerHost: maxInFlight, IdleConnTimeout: time.Minute}}
	get := func() (int, error) {
		resp, err := hc.Get(target)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, err
	}
	for range 200 { // warm the cache, the connection pool and the template
		status, err := get()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
	}

	total := rate * seconds
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, total) // from the scheduled time
	svc := make([]time.Duration, total) // from the actual send
	var (
		wg                     sync.WaitGroup
		inFlight, failed, shed atomic.Int64
		firstErrOnce           sync.Once
		firstErr               error
	)
	in.fake.ResetCalls()
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
			status, err := get()
			lat[i], svc[i] = time.Since(due), time.Since(sent)
			if err != nil || status != http.StatusOK {
				failed.Add(1)
				firstErrOnce.Do(func() { firstErr = err })
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)

	keep := func(d time.Duration) bool { return d < 0 }
	lat, svc = slices.DeleteFunc(lat, keep), slices.DeleteFunc(svc, keep)
	slices.Sort(lat)
	slices.Sort(svc)
	q := func(ds []time.Duration, p float64) time.Duration {
		return ds[min(len(ds)-1, int(float64(len(ds))*p))].Round(time.Microsecond)
	}
	t.Logf("GET /p/{code}, warm cache: target %d req/s for %ds; sent %d, failed %d, shed %d",
		rate, seconds, len(lat), failed.Load(), shed.Load())
	t.Logf("achieved %.0f req/s", float64(len(lat))/elapsed.Seconds())
	t.Logf("latency (from schedule): p50 %v, p90 %v, p99 %v, max %v", q(lat, .5), q(lat, .9), q(lat, .99), q(lat, 1))
	t.Logf("service time (from send): p50 %v, p90 %v, p99 %v, max %v", q(svc, .5), q(svc, .9), q(svc, .99), q(svc, 1))
	assert.Zero(t, failed.Load(), "first error: %v", firstErr)
	assert.Empty(t, in.fake.CallCounts(), "a warm scan makes no WeCom call")
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

// BenchmarkProductPage measures the in-process cost of one warm GET /p/{code} through the whole
// handler chain (login cookie check, routing, cache, template), without the network.
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
