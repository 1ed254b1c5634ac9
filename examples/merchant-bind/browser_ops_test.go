package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/browsertest"
	"github.com/qiwei-go/qiwei/internal/testsvc"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// inViewport is a JS expression: whether the element is entirely visible without scrolling.
func inViewport(sel string) string {
	return `(function(){var r=document.querySelector('` + sel + `').getBoundingClientRect();` +
		`return r.top>=0&&r.bottom<=window.innerHeight&&r.height>0;})()`
}

// TestBrowserOperator walks the operator's new pages in headless Chromium at 1280×800 and 390×844:
// a notification sent from the merchant's page with its result shown in the card in view; a failed
// one (发送失败) in the history and its 重发; 生成新码 asking for confirmation; adding a 只读
// admin; 我的账号; the audit log's filters; the list's export links.
func TestBrowserOperator(t *testing.T) {
	testsvc.Chromium(t)
	var a *app
	cfg, err := loadConfig(func(string) string { return "" }, "127.0.0.1:0", t.TempDir(), false)
	require.NoError(t, err)
	ctxApp, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	var banner strings.Builder
	go func() {
		done <- serve(ctxApp, cfg, slog.New(slog.DiscardHandler), &banner, &serveHooks{Ready: func(b string, x *app) { a = x; ready <- b }})
	}()
	base := <-ready
	t.Cleanup(func() { cancel(); <-done })
	password := demoPassword(t, banner.String())

	ctx := browsertest.New(t, 120*time.Second)
	dir := browsertest.ScreensDir(t, screensDir)
	shot := func(name string) chromedp.Action { return browsertest.Shot(dir, name) }
	poll := func(expr string) chromedp.Action {
		return chromedp.Poll(expr, nil, chromedp.WithPollingTimeout(20*time.Second))
	}
	// Accept every confirm() (生成新码, 禁用 …), remembering what it asked.
	var confirms []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			confirms = append(confirms, d.Message)
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(true)) }()
		}
	})
	nav := func(url string, wait string) chromedp.Tasks {
		return chromedp.Tasks{chromedp.Navigate(base + url), chromedp.WaitVisible(wait, chromedp.ByQuery)}
	}
	submit := func(sel string) {
		t.Helper()
		_, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.ByQuery))
		require.NoError(t, err)
	}

	// Sign in at desktop size.
	require.NoError(t, chromedp.Run(ctx,
		chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(1)),
		nav("/login", `input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, password, chromedp.ByQuery),
	))
	submit(`.login button[type=submit]`)

	// The list: 注册时间, 正常/禁用, export links carrying the filter.
	var csvHref, header string
	require.NoError(t, chromedp.Run(ctx,
		nav("/merchants?status=active", `#merchants`),
		chromedp.Text(`#merchants thead`, &header, chromedp.ByQuery),
		chromedp.AttributeValue(`#export-csv`, "href", &csvHref, nil, chromedp.ByQuery),
	))
	assert.Contains(t, header, "注册时间")
	assert.Contains(t, csvHref, "status=active")
	assert.Contains(t, csvHref, "format=csv")

	// Notify 老王面馆 (bound by the demo seed): the result shows inside the card, in view.
	var result string
	var visible bool
	require.NoError(t, chromedp.Run(ctx,
		nav("/merchants/1", `#notify textarea`),
		chromedp.SendKeys(`#notify textarea`, "您的 5 月结算单已生成，请登录查看。", chromedp.ByQuery),
	))
	submit(`#notify button[type=submit]`)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible(`#notify-result`, chromedp.ByQuery),
		poll(inViewport("#notify-result")),
		chromedp.Evaluate(inViewport("#notify-result"), &visible),
		chromedp.Text(`#notify-result`, &result, chromedp.ByQuery),
		shot("notify-result-desktop.png"),
	))
	assert.True(t, visible, "the admin sees the result without scrolling")
	assert.Contains(t, result, "已发送")

	// WeChat refuses the template (43004) and the 客服消息 (45015): 发送失败 in the history; 重发.
	require.NoError(t, a.fake.InjectFault("POST /cgi-bin/message/template/send", 1, wecomtest.ErrCodeFault(43004)))
	require.NoError(t, a.fake.InjectFault("POST /cgi-bin/message/custom/send", 1, wecomtest.ErrCodeFault(45015)))
	require.NoError(t, chromedp.Run(ctx,
		nav("/merchants/1", `#notify textarea`),
		chromedp.SendKeys(`#notify textarea`, "月底对账提醒", chromedp.ByQuery),
	))
	submit(`#notify button[type=submit]`)
	var failedRow string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible(`#notify-result`, chromedp.ByQuery),
		chromedp.Text(`#notify-result`, &result, chromedp.ByQuery),
		chromedp.Text(`#notification-list tr[data-status="failed"]`, &failedRow, chromedp.ByQuery),
		chromedp.Click(`#notification-list tr[data-status="failed"] summary`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#notification-list tr[data-status="failed"]').scrollIntoView({block: 'center'})`, nil),
		shot("history-failed-desktop.png"),
	))
	assert.Contains(t, result, "发送失败")
	assert.Contains(t, failedRow, "errcode=45015")
	submit(`#notification-list tr[data-status="failed"] form button`)
	var resent string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible(`#notifications .flash`, chromedp.ByQuery),
		poll(inViewport("#notifications .flash")),
		chromedp.Text(`#notifications .flash`, &resent, chromedp.ByQuery),
	))
	assert.Contains(t, resent, "已发送")

	// 生成新码 while a valid code exists asks first.
	var before, after string
	require.NoError(t, chromedp.Run(ctx,
		nav("/merchants", `#merchants`),
		chromedp.Click(`button[data-bind="2"]`, chromedp.ByQuery),
		poll(`document.querySelector('#bd-img').complete && document.querySelector('#bd-img').naturalWidth > 0`),
		chromedp.Evaluate(`window.srcBefore = document.querySelector('#bd-img').getAttribute('src')`, &before),
		chromedp.Click(`#bd-regen`, chromedp.ByQuery),
		poll(`document.querySelector('#bd-img').getAttribute('src') !== window.srcBefore`), // (Poll formats its expression: no tickets in it)
		chromedp.Evaluate(`document.querySelector('#bd-img').getAttribute('src')`, &after), // the DOM as it is now
		shot("dialog-regenerated-desktop.png"),
	))
	require.NotEmpty(t, confirms)
	assert.Contains(t, confirms[len(confirms)-1], "当前绑定码会立即失效")
	assert.NotEqual(t, before, after)

	// Add a 只读 admin: the password is shown once.
	var pw string
	require.NoError(t, chromedp.Run(ctx,
		nav("/admins", `#add-admin`),
		chromedp.SendKeys(`#add-admin input[name=username]`, "viewer", chromedp.ByQuery),
	))
	submit(`#add-admin button[type=submit]`)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Text(`#new-password`, &pw, chromedp.ByQuery),
		nav("/admins", `#admins`),
		shot("admins-desktop.png"),
		nav("/audit?kind=admin.", `#audit`),
		shot("audit-desktop.png"),
	))
	assert.Len(t, strings.TrimSpace(pw), 16)

	// A phone: the merchant's page with its history, 我的账号, the audit filters.
	var theadHidden bool
	require.NoError(t, chromedp.Run(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch),
		nav("/merchants/1", `#notify`),
		chromedp.ScrollIntoView(`#notifications`, chromedp.ByQuery),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('#notification-list thead')).display === 'none'`, &theadHidden),
		shot("history-phone.png"),
		nav("/account", `#password`),
		shot("account-phone.png"),
		nav("/audit?who=admin", `#audit`),
		shot("audit-phone.png"),
	))
	assert.True(t, theadHidden, "the history becomes cards on a phone")
	require.NoError(t, chromedp.Run(ctx, nav("/merchants/1", `#notify textarea`),
		chromedp.SendKeys(`#notify textarea`, "手机上发送", chromedp.ByQuery)))
	submit(`#notify button[type=submit]`)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible(`#notify-result`, chromedp.ByQuery),
		poll(inViewport("#notify-result")),
		chromedp.Evaluate(inViewport("#notify-result"), &visible),
		shot("notify-result-phone.png"),
	))
	assert.True(t, visible, "in view on a phone too")
}
