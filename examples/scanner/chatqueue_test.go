package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
)

// waitInbox waits until no message of st is waiting (each was handled and its reply sent).
func waitInbox(t testing.TB, st *store.Store) {
	t.Helper()
	require.Eventually(t, func() bool {
		n, _, err := st.InboxCounts(context.Background())
		return err == nil && n == 0
	}, 30*time.Second, 5*time.Millisecond, "the inbox was not drained")
}

// replies records what a chat inbox sends, per member.
type replies struct {
	mu  sync.Mutex
	got map[string][]string
}

func (r *replies) send(_ context.Context, member, _, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string][]string{}
	}
	r.got[member] = append(r.got[member], text)
}

func (r *replies) of(member string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got[member]...)
}

func testInbox(t *testing.T, st *store.Store, owner string, h chatHandler, r chatReplier, o inboxOptions) *chatInbox {
	t.Helper()
	o.Owner, o.Log = owner, testLogger(t)
	if o.Backoff == nil {
		o.Backoff = func(int) time.Duration { return 0 }
	}
	q := newChatInbox(st, h, r, o)
	t.Cleanup(func() { _ = q.shutdown(context.Background()) })
	return q
}

func text(id, member, content string) store.InboxMessage {
	return store.InboxMessage{MsgID: id, Member: member, Type: "text", Content: content, Last: true, SentAt: time.Now()}
}

// Each member's messages run one at a time in the order they arrived, different members in
// parallel: on SQLite with one process, and on PostgreSQL with two replicas sharing the database,
// each receiving half of every member's messages.
func TestChatInboxKeepsEachMembersOrder(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			dsn := storetest.DSN(t, d)
			var mu sync.Mutex
			got := map[string][]string{}
			running := map[string]bool{}
			handle := func(ctx context.Context, m *store.InboxMessage) (string, error) {
				mu.Lock()
				if running[m.Member] {
					t.Errorf("two messages of %s ran at once", m.Member)
				}
				running[m.Member] = true
				mu.Unlock()
				time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond) // a photo download, a sheet write…
				mu.Lock()
				running[m.Member] = false
				got[m.Member] = append(got[m.Member], m.Content)
				mu.Unlock()
				return "", nil
			}
			replicas := 1
			if d == store.Postgres {
				replicas = 2
			}
			var qs []*chatInbox
			var first *store.Store
			for i := range replicas {
				st, err := store.Open(t.Context(), dsn)
				require.NoError(t, err)
				t.Cleanup(func() { _ = st.Close() })
				if first == nil {
					first = st
				}
				q := testInbox(t, st, "replica"+strconv.Itoa(i), handle, (&replies{}).send, inboxOptions{Max: 1000, Workers: 4})
				q.start(t.Context())
				qs = append(qs, q)
			}
			users := []string{"zhangsan", "lisi", "wangwu", "zhaoliu"}
			var wg sync.WaitGroup
			for _, u := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 60 {
						_, err := qs[i%len(qs)].add(t.Context(), text(u+"-"+strconv.Itoa(i), u, strconv.Itoa(i)))
						assert.NoError(t, err)
					}
				}()
			}
			wg.Wait()
			waitInbox(t, first)
			mu.Lock()
			defer mu.Unlock()
			for _, u := range users {
				require.Len(t, got[u], 60, u)
				for i, c := range got[u] {
					require.Equal(t, strconv.Itoa(i), c, "%s's messages in the order they arrived", u)
				}
			}
		})
	}
}

func TestChatInboxIsBounded(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	var r replies
	q := testInbox(t, st, "a", func(ctx context.Context, m *store.InboxMessage) (string, error) { return "ok " + m.Content, nil },
		r.send, inboxOptions{Max: 2})
	for i := range 2 {
		added, err := q.add(t.Context(), text(strconv.Itoa(i), "a", strconv.Itoa(i)))
		require.NoError(t, err)
		require.True(t, added)
	}
	_, err := q.add(t.Context(), text("2", "c", "2"))
	assert.ErrorIs(t, err, errChatBusy, "a full inbox makes WeCom retry later")
	added, err := q.add(t.Context(), text("0", "a", "0"))
	require.NoError(t, err, "a retry of a stored message is acknowledged")
	assert.False(t, added)

	q.start(t.Context())
	waitInbox(t, st)
	added, err = q.add(t.Context(), text("2", "c", "2"))
	require.NoError(t, err, "room again")
	require.True(t, added)
	waitInbox(t, st)
	assert.Equal(t, []string{"ok 0", "ok 1"}, r.of("a"))
	assert.Equal(t, []string{"ok 2"}, r.of("c"))
}

