package store_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
)

func inboxMsg(id, member, text string) store.InboxMessage {
	return store.InboxMessage{MsgID: id, Member: member, Type: "text", Content: text, Last: true,
		SentAt: time.Unix(1_700_000_000, 0)}
}

func TestInboxAddDuplicateFull(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		added, err := s.AddInbox(ctx, 3, inboxMsg("1", "lisi", "1299"))
		require.NoError(t, err)
		assert.True(t, added)
		added, err = s.AddInbox(ctx, 3, inboxMsg("1", "lisi", "1299"))
		require.NoError(t, err)
		assert.False(t, added, "a retried message is a duplicate")

		// A delivery of two: all or nothing.
		a, b := inboxMsg("bot:x-0", "wangwu", "¥899"), inboxMsg("bot:x-1", "wangwu", "#")
		a.Delivery, b.Delivery, a.Last = "bot:x", "bot:x", false
		added, err = s.AddInbox(ctx, 3, a, b)
		require.NoError(t, err)
		assert.True(t, added)
		_, err = s.AddInbox(ctx, 3, inboxMsg("2", "lisi", "#"))
		assert.ErrorIs(t, err, store.ErrInboxFull)
		_, err = s.InboxMessage(ctx, "2")
		assert.ErrorIs(t, err, shop.ErrNotFound, "nothing written when full")
		added, err = s.AddInbox(ctx, 3, inboxMsg("1", "lisi", "1299"))
		require.NoError(t, err)
		assert.False(t, added, "a duplicate is no error even when full")

		for _, bad := range []store.InboxMessage{inboxMsg("", "lisi", "x"), inboxMsg("9", "", "x"), inboxMsg("9", strings.Repeat("u", 65), "x")} {
			_, err := s.AddInbox(ctx, 0, bad)
			assert.ErrorIs(t, err, store.ErrInboxInvalid)
		}
		long := strings.Repeat("m", 300)
		added, err = s.AddInbox(ctx, 0, inboxMsg(long, "lisi", "帮助"))
		require.NoError(t, err)
		assert.True(t, added)
		added, err = s.AddInbox(ctx, 0, inboxMsg(long, "lisi", "帮助"))
		require.NoError(t, err)
		assert.False(t, added, "a long id is kept as its hash, and still deduplicates")

		m, err := s.InboxMessage(ctx, "bot:x-1")
		require.NoError(t, err)
		assert.Equal(t, store.InboxWaiting, m.State)
		assert.Equal(t, "bot:x", m.Delivery)
		assert.True(t, m.Last)
		assert.Equal(t, time.Unix(1_700_000_000, 0), m.SentAt)
		waiting, failed, err := s.InboxCounts(ctx)
		require.NoError(t, err)
		assert.Equal(t, 4, waiting)
		assert.Zero(t, failed)
	})
}

