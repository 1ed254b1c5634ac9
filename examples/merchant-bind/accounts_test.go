package main

import (
	"bytes"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// sessionCookie returns the browser's current mb_session cookie value.
func (h *harness) sessionCookie() string {
	h.t.Helper()
	u, _ := url.Parse(h.ts.URL)
	for _, c := range h.hc.Jar.Cookies(u) {
		if c.Name == "mb_session" {
			return c.Value
		}
	}
	return ""
}

// withCookie is another browser holding a copy of a session cookie (a stolen or forgotten one).
func (h *harness) withCookie(value string) *harness {
	other := &harness{t: h.t, ts: h.ts, app: h.app, fake: h.fake, clock: h.clock, hc: newBrowserClient()}
	u, _ := url.Parse(h.ts.URL)
	other.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "mb_session", Value: value, Path: "/"}})
	return other
}

// After logout, and after a password change, an old session cookie gets the login page.
func TestSessionsAreRevoked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})

	h.login()
	old := h.sessionCookie()
	require.NotEmpty(t, old)
	copyOf := h.withCookie(old)
	status, _ := copyOf.page("/merchants")
	require.Equal(t, http.StatusOK, status, "the copy works while the session lives")
	resp, _ := h.post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, err := copyOf.hc.Get(h.ts.URL + "/merchants")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/login"), "after logout the old cookie gets the login page")

	// Two browsers signed in; one changes the password: both old cookies die, the changer is
	// signed in again with a new one.
	h.login()
	second := &harness{t: t, ts: h.ts, app: h.app, fake: h.fake, clock: h.clock, hc: newBrowserClient()}
	second.login()
	before, other := h.sessionCookie(), second.sessionCookie()
	h.page("/account")
	resp, body := h.post("/account/password", url.Values{"current": {"wrong-password"}, "password": {"new-password-123"}, "confirm": {"new-password-123"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "当前密码不正确")
	resp, body = h.post("/account/password", url.Values{"current": {testPassword}, "password": {"short"}, "confirm": {"short"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "10–72")
	resp, _ = h.post("/account/password", url.Values{"current": {testPassword}, "password": {"new-password-123"}, "confirm": {"new-password-123"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	for name, cookie := range map[string]string{"this browser's old cookie": before, "the other browser": other} {
		status, _ := h.withCookie(cookie).page("/merchants")
		assert.Equal(t, http.StatusSeeOther, status, name)
	}
	assert.NotEqual(t, before, h.sessionCookie())
	status, body = h.page("/account")
	require.Equal(t, http.StatusOK, status, "the changer stays signed in")
	assert.Contains(t, body, "密码已修改")
	status, _ = second.page("/merchants")
	assert.Equal(t, http.StatusSeeOther, status)

	log, _, err := h.app.db.AuditLog(t.Context(), store.AuditQuery{Who: "admin", Prefix: "admin."})
	require.NoError(t, err)
	var whats []string
	for _, e := range log {
		whats = append(whats, e.What)
	}
	assert.Contains(t, whats, "admin.logout")
	assert.Contains(t, whats, "admin.password")
	assert.Contains(t, whats, "admin.password_failed")
}

// Several admins: 管理员 adds a 只读 admin (generated password shown once), who can look but not
// change; disabling an admin ends their sessions at once; the last 管理员 stays.
func TestAdminAccounts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	id := h.createMerchant("老王面馆", "laowang")

	h.page("/admins")
	resp, body := h.post("/admins", url.Values{"username": {"viewer"}, "role": {"readonly"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	pw := regexp.MustCompile(`id="new-password">([A-Za-z0-9]{16})<`).FindStringSubmatch(body)
	require.NotNil(t, pw, "the generated password is shown once")
	resp, body = h.post("/admins", url.Values{"username": {"VIEWER"}, "role": {"admin"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "用户名已存在")
	resp, body = h.post("/admins", url.Values{"username": {"有 空格"}, "role": {"admin"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "字母")

	v := &harness{t: t, ts: h.ts, app: h.app, fake: h.fake, clock: h.clock, hc: newBrowserClient()}
	v.page("/login")
	resp, _ = v.post("/login", url.Values{"username": {"Viewer"}, "password": {pw[1]}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "usernames in any letter case")
	status, body := v.page("/merchants/" + itoa(id))
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, body, "发送 Send")
	assert.NotContains(t, body, "/admins", "no admin page for 只读")
	for _, path := range []string{"/merchants", "/merchants/" + itoa(id) + "/notify", "/merchants/" + itoa(id) + "/code"} {
		resp, body := v.post(path, url.Values{"name": {"x"}, "login": {"xx"}, "content": {"x"}})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, path)
		assert.Contains(t, body, "只读账号")
	}
	status, _ = v.page("/admins")
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = v.page("/merchants/export?format=csv")
	assert.Equal(t, http.StatusOK, status, "只读 may export")

	// Disable the viewer: its session ends now.
	admins, err := h.app.db.Admins(t.Context())
	require.NoError(t, err)
	var viewerID, selfID int64
	for _, a := range admins {
		if a.Username == "viewer" {
			viewerID = a.ID
		} else {
			selfID = a.ID
		}
	}
	h.page("/admins")
	resp, _ = h.post("/admins/"+itoa(viewerID)+"/status", url.Values{"status": {"disabled"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	status, _ = v.page("/merchants")
	assert.Equal(t, http.StatusSeeOther, status, "a disabled admin is signed out at once")
	v.page("/login")
	resp, _ = v.post("/login", url.Values{"username": {"viewer"}, "password": {pw[1]}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "and cannot sign in")

	// The last enabled 管理员 can be neither disabled nor demoted; nobody disables themselves.
	h.page("/admins")
	resp, _ = h.post("/admins/"+itoa(selfID)+"/role", url.Values{"role": {"readonly"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.page("/admins")
	assert.Contains(t, body, "至少要保留一个正常的管理员")
	h.post("/admins/"+itoa(selfID)+"/status", url.Values{"status": {"disabled"}})
	_, body = h.page("/admins")
	assert.Contains(t, body, "不能禁用自己")

	// Reset another admin's password: a new one shown once.
	h.post("/admins/"+itoa(viewerID)+"/status", url.Values{"status": {"active"}})
	h.page("/admins")
	resp, body = h.post("/admins/"+itoa(viewerID)+"/password", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	pw2 := regexp.MustCompile(`id="new-password">([A-Za-z0-9]{16})<`).FindStringSubmatch(body)
	require.NotNil(t, pw2)
	v.page("/login")
	resp, _ = v.post("/login", url.Values{"username": {"viewer"}, "password": {pw2[1]}})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

// Failed sign-ins lock the account after 5 (any address) and an address after 20; the state is in
// the database, so a restart does not clear it. A 300-byte username of Chinese characters is
// audited, cut on a character boundary.
func TestLoginLockoutIsPersisted(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "lock.db")
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe, dsn: dsn})
	h.page("/login")
	for range 5 {
		resp, _ := h.post("/login", url.Values{"username": {"admin"}, "password": {"wrong-password"}})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, body := h.post("/login", url.Values{"username": {"ADMIN"}, "password": {testPassword}})
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "locked, even with the right password")
	assert.Contains(t, body, "尝试次数过多")

	long := strings.Repeat("管理员", 34) // 306 bytes
	resp, _ = h.post("/login", url.Values{"username": {long}, "password": {"x"}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	log, _, err := h.app.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "admin.", Limit: 10})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(log[0].Who, "login:管理员管理员"), log[0].Who)
	assert.Equal(t, "admin.login_failed", log[0].What)
	var whats []string
	for _, e := range log {
		whats = append(whats, e.What)
	}
	assert.Contains(t, whats, "admin.locked")

	// A restart on the same database: still locked.
	require.NoError(t, h.app.shutdown(t.Context()))
	h2 := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe, dsn: dsn})
	h2.page("/login")
	resp, _ = h2.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}})
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "a restart does not clear the lock")
	h2.clock.Advance(16 * time.Minute)
	resp, _ = h2.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "the lock ends")
}

// go run ./examples/merchant-bind -reset-password USER: a new password, every session ended, the
// lock lifted, audited.
func TestResetPasswordCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe, dsn: filepath.Join(dir, "merchant-bind.db")})
	h.login()
	h.page("/login")
	for range 5 {
		h.post("/login", url.Values{"username": {"admin"}, "password": {"wrong-password"}})
	}
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s", "WECHAT_TOKEN": "t", "PUBLIC_URL": "https://x.test"}[k]
	}, "127.0.0.1:0", dir, false)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, resetCommand(t.Context(), cfg, "Admin", &out))
	pw := regexp.MustCompile(`New password for Admin: ([A-Za-z0-9]{16})`).FindStringSubmatch(out.String())
	require.NotNil(t, pw, out.String())
	assert.Contains(t, out.String(), "sqlite ")
	assert.Error(t, resetCommand(t.Context(), cfg, "nobody", &out))

	status, _ := h.page("/merchants")
	assert.Equal(t, http.StatusSeeOther, status, "the old session ended")
	h.page("/login")
	resp, _ := h.post("/login", url.Values{"username": {"admin"}, "password": {pw[1]}})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "the new password works and the lock is lifted")
	log, _, err := h.app.db.AuditLog(t.Context(), store.AuditQuery{Who: "shell"})
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, "admin.reset_password", log[0].What)
}
