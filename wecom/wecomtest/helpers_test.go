package wecomtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// clock is a settable clock for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newServer(t testing.TB, opts ...wecomtest.Option) *wecomtest.Server {
	t.Helper()
	srv := wecomtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// raw is a plain net/http client for the fake: no SDK involved.
type raw struct {
	t   testing.TB
	srv *wecomtest.Server
	hc  *http.Client
}

func newRaw(t testing.TB, srv *wecomtest.Server) *raw {
	return &raw{t: t, srv: srv, hc: &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and returns the status and body. body may be nil, []byte or a value to encode.
func (c *raw) do(method, path string, q url.Values, body any) (int, []byte) {
	c.t.Helper()
	status, data, err := c.try(method, path, q, body)
	require.NoError(c.t, err)
	return status, data
}

// try is do that returns transport errors.
func (c *raw) try(method, path string, q url.Values, body any) (int, []byte, error) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(data)
	}
	u := c.srv.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(c.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// json calls a JSON endpoint, requires HTTP 200 and decodes the answer.
func (c *raw) json(method, path string, q url.Values, body any) map[string]any {
	c.t.Helper()
	status, data := c.do(method, path, q, body)
	require.Equal(c.t, http.StatusOK, status, "body: %s", data)
	var m map[string]any
	require.NoError(c.t, json.Unmarshal(data, &m), "body: %s", data)
	return m
}

// ok calls an endpoint and requires errcode 0 (or absent).
func (c *raw) ok(method, path string, q url.Values, body any) map[string]any {
	c.t.Helper()
	m := c.json(method, path, q, body)
	code, _ := m["errcode"].(float64)
	require.Zero(c.t, code, "%s %s: %v", method, path, m)
	return m
}

// errcode calls an endpoint and returns its errcode.
func (c *raw) errcode(method, path string, q url.Values, body any) int {
	c.t.Helper()
	m := c.json(method, path, q, body)
	code, _ := m["errcode"].(float64)
	return int(code)
}

// token fetches a WeCom app token for the default app.
func (c *raw) token() string {
	c.t.Helper()
	m := c.ok("GET", "/cgi-bin/gettoken", url.Values{"corpid": {wecomtest.DefaultCorpID}, "corpsecret": {wecomtest.DefaultSecret}}, nil)
	return m["access_token"].(string)
}

// mpToken fetches a 公众号 stable token.
func (c *raw) mpToken() string {
	c.t.Helper()
	m := c.ok("POST", "/cgi-bin/stable_token", nil, map[string]any{"grant_type": "client_credential",
		"appid": wecomtest.DefaultAppID, "secret": wecomtest.DefaultAppSecret})
	return m["access_token"].(string)
}

func tq(tok string, kv ...string) url.Values {
	q := url.Values{"access_token": {tok}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// fixture reads testdata/<name> with placeholders replaced (old, new pairs).
func fixture(t testing.TB, name string, repl ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return []byte(strings.NewReplacer(repl...).Replace(string(data)))
}

// freeForm are keys whose object values have data-dependent keys (cell values, template data).
var freeForm = []string{"values", "data"}

// assertShape checks that got has the structure of the fixture: the same keys with the same JSON kinds,
// recursively (arrays: first elements). Fixture keys listed in optional may be absent from got.
func assertShape(t testing.TB, fixtureJSON, got []byte, optional ...string) {
	t.Helper()
	var want, have any
	require.NoError(t, json.Unmarshal(fixtureJSON, &want))
	require.NoError(t, json.Unmarshal(got, &have), "got: %s", got)
	var diffs []string
	compareShape("$", want, have, optional, &diffs)
	if len(diffs) > 0 {
		t.Errorf("shape differs from fixture:\n  %s\ngot: %s", strings.Join(diffs, "\n  "), got)
	}
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

func compareShape(path string, want, have any, optional []string, diffs *[]string) {
	if kind(want) != kind(have) {
		*diffs = append(*diffs, fmt.Sprintf("%s: fixture has %s, got %s", path, kind(want), kind(have)))
		return
	}
	switch w := want.(type) {
	case map[string]any:
		h := have.(map[string]any)
		if slices.Contains(freeForm, path[strings.LastIndexByte(path, '.')+1:]) {
			return
		}
		for k, wv := range w {
			hv, present := h[k]
			if !present {
				if !slices.Contains(optional, k) {
					*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing", path, k))
				}
				continue
			}
			compareShape(path+"."+k, wv, hv, optional, diffs)
		}
		for k := range h {
			if _, present := w[k]; !present {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: not in fixture", path, k))
			}
		}
	case []any:
		h := have.([]any)
		if len(w) > 0 && len(h) > 0 {
			compareShape(path+"[0]", w[0], h[0], optional, diffs)
		}
	}
}

// doc creates a smart sheet with the fixture's fields (款号 TEXT, 库存 NUMBER) and returns the ids:
// docid, sheet id, 款号 field id, 库存 field id.
func newDoc(c *raw, tok string) (docID, sheetID, textField, numField string) {
	c.t.Helper()
	m := c.ok("POST", "/cgi-bin/wedoc/create_doc", tq(tok), map[string]any{"doc_type": 10, "doc_name": "箱包库存"})
	docID = m["docid"].(string)
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_sheet", tq(tok), map[string]any{"docid": docID})
	sheetID = m["sheet_list"].([]any)[0].(map[string]any)["sheet_id"].(string)
	body := fixture(c.t, "wedoc/smartsheet/add_fields/request.json", "DOCID", docID, "123Abc", sheetID)
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_fields", tq(tok), body)
	fields := m["fields"].([]any)
	return docID, sheetID, fields[0].(map[string]any)["field_id"].(string), fields[1].(map[string]any)["field_id"].(string)
}

func text(s string) []any { return []any{map[string]any{"type": "text", "text": s}} }
