package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/browsertest"
	"github.com/qiwei-go/qiwei/internal/testsvc"
)

// TestDemoChatOneLine walks the demo's chat simulator in Chromium as a member would: three photos,
// then the one-line "棕色托特包 ¥1,299 #"; then "2个 1299#", which the app asks about, and 确认.
// Screenshots at phone and desktop size (QIWEI_SCREENS=1 refreshes the committed ones).
func TestDemoChatOneLine(t *testing.T) {
	testsvc.Chromium(t)
	in := startDemoApp(t)
	ctx := browsertest.New(t, 90*time.Second)
	dir := browsertest.ScreensDir(t, screensDir)
	replied := func(text string, n int) chromedp.Action {
		return chromedp.Poll(`Array.from(document.querySelectorAll('#chat .msg.app')).filter(function (m) { return m.textContent.indexOf(`+
			strconv.Quote(text)+`) >= 0; }).length >= `+strconv.Itoa(n), nil, chromedp.WithPollingTimeout(20*time.Second))
	}
	photo := func(i int) chromedp.Tasks {
		return chromedp.Tasks{
			chromedp.Click(`.samples label:nth-child(`+strconv.Itoa(i)+`)`, chromedp.ByQuery),
			chromedp.Click("#send-photo", chromedp.ByQuery),
			replied("已收到第 "+strconv.Itoa(i)+" 张照片", 1),
		}
	}
	var chat string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(in.base+"/demo/chat"),
		chromedp.WaitVisible(".chip", chromedp.ByQuery),
		photo(1), photo(2), photo(3),
		chromedp.Click(`.chip[data-say="棕色托特包 ¥1,299 #"]`, chromedp.ByQuery),
		replied("已入库：棕色托特包", 1),
		chromedp.Click(`.chip[data-say="2个 1299#"]`, chromedp.ByQuery),
		replied("像是数量", 1),
		browsertest.Shot(dir, "chat-ask.png"),
		chromedp.Click(`.chip[data-say="确认"]`, chromedp.ByQuery),
		replied("已入库", 2),
		chromedp.Text("#chat", &chat, chromedp.ByQuery),
		browsertest.Shot(dir, "chat-oneline.png"),
		chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(1)),
		browsertest.Shot(dir, "chat-oneline-desktop.png"),
	))
	assert.Contains(t, chat, "目前：名称 未填｜价格 未填｜照片 3 张")
	assert.Contains(t, chat, "售价 ¥1,299.00，照片 3 张")
	assert.Contains(t, chat, "我的理解：名称 未填｜价格 ¥1,299.00｜照片 0 张")
	assert.Contains(t, chat, "回复「确认」按此入库")
}
