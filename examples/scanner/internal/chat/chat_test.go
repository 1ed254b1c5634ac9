package chat

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
	"github.com/qiwei-go/qiwei/qrcode"
)

func products(t *testing.T, st *store.Store) []shop.Product {
	ps, _, err := st.Search(t.Context(), shop.Query{Limit: 100})
	require.NoError(t, err)
	return ps
}

func TestChatRegistration(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	svc := shop.NewService(st, shop.Options{})
	photo, err := qrcode.PNG("bag", 64)
	require.NoError(t, err)
	downloads := 0
	f := New(svc, st, func(ctx context.Context, id string) ([]byte, error) { downloads++; return photo, nil },
		func(code string) string { return "https://shop.example/labels/" + code }, nil)
	ctx := t.Context()
	say := func(typ, content, media, id string) string {
		r, err := f.Handle(ctx, Message{MsgID: id, From: "lisi", Type: typ, Content: content, MediaID: media, At: time.Now()})
		require.NoError(t, err)
		return r
	}
	assert.Contains(t, say("text", "#", "", "1"), "还没有价格")
	assert.Contains(t, say("image", "", "M1", "2"), "第 1 张")
	assert.Contains(t, say("image", "", "M2", "3"), "第 2 张")
	assert.Contains(t, say("text", "1299", "", "4"), "1299.00")
	assert.Contains(t, say("text", "焦糖色托特包", "", "5"), "名称「焦糖色托特包」已记录。发送 # 完成入库。")
	reply := say("text", "#", "", "6")
	assert.Contains(t, reply, "编码 BAG")
	assert.Contains(t, reply, "https://shop.example/labels/BAG")
	ps := products(t, st)
	require.Len(t, ps, 1)
	assert.Equal(t, "焦糖色托特包", ps[0].Name)
	assert.Equal(t, shop.Yuan(1299), ps[0].Price)
	assert.NotEmpty(t, ps[0].PhotoID, "the photo is kept in the store")
	assert.Equal(t, 1, downloads)

	// WeCom retries the "#" delivery: the draft is gone, so nothing new is created; a retry that
	// races the first (draft still there) reuses the same request ID.
	say("text", "#", "", "6")
	assert.Len(t, products(t, st), 1)
	// Price formats.
	for _, in := range []string{"¥899", "价格：899.5", "899元", "price 12"} {
		assert.Contains(t, say("text", in, "", "p"), "已记录", in)
	}
	assert.Contains(t, say("text", "取消", "", "c"), "已取消")
}

// A draft lives in the store: a second flow (a restarted app, another replica) carries on with it.
func TestDraftSurvivesARestart(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	svc := shop.NewService(st, shop.Options{})
	links := func(code string) string { return code }
	first := New(svc, st, nil, links, nil)
	_, err := first.Handle(t.Context(), Message{MsgID: "1", From: "u", Type: "text", Content: "899"})
	require.NoError(t, err)
	_, err = first.Handle(t.Context(), Message{MsgID: "2", From: "u", Type: "text", Content: "链条包"})
	require.NoError(t, err)
	second := New(svc, st, nil, links, nil)
	reply, err := second.Handle(t.Context(), Message{MsgID: "3", From: "u", Type: "text", Content: "#"})
	require.NoError(t, err)
	assert.Contains(t, reply, "已入库：链条包")
	ps := products(t, st)
	require.Len(t, ps, 1)
	assert.Equal(t, shop.Yuan(899), ps[0].Price)
	reply, err = second.Handle(t.Context(), Message{MsgID: "4", From: "u", Type: "text", Content: "#"})
	require.NoError(t, err)
	assert.Contains(t, reply, "还没有价格", "the draft is gone once registered")
}

func TestChatRetryRaceCreatesOneBag(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	svc := shop.NewService(st, shop.Options{})
	f := New(svc, st, nil, func(code string) string { return code }, nil)
	ctx := context.Background()
	_, _ = f.Handle(ctx, Message{MsgID: "1", From: "u", Type: "text", Content: "100"})
	// Two deliveries of the same "#" arriving together.
	done := make(chan struct{})
	for range 2 {
		go func() {
			_, _ = f.Handle(ctx, Message{MsgID: "9", From: "u", Type: "text", Content: "#"})
			done <- struct{}{}
		}()
	}
	<-done
	<-done
	assert.Len(t, products(t, st), 1)
}
