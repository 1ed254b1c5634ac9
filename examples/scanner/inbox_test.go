package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/chat"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// repliesTo returns the app's messages to user, from the fake's record.
func repliesTo(in *instance, user string) []string {
	var out []string
	for _, m := range in.fake.Messages(wecomtest.MessageApp) {
		if m.ToUser == user {
			out = append(out, m.Content)
		}
	}
	return out
}

func countContaining(list []string, s string) int {
	n := 0
	for _, x := range list {
		if strings.Contains(x, s) {
			n++
		}
	}
	return n
}

// TestChatInboxSurvivesARestart: WeCom delivers three photos and "¥1,299 #" and the app
// acknowledges them, but stops before handling any (its workers are stopped first, as a crash
// right after the acknowledgement would leave it). The next start handles them: one bag with three
// photos, the reply sent. WeCom delivering the "#" again after the restart (the SDK's in-process
// dedupe has forgotten it) registers nothing.
func TestChatInboxSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	in, stop := startDemoStoppable(t, options{DataDir: dir, DemoBags: 30})
	ctx := t.Context()
	require.NoError(t, in.app.chat.shutdown(ctx))
	_, before, err := in.app.st.Search(ctx, shop.Query{Limit: 1})
	require.NoError(t, err)
	for i := range 3 {
		_, err := in.fake.SendMessage(ctx, wecomtest.Message{From: "lisi", Type: "image", Image: bagPhoto(demoBags[i].rgb, i)})
		require.NoError(t, err, "acknowledged")
	}
	hash := wecomtest.Message{From: "lisi", Type: "text", Content: "¥1,299 #", MsgID: 7700999001, CreateTime: time.Now()}
	_, err = in.fake.SendMessage(ctx, hash)
	require.NoError(t, err, "acknowledged")
	waiting, _, err := in.app.st.InboxCounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, waiting, "stored, not handled")
	assert.Empty(t, repliesTo(in, "lisi"))
	stop()

	in = startDemoIn(t, dir, 30)
	reply := waitReply(t, in, 0, "lisi", "已入库")
	assert.Contains(t, reply, "售价 ¥1,299.00，照片 3 张")
	_, err = in.fake.SendMessage(ctx, hash)
	require.NoError(t, err)
	_, err = in.fake.SendMessage(ctx, wecomtest.Message{From: "lisi", Type: "text", Content: "帮助"})
	require.NoError(t, err)
	waitReply(t, in, 0, "lisi", "拍照入库：") // after the retried "#", in order
	_, after, err := in.app.st.Search(ctx, shop.Query{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, before+1, after, "one bag")
	got := repliesTo(in, "lisi")
	assert.Equal(t, 1, countContaining(got, "已入库"), "%q", got)
	assert.Equal(t, 3, countContaining(got, "已收到第"), "one reply per photo: %q", got)
}

// TestChatInboxFullAnswersAnError: with the inbox full, the callback answers an error, so WeCom
// delivers the message again (the fake tries three times, then reports the failure); once there
// is room the same message is taken.
func TestChatInboxFullAnswersAnError(t *testing.T) {
	in := startDemoApp(t)
	ctx := t.Context()
	require.NoError(t, in.app.chat.shutdown(ctx))
	in.app.chat.o.Max = 2
	for _, c := range []string{"1299", "棕色托特包"} {
		_, err := in.fake.SendMessage(ctx, wecomtest.Message{From: "wangwu", Type: "text", Content: c})
		require.NoError(t, err)
	}
	third := wecomtest.Message{From: "wangwu", Type: "text", Content: "#", MsgID: 7700999002, CreateTime: time.Now()}
	_, err := in.fake.SendMessage(ctx, third)
	var de *wecomtest.DeliveryError
	require.ErrorAs(t, err, &de, "refused while full")
	assert.Equal(t, 500, de.StatusCode)
	assert.Equal(t, 3, de.Attempts)

	in.app.chat.start(ctx)
	waitInbox(t, in.app.st)
	_, err = in.fake.SendMessage(ctx, third) // WeCom's later retry
	require.NoError(t, err)
	reply := waitReply(t, in, 0, "wangwu", "已入库")
	assert.Contains(t, reply, "棕色托特包")
	assert.Contains(t, reply, "¥1,299.00")
}

// TestChatInboxRerunsAMessageCutShort: a replica registered the bag of a "#" but died before it
// sent the reply and marked the message done. Restarted, it handles the "#" again: the same
// registration (nothing twice), and the member is told.
func TestChatInboxRerunsAMessageCutShort(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			st := storetest.Open(t, d)
			ctx := t.Context()
			log := testLogger(t)
			svc := shop.NewService(st, shop.Options{Logger: log})
			flow := chat.New(svc, st, func(context.Context, string) ([]byte, error) { return nil, errors.New("no media") },
				func(code string) string { return "https://shop.test/labels/" + code }, nil)
			handle := chatRunner(flow, log)
			for _, m := range []store.InboxMessage{text("m1", "lisi", "托特包 1299"), text("m2", "lisi", "#")} {
				_, err := st.AddInbox(ctx, 0, m)
				require.NoError(t, err)
			}
			// The first life: "托特包 1299" handled and done, "#" handled (the bag is in), then a crash.
			ok, err := st.ClaimInbox(ctx, "lisi", "replica-1", time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			m, err := st.NextInbox(ctx, "lisi", "replica-1", time.Minute)
			require.NoError(t, err)
			reply, err := handle(ctx, m)
			require.NoError(t, err)
			require.NoError(t, st.FinishInbox(ctx, m.Seq, store.InboxDone, reply, ""))
			m, err = st.NextInbox(ctx, "lisi", "replica-1", time.Minute)
			require.NoError(t, err)
			first, err := handle(ctx, m)
			require.NoError(t, err)
			require.Contains(t, first, "已入库：托特包")

			var r replies
			q := testInbox(t, st, "replica-1", handle, r.send, inboxOptions{})
			q.start(ctx)
			waitInbox(t, st)
			assert.Equal(t, []string{first}, r.of("lisi"), "the same reply, once")
			ps, n, err := st.Search(ctx, shop.Query{Limit: 10})
			require.NoError(t, err)
			require.Equal(t, 1, n, "one bag")
			assert.Equal(t, shop.Yuan(1299), ps[0].Price)
			got, err := st.InboxMessage(ctx, "m2")
			require.NoError(t, err)
			assert.Equal(t, 2, got.Attempts)
			assert.Equal(t, store.InboxDone, got.State)
		})
	}
}
