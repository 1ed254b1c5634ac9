package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/internal/testsvc"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	require.NoError(t, err)
	return res.GetText()
}

// fetch GETs a path with the admin's cookies and returns the response with its body read.
func (h *harness) fetch(path string) (*http.Response, []byte) {
	h.t.Helper()
	resp, err := h.hc.Get(h.ts.URL + path)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp, b
}

// 生成新码 replaces a valid code only when asked to (the dialog confirms first); the download is a
// label carrying the merchant's name and the code's expiry under a QR that still decodes.
func TestCodeReplacementAndLabel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	id := h.createMerchant("老王面馆", "laowang")
	var c codeJSON
	require.Equal(t, http.StatusCreated, h.fetchJSON(http.MethodPost, "/merchants/"+itoa(id)+"/code", nil, &c))
	var e map[string]any
	assert.Equal(t, http.StatusConflict, h.fetchJSON(http.MethodPost, "/merchants/"+itoa(id)+"/code", nil, &e))
	assert.Equal(t, "code_exists", e["error"])
	assert.Contains(t, e["message"], "生成新码会使旧码立即失效")
	var again codeJSON
	require.Equal(t, http.StatusOK, h.fetchJSON(http.MethodGet, "/merchants/"+itoa(id)+"/code", nil, &again))
	assert.Equal(t, c, again, "the refused request replaced nothing")

	resp, body := h.fetch(c.Download)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "filename*=UTF-8''"+url.PathEscape("绑定码-老王面馆.png"))
	label, err := png.Decode(bytes.NewReader(body))
	require.NoError(t, err)
	assert.Greater(t, label.Bounds().Dy(), label.Bounds().Dx()+80, "room for the name and the expiry under the code")
	code, err := h.app.db.CodeByTicket(t.Context(), c.ticket(t))
	require.NoError(t, err)
	assert.Equal(t, code.URL, decodeQR(t, label))
	// The text rows hold ink: the name and the expiry were drawn.
	inked := 0
	b := label.Bounds()
	for y := b.Min.Y + b.Dx(); y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := label.At(x, y).RGBA(); r < 0x4000 {
				inked++
			}
		}
	}
	assert.Greater(t, inked, 500, "text under the QR")
	resp, body = h.fetch(c.Image)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	plain, err := png.Decode(bytes.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, plain.Bounds().Dx(), plain.Bounds().Dy(), "the dialog's image is the bare code")
}

