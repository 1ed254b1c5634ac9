package main

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

func TestChatQueueKeepsEachMembersOrder(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]string{}
	running := map[string]bool{}
	q := newChatQueue(func(ctx context.Context, m *wecom.Message) {
		mu.Lock()
		if running[m.FromUserName] {
			t.Errorf("two messages of %s ran at once", m.FromUserName)
		}
		running[m.FromUserName] = true
		mu.Unlock()
		time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond) // a photo download, a sheet write…
		mu.Lock()
		running[m.FromUserName] = false
		got[m.FromUserName] = append(got[m.FromUserName], m.Content)
		mu.Unlock()
	}, 1000, time.Minute, slog.New(slog.DiscardHandler))
	users := []string{"zhangsan", "lisi", "wangwu"}
	for i := range 100 {
		for _, u := range users {
			require.NoError(t, q.submit(&wecom.Message{FromUserName: u, Content: strconv.Itoa(i)}))
		}
	}
	require.NoError(t, q.shutdown(t.Context()))
	for _, u := range users {
		require.Len(t, got[u], 100, u)
		for i, c := range got[u] {
			require.Equal(t, strconv.Itoa(i), c, "%s's messages in the order they arrived", u)
		}
	}
	assert.ErrorIs(t, q.submit(&wecom.Message{FromUserName: "lisi"}), errChatBusy, "closed after shutdown")
}

func TestChatQueueIsBounded(t *testing.T) {
	release := make(chan struct{})
	q := newChatQueue(func(ctx context.Context, m *wecom.Message) { <-release }, 2, time.Minute, slog.New(slog.DiscardHandler))
	require.NoError(t, q.submit(&wecom.Message{FromUserName: "a"}))
	// The first message is taken by a's goroutine; wait until it runs so the count is exact.
	require.Eventually(t, func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.n == 0
	}, 5*time.Second, time.Millisecond)
	require.NoError(t, q.submit(&wecom.Message{FromUserName: "a"}))
	require.NoError(t, q.submit(&wecom.Message{FromUserName: "a"}))
	assert.ErrorIs(t, q.submit(&wecom.Message{FromUserName: "c"}), errChatBusy, "a full queue makes WeCom retry later")
	close(release)
	require.NoError(t, q.shutdown(t.Context()))
}

func TestChatQueueSurvivesAPanic(t *testing.T) {
	var ran []string
	q := newChatQueue(func(ctx context.Context, m *wecom.Message) {
		ran = append(ran, m.Content)
		if m.Content == "boom" {
			panic("handler bug")
		}
	}, 10, time.Minute, slog.New(slog.DiscardHandler))
	require.NoError(t, q.submit(&wecom.Message{FromUserName: "a", Content: "boom"}))
	require.NoError(t, q.submit(&wecom.Message{FromUserName: "a", Content: "next"}))
	require.NoError(t, q.shutdown(t.Context()))
	assert.Equal(t, []string{"boom", "next"}, ran)
}
