package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

const (
	testPassword      = "test-password-1"
	testAPIToken      = "test-api-token-0123456789"
	testPlatformToken = "test-platform-token-0123456789"
	welcomeTpl        = "tpl-welcome"
	notifyTpl         = "tpl-notify"
)

// testClock is the app's clock; the fake keeps real time, so codes can expire in the app only.
type testClock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.d) }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.d += d
}

// harness is the app (httptest) wired to an in-process wecomtest 公众号 that delivers signed events to
// the app's /wx/callback.
type harness struct {
	t     *testing.T
	fake  *wecomtest.Server
	app   *app
	ts    *httptest.Server
	clock *testClock // the app's
	wx    *testClock // the fake's: each scan happens a second later, as a person would scan
	hc    *http.Client
	csrf  string
}

type harnessOpts struct {
	mode      wecomtest.CallbackMode
	cbTimeout time.Duration
	wrap      func(http.Handler) http.Handler // around the app, e.g. a slow callback
	redisURL  string
	dsn       string // default: a SQLite file
	edit      func(*appOptions)
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	if o.cbTimeout == 0 {
		o.cbTimeout = 5 * time.Second
	}
	h := &harness{t: t, clock: &testClock{}, wx: &testClock{}}
	h.fake = wecomtest.NewServer(wecomtest.WithCallbackTimeout(o.cbTimeout), wecomtest.WithClock(h.wx.Now))
	t.Cleanup(h.fake.Close)
	aesKey := wecomtest.DefaultEncodingAESKey
	if o.mode == wecomtest.ModePlain {
		aesKey = "" // plain mode needs no EncodingAESKey
	}
	if o.dsn == "" {
		o.dsn = filepath.Join(t.TempDir(), "mb.db")
	}
	ao := appOptions{DSN: o.dsn, AppID: wecomtest.DefaultAppID, AppSecret: wecomtest.DefaultAppSecret,
		Token: wecomtest.DefaultCallbackToken, AESKey: aesKey, APIBase: h.fake.URL, RedisURL: o.redisURL,
		WelcomeTpl: welcomeTpl, NotifyTpl: notifyTpl, APIToken: testAPIToken, PlatformToken: testPlatformToken, Now: h.clock.Now}
	if o.edit != nil {
		o.edit(&ao)
	}
	var err error
	h.app, err = newApp(t.Context(), ao)
	require.NoError(t, err)
	h.app.start()
	t.Cleanup(func() { require.NoError(t, h.app.shutdown(context.Background())) })
	_, err = ensureAdmin(t.Context(), h.app.db, "admin", testPassword, false, time.Now())
	require.NoError(t, err)
	var handler http.Handler = h.app.handler
	if o.wrap != nil {
		handler = o.wrap(handler)
	}
	h.ts = httptest.NewServer(handler)
	t.Cleanup(h.ts.Close)
	require.NoError(t, h.fake.SetOfficialAccountCallback(wecomtest.CallbackConfig{URL: h.ts.URL + "/wx/callback",
		Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey, Mode: o.mode}))
	h.hc = newBrowserClient()
	return h
}

// newBrowserClient keeps cookies and does not follow redirects, so tests see them.
func newBrowserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// page GETs a path and returns the status and body; it refreshes the CSRF token from the page.
func (h *harness) page(path string) (int, string) {
	h.t.Helper()
	resp, err := h.hc.Get(h.ts.URL + path)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := metaCSRF.FindStringSubmatch(string(b)); m != nil {
		h.csrf = m[1]
	}
	return resp.StatusCode, string(b)
}

// post submits a form with the CSRF token; it returns the response (body read) and its Location.
func (h *harness) post(path string, form url.Values) (*http.Response, string) {
	h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", h.csrf)
	}
	resp, err := h.hc.PostForm(h.ts.URL+path, form)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (h *harness) login() {
	h.t.Helper()
	h.page("/login")
	resp, _ := h.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}, "next": {"/merchants"}})
	require.Equal(h.t, http.StatusSeeOther, resp.StatusCode)
	h.page("/merchants") // a fresh CSRF token after sign-in
}

