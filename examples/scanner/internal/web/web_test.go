package web

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/imports"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
	"github.com/qiwei-go/qiwei/qrcode"
)

type testEnv struct {
	srv  *httptest.Server
	st   *store.Store
	shop *shop.Service
	jobs *imports.Runner
}

// newEnv serves the app with a header-based fake login: X-Test-User: userid[,manager].
func newEnv(t *testing.T) *testEnv {
	t.Helper()
	st := storetest.Open(t, store.SQLite)
	svc := shop.NewService(st, shop.Options{})
	signer, err := qrcode.NewSigner([]byte("0123456789abcdef0123456789abcdef"), "https://shop.example")
	require.NoError(t, err)
	s, err := New(Config{Shop: svc, Store: st, Signer: signer,
		User: func(r *http.Request) (User, bool) {
			h := r.Header.Get("X-Test-User")
			if h == "" {
				return User{}, false
			}
			id, mgr, _ := strings.Cut(h, ",")
			return User{UserID: id, Name: id, Manager: mgr == "manager"}, true
		}})
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &testEnv{srv: srv, st: st, shop: svc, jobs: imports.NewRunner(st, svc, "test", nil)}
}

// upload posts a file to /api/import, runs the job and returns its final state with the results.
func (e *testEnv) upload(t *testing.T, name string, data []byte) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	require.NoError(t, mw.Close())
	resp, body := e.do(t, "zhangsan,manager", "POST", "/api/import", mw.FormDataContentType(), buf.Bytes())
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	job := m["job"].(string)
	assert.Equal(t, "/import/"+job, resp.Header.Get("Location"))
	st, m := e.json(t, "lisi", "GET", "/api/import/"+job, nil)
	require.Equal(t, 200, st)
	assert.Equal(t, "queued", m["state"], "the upload answers before the rows are registered")
	require.NoError(t, e.jobs.RunOnce(t.Context()))
	st, m = e.json(t, "lisi", "GET", "/api/import/"+job, nil)
	require.Equal(t, 200, st)
	assert.Equal(t, "done", m["state"])
	resp, page := e.do(t, "lisi", "GET", "/import/"+job, "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), name)
	return m
}

