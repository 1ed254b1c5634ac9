package main

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// TestChatThreePhotosThroughTheAppCallback registers a bag through the app conversation as WeCom
// delivers it (encrypted callbacks from the fake, media downloaded with media/get, the reply sent
// with message/send): three photos, then "¥1,299 #".
func TestChatThreePhotosThroughTheAppCallback(t *testing.T) {
	in := startDemoApp(t)
	ctx := t.Context()
	sent := len(in.fake.Messages(wecomtest.MessageApp))
	for i := range 3 {
		_, err := in.fake.SendMessage(ctx, wecomtest.Message{From: "lisi", Type: "image", Image: bagPhoto(demoBags[i].rgb, i)})
		require.NoError(t, err)
	}
	_, err := in.fake.SendMessage(ctx, wecomtest.Message{From: "lisi", Type: "text", Content: "¥1,299 #"})
	require.NoError(t, err)
	reply := waitReply(t, in, sent, "lisi", "已入库")
	assert.Contains(t, reply, "售价 ¥1,299.00，照片 3 张")
	var replies []string
	for _, m := range in.fake.Messages(wecomtest.MessageApp)[sent:] {
		if m.ToUser == "lisi" {
			replies = append(replies, m.Content)
		}
	}
	require.Len(t, replies, 4, "one reply per message")
	assert.Contains(t, replies[2], "已收到第 3 张照片")
	assert.Contains(t, replies[2], "照片 3 张")

	code := regexp.MustCompile(`编码 (BAG\d+)`).FindStringSubmatch(reply)
	require.Len(t, code, 2)
	p, err := in.app.shop.Product(ctx, code[1])
	require.NoError(t, err)
	assert.Equal(t, shop.Yuan(1299), p.Price)
	assert.Equal(t, 1, p.Stock)
	require.Len(t, p.Photos, 3, "every photo is kept")
	for _, id := range p.Photos {
		_, ct, err := in.app.st.Photo(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, "image/jpeg", ct)
	}
}