// A failing message is tried again (the member's later messages wait for it), and given up after
// Attempts with a Chinese reply; a panic is a failure like any other.
func TestChatInboxRetriesThenGivesUp(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	var r replies
	var flaky atomic.Int32
	var order []string
	var mu sync.Mutex
	q := testInbox(t, st, "a", func(ctx context.Context, m *store.InboxMessage) (string, error) {
		mu.Lock()
		order = append(order, m.Content)
		mu.Unlock()
		switch m.Content {
		case "1299":
			if flaky.Add(1) == 1 {
				return "", errors.New("database is locked")
			}
		case "boom":
			panic("handler bug")
		case "broken":
			return "", errors.New("store unavailable")
		}
		return "收到 " + m.Content, nil
	}, r.send, inboxOptions{Attempts: 3})
	for i, c := range []string{"1299", "boom", "broken", "#"} {
		_, err := q.add(t.Context(), text(strconv.Itoa(i), "lisi", c))
		require.NoError(t, err)
	}
	q.start(t.Context())
	waitInbox(t, st)
	got := r.of("lisi")
	require.Len(t, got, 4, "%q", got)
	assert.Equal(t, "收到 1299", got[0], "a failure tried again")
	assert.Contains(t, got[1], "消息「boom」多次处理失败")
	assert.Contains(t, got[2], "消息「broken」多次处理失败")
	assert.Equal(t, "收到 #", got[3])
	mu.Lock()
	assert.Equal(t, []string{"1299", "1299", "boom", "boom", "boom", "broken", "broken", "broken", "#"}, order)
	mu.Unlock()
	m, err := st.InboxMessage(t.Context(), "2")
	require.NoError(t, err)
	assert.Equal(t, store.InboxFailed, m.State)
	assert.Equal(t, 3, m.Attempts)
	assert.Equal(t, "store unavailable", m.LastError)
	_, failed, err := st.InboxCounts(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 2, failed)
}

// A message whose attempts all died with their process (a photo that crashes the app, say) is
// given up at the next start without running it again.
func TestChatInboxGivesUpACrashLoop(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	_, err := st.AddInbox(t.Context(), 0, store.InboxMessage{MsgID: "p", Member: "lisi", Type: "image", MediaID: "m", Last: true})
	require.NoError(t, err)
	for range 3 { // three starts, each dying while handling it
		ok, err := st.ClaimInbox(t.Context(), "lisi", "a", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		m, err := st.NextInbox(t.Context(), "lisi", "a", time.Minute)
		require.NoError(t, err)
		require.NotNil(t, m)
	}
	var r replies
	q := testInbox(t, st, "a", func(context.Context, *store.InboxMessage) (string, error) {
		t.Error("a message that crashed every attempt ran again")
		return "", nil
	}, r.send, inboxOptions{Attempts: 3})
	q.start(t.Context())
	waitInbox(t, st)
	assert.Equal(t, []string{"这张照片多次处理失败，未保存。请稍后重新发送这张照片。"}, r.of("lisi"))
}

// An idle inbox only reads: polling many times over a waiting message that another live replica
// holds writes nothing to the SQLite file (a write would grow or touch the WAL).
func TestChatInboxIdleDoesNotWrite(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(t.Context(), filepath.Join(dir, "scanner.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.AddInbox(t.Context(), 0, text("1", "lisi", "1299"))
	require.NoError(t, err)
	ok, err := st.ClaimInbox(t.Context(), "lisi", "other-replica", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	stat := func() string {
		var s string
		for _, name := range []string{"scanner.db", "scanner.db-wal"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			require.NoError(t, err)
			s += fmt.Sprintf("%s %d %d;", name, fi.Size(), fi.ModTime().UnixNano())
		}
		return s
	}
	before := stat()
	var polls atomic.Int64
	q := testInbox(t, st, "me", func(context.Context, *store.InboxMessage) (string, error) {
		t.Error("another replica's member ran here")
		return "", nil
	}, (&replies{}).send, inboxOptions{Poll: time.Millisecond})
	q.polled = func() { polls.Add(1) }
	q.start(t.Context())
	require.Eventually(t, func() bool { return polls.Load() >= 50 }, 30*time.Second, time.Millisecond)
	require.NoError(t, q.shutdown(t.Context()))
	assert.Equal(t, before, stat(), "nothing written while idle")
}
