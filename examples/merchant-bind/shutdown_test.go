package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// statusRecorder records every status the app answers on /wx/callback.
type statusRecorder struct {
	mu       sync.Mutex
	statuses map[int]int
	answered atomic.Int64
	at       int64         // when this many are answered …
	reached  chan struct{} // … this is closed
}

func (s *statusRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/wx/callback" {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.mu.Lock()
		s.statuses[sw.status]++
		s.mu.Unlock()
		if s.answered.Add(1) == s.at {
			close(s.reached)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// realConfig is real mode against the fake: what an operator's environment would say.
func realConfig(t *testing.T, fakeURL, dir string) *config {
	t.Helper()
	env := map[string]string{"WECHAT_APP_ID": wecomtest.DefaultAppID, "WECHAT_APP_SECRET": wecomtest.DefaultAppSecret,
		"WECHAT_TOKEN": wecomtest.DefaultCallbackToken, "WECHAT_AES_KEY": wecomtest.DefaultEncodingAESKey,
		"WECHAT_API_BASE": fakeURL, "PUBLIC_URL": "https://bind.example.com", "ADMIN_PASSWORD": testPassword,
		"WELCOME_TEMPLATE_ID": welcomeTpl, "NOTIFY_TEMPLATE_ID": notifyTpl}
	cfg, err := loadConfig(func(k string) string { return env[k] }, "127.0.0.1:0", dir, false)
	require.NoError(t, err)
	return cfg
}

// SIGTERM in the middle of a burst of 150 scans: no callback is answered 500 (the database is
// closed only after the requests in flight and the outbox), every binding that was made has its
// welcome message, and after a restart every welcome is delivered exactly once.
func TestShutdownDuringBurst(t *testing.T) {
	t.Parallel()
	const n = 150
	fake := wecomtest.NewServer(wecomtest.WithCallbackTimeout(5 * time.Second))
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	cfg := realConfig(t, fake.URL, dir)

	rec := &statusRecorder{statuses: map[int]int{}, at: n / 3, reached: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *app, 1)
	done := make(chan error, 1)
	var base string
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), &bytes.Buffer{}, &serveHooks{WrapHandler: rec.wrap,
			Ready: func(b string, a *app) { base = b; ready <- a }})
	}()
	a := <-ready
	require.NoError(t, fake.SetOfficialAccountCallback(wecomtest.CallbackConfig{URL: base + "/wx/callback",
		Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey, Mode: wecomtest.ModeSafe}))
	tickets := make([]string, n)
	for i := range n {
		m, err := a.db.CreateMerchant(t.Context(), store.MerchantInput{Name: fmt.Sprintf("商户%03d", i), Login: fmt.Sprintf("shop-%03d", i)}, time.Now())
		require.NoError(t, err)
		c, err := a.svc.IssueCode(t.Context(), m.ID, "admin")
		require.NoError(t, err)
		tickets[i] = c.Ticket
	}

	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = fake.SimulateScan(context.Background(), fmt.Sprintf("oBurst%03d", i), tickets[i], false)
		}()
	}
	// SIGTERM once a third of the burst is answered.
	select {
	case <-rec.reached:
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	}
	cancel()
	require.NoError(t, <-done, "a graceful stop")
	wg.Wait()

	rec.mu.Lock()
	statuses := rec.statuses
	rec.mu.Unlock()
	for code, count := range statuses {
		assert.Less(t, code, 500, "%d callbacks answered %d", count, code)
	}
	t.Logf("answers before the stop: %v", statuses)

	// Restart: the welcomes queued before the stop go out; each bound merchant gets exactly one.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	ready2 := make(chan *app, 1)
	done2 := make(chan error, 1)
	go func() {
		done2 <- serve(ctx2, cfg, slog.New(slog.DiscardHandler), &bytes.Buffer{}, &serveHooks{Ready: func(_ string, a *app) { ready2 <- a }})
	}()
	a = <-ready2
	require.NoError(t, a.outbox.Flush(t.Context()))
	_, bound, err := a.db.CountMerchants(t.Context())
	require.NoError(t, err)
	assert.Positive(t, bound)
	perOpenID := map[string]int{}
	for _, m := range fake.Messages(wecomtest.MessageTemplate) {
		perOpenID[m.ToUser]++
	}
	assert.Len(t, perOpenID, bound, "a welcome for every binding")
	for openid, k := range perOpenID {
		assert.Equal(t, 1, k, openid)
	}
	cancel2()
	require.NoError(t, <-done2)
}
