package main

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/internal/testsvc"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// appDatabases are the databases the app's own tests run on.
var appDatabases = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "mb.db") }},
	{"postgres", func(t *testing.T) string { return testsvc.Postgres(t) }},
	{"mariadb", func(t *testing.T) string { return mysqlURL(testsvc.MariaDB(t)) }},
}

// mysqlURL turns testsvc's go-sql-driver DSN "user@tcp(host:port)/db" into DATABASE_URL form.
func mysqlURL(dsn string) string {
	user, rest, _ := strings.Cut(dsn, "@tcp(")
	addr, db, _ := strings.Cut(rest, ")/")
	return "mysql://" + user + "@" + addr + "/" + db
}

// get fetches a raw path (already escaped) and returns status and body.
func (h *harness) get(rawPath string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.ts.URL+rawPath, nil)
	require.NoError(h.t, err)
	resp, err := h.hc.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Odd input gets 400 with a Chinese message on every database, never a 500: NUL bytes and invalid
// UTF-8 (which PostgreSQL and MariaDB would refuse with an error), bad filters, bad pages. Chinese
// text survives a MariaDB whose default charset is latin1; logins are unique in any letter case.
func TestBadInputOnEveryDatabase(t *testing.T) {
	for _, db := range appDatabases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe, dsn: db.dsn(t)})
			h.login()
			id := h.createMerchant("老王面馆 🍜", "LaoWang")
			status, body := h.page("/merchants/" + itoa(id))
			require.Equal(t, http.StatusOK, status)
			assert.Contains(t, body, "老王面馆 🍜", "utf8mb4 whatever the server default")

			for _, path := range []string{
				"/merchants?q=%00", "/merchants?q=a%00b", "/merchants?q=%ff%fe", "/merchants?q=%e4%b8",
				"/merchants?bound=maybe", "/merchants?status=x", "/merchants?page=abc", "/merchants?page=-1",
				"/audit?who=%00", "/audit?kind=nope", "/audit?merchant=abc", "/audit?from=2025-13-01",
				"/merchants/export?format=pdf", "/merchants/export?format=csv&q=%00",
				"/merchants/" + itoa(id) + "/code.png?ticket=x&size=99999", "/merchants?q=%",
			} {
				status, body := h.get(path)
				assert.Equal(t, http.StatusBadRequest, status, path)
				assert.Regexp(t, `\p{Han}`, body, "%s: a Chinese message", path)
			}
			for _, form := range []url.Values{
				{"name": {"a\x00b"}, "login": {"nul-name"}},
				{"name": {"bad \xff utf8"}, "login": {"bad-utf8"}},
				{"name": {"ok"}, "login": {"x\x00"}},
				{"name": {"ok"}, "login": {"ok-login"}, "contact": {"\xe4\xb8"}},
				{"name": {"重名"}, "login": {"laowang"}},
				{"name": {strings.Repeat("长", 101)}, "login": {"long-name"}},
			} {
				resp, body := h.post("/merchants", form)
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%q", form)
				assert.Regexp(t, `\p{Han}`, body)
			}
			status, body = h.get("/merchants?q=laowang")
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, 1, strings.Count(body, "<tr data-id"), "the invalid forms wrote nothing")

			resp, _ := h.post("/merchants/"+itoa(id)+"/notify", url.Values{"content": {"a\x00b"}})
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			status, api := h.apiNotify(id, testAPIToken, `{"content":"a\u0000b"}`)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, "bad_input", api["error"])

			// A failed sign-in with a long, multi-byte, invalid username is audited.
			other := &harness{t: t, ts: h.ts, app: h.app, hc: newBrowserClient()}
			other.page("/login")
			resp, _ = other.post("/login", url.Values{"username": {strings.Repeat("管", 40) + "\xff"}, "password": {"x"}})
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "invalid UTF-8 is refused before anything")
			resp, _ = other.post("/login", url.Values{"username": {strings.Repeat("管", 40)}, "password": {"x"}})
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			log, _, err := h.app.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "admin.login_failed", Limit: 1})
			require.NoError(t, err)
			require.Len(t, log, 1, "audited on %s", db.name)
			assert.True(t, strings.HasPrefix(log[0].Who, "login:管管"))

			status, _ = h.get("/merchants/abc")
			assert.Equal(t, http.StatusNotFound, status)
			status, _ = h.get("/healthz")
			assert.Equal(t, http.StatusOK, status)
		})
	}
}