// createMerchant creates a merchant through the admin form and returns its id.
func (h *harness) createMerchant(name, login string) int64 {
	h.t.Helper()
	resp, _ := h.post("/merchants", url.Values{"name": {name}, "login": {login}, "contact": {"联系人"}, "phone": {"13800000000"}})
	require.Equal(h.t, http.StatusSeeOther, resp.StatusCode)
	id, err := strconv.ParseInt(strings.TrimPrefix(resp.Header.Get("Location"), "/merchants/"), 10, 64)
	require.NoError(h.t, err)
	return id
}

// fetchJSON calls a JSON endpoint of the admin UI (as the dialog does).
func (h *harness) fetchJSON(method, path string, form url.Values, out any) int {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, h.ts.URL+path, body)
	require.NoError(h.t, err)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", h.csrf)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := h.hc.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	if out != nil {
		require.NoError(h.t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

type codeJSON struct {
	MerchantID int64  `json:"merchant_id"`
	Scene      string `json:"scene"`
	ExpiresAt  string `json:"expires_at"`
	Image      string `json:"image"`
	Download   string `json:"download"`
	ShowQRCode string `json:"showqrcode"`
}

func (c codeJSON) ticket(t *testing.T) string {
	u, err := url.Parse(c.Image)
	require.NoError(t, err)
	return u.Query().Get("ticket")
}

// issueCode generates a binding code through the dialog's endpoint, replacing a valid one (as
// 生成新码 does after its confirmation), and returns its ticket.
func (h *harness) issueCode(id int64) string {
	h.t.Helper()
	var c codeJSON
	require.Equal(h.t, http.StatusCreated, h.fetchJSON(http.MethodPost, "/merchants/"+itoa(id)+"/code", url.Values{"replace": {"1"}}, &c))
	return c.ticket(h.t)
}

// scan makes the fake deliver the subscribe (new follower) or SCAN event and returns the reply text.
func (h *harness) scan(openid, ticket string, following bool) string {
	h.t.Helper()
	if following {
		h.fake.Follow(openid)
	}
	// Events are deduplicated on sender + CreateTime + event + key: two scans by one person within
	// one second are one delivery to WeChat and to the app.
	h.wx.Advance(time.Second)
	reply, err := h.fake.SimulateScan(context.Background(), openid, ticket, following)
	require.NoError(h.t, err)
	return replyText(reply)
}

// deliver sends every message the outbox holds due now and waits for sends in flight.
func (h *harness) deliver() {
	h.t.Helper()
	require.NoError(h.t, h.app.outbox.Flush(h.t.Context()))
}

// templates returns the template messages the fake recorded for openid with template id tpl.
func (h *harness) templates(openid, tpl string) []map[string]any {
	h.t.Helper()
	h.deliver()
	var out []map[string]any
	for _, m := range h.fake.Messages(wecomtest.MessageTemplate) {
		var body map[string]any
		require.NoError(h.t, m.Decode(&body))
		if m.ToUser == openid && body["template_id"] == tpl {
			out = append(out, body)
		}
	}
	return out
}

// apiNotify calls the JSON API.
func (h *harness) apiNotify(id int64, token, body string) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.ts.URL+"/api/merchants/"+itoa(id)+"/notify", strings.NewReader(body))
	require.NoError(h.t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// apiGet calls a JSON API GET with a Bearer token and decodes the answer.
func (h *harness) apiGet(path, token string, out any) int {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.ts.URL+path, nil)
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	require.NoError(h.t, json.NewDecoder(resp.Body).Decode(out))
	return resp.StatusCode
}

// apiPost calls a JSON API POST without a body.
func (h *harness) apiPost(path, token string) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.ts.URL+path, nil)
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
