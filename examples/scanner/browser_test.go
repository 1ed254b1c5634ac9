package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/browsertest"
	"github.com/qiwei-go/qiwei/internal/testsvc"
)

// screensDir keeps the screenshots of TestBrowser for review.
const screensDir = "testdata/screens"

// TestBrowser uses the app in headless Chromium on a phone-sized screen: the product page (sell
// through the dialog), the home list and the stats page. Screenshots go to testdata/screens.
func TestBrowser(t *testing.T) {
	testsvc.Chromium(t) // skip before starting the app when there is no browser
	in := startDemoApp(t)
	mgr := newBrowser(t, in.base)
	mgr.login(t, "/")
	st, m := mgr.json(t, "POST", "/api/products", map[string]any{"name": "焦糖色托特包", "brand": "Coach", "model": "Willow",
		"color": "焦糖色", "price": 2980, "floor": 2800, "cost": 1480, "stock": 3, "location": "A-1 货架"})
	require.Equal(t, http.StatusCreated, st, m)
	code := m["code"].(string)

	ctx := browsertest.New(t, 90*time.Second)
	dir := browsertest.ScreensDir(t, screensDir)
	shot := func(name string) chromedp.Action { return browsertest.Shot(dir, name) }

	// A phone: 390×844 CSS pixels at device scale 1 (small screenshots), mobile and touch.
	// The first navigation goes through the login chain (the fake approves 张三 at once).
	var before, after, status string
	begin := time.Now()
	require.NoError(t, chromedp.Run(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(in.base+"/p/"+code),
		chromedp.WaitVisible("#sell-btn", chromedp.ByQuery),
		chromedp.Text("#stock", &before, chromedp.ByQuery),
		shot("product.png"),
	))
	t.Logf("product page (with login) in %v", time.Since(begin).Round(time.Millisecond))
	assert.Equal(t, "3", strings.TrimSpace(before))

	begin = time.Now()
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click("#sell-btn", chromedp.ByQuery),
		chromedp.WaitVisible("#sell-confirm", chromedp.ByQuery),
		chromedp.Click("#sell-confirm", chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('#stock').textContent.trim() === '2'`, nil,
			chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Text("#stock", &after, chromedp.ByQuery),
		chromedp.Text("#toast", &status, chromedp.ByQuery),
		// The movements table is refreshed after the sale.
		chromedp.Poll(`document.querySelector('#moves tbody tr td:nth-child(2)').textContent.indexOf('出库') === 0`, nil,
			chromedp.WithPollingTimeout(15*time.Second)),
		shot("product-sold.png"),
	))
	t.Logf("sell through the dialog in %v", time.Since(begin).Round(time.Millisecond))
	assert.Equal(t, "2", strings.TrimSpace(after))
	assert.Contains(t, status, "已售出")
	st, m = mgr.json(t, "GET", "/api/products/"+code, nil)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, 2.0, m["stock"], "the sale reached the smart sheet")

	var items int
	var title string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(in.base+"/"),
		chromedp.WaitVisible(".list", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('.list li').length`, &items),
		shot("home.png"),
		chromedp.Navigate(in.base+"/stats"),
		chromedp.WaitVisible(".cards", chromedp.ByQuery),
		chromedp.Text("h1", &title, chromedp.ByQuery),
		shot("stats.png"),
	))
	assert.GreaterOrEqual(t, items, 31, "30 demo bags and the new one")
	assert.Contains(t, title, "经营统计")

	// The demo's chat simulator: photo, price, name, "#", and the app's reply.
	var chat string
	begin = time.Now()
	// Each message waits for the app's reply to the one before (the app handles a member's
	// messages in order; the test must not race them).
	replied := func(text string) chromedp.Action {
		return chromedp.Poll(`Array.from(document.querySelectorAll('#chat .msg.app')).some(function (m) { return m.textContent.indexOf(`+
			strconv.Quote(text)+`) >= 0; })`, nil, chromedp.WithPollingTimeout(20*time.Second))
	}
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(in.base+"/demo/chat"),
		chromedp.WaitVisible("#send-hash", chromedp.ByQuery),
		chromedp.Click(`.samples label:nth-child(3)`, chromedp.ByQuery), // the radio itself is hidden
		chromedp.Click("#send-photo", chromedp.ByQuery),
		replied("已收到第 1 张照片"),
		chromedp.SendKeys("#price", "1599", chromedp.ByQuery),
		chromedp.Click("#send-price", chromedp.ByQuery),
		replied("价格 ¥1599.00 已记录"),
		chromedp.SendKeys("#name", "酒红色手提包", chromedp.ByQuery),
		chromedp.Click("#send-name", chromedp.ByQuery),
		replied("名称「酒红色手提包」已记录"),
		chromedp.Click("#send-hash", chromedp.ByQuery),
		replied("已入库"),
		chromedp.Text("#chat", &chat, chromedp.ByQuery),
		shot("chat.png"),
	))
	t.Logf("chat registration in the simulator in %v", time.Since(begin).Round(time.Millisecond))
	assert.Contains(t, chat, "已收到第 1 张照片")
	assert.Contains(t, chat, "已入库：酒红色手提包")
	assert.Contains(t, chat, "售价 ¥1599.00")

	for _, f := range []string{"product.png", "product-sold.png", "home.png", "stats.png", "chat.png"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if assert.NoError(t, err) {
			t.Logf("%s: %s KB", f, strconv.FormatInt(fi.Size()/1024, 10))
		}
	}
}
