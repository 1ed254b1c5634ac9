package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/browsertest"
	"github.com/qiwei-go/qiwei/internal/testsvc"
)

// screensDir keeps the screenshots of TestBrowser for review.
const screensDir = "testdata/screens"

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// TestBrowser drives the demo app in headless Chromium, on a desktop and on a phone screen: sign
// in, the merchant list with its 已绑定/未绑定 filter, and the binding dialog — QR image, download
// and copy links, and 模拟扫码, which runs the whole chain through the embedded fake 公众号.
// Screenshots go to testdata/screens.
func TestBrowser(t *testing.T) {
	testsvc.Chromium(t) // skip before starting the app when there is no browser
	base, banner, _ := startDemoApp(t, t.TempDir())
	password := regexp.MustCompile(`admin / ([0-9a-f]{12})`).FindStringSubmatch(banner)
	require.NotNil(t, password, banner)

	ctx := browsertest.New(t, 90*time.Second)
	dir := browsertest.ScreensDir(t, screensDir)
	shot := func(name string) chromedp.Action { return browsertest.Shot(dir, name) }
	poll := func(expr string) chromedp.Action {
		return chromedp.Poll(expr, nil, chromedp.WithPollingTimeout(15*time.Second))
	}
	// The dialog is ready once the code is fetched and its PNG has loaded.
	dialogReady := poll(`!document.querySelector('#bd-body').classList.contains('hidden') &&
		document.querySelector('#bd-img').complete && document.querySelector('#bd-img').naturalWidth > 0`)

	// Desktop: sign in, the list, the filter. RunResponse waits for the navigation a click starts.
	var rows, unbound int
	var boundTag string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(1)),
		chromedp.Navigate(base+"/merchants"),
		chromedp.WaitVisible(`input[name=username]`, chromedp.ByQuery), // sent to the login page
		chromedp.SendKeys(`input[name=username]`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, password[1], chromedp.ByQuery),
	))
	_, err := chromedp.RunResponse(ctx, chromedp.Click(`.login button[type=submit]`, chromedp.ByQuery))
	require.NoError(t, err)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible(`#merchants`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('#merchants tbody tr').length`, &rows),
		chromedp.Text(`#merchants tr[data-id="1"] .tag.bound`, &boundTag, chromedp.ByQuery),
		shot("list-desktop.png"),
		chromedp.SetValue(`select[name=bound]`, "unbound", chromedp.ByQuery),
	))
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(`.toolbar button[type=submit]`, chromedp.ByQuery))
	require.NoError(t, err)
	assert.Contains(t, resp.URL, "bound=unbound")
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible(`#merchants`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('#merchants tbody tr').length`, &unbound),
	))
	assert.Equal(t, 7, rows, "seeded merchants")
	assert.Contains(t, boundTag, "已绑定")
	assert.Equal(t, 6, unbound)

	// The binding dialog: QR image, links, and a simulated scan by 李秀英 (鲜果时光水果店's contact).
	var link, download, reply, copied, preselected string
	require.NoError(t, chromedp.Run(ctx,
		browser.GrantPermissions([]browser.PermissionType{browser.PermissionTypeClipboardReadWrite,
			browser.PermissionTypeClipboardSanitizedWrite}).WithOrigin(base),
		chromedp.Click(`button[data-bind="2"]`, chromedp.ByQuery),
		dialogReady,
		chromedp.Value(`#bd-link`, &link, chromedp.ByQuery),
		chromedp.AttributeValue(`#bd-download`, "href", &download, nil, chromedp.ByQuery),
		shot("dialog-desktop.png"),
		chromedp.Click(`#bd-copy`, chromedp.ByQuery),
		poll(`document.querySelector('#bd-copy').textContent.indexOf('已复制') === 0`),
		chromedp.Evaluate(`navigator.clipboard.readText()`, &copied, awaitPromise),
		chromedp.Evaluate(`document.querySelector('#bd-demo select').selectedOptions[0].text`, &preselected),
		chromedp.Click(`#bd-demo button[type=submit]`, chromedp.ByQuery),
		poll(`document.querySelector('#bd-reply').textContent.indexOf('绑定') >= 0`),
		chromedp.Text(`#bd-reply`, &reply, chromedp.ByQuery),
		shot("dialog-scanned-desktop.png"),
	))
	// Closing after a scan reloads the list: 鲜果时光 is gone from the unbound filter.
	_, err = chromedp.RunResponse(ctx, chromedp.Click(`#bind-dialog [data-close]`, chromedp.ByQuery))
	require.NoError(t, err)
	var stillListed bool
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible(`#merchants`, chromedp.ByQuery),
		chromedp.Evaluate(`!!document.querySelector('#merchants tr[data-id="2"]')`, &stillListed),
	))
	assert.False(t, stillListed)

	// The merchant's page: binding status, history, codes, audit.
	var history string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/merchants/2"),
		chromedp.WaitVisible(`#binding`, chromedp.ByQuery),
		chromedp.Text(`#binding`, &history, chromedp.ByQuery),
		shot("detail-desktop.png"),
	))
	assert.Contains(t, history, demoUsers[1].OpenID)
	assert.Contains(t, link, "/_fake/cgi-bin/showqrcode?ticket=")
	assert.Contains(t, download, "/merchants/2/code.png?ticket=")
	assert.Contains(t, download, "download=1")
	assert.Contains(t, reply, "李秀英 收到回复 got: 绑定成功")
	assert.Equal(t, link, copied, "复制链接 puts the showqrcode link on the clipboard")
	assert.Equal(t, "李秀英", preselected, "the merchant's contact is preselected")

	// A phone: 390×844 CSS pixels at scale 1 (small screenshots), mobile and touch; rows become cards.
	var theadHidden bool
	require.NoError(t, chromedp.Run(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(base+"/merchants"),
		chromedp.WaitVisible(`#merchants`, chromedp.ByQuery),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('#merchants thead')).display === 'none'`, &theadHidden),
		shot("list-phone.png"),
		chromedp.Click(`button[data-bind="3"]`, chromedp.ByQuery),
		dialogReady,
		shot("dialog-phone.png"),
	))
	assert.True(t, theadHidden, "the table collapses into cards on a phone")

	// A scan by 王建国 (already bound to 老王面馆) is refused, and the dialog says why.
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SetValue(`#bd-demo select`, demoUsers[0].OpenID, chromedp.ByQuery),
		chromedp.Click(`#bd-demo button[type=submit]`, chromedp.ByQuery),
		poll(`document.querySelector('#bd-reply').textContent.indexOf('绑定') >= 0`),
		chromedp.Text(`#bd-reply`, &reply, chromedp.ByQuery),
		shot("dialog-refused-phone.png"),
	))
	assert.Contains(t, reply, "您的微信已绑定商户「老王面馆」")
}
