package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// envVars are every variable loadConfig reads; tests clear them so that the app runs in demo mode
// whatever the developer's shell holds.
var envVars = []string{"WECOM_CORP_ID", "WECOM_SECRET", "WECOM_AGENT_ID", "PUBLIC_URL", "WECOM_CALLBACK_TOKEN",
	"WECOM_CALLBACK_AES_KEY", "REDIS_URL", "WECOM_DOC_ID", "WECOM_MANAGERS", "CODE_PATTERN", "SHOP_NAME", "SHOP_TZ",
	"LOW_STOCK_AT", "SUMMARY_HOUR", "SESSION_KEY", "LABEL_KEY",
	"WECOM_AIBOT_TOKEN", "WECOM_AIBOT_AES_KEY", "DATABASE_URL", "WECOM_BASE_URL", "SYNC_MAX_DELAY", "RECONCILE_EVERY"}

// startDemo runs the whole app in demo mode, exactly as `go run ./examples/scanner` does, on a free
// loopback port with its data in a temporary directory. It stops when the test ends.
func startDemoApp(t testing.TB) *instance {
	t.Helper()
	return startDemoIn(t, t.TempDir(), 30)
}

// startDemoIn is startDemoApp with the data directory and the number of demo bags given.
func startDemoIn(t testing.TB, dir string, bags int) *instance {
	t.Helper()
	return startDemoWith(t, options{DataDir: dir, DemoBags: bags})
}

// startDemoWith is startDemoApp with options (the data directory defaults to a temporary one, the
// address to a free loopback port) and environment variables (name, value pairs).
func startDemoWith(t testing.TB, o options, env ...string) *instance {
	t.Helper()
	in, _ := startDemoStoppable(t, o, env...)
	return in
}

// startDemoStoppable is startDemoWith that also returns stop, which ends the app as SIGTERM does
// and waits for it (stopping twice is fine; the test's end stops it too).
func startDemoStoppable(t testing.TB, o options, env ...string) (*instance, func()) {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	for _, k := range envVars {
		t.Setenv(k, "")
	}
	for i := 0; i+1 < len(env); i += 2 {
		t.Setenv(env[i], env[i+1])
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *instance, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, o, testLogger(t), func(in *instance) { ready <- in })
	}()
	select {
	case in := <-ready:
		var once sync.Once
		stop := func() {
			once.Do(func() {
				cancel()
				require.NoError(t, <-done)
			})
		}
		t.Cleanup(stop)
		return in, stop
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(2 * time.Minute):
		cancel()
		t.Fatal("the app did not start within 2 minutes")
	}
	return nil, nil
}

// testLogger logs warnings and errors to the test log until the test ends.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// browser is an HTTP client with a cookie jar: it follows the login redirects and keeps the session.
type browser struct {
	base string
	hc   *http.Client

	mu   sync.Mutex
	hops []string // paths of the redirects followed by the last request (one request at a time)
}

func newBrowser(t testing.TB, base string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b := &browser{base: base}
	b.hc = &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			b.mu.Lock()
			b.hops = append(b.hops, req.URL.Path)
			b.mu.Unlock()
			if len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	return b
}

// do sends one request; body, when not nil, is JSON-encoded with Content-Type application/json.
func (b *browser) do(t testing.TB, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	return b.raw(t, method, path, "application/json", rd)
}

func (b *browser) raw(t testing.TB, method, path, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = b.base + path
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Accept", "application/json")
	}
	b.mu.Lock()
	b.hops = nil
	b.mu.Unlock()
	resp, err := b.hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

// json sends a JSON request and decodes the JSON answer.
func (b *browser) json(t testing.TB, method, path string, body any) (int, map[string]any) {
	t.Helper()
	resp, data := b.do(t, method, path, body)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), "%s %s: %s", method, path, data)
	return resp.StatusCode, m
}

// login opens the home page and follows the login chain; it returns the member it signed in as.
func (b *browser) login(t testing.TB, path string) string {
	t.Helper()
	resp, body := b.raw(t, "GET", path, "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	st, me := b.json(t, "GET", "/api/me", nil)
	require.Equal(t, http.StatusOK, st, me)
	return me["userid"].(string)
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Path
}
