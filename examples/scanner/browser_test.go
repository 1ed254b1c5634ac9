package main

import (
	"context"
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

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/internal/browsertest"
	"github.com/qiwei-go/qiwei/internal/testsvc"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// screensDir keeps the screenshots of TestBrowser for review.
const screensDir = "testdata/screens"

// TestBrowser uses the app in headless Chromium on a phone-sized screen: the product page (sell
// through the dialog), the home list, the stats page, the chat simulator, an import with its
// progress page, the sync status with a stuck row, and a product deleted in the sheet; then some of
// them on a desktop screen. Screenshots go to testdata/screens (refreshed with QIWEI_SCREENS=1).
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
		replied("价格 ¥1,599.00 已记录"),
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
	assert.Contains(t, chat, "售价 ¥1,599.00")

	screensOfSync(t, ctx, in, mgr, dir, code)

	for _, f := range []string{"product.png", "product-sold.png", "home.png", "stats.png", "chat.png", "import.png",
		"import-preview.png", "import-job.png", "sync.png", "product-deleted.png", "home-desktop.png", "product-desktop.png",
		"import-preview-desktop.png", "import-job-desktop.png", "sync-desktop.png"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if assert.NoError(t, err) {
			t.Logf("%s: %s KB", f, strconv.FormatInt(fi.Size()/1024, 10))
		}
	}
}

// screensOfSync drives the pages of the store-and-sync design: an import (upload, progress page),
// the sync status while WeCom refuses writes (a stuck row with its error), a product whose row a
// member deleted in the sheet, and the desktop layouts.
func screensOfSync(t *testing.T, ctx context.Context, in *instance, mgr *browser, dir, code string) {
	shot := func(name string) chromedp.Action { return browsertest.Shot(dir, name) }
	csv := filepath.Join(t.TempDir(), "新品.csv")
	require.NoError(t, os.WriteFile(csv, []byte("名称,品牌,售价,库存,位置\n焦糖色托特包,Coach,2980,2,A-1\n黑色斜挎包,Tory Burch,1790,1,A-2\n缺价格的包,,,1,\n"), 0o600))
	var jobText, previewText string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(in.base+"/import"),
		chromedp.WaitVisible("#import-preview-form", chromedp.ByQuery),
		chromedp.SetUploadFiles(`input[type=file]`, []string{csv}, chromedp.ByQuery),
		chromedp.WaitVisible("#import-result", chromedp.ByQuery),
		chromedp.Text("#import-result", &previewText, chromedp.ByQuery),
		shot("import-preview.png"),
		chromedp.Click("#import-confirm", chromedp.ByQuery),
		chromedp.WaitVisible("#job", chromedp.ByQuery),
		chromedp.Poll(`!document.querySelector('#job-done').hidden`, nil, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Text("#job", &jobText, chromedp.ByQuery),
		shot("import-job.png"),
		chromedp.Navigate(in.base+"/import"),
		chromedp.WaitVisible("#import-preview-form", chromedp.ByQuery),
		shot("import.png"),
	))
	assert.Contains(t, previewText, "缺少售价")
	assert.Contains(t, previewText, "确认导入 2 件")
	assert.Contains(t, jobText, "3 / 3 行")

	// WeCom refuses the sheet's writes for a while: the rows wait, with their error, and the bar
	// tells how many are behind.
	require.NoError(t, in.app.sync.Flush(t.Context()))
	for _, ep := range []string{"POST /cgi-bin/wedoc/smartsheet/add_records", "POST /cgi-bin/wedoc/smartsheet/update_records"} {
		require.NoError(t, in.fake.InjectFault(ep, 1000, wecomtest.ErrCodeFault(45009)))
	}
	st, _ := mgr.json(t, "POST", "/api/products/"+code+"/restock", map[string]any{"qty": 1})
	require.Equal(t, http.StatusOK, st)
	require.Error(t, in.app.sync.Flush(t.Context()))
	var stuck int
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(in.base+"/sync"),
		chromedp.WaitVisible("#stuck", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('#stuck li:not(.empty)').length`, &stuck),
		chromedp.WaitVisible("#syncbar", chromedp.ByQuery),
		shot("sync.png"),
		chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(1)),
		chromedp.Navigate(in.base+"/sync"),
		chromedp.WaitVisible("#stuck", chromedp.ByQuery),
		shot("sync-desktop.png"),
		chromedp.Navigate(in.base+"/"),
		chromedp.WaitVisible(".list", chromedp.ByQuery),
		shot("home-desktop.png"),
		chromedp.Navigate(in.base+"/p/"+code),
		chromedp.WaitVisible("#sell-btn", chromedp.ByQuery),
		shot("product-desktop.png"),
		chromedp.Navigate(in.base+"/import"),
		chromedp.SetUploadFiles(`input[type=file]`, []string{csv}, chromedp.ByQuery),
		chromedp.WaitVisible("#import-result", chromedp.ByQuery),
		chromedp.Text("#import-result", &previewText, chromedp.ByQuery),
		chromedp.ScrollIntoView("#import-result", chromedp.ByQuery),
		shot("import-preview-desktop.png"),
		chromedp.Click(`.moves a`, chromedp.ByQuery),
		chromedp.WaitVisible("#job", chromedp.ByQuery),
		chromedp.Poll(`!document.querySelector('#job-done').hidden`, nil, chromedp.WithPollingTimeout(20*time.Second)),
		shot("import-job-desktop.png"),
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch),
	))
	assert.Contains(t, previewText, "没有需要新增的商品", "the same file again: nothing to create")
	assert.GreaterOrEqual(t, stuck, 2, "the product and its ledger row wait, with WeCom's error")
	in.fake.ClearFaults()
	require.NoError(t, in.app.sync.Flush(t.Context()))

	// A member deletes the bag's row in the sheet: the product page says so and offers a restore.
	rows, err := in.app.st.SheetRows(t.Context(), store.TopicProducts, []string{code})
	require.NoError(t, err)
	st, m := mgr.json(t, "POST", "/_fake/test/smartsheet/member_delete", map[string]any{"userid": "zhangsan",
		"docid": in.app.docID, "sheet": "商品", "record_ids": []string{rows[code].RecordID}})
	require.Equal(t, http.StatusOK, st, m)
	for begin := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		_, p := mgr.json(t, "GET", "/api/products/"+code, nil)
		if p["deleted"] == true {
			break
		}
		require.Less(t, time.Since(begin), 20*time.Second, "the deletion never reached the app")
	}
	var status string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(in.base+"/p/"+code),
		chromedp.WaitVisible("#restore-btn", chromedp.ByQuery),
		chromedp.Text("#status", &status, chromedp.ByQuery),
		shot("product-deleted.png"),
		chromedp.Click("#restore-btn", chromedp.ByQuery),
		chromedp.WaitVisible("#sell-btn", chromedp.ByQuery),
	))
	assert.Equal(t, "已删除", strings.TrimSpace(status))
}