func (e *testEnv) do(t *testing.T, user, method, path, ctype string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (e *testEnv) json(t *testing.T, user, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	resp, data := e.do(t, user, method, path, "application/json", b)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m
}

func TestContract(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do(t, "", "GET", "/healthz", "", nil)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "ok", string(body))

	st, m := e.json(t, "", "GET", "/api/products/X", nil)
	assert.Equal(t, 401, st)
	assert.Equal(t, "unauthorized", m["error"])

	st, m = e.json(t, "zhangsan,manager", "POST", "/api/products", map[string]any{"name": "棕色托特包", "price": 1299, "stock": 1, "cost": 600})
	require.Equal(t, 201, st, m)
	code := m["code"].(string)
	assert.Regexp(t, `^BAG\d{8}001$`, code)

	st, m = e.json(t, "lisi", "GET", "/api/products/"+code, nil)
	require.Equal(t, 200, st)
	assert.Equal(t, 1299.0, m["price"])
	assert.Equal(t, 1.0, m["stock"])
	assert.Nil(t, m["cost"], "staff never see cost")
	st, m = e.json(t, "zhangsan,manager", "GET", "/api/products/"+code, nil)
	require.Equal(t, 200, st)
	assert.Equal(t, 600.0, m["cost"])

	resp, _ = e.do(t, "lisi", "POST", "/api/products/"+code+"/sell", "text/plain", []byte("{}"))
	assert.Equal(t, 415, resp.StatusCode)

	st, m = e.json(t, "lisi", "POST", "/api/products/"+code+"/sell", map[string]any{})
	require.Equal(t, 200, st, m)
	assert.Equal(t, 0.0, m["stock"])
	st, m = e.json(t, "lisi", "POST", "/api/products/"+code+"/sell", map[string]any{})
	assert.Equal(t, 409, st)
	assert.Equal(t, "sold_out", m["error"])

	st, _ = e.json(t, "lisi", "POST", "/api/products/"+code+"/sell", map[string]any{"bogus": 1})
	assert.Equal(t, 400, st)
	st, _ = e.json(t, "lisi", "GET", "/api/stats", nil)
	assert.Equal(t, 403, st)

	// /qr/{code}.png decodes to the signed product URL.
	resp, png := e.do(t, "lisi", "GET", "/qr/"+code+".png", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	img, _, err := image.Decode(bytes.NewReader(png))
	require.NoError(t, err)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	require.NoError(t, err)
	assert.Regexp(t, `/p/`+code+`\?s=[A-Za-z0-9_-]+$`, res.GetText())

	// The product page escapes user text and rejects forged labels.
	st, _ = e.json(t, "lisi", "POST", "/api/products", map[string]any{"name": "<script>alert(1)</script>", "price": 10, "stock": 1})
	require.Equal(t, 201, st)
	resp, page := e.do(t, "lisi", "GET", "/p/"+code, "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), "棕色托特包")
	resp, _ = e.do(t, "lisi", "GET", "/p/"+code+"?s=AAAAAAAAAAAA", "", nil)
	assert.Equal(t, 404, resp.StatusCode)
	resp, page = e.do(t, "lisi", "GET", "/?q=script", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.NotContains(t, string(page), "<script>alert(1)</script>")
	assert.Contains(t, string(page), "&lt;script&gt;alert(1)&lt;/script&gt;")
}

func TestRegisterMultipartWithPhotoAndLabels(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"name": "黑色斜挎包", "price": "899", "stock": "2", "brand": "Tory"} {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("photo", "bag.png")
	png, err := qrcode.PNG("photo", 64)
	require.NoError(t, err)
	_, _ = fw.Write(png)
	require.NoError(t, mw.Close())
	resp, body := e.do(t, "lisi", "POST", "/api/products", mw.FormDataContentType(), buf.Bytes())
	require.Equal(t, 201, resp.StatusCode, string(body))
	var p map[string]any
	require.NoError(t, json.Unmarshal(body, &p))
	assert.NotEmpty(t, p["photo_url"])
	code := p["code"].(string)
	resp, label := e.do(t, "lisi", "GET", "/label/"+code+".png", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.True(t, bytes.HasPrefix(label, []byte("\x89PNG")))
	resp, pdf := e.do(t, "lisi", "GET", "/labels.pdf?codes="+code, "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.True(t, bytes.HasPrefix(pdf, []byte("%PDF")))
}

func TestImportCSVIsIdempotent(t *testing.T) {
	e := newEnv(t)
	csv := []byte("名称,售价,品牌,库存\n红色手提包,1200,Coach,2\n,5,,\n蓝色钱包,abc,,1\n")
	m := e.upload(t, "bags.csv", csv)
	assert.Equal(t, 1.0, m["created"])
	assert.Equal(t, 2.0, m["failed"])
	rows := m["results"].([]any)
	require.Len(t, rows, 3)
	assert.NotEmpty(t, rows[1].(map[string]any)["error"])
	m = e.upload(t, "bags.csv", csv)
	assert.Equal(t, 0.0, m["created"])
	assert.Equal(t, 1.0, m["skipped"])
	n, err := e.st.ProductCount(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, n, "re-uploading the same file registers nothing twice")
	resp, _ := e.do(t, "zhangsan,manager", "POST", "/api/import", "multipart/form-data; boundary=x", []byte("--x--"))
	assert.Equal(t, 400, resp.StatusCode)
}

func TestImportXLSX(t *testing.T) {
	e := newEnv(t)
	x := excelize.NewFile()
	rows := [][]any{{"产品编码", "名称", "品牌", "售价", "最低售价", "成本", "库存", "位置"},
		{"", "焦糖色托特包", "Coach", 2980, 2800, 1480, 3, "A-1"},
		{"XL-001", "黑色斜挎包", "Tory Burch", "1,790", "", "", 1, ""},
		{"", "缺价格", "", "", "", "", 1, ""}}
	for i, r := range rows {
		require.NoError(t, x.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &r))
	}
	var file bytes.Buffer
	require.NoError(t, x.Write(&file))
	m := e.upload(t, "bags.xlsx", file.Bytes())
	assert.Equal(t, 2.0, m["created"])
	out := m["results"].([]any)
	require.Len(t, out, 3)
	assert.Equal(t, "XL-001", out[1].(map[string]any)["code"])
	assert.NotEmpty(t, out[2].(map[string]any)["error"], "a row without a price is refused, the others still land")
	p, err := e.shop.Product(t.Context(), "XL-001")
	require.NoError(t, err)
	assert.Equal(t, shop.Yuan(1790), p.Price)
	ps, _, err := e.shop.Search(t.Context(), shop.Query{Text: "焦糖色托特包"})
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Equal(t, shop.Yuan(1480), ps[0].Cost)
	assert.Equal(t, 3, ps[0].Stock)
}