// The merchant list: 注册时间, 正常/禁用, search by phone whatever its spaces and dashes and by
// openid, paging, and the export of the whole filtered list as CSV and XLSX.
func TestListSearchAndExport(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	for i := range 25 {
		resp, _ := h.post("/merchants", url.Values{"name": {fmt.Sprintf("商户%02d", i)}, "login": {fmt.Sprintf("shop-%02d", i)},
			"phone": {fmt.Sprintf("138-0000-%04d", i)}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	}
	evil := h.createMerchant("=HYPERLINK(\"http://evil.test\")", "evil")
	h.scan("oSearchMe", h.issueCode(evil), false)

	_, body := h.page("/merchants")
	assert.Contains(t, body, "注册时间")
	assert.Contains(t, body, "正常 Active")
	assert.Contains(t, body, "第 1 / 2 页")
	assert.Equal(t, 20, strings.Count(body, "<tr data-id"))
	_, body = h.page("/merchants?page=2")
	assert.Equal(t, 6, strings.Count(body, "<tr data-id"))
	for q, want := range map[string]string{"13800000007": "商户07", "138 0000 0007": "商户07", "0000-0007": "商户07", "oSearchMe": "HYPERLINK"} {
		_, body = h.page("/merchants?q=" + url.QueryEscape(q))
		assert.Equal(t, 1, strings.Count(body, "<tr data-id"), q)
		assert.Contains(t, body, want, q)
	}

	resp, data := h.fetch("/merchants/export?format=csv&q=" + url.QueryEscape("商户1"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.True(t, bytes.HasPrefix(data, []byte("\uFEFF")), "a BOM for Excel")
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 11, "the header and every match, not one page")
	assert.Equal(t, []string{"ID", "商户名称", "登录名", "联系人", "电话", "状态", "微信绑定", "OpenID", "绑定时间", "注册时间", "最后登录"}, rows[0])
	assert.Equal(t, "正常", rows[1][5])
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`, rows[1][9])
	_, data = h.fetch("/merchants/export?format=csv&bound=bound")
	rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, `'=HYPERLINK("http://evil.test")`, rows[1][1], "no formula runs in Excel")
	assert.Equal(t, "已绑定", rows[1][6])

	resp, data = h.fetch("/merchants/export?format=xlsx&status=active")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	x, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer x.Close()
	sheet, err := x.GetRows("商户")
	require.NoError(t, err)
	assert.Len(t, sheet, 27)
	formula, err := x.GetCellFormula("商户", "B2")
	require.NoError(t, err)
	assert.Empty(t, formula)
	log, _, err := h.app.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "merchant.export"})
	require.NoError(t, err)
	assert.Len(t, log, 3)
}

// The merchant platform reports logins (最后登录) with its own token.
func TestMerchantLoginHook(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	id := h.createMerchant("老王面馆", "LaoWang")
	call := func(path, token, body string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodPost, h.ts.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		_ = jsonDecode(resp.Body, &out)
		return resp.StatusCode, out
	}
	status, out := call("/api/merchants/"+itoa(id)+"/login", testPlatformToken, "")
	require.Equal(t, http.StatusOK, status, out)
	at := h.clock.Now().Add(-time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
	status, _ = call("/api/merchants/by-login/laowang/login", testPlatformToken, `{"at":"`+at+`"}`)
	assert.Equal(t, http.StatusOK, status, "by login, in any letter case; an older report is harmless")
	status, _ = call("/api/merchants/"+itoa(id)+"/login", testAPIToken, "{}")
	assert.Equal(t, http.StatusOK, status, "the admin token may too")
	for _, tt := range []struct {
		path, token, body string
		want              int
	}{
		{"/api/merchants/999/login", testPlatformToken, "", http.StatusNotFound},
		{"/api/merchants/by-login/nobody/login", testPlatformToken, "", http.StatusNotFound},
		{"/api/merchants/" + itoa(id) + "/login", "wrong-token-0123456789", "", http.StatusUnauthorized},
		{"/api/merchants/" + itoa(id) + "/login", testPlatformToken, `{"at":"yesterday"}`, http.StatusBadRequest},
		{"/api/merchants/" + itoa(id) + "/login", testPlatformToken, `{"at":"2999-01-01T00:00:00Z"}`, http.StatusBadRequest},
		{"/api/merchants/" + itoa(id) + "/login", testPlatformToken, `{"when":1}`, http.StatusBadRequest},
	} {
		status, out := call(tt.path, tt.token, tt.body)
		assert.Equal(t, tt.want, status, "%s %s", tt.path, tt.body)
		assert.Regexp(t, `\p{Han}`, out["message"])
	}
	m, err := h.app.db.Merchant(t.Context(), id)
	require.NoError(t, err)
	assert.WithinDuration(t, h.clock.Now(), m.LastLoginAt, 2*time.Second)
	_, body := h.page("/merchants")
	assert.Contains(t, body, m.LastLoginAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05"))
}

// The audit page filters by admin, merchant, kind and date; times carry seconds.
func TestAuditFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	a := h.createMerchant("老王面馆", "laowang")
	h.createMerchant("鲜果时光", "fresh")
	today := h.clock.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	count := func(q string) int {
		status, body := h.page("/audit?" + q)
		require.Equal(t, http.StatusOK, status, q)
		return strings.Count(body, `<td data-label="#">`)
	}
	assert.Equal(t, 2, count("kind=merchant."))
	assert.Equal(t, 1, count("kind=merchant.&merchant="+itoa(a)))
	assert.Equal(t, 3, count("who=admin"), "two creates and the sign-in")
	assert.Equal(t, 0, count("who=api"))
	assert.Equal(t, 3, count("from="+today+"&to="+today))
	assert.Equal(t, 0, count("to=2000-01-01"))
	_, body := h.page("/audit")
	assert.Regexp(t, `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`, body, "seconds")
}

// Operations: /healthz asks the database; /static/ lists nothing; the SQLite file is 0600; with
// SESSION_KEY no key is kept in the database.
func TestOperations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "ops.db")
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe, dsn: dsn, edit: func(o *appOptions) {
		o.SessionKey = "an-operator-chosen-session-key-0123456789"
	}})
	st, err := os.Stat(dsn)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	_, ok, err := h.app.db.Setting(t.Context(), "session_key")
	require.NoError(t, err)
	assert.False(t, ok, "no key in the database when SESSION_KEY is set")

	for path, want := range map[string]int{"/static/": 404, "/static/?C=M&O=D": 404, "/static/app.css": 200, "/healthz": 200} {
		resp, _ := h.fetch(path)
		assert.Equal(t, want, resp.StatusCode, path)
	}
	h.app.db.Close()
	resp, body := h.fetch("/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "database unavailable", string(body))

	h2 := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	_, ok, err = h2.app.db.Setting(t.Context(), "session_key")
	require.NoError(t, err)
	assert.True(t, ok, "without SESSION_KEY a generated key is kept")
}

