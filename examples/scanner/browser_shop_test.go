package main

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/browsertest"
	"github.com/qiwei-go/qiwei/internal/testsvc"
)

// TestBrowserShop walks the shop's daily work in headless Chromium on a phone: edit a bag, take it
// off sale (下架) and back, sell at a price that needs confirming, 退货, keep working after the
// session expired, create a supplier and a customer, print labels with a logo (the PDF rendered
// with pdftoppm and every QR read by zbarimg), and print the labels of an import job once its
// progress bar is full. Screenshots at 390×844 and 1280×800 go to testdata/screens
// (QIWEI_SCREENS=1 refreshes them).
func TestBrowserShop(t *testing.T) {
	testsvc.Chromium(t)
	in := startDemoApp(t)
	mgr := newBrowser(t, in.base)
	mgr.login(t, "/")
	st, m := mgr.json(t, "POST", "/api/products", map[string]any{"name": "焦糖色托特包", "brand": "Coach", "model": "Willow",
		"color": "焦糖色", "price": 2980, "floor": 2800, "cost": 1480, "stock": 2, "location": "A-1 货架"})
	require.Equal(t, http.StatusCreated, st, m)
	code := m["code"].(string)
	page := in.base + "/p/" + code

	ctx := browsertest.New(t, 150*time.Second)
	dir := browsertest.ScreensDir(t, screensDir)
	shot := func(name string) chromedp.Action { return browsertest.Shot(dir, name) }
	wait := func(js string) chromedp.Action {
		return chromedp.Poll(js, nil, chromedp.WithPollingTimeout(15*time.Second))
	}
	stockIs := func(n string) chromedp.Action {
		return wait(`document.querySelector('#stock').textContent.trim() === '` + n + `'`)
	}
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch)

	// Edit (a manager changes the name and the location), then 下架 with a reason and 上架.
	var h1, note string
	var sellDisabled bool
	require.NoError(t, chromedp.Run(ctx, phone,
		chromedp.Navigate(page+"/edit"),
		chromedp.WaitVisible("#edit-form", chromedp.ByQuery),
		chromedp.SetValue(`#edit-form input[name=name]`, "焦糖色托特包 Willow", chromedp.ByQuery),
		chromedp.SetValue(`#edit-form input[name=location]`, "B-2 橱窗", chromedp.ByQuery),
		shot("edit.png"),
		chromedp.Click("#edit-save", chromedp.ByQuery),
		chromedp.WaitVisible("#deactivate-btn", chromedp.ByQuery),
		chromedp.Text("h1", &h1, chromedp.ByQuery),
		chromedp.Click("#deactivate-btn", chromedp.ByQuery),
		chromedp.WaitVisible(`#reason-form input[name=reason]`, chromedp.ByQuery),
		chromedp.SendKeys(`#reason-form input[name=reason]`, "五金划痕，待返厂", chromedp.ByQuery),
		chromedp.Click("#reason-ok", chromedp.ByQuery),
		chromedp.WaitVisible("#activate-btn", chromedp.ByQuery),
		chromedp.Text("#inactive-note", &note, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#sell-btn').disabled`, &sellDisabled),
		shot("product-inactive.png"),
		chromedp.Click("#activate-btn", chromedp.ByQuery),
		chromedp.WaitVisible("#deactivate-btn", chromedp.ByQuery),
		wait(`!document.querySelector('#sell-btn').disabled`),
	))
	assert.Equal(t, "焦糖色托特包 Willow", strings.TrimSpace(h1))
	assert.Contains(t, note, "五金划痕，待返厂")
	assert.True(t, sellDisabled, "no selling a bag that is off sale")

	// A price 100 × the list price is asked again; once confirmed, the sale goes through. Then
	// 退货 with a reason puts the bag back.
	var warn, sales string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click("#sell-btn", chromedp.ByQuery),
		chromedp.WaitVisible("#sell-confirm", chromedp.ByQuery),
		chromedp.SetValue(`#sell-form input[name=price]`, "298000", chromedp.ByQuery),
		chromedp.Click("#sell-confirm", chromedp.ByQuery),
		chromedp.WaitVisible("#sell-warn", chromedp.ByQuery),
		chromedp.Text("#sell-warn", &warn, chromedp.ByQuery),
		shot("sell-confirm.png"),
		chromedp.Click("#sell-confirm", chromedp.ByQuery),
		stockIs("1"),
		wait(`!!document.querySelector('#sales .return-btn[data-kind="退货"]')`),
		chromedp.Click(`#sales .return-btn[data-kind="退货"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#reason-form input[name=reason]`, chromedp.ByQuery),
		chromedp.SendKeys(`#reason-form input[name=reason]`, "顾客改主意", chromedp.ByQuery),
		chromedp.Click("#reason-ok", chromedp.ByQuery),
		stockIs("2"),
		wait(`document.querySelectorAll('#sales tbody tr').length === 2`),
		chromedp.Text("#sales", &sales, chromedp.ByQuery),
		shot("product-returned.png"),
	))
	assert.Contains(t, warn, "确认")
	assert.Contains(t, sales, "顾客改主意")
	st, m = mgr.json(t, "GET", "/api/stats", nil)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, 0.0, m["Today"].(map[string]any)["count"], "the sale and its return cancel out")

	// The session expires while the page is open: the next tap signs in again and is done.
	var toast string
	require.NoError(t, chromedp.Run(ctx,
		network.ClearBrowserCookies(),
		chromedp.Click("#restock-btn", chromedp.ByQuery),
		chromedp.WaitVisible(`#stock-form button[value=ok]`, chromedp.ByQuery),
		chromedp.Click(`#stock-form button[value=ok]`, chromedp.ByQuery),
		stockIs("3"),
		chromedp.Text("#toast", &toast, chromedp.ByQuery),
	))
	assert.Contains(t, toast, "库存已更新", "no HTTP 401 for the member")

	// A supplier and a customer, created from their pages.
	var supplier, customer string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(in.base+"/suppliers"),
		chromedp.WaitVisible("#supplier-new", chromedp.ByQuery),
		chromedp.SendKeys(`#supplier-new input[name=name]`, "广州白云皮具", chromedp.ByQuery),
		chromedp.SendKeys(`#supplier-new input[name=contact]`, "王经理", chromedp.ByQuery),
		chromedp.SendKeys(`#supplier-new input[name=phone]`, "13800000000", chromedp.ByQuery),
		chromedp.Click(`#supplier-new button`, chromedp.ByQuery),
		chromedp.WaitVisible("#supplier-edit", chromedp.ByQuery),
		chromedp.Text("h1", &supplier, chromedp.ByQuery),
		shot("supplier.png"),
		chromedp.Navigate(in.base+"/customers"),
		chromedp.WaitVisible("#customer-new", chromedp.ByQuery),
		chromedp.SendKeys(`#customer-new input[name=name]`, "陈女士", chromedp.ByQuery),
		chromedp.SendKeys(`#customer-new input[name=phone]`, "13900000000", chromedp.ByQuery),
		chromedp.Click(`#customer-new button`, chromedp.ByQuery),
		chromedp.WaitVisible("#customer-edit", chromedp.ByQuery),
		chromedp.Text("h1", &customer, chromedp.ByQuery),
		chromedp.Navigate(in.base+"/customers"),
		chromedp.WaitVisible(".list", chromedp.ByQuery),
		shot("customers.png"),
	))
	assert.Contains(t, supplier, "广州白云皮具")
	assert.Contains(t, customer, "陈女士")

	// Labels: a logo uploaded once, three bags chosen with the checkboxes, the PDF's every QR read.
	logo := filepath.Join(t.TempDir(), "logo.png")
	require.NoError(t, os.WriteFile(logo, logoPNG(t), 0o600))
	var selected string
	var previewW int
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(in.base+"/labels"),
		chromedp.WaitVisible("#logo-form", chromedp.ByQuery),
		chromedp.SetUploadFiles(`#logo-form input[name=logo]`, []string{logo}, chromedp.ByQuery),
		chromedp.Click("#logo-upload", chromedp.ByQuery),
		chromedp.WaitVisible("#logo-delete", chromedp.ByQuery),
		chromedp.Click(`.selectable li:nth-child(1) .sel`, chromedp.ByQuery),
		chromedp.Click(`.selectable li:nth-child(2) .sel`, chromedp.ByQuery),
		chromedp.Click(`.selectable li:nth-child(3) .sel`, chromedp.ByQuery),
		wait(`!document.querySelector('#labels-print').disabled`),
		wait(`document.querySelector('#label-preview').naturalWidth > 0`),
		chromedp.Evaluate(`document.querySelector('#label-preview').naturalWidth`, &previewW),
		chromedp.Value("#sel-codes", &selected, chromedp.ByQuery),
		shot("labels.png"),
	))
	codes := strings.Split(selected, ",")
	require.Len(t, codes, 3)
	assert.Equal(t, 827, previewW, "70×37 mm at 300 dpi")
	resp, pdf := mgr.raw(t, "GET", "/labels.pdf?codes="+url.QueryEscape(selected), "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(pdf))
	assert.Equal(t, labelURLs(t, mgr, codes), pdfQRCodes(t, pdf), "every label of the A4 sheet, logo and all")

	// The same on a 50×30 roll, chosen in the settings.
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SetValue(`#settings-form select[name=size]`, "50x30", chromedp.ByQuery),
		chromedp.Click("#settings-save", chromedp.ByQuery),
		wait(`document.querySelector('#toast').textContent.indexOf('已保存') >= 0`),
	))
	resp, pdf = mgr.raw(t, "GET", "/labels.pdf?codes="+url.QueryEscape(selected), "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(pdf))
	assert.Equal(t, labelURLs(t, mgr, codes), pdfQRCodes(t, pdf), "one roll label per page")

	// An import job: its progress bar fills, then its bags' labels print.
	csv := filepath.Join(t.TempDir(), "到货.csv")
	require.NoError(t, os.WriteFile(csv, []byte("名称,品牌,售价,库存\n黑色斜挎包,Tory Burch,1790,1\n米白色链条包,Michael Kors,1599,2\n"), 0o600))
	var job string
	var bar [2]float64
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(in.base+"/import"),
		chromedp.WaitVisible("#import-preview-form", chromedp.ByQuery),
		chromedp.SetUploadFiles(`#import-preview-form input[type=file]`, []string{csv}, chromedp.ByQuery),
		chromedp.WaitVisible("#import-confirm", chromedp.ByQuery), // the preview, then confirm
		chromedp.Click("#import-confirm", chromedp.ByQuery),
		chromedp.WaitVisible("#job", chromedp.ByQuery),
		wait(`!document.querySelector('#job-done').hidden`),
		chromedp.AttributeValue("#job", "data-job", &job, nil, chromedp.ByQuery),
		chromedp.Evaluate(`[document.querySelector('#job-bar').value, document.querySelector('#job-bar').max]`, &bar),
	))
	assert.Equal(t, 2.0, bar[0], "the bar is full")
	assert.Equal(t, bar[1], bar[0])
	st, m = mgr.json(t, "GET", "/api/import/"+job, nil)
	require.Equal(t, http.StatusOK, st)
	var created []string
	for _, r := range m["results"].([]any) {
		if c, _ := r.(map[string]any)["code"].(string); c != "" {
			created = append(created, c)
		}
	}
	require.Len(t, created, 2)
	resp, pdf = mgr.raw(t, "GET", "/labels.pdf?job="+url.QueryEscape(job), "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(pdf))
	assert.Equal(t, labelURLs(t, mgr, created), pdfQRCodes(t, pdf))

	// Registering on /new and printing: only the label is on the printed page, at its real size.
	var printed struct {
		Form, Label string
		Width       float64
	}
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(in.base+"/new"),
		chromedp.WaitVisible("#new-form", chromedp.ByQuery),
		chromedp.SendKeys(`#new-form input[name=name]`, "奶茶色软包", chromedp.ByQuery),
		chromedp.SendKeys(`#new-form input[name=price]`, "4290", chromedp.ByQuery),
		chromedp.Click("#new-submit", chromedp.ByQuery),
		chromedp.WaitVisible("#new-result", chromedp.ByQuery),
		wait(`document.querySelector('#new-label').naturalWidth > 0`),
		shot("new-label.png"),
		emulation.SetEmulatedMedia().WithMedia("print"),
		chromedp.Evaluate(`({form: getComputedStyle(document.querySelector('#new-form')).display,
			label: getComputedStyle(document.querySelector('#new-label')).display,
			width: document.querySelector('#new-label').getBoundingClientRect().width})`, &printed),
		emulation.SetEmulatedMedia().WithMedia(""),
	))
	assert.Equal(t, "none", printed.Form, "the form is not printed")
	assert.NotEqual(t, "none", printed.Label)
	assert.InDelta(t, 50/25.4*96, printed.Width, 3, "the 50 × 30 mm roll label chosen above, 50 mm wide (CSS px at 96 per inch)")

	// Stats for a date range, and the desktop layouts of the new pages.
	today := time.Now().In(in.app.cfg.Location).Format("2006-01-02")
	monthAgo := time.Now().In(in.app.cfg.Location).AddDate(0, -1, 0).Format("2006-01-02")
	var staffRows int
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(in.base+"/stats?from="+monthAgo+"&to="+today),
		chromedp.WaitVisible("#stats-range", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('h2 + table tbody tr').length`, &staffRows),
		shot("stats-range.png"),
		chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(1)),
		chromedp.Navigate(in.base+"/stats?from="+monthAgo+"&to="+today),
		chromedp.WaitVisible("#stats-range", chromedp.ByQuery),
		shot("stats-desktop.png"),
		chromedp.Navigate(in.base+"/labels"),
		chromedp.WaitVisible("#labels-form", chromedp.ByQuery),
		shot("labels-desktop.png"),
		chromedp.Navigate(page),
		chromedp.WaitVisible("#sell-btn", chromedp.ByQuery),
		shot("product-shop-desktop.png"),
		chromedp.Navigate(page+"/edit"),
		chromedp.WaitVisible("#edit-form", chromedp.ByQuery),
		shot("edit-desktop.png"),
		chromedp.Navigate(in.base+"/suppliers"),
		chromedp.WaitVisible(".list", chromedp.ByQuery),
		shot("suppliers-desktop.png"),
		phone,
	))
	assert.Positive(t, staffRows)
}

// labelURLs are the signed product URLs the labels of codes must encode, in order.
func labelURLs(t *testing.T, b *browser, codes []string) []string {
	t.Helper()
	out := make([]string, len(codes))
	for i, c := range codes {
		st, m := b.json(t, "GET", "/api/products/"+url.PathEscape(c), nil)
		require.Equal(t, http.StatusOK, st, m)
		out[i] = m["url"].(string)
	}
	slices.Sort(out)
	return out
}

// pdfQRCodes renders every page of a PDF with pdftoppm (200 dpi) and reads every QR code on it
// with zbarimg; the contents come back sorted.
func pdfQRCodes(t *testing.T, pdf []byte) []string {
	t.Helper()
	pdftoppm := testsvc.Require(t, "pdftoppm", "apt-get install poppler-utils")
	zbar := testsvc.Require(t, "zbarimg", "apt-get install zbar-tools")
	dir := t.TempDir()
	in := filepath.Join(dir, "labels.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o600))
	out, err := exec.Command(pdftoppm, "-r", "200", "-png", in, filepath.Join(dir, "page")).CombinedOutput()
	require.NoError(t, err, "pdftoppm: %s", out)
	pages, err := filepath.Glob(filepath.Join(dir, "page*.png"))
	require.NoError(t, err)
	require.NotEmpty(t, pages)
	var got []string
	for _, p := range pages {
		b, err := exec.Command(zbar, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", p).Output()
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 4) { // 4: nothing found
			t.Fatalf("zbarimg %s: %v", p, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if line != "" {
				got = append(got, line)
			}
		}
	}
	slices.Sort(got)
	return got
}

// logoPNG is a shop logo: a red disc with a white ring on a transparent square.
func logoPNG(t *testing.T) []byte {
	t.Helper()
	const n = 300
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			dx, dy := float64(x-n/2), float64(y-n/2)
			switch d := dx*dx + dy*dy; {
			case d < 90*90:
				img.Set(x, y, color.NRGBA{196, 30, 58, 255})
			case d < 110*110:
				img.Set(x, y, color.NRGBA{255, 255, 255, 255})
			case d < 140*140:
				img.Set(x, y, color.NRGBA{196, 30, 58, 255})
			}
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}