// A member's messages are handed out in order, to one owner at a time; another owner takes the
// member over once the claim has expired.
func TestInboxClaims(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			var now atomic.Int64
			now.Store(time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC).UnixMilli())
			s := storetest.Open(t, d, store.WithClock(func() time.Time { return time.UnixMilli(now.Load()) }))
			ctx := t.Context()
			for _, id := range []string{"1", "2", "3"} {
				_, err := s.AddInbox(ctx, 0, inboxMsg(id, "lisi", "m"+id))
				require.NoError(t, err)
			}
			_, err := s.AddInbox(ctx, 0, inboxMsg("4", "wangwu", "m4"))
			require.NoError(t, err)

			members, err := s.InboxMembers(ctx, "a", 10)
			require.NoError(t, err)
			assert.Equal(t, []string{"lisi", "wangwu"}, members, "oldest first")
			ok, err := s.ClaimInbox(ctx, "lisi", "a", time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = s.ClaimInbox(ctx, "lisi", "b", time.Minute)
			require.NoError(t, err)
			assert.False(t, ok, "a live claim is exclusive")
			members, err = s.InboxMembers(ctx, "b", 10)
			require.NoError(t, err)
			assert.Equal(t, []string{"wangwu"}, members, "another owner's claim hides the member")
			members, err = s.InboxMembers(ctx, "a", 10)
			require.NoError(t, err)
			assert.Equal(t, []string{"lisi", "wangwu"}, members, "one's own claim does not (a restarted replica)")

			m, err := s.NextInbox(ctx, "lisi", "a", time.Minute)
			require.NoError(t, err)
			assert.Equal(t, "m1", m.Content)
			assert.Equal(t, 1, m.Attempts)
			require.NoError(t, s.RetryInbox(ctx, m.Seq, "download timed out"))
			m, err = s.NextInbox(ctx, "lisi", "a", time.Minute)
			require.NoError(t, err)
			assert.Equal(t, "m1", m.Content, "not finished: again")
			assert.Equal(t, 2, m.Attempts)
			assert.Equal(t, "download timed out", m.LastError)
			require.NoError(t, s.FinishInbox(ctx, m.Seq, store.InboxDone, "已记录", ""))
			m, err = s.NextInbox(ctx, "lisi", "a", time.Minute)
			require.NoError(t, err)
			assert.Equal(t, "m2", m.Content)

			// a stops (a crash): its claim expires and b takes lisi over, from m2.
			now.Add(time.Minute.Milliseconds())
			members, err = s.InboxMembers(ctx, "b", 10)
			require.NoError(t, err)
			assert.Equal(t, []string{"lisi", "wangwu"}, members)
			ok, err = s.ClaimInbox(ctx, "lisi", "b", time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			_, err = s.NextInbox(ctx, "lisi", "a", time.Minute)
			assert.ErrorIs(t, err, store.ErrInboxLost)
			m, err = s.NextInbox(ctx, "lisi", "b", time.Minute)
			require.NoError(t, err)
			assert.Equal(t, "m2", m.Content)
			assert.Equal(t, 2, m.Attempts, "the crashed attempt counts")
			require.NoError(t, s.FinishInbox(ctx, m.Seq, store.InboxDone, "r2", ""))
			m, err = s.NextInbox(ctx, "lisi", "b", time.Minute)
			require.NoError(t, err)
			require.NoError(t, s.FinishInbox(ctx, m.Seq, store.InboxFailed, "没处理成", "panic"))
			m, err = s.NextInbox(ctx, "lisi", "b", time.Minute)
			require.NoError(t, err)
			assert.Nil(t, m, "none left")
			ok, err = s.ClaimInbox(ctx, "lisi", "a", time.Minute)
			require.NoError(t, err)
			assert.True(t, ok, "the claim was released with the last message")

			got, err := s.InboxMessage(ctx, "3")
			require.NoError(t, err)
			assert.Equal(t, store.InboxFailed, got.State)
			assert.Equal(t, "panic", got.LastError)
			waiting, failed, err := s.InboxCounts(ctx)
			require.NoError(t, err)
			assert.Equal(t, 1, waiting)
			assert.Equal(t, 1, failed)

			now.Add(time.Hour.Milliseconds())
			n, err := s.PurgeInbox(ctx, time.UnixMilli(now.Load()).Add(-time.Minute))
			require.NoError(t, err)
			assert.EqualValues(t, 3, n, "finished rows go; the waiting one stays")
			_, err = s.InboxMessage(ctx, "4")
			require.NoError(t, err)
		})
	}
}

func TestInboxDeliveryReplies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		var items []store.InboxMessage
		for i, c := range []string{"¥899", "img", "#"} {
			m := inboxMsg("d-"+c, "lisi", c)
			m.Delivery, m.Last, m.ResponseURL = "d", i == 2, "https://qyapi.example/respond"
			items = append(items, m)
		}
		_, err := s.AddInbox(ctx, 0, items...)
		require.NoError(t, err)
		ok, err := s.ClaimInbox(ctx, "lisi", "a", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		var last *store.InboxMessage
		for _, want := range []string{"r1", "r2"} {
			m, err := s.NextInbox(ctx, "lisi", "a", time.Minute)
			require.NoError(t, err)
			require.NoError(t, s.FinishInbox(ctx, m.Seq, store.InboxDone, want, ""))
		}
		last, err = s.NextInbox(ctx, "lisi", "a", time.Minute)
		require.NoError(t, err)
		assert.True(t, last.Last)
		assert.Equal(t, "https://qyapi.example/respond", last.ResponseURL)
		replies, err := s.DeliveryReplies(ctx, last.Delivery, last.Seq)
		require.NoError(t, err)
		assert.Equal(t, []string{"r1", "r2"}, replies)
		require.NoError(t, s.FinishInbox(ctx, last.Seq, store.InboxDone, "r3", ""))
		done, err := s.InboxMessage(ctx, "d-#")
		require.NoError(t, err)
		assert.Empty(t, done.ResponseURL, "forgotten once used")
		assert.Equal(t, "r3", done.Reply)
	})
}

// Replicas storing the same retried delivery at once store it once.
func TestInboxConcurrentDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var wg sync.WaitGroup
		var added atomic.Int32
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.AddInbox(t.Context(), 100, inboxMsg("same", "lisi", "#"))
				assert.NoError(t, err)
				if ok {
					added.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.EqualValues(t, 1, added.Load())
	})
}
