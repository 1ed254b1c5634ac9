package main

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func TestAdminAuth(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})

	resp, err := h.hc.Get(h.ts.URL + "/merchants?q=x")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/login?next=%2Fmerchants%3Fq%3Dx", resp.Header.Get("Location"))

	status, _ := h.page("/login")
	require.Equal(t, http.StatusOK, status)
	resp, _ = h.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}, "csrf": {"forged"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "login form needs the CSRF token")
	resp, body := h.post("/login", url.Values{"username": {"admin"}, "password": {"wrong-password"}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, body, "用户名或密码错误")
	resp, _ = h.post("/login", url.Values{"username": {"nobody"}, "password": {testPassword}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	h.page("/login")
	resp, _ = h.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}, "next": {"//evil.example/"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/merchants", resp.Header.Get("Location"), "no open redirect")
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "mb_session" {
			session = c
		}
	}
	require.NotNil(t, session)
	assert.True(t, session.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, session.SameSite)

	status, body = h.page("/merchants")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "商户 Merchants")

	// A state-changing form without the token, or from another site, is refused.
	resp, _ = h.post("/merchants", url.Values{"name": {"x"}, "login": {"xx"}, "csrf": {"bad"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/merchants", strings.NewReader(url.Values{"name": {"x"}, "login": {"xx"}, "csrf": {h.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err = h.hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// A tampered session cookie is not a session.
	u, _ := url.Parse(h.ts.URL)
	h.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "mb_session", Value: session.Value[:len(session.Value)-2] + "xx", Path: "/"}})
	status, _ = h.page("/audit")
	assert.Equal(t, http.StatusSeeOther, status)

	log, _, err := h.app.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "admin."})
	require.NoError(t, err)
	var whats []string
	for _, e := range log {
		whats = append(whats, e.What)
	}
	assert.Equal(t, []string{"admin.login", "admin.login_failed", "admin.login_failed"}, whats)
}