// Redis is optional and a cache: with REDIS_URL pointing nowhere the app starts, issues codes,
// binds and says "redis degraded" on /healthz.
func TestRedisOutageDegrades(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe, redisURL: "redis://" + dead + "/0"})
	h.login()
	id := h.createMerchant("老王面馆", "laowang")
	assert.Contains(t, h.scan("oNoRedis", h.issueCode(id), false), "绑定成功")
	assert.Len(t, h.templates("oNoRedis", welcomeTpl), 1)
	resp, body := h.fetch("/healthz")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok (redis degraded)", string(body))

	addr := testsvc.Redis(t) // and with a working Redis: no note
	h2 := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe, redisURL: "redis://" + addr + "/0"})
	resp, body = h2.fetch("/healthz")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok", string(body))
}

// The demo never touches a real database: -demo refuses a DATABASE_URL holding real-mode data,
// real mode refuses a demo database, and the plain demo keeps its own file whatever DATABASE_URL
// says.
func TestDemoKeepsAwayFromRealData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	realDB := filepath.Join(dir, "real.db")
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe, dsn: realDB})
	h.login()
	h.createMerchant("真实商户", "real-shop")
	require.NoError(t, h.app.shutdown(t.Context()))

	env := map[string]string{"DATABASE_URL": realDB}
	cfg, err := loadConfig(func(k string) string { return env[k] }, "127.0.0.1:0", dir, true)
	require.NoError(t, err)
	err = serve(context.Background(), cfg, slog.New(slog.DiscardHandler), &bytes.Buffer{}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "real-mode data")

	cfg, err = loadConfig(func(k string) string { return env[k] }, "127.0.0.1:0", dir, false)
	require.NoError(t, err)
	base, banner, stop := startDemoWith(t, cfg)
	assert.Contains(t, banner, filepath.Join(dir, "demo.db"), "the banner names the demo's own database")
	assert.Contains(t, banner, "DATABASE_URL 未使用")
	assert.Contains(t, banner, "切勿暴露在公网")
	stop()
	_ = base
	db, err := store.Open(t.Context(), realDB)
	require.NoError(t, err)
	defer db.Close()
	all, _, err := db.CountMerchants(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, all, "the real database is untouched")

	_, err = newApp(t.Context(), appOptions{DSN: filepath.Join(dir, "demo.db"), AppID: "wx", AppSecret: "s", Token: "t"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "demo data")
}

// The demo, explicitly on a MariaDB server whose default charset is latin1: it seeds and shows
// its Chinese merchants.
func TestDemoOnMariaDB(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": mysqlURL(testsvc.MariaDB(t))}
	cfg, err := loadConfig(func(k string) string { return env[k] }, "127.0.0.1:0", t.TempDir(), true)
	require.NoError(t, err)
	base, banner, _ := startDemoWith(t, cfg)
	assert.Contains(t, banner, "数据库 Database:    mysql 127.0.0.1:")
	h := &harness{t: t, ts: &httptest.Server{URL: base}, hc: newBrowserClient()}
	pw := demoPassword(t, banner)
	h.page("/login")
	resp, _ := h.post("/login", url.Values{"username": {"admin"}, "password": {pw}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body := h.page("/merchants")
	assert.Contains(t, body, "老王面馆")
	assert.Contains(t, body, "已绑定 Bound")
}

// The demo's fake shares the app's port, so it must not be abusable from there: its OAuth page
// redirects only to the app's own origin, and large bodies are refused.
func TestDemoFakeIsNotAnOpenRedirect(t *testing.T) {
	t.Parallel()
	base, _, _ := startDemoApp(t, t.TempDir())
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := func(redirect string) *http.Response {
		q := url.Values{"appid": {wecomtest.DefaultAppID}, "redirect_uri": {redirect}, "response_type": {"code"},
			"scope": {"snsapi_base"}, "state": {"s"}}
		resp, err := hc.Get(base + fakePrefix + "/connect/oauth2/authorize?" + q.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := authorize("https://evil.example/steal")
	assert.NotEqual(t, http.StatusFound, resp.StatusCode, "no redirect to another site")
	u, _ := url.Parse(base)
	resp = authorize("http://" + u.Hostname() + ":1/other-port")
	assert.NotEqual(t, http.StatusFound, resp.StatusCode, "nor to another port of the same host")
	resp = authorize(base + "/merchants")
	assert.Equal(t, http.StatusFound, resp.StatusCode, "the app's own origin is fine")
	assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), base+"/merchants?code="))

	big := bytes.Repeat([]byte("x"), demoMaxBody+1)
	resp, err := hc.Post(base+fakePrefix+"/test/smartsheet/member_edit", "application/json", bytes.NewReader(big))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
}