func TestMerchantAdmin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	id := h.createMerchant("老王面馆", "laowang")

	resp, body := h.post("/merchants", url.Values{"name": {"重复"}, "login": {"LaoWang"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "登录名已被使用")
	resp, body = h.post("/merchants", url.Values{"name": {""}, "login": {"ok-login"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "商户名称 Name：请填写商户名称")

	resp, _ = h.post("/merchants/"+itoa(id), url.Values{"name": {"老王面馆（总店）"}, "login": {"laowang"}, "contact": {"王建国"}, "phone": {"138 0013 8001"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.page("/merchants?q=" + url.QueryEscape("总店"))
	assert.Contains(t, body, "老王面馆（总店）")
	_, body = h.page("/merchants?q=nothing-matches")
	assert.Contains(t, body, "没有符合条件的商户")

	// Disabled merchants get no code; the failure is shown, not swallowed.
	resp, _ = h.post("/merchants/"+itoa(id)+"/status", url.Values{"status": {"disabled"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var e map[string]any
	assert.Equal(t, http.StatusConflict, h.fetchJSON(http.MethodPost, "/merchants/"+itoa(id)+"/code", nil, &e))
	assert.Equal(t, "disabled", e["error"])
	resp, _ = h.post("/merchants/"+itoa(id)+"/status", url.Values{"status": {"active"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// The code's PNG is rendered locally and is a real image.
	var c codeJSON
	require.Equal(t, http.StatusCreated, h.fetchJSON(http.MethodPost, "/merchants/"+itoa(id)+"/code", nil, &c))
	assert.Equal(t, "bind_business_"+itoa(id), c.Scene)
	assert.Contains(t, c.ShowQRCode, h.fake.URL+"/cgi-bin/showqrcode?ticket=")
	var again codeJSON
	require.Equal(t, http.StatusOK, h.fetchJSON(http.MethodGet, "/merchants/"+itoa(id)+"/code", nil, &again))
	assert.Equal(t, c, again, "the dialog shows the current code without replacing it")
	resp, err := h.hc.Get(h.ts.URL + c.Download)
	require.NoError(t, err)
	img, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
	_, err = png.Decode(bytes.NewReader(img))
	require.NoError(t, err)
	resp, err = h.hc.Get(h.ts.URL + "/merchants/" + itoa(id+1) + "/code.png?ticket=" + url.QueryEscape(c.ticket(t)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a ticket only under its own merchant")

	// Admin notification of an unbound merchant: refused with a visible reason.
	resp, _ = h.post("/merchants/"+itoa(id)+"/notify", url.Values{"content": {"hello"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.page("/merchants/" + itoa(id))
	assert.Contains(t, body, "商户未绑定微信")

	// After binding: sent, shown inside the notify card. A WeChat refusal outside the 48-hour
	// window is 发送失败 with errcode and errmsg, in the card and in the history.
	h.scan("oBoss", c.ticket(t), false)
	h.deliver() // the welcome message is out before the fault is armed
	resp, _ = h.post("/merchants/"+itoa(id)+"/notify", url.Values{"content": {"hello"}, "idem": {"k1"}})
	assert.Equal(t, "/merchants/"+itoa(id)+"#notify", resp.Header.Get("Location"), "back to where the admin was")
	_, body = h.page("/merchants/" + itoa(id))
	assert.Regexp(t, `id="notify">\s*<h2>.*</h2>\s*<div class="flash ok" role="status" id="notify-result">已发送`, body)
	h.clock.Advance(49 * time.Hour)
	status, _ := h.page("/merchants/" + itoa(id))
	assert.Equal(t, http.StatusSeeOther, status, "the 12-hour session has ended")
	h.login()
	require.NoError(t, h.fake.InjectFault("POST /cgi-bin/message/template/send", 1, wecomtest.ErrCodeFault(43004)))
	h.post("/merchants/"+itoa(id)+"/notify", url.Values{"content": {"hello"}, "idem": {"k2"}})
	_, body = h.page("/merchants/" + itoa(id))
	assert.Regexp(t, `发送失败 \(failed\) — errcode=43004`, body)
	assert.Contains(t, body, "/notifications/3/resend", "重发 for the failed one")

	// Admin unbind keeps the history.
	resp, _ = h.post("/merchants/"+itoa(id)+"/unbind", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.page("/merchants/" + itoa(id))
	assert.Contains(t, body, "管理员解绑 by admin")
}

func TestAuditPagePaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	for i := range 60 {
		h.app.svc.Audit(t.Context(), "admin", "merchant.update", 0, "entry "+itoa(int64(i)))
	}
	_, body := h.page("/audit")
	assert.Contains(t, body, "entry 59")
	assert.NotContains(t, body, "entry 9<")
	assert.Contains(t, body, "/audit?page=2")
	_, body = h.page("/audit?page=2")
	assert.Contains(t, body, "entry 9<")
	_, body = h.page("/audit?kind=bind.")
	assert.NotContains(t, body, "entry 59")
}

// go run ./examples/merchant-bind with no environment: demo mode on the embedded fake, seeded
// merchants, a printed password, and 模拟扫码 driving the real chain.
func TestDemoMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base, out, stop := startDemoApp(t, dir)
	assert.Contains(t, out, "演示模式 demo mode")
	password := regexp.MustCompile(`admin / ([0-9a-f]{12})`).FindStringSubmatch(out)
	require.NotNil(t, password, out)

	h := &harness{t: t, ts: &httptest.Server{URL: base}}
	h.hc = newBrowserClient()
	h.page("/login")
	resp, _ := h.post("/login", url.Values{"username": {"admin"}, "password": {password[1]}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body := h.page("/merchants")
	assert.Equal(t, 7, strings.Count(body, "<tr data-id"), "seeded merchants")
	assert.Contains(t, body, "已绑定 Bound", "the seed bound one merchant through the whole chain")

	var c codeJSON
	require.Equal(t, http.StatusCreated, h.fetchJSON(http.MethodPost, "/merchants/2/code", nil, &c))
	var r map[string]string
	require.Equal(t, http.StatusOK, h.fetchJSON(http.MethodPost, "/demo/merchants/2/scan",
		url.Values{"openid": {demoUsers[1].OpenID}}, &r))
	assert.Contains(t, r["reply"], "绑定成功")
	require.Equal(t, http.StatusCreated, h.fetchJSON(http.MethodPost, "/merchants/3/code", nil, &c))
	require.Equal(t, http.StatusOK, h.fetchJSON(http.MethodPost, "/demo/merchants/3/scan",
		url.Values{"openid": {demoUsers[0].OpenID}, "following": {"1"}}, &r))
	assert.Contains(t, r["reply"], "您的微信已绑定商户「老王面馆」")
	assert.Equal(t, http.StatusBadRequest, h.fetchJSON(http.MethodPost, "/demo/merchants/3/scan", url.Values{"openid": {"oStranger"}}, nil))
	resp, _ = h.post("/demo/merchants/2/unsubscribe", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.page("/merchants/2")
	assert.Contains(t, body, "取消关注")
	stop()

	// A restart keeps the data and does not seed again.
	_, out2, stop2 := startDemoApp(t, dir)
	defer stop2()
	assert.NotEqual(t, out, out2, "a new demo password at each start")
	a, err := store.Open(t.Context(), filepath.Join(dir, "demo.db"))
	require.NoError(t, err)
	defer a.Close()
	all, bound, err := a.CountMerchants(t.Context())
	require.NoError(t, err)
	assert.Equal(t, [2]int{7, 1}, [2]int{all, bound})
}

// Real mode starts without calling WeChat, prints the callback URL and the generated first admin
// password once, and answers WeChat's URL check.
func TestRealModeStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"WECHAT_APP_ID": "wxRealApp", "WECHAT_APP_SECRET": "secret", "WECHAT_TOKEN": "tok3n",
		"PUBLIC_URL": "https://bind.example.com"}
	start := func() (string, string) {
		cfg, err := loadConfig(func(k string) string { return env[k] }, "127.0.0.1:0", dir, false)
		require.NoError(t, err)
		require.False(t, cfg.Demo)
		ctx, cancel := context.WithCancel(context.Background())
		var out bytes.Buffer
		ready, done := make(chan string, 1), make(chan error, 1)
		go func() {
			done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), &out, &serveHooks{Ready: func(base string, _ *app) { ready <- base }})
		}()
		base := <-ready
		t.Cleanup(func() { cancel(); <-done })
		return base, out.String()
	}
	base, out := start()
	assert.Contains(t, out, "真实模式 real mode")
	assert.Contains(t, out, "https://bind.example.com/wx/callback")
	assert.Regexp(t, `admin / [0-9a-f]{12}`, out)

	q := url.Values{"timestamp": {strconv.FormatInt(time.Now().Unix(), 10)}, "nonce": {"123"}, "echostr": {"hello-wechat"}}
	q.Set("signature", wxcrypto.Signature("tok3n", q.Get("timestamp"), "123"))
	resp, err := http.Get(base + "/wx/callback?" + q.Encode())
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "hello-wechat", string(b))
	q.Set("signature", "forged")
	resp, err = http.Get(base + "/wx/callback?" + q.Encode())
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, err = http.Post(base+"/api/merchants/1/notify", "application/json", strings.NewReader(`{"content":"x"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no ADMIN_API_TOKEN: the API is off")

	_, again := start() // a second instance on the same database
	assert.NotContains(t, again, "admin /", "the generated password is printed once")
}

// startDemoApp runs serve in demo mode on a free port and returns its base URL, its printed
// banner and a stop function.
func startDemoApp(t *testing.T, dir string) (string, string, func()) {
	t.Helper()
	cfg, err := loadConfig(func(string) string { return "" }, "127.0.0.1:0", dir, false)
	require.NoError(t, err)
	require.True(t, cfg.Demo)
	return startDemoWith(t, cfg)
}

// startDemoWith runs serve with cfg on a free port.
func startDemoWith(t *testing.T, cfg *config) (string, string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), &out, &serveHooks{Ready: func(base string, _ *app) { ready <- base }})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("demo did not start")
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, <-done)
		}
	}
	t.Cleanup(stop)
	return base, out.String(), stop
}

// demoPassword reads the admin password from the demo's banner.
func demoPassword(t *testing.T, banner string) string {
	t.Helper()
	m := regexp.MustCompile(`login: admin / ([0-9a-f]{12})`).FindStringSubmatch(banner)
	require.NotNil(t, m, banner)
	return m[1]
}
