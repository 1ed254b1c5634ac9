package web

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strconv"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

const (
	mgr   = "zhangsan,manager"
	staff = "lisi"
)

// chinese asserts that an error answer carries a message a shop member can read.
func chinese(t *testing.T, m map[string]any) {
	t.Helper()
	msg, _ := m["message"].(string)
	for _, r := range msg {
		if unicode.Is(unicode.Han, r) {
			return
		}
	}
	t.Errorf("message %q has no Chinese", msg)
}

// expect asserts a status and, for an error, a Chinese message and no 500.
func expect(t *testing.T, want, got int, m map[string]any) {
	t.Helper()
	require.Equal(t, want, got, "%v", m)
	if want >= 400 {
		chinese(t, m)
	}
}

// form builds a multipart body with files under field.
func form(t *testing.T, field string, files ...[]byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	ext := ".png"
	if field == "file" { // a spreadsheet for /api/import
		ext = ".csv"
	}
	for i, f := range files {
		fw, err := mw.CreateFormFile(field, "f"+strconv.Itoa(i)+ext)
		require.NoError(t, err)
		_, _ = fw.Write(f)
	}
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), buf.Bytes()
}

// pngOf is a w×h picture in colour c with a darker square in its middle.
func pngOf(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
			if x > w/4 && x < 3*w/4 && y > h/4 && y < 3*h/4 {
				img.Set(x, y, color.RGBA{c.R / 3, c.G / 3, c.B / 3, 255})
			}
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func (e *testEnv) register(t *testing.T, body map[string]any) string {
	t.Helper()
	st, m := e.json(t, mgr, "POST", "/api/products", body)
	require.Equal(t, http.StatusCreated, st, m)
	return m["code"].(string)
}

func (e *testEnv) multipart(t *testing.T, user, method, path, field string, files ...[]byte) (int, map[string]any) {
	t.Helper()
	ct, body := form(t, field, files...)
	resp, data := e.do(t, user, method, path, ct, body)
	m := map[string]any{}
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m
}

// Edits by role, 下架/上架 with a reason, photos added and removed, thumbnails.
func TestEditStatusAndPhotos(t *testing.T) {
	e := newEnv(t)
	code := e.register(t, map[string]any{"name": "棕色托特包", "price": 1299, "stock": 2})
	p := "/api/products/" + code

	st, m := e.json(t, mgr, "PATCH", p, map[string]any{"name": "焦糖色托特包", "brand": "Coach", "color": "焦糖色",
		"price": 1399, "floor": 1200, "cost": 700, "location": "A-1", "notes": "样品"})
	expect(t, 200, st, m)
	assert.Equal(t, "焦糖色托特包", m["name"])
	assert.Equal(t, 1399.0, m["price"])
	assert.Equal(t, "样品", m["notes"])

	st, m = e.json(t, staff, "PATCH", p, map[string]any{"price": 1})
	expect(t, 403, st, m)
	st, m = e.json(t, staff, "PATCH", p, map[string]any{"location": "B-2", "notes": "柜台左侧"})
	expect(t, 200, st, m)
	assert.Equal(t, "B-2", m["location"])
	st, m = e.json(t, mgr, "PATCH", p, map[string]any{"price": -5})
	expect(t, 400, st, m)
	st, m = e.json(t, mgr, "PATCH", p, map[string]any{"price": "abc"})
	expect(t, 400, st, m)
	st, m = e.json(t, mgr, "PATCH", "/api/products/NOPE", map[string]any{"notes": "x"})
	expect(t, 404, st, m)

	// 下架 needs a reason and managers; a bag off sale cannot be sold; 上架 puts it back.
	st, m = e.json(t, mgr, "POST", p+"/status", map[string]any{"active": false})
	expect(t, 400, st, m)
	st, m = e.json(t, mgr, "POST", p+"/status", map[string]any{})
	expect(t, 400, st, m)
	st, m = e.json(t, staff, "POST", p+"/status", map[string]any{"active": false, "reason": "破损"})
	expect(t, 403, st, m)
	st, m = e.json(t, mgr, "POST", p+"/status", map[string]any{"active": false, "reason": "五金破损，返厂"})
	expect(t, 200, st, m)
	assert.Equal(t, "下架", m["status"])
	st, m = e.json(t, staff, "POST", p+"/sell", map[string]any{})
	expect(t, 409, st, m)
	assert.Equal(t, "inactive", m["error"])
	resp, page := e.do(t, staff, "GET", "/p/"+code, "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), "五金破损，返厂")
	assert.Regexp(t, `id="sell-btn"[^>]*disabled`, string(page))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	st, m = e.json(t, mgr, "POST", p+"/status", map[string]any{"active": true})
	expect(t, 200, st, m)
	assert.Equal(t, "在售", m["status"])

	// Photos: two added, each served, one removed; a thumbnail; staff may not add.
	st, m = e.multipart(t, mgr, "POST", p+"/photos", "photo", pngOf(t, 900, 600, color.RGBA{200, 120, 60, 255}),
		pngOf(t, 400, 800, color.RGBA{60, 120, 200, 255}))
	expect(t, 200, st, m)
	photos := m["photos"].([]any)
	require.Len(t, photos, 2)
	for i := range 2 {
		resp, _ := e.do(t, staff, "GET", "/photo/"+code+"/"+strconv.Itoa(i), "", nil)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "image/jpeg", resp.Header.Get("Content-Type"))
	}
	resp, _ = e.do(t, staff, "GET", "/photo/"+code+"/7", "", nil)
	assert.Equal(t, 404, resp.StatusCode)
	resp, _ = e.do(t, staff, "GET", "/photo/"+code+"/x", "", nil)
	assert.Equal(t, 404, resp.StatusCode)
	resp, th := e.do(t, staff, "GET", "/thumb/"+code, "", nil)
	require.Equal(t, 200, resp.StatusCode)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(th))
	require.NoError(t, err)
	assert.LessOrEqual(t, max(cfg.Width, cfg.Height), 112)
	st, m = e.multipart(t, staff, "POST", p+"/photos", "photo", pngOf(t, 50, 50, color.RGBA{1, 2, 3, 255}))
	expect(t, 403, st, m)
	st, m = e.multipart(t, mgr, "POST", p+"/photos", "photo", []byte("not a picture"))
	expect(t, 400, st, m)
	st, m = e.multipart(t, mgr, "POST", p+"/photos", "other")
	expect(t, 400, st, m)
	st, m = e.multipart(t, mgr, "POST", p+"/photos", "photo", make([]byte, 20<<20+1))
	expect(t, 413, st, m)
	assert.Contains(t, m["message"], "照片太大")
	id := photos[0].(map[string]any)["id"].(string)
	st, m = e.json(t, mgr, "DELETE", p+"/photos/"+id, nil)
	expect(t, 200, st, m)
	assert.Len(t, m["photos"], 1)
	resp, _ = e.do(t, staff, "GET", "/thumb/NOPE", "", nil)
	assert.Equal(t, 404, resp.StatusCode)

	// The edit page shows what each role may change.
	resp, page = e.do(t, staff, "GET", "/p/"+code+"/edit", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.NotContains(t, string(page), `name="price"`)
	assert.Contains(t, string(page), `name="location"`)
	resp, page = e.do(t, mgr, "GET", "/p/"+code+"/edit", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), `name="price"`)
	assert.Contains(t, string(page), `id="photo-form"`)
}

// Sell → 退货 → stock back, stats net zero; a price far above the list price asks to confirm; a
// typo price is refused; a sale is reversed once.
func TestSaleReturnAndPriceRules(t *testing.T) {
	e := newEnv(t)
	code := e.register(t, map[string]any{"name": "黑色斜挎包", "price": 1000, "cost": 400, "stock": 1})
	p := "/api/products/" + code

	st, m := e.json(t, staff, "POST", p+"/sell", map[string]any{"price": 100000})
	expect(t, 422, st, m)
	assert.Equal(t, "confirm_price", m["error"])
	assert.Equal(t, true, m["confirm"])
	st, m = e.json(t, staff, "POST", p+"/sell", map[string]any{"price": 99999999, "confirm": true})
	expect(t, 422, st, m)
	assert.Equal(t, "price_limit", m["error"])
	assert.Nil(t, m["confirm"])
	st, m = e.json(t, staff, "POST", p+"/sell", map[string]any{"price": 100000, "confirm": true, "customer_id": 999})
	assert.GreaterOrEqual(t, st, 400, "an unknown customer")
	assert.Less(t, st, 500)
	chinese(t, m)
	st, m = e.json(t, staff, "POST", p+"/sell", map[string]any{"price": 100000, "confirm": true})
	expect(t, 200, st, m)
	assert.Equal(t, 0.0, m["stock"])
	assert.Equal(t, "售罄", m["status"])
	saleID := m["sale"].(map[string]any)["id"].(string)

	st, m = e.json(t, staff, "POST", "/api/sales/"+saleID+"/return", map[string]any{"kind": "退货", "reason": "顾客不喜欢颜色"})
	expect(t, 200, st, m)
	assert.Equal(t, 1.0, m["stock"])
	assert.Equal(t, "在售", m["status"], "a restocked sold-out bag is on sale again")
	st, m = e.json(t, staff, "POST", "/api/sales/"+saleID+"/return", map[string]any{"kind": "退货", "reason": "again"})
	expect(t, 409, st, m)
	assert.Equal(t, "reversed", m["error"])
	st, m = e.json(t, staff, "POST", "/api/sales/NOPE/return", map[string]any{"reason": "x"})
	expect(t, 404, st, m)
	st, m = e.json(t, staff, "POST", "/api/sales/"+saleID+"/return", map[string]any{"kind": "赠送", "reason": "x"})
	assert.NotEmpty(t, m["message"], "a reason in Chinese")
	assert.GreaterOrEqual(t, st, 400)
	assert.Less(t, st, 500)

	st, m = e.json(t, staff, "GET", p+"/sales", nil)
	expect(t, 200, st, m)
	sales := m["sales"].([]any)
	require.Len(t, sales, 2)
	assert.Equal(t, "退货", sales[0].(map[string]any)["kind"])
	assert.Equal(t, true, sales[1].(map[string]any)["reversed"])
	assert.Equal(t, false, sales[1].(map[string]any)["returnable"])
	assert.Equal(t, "lisi", sales[0].(map[string]any)["actor_name"])

	st, m = e.json(t, mgr, "GET", "/api/stats", nil)
	expect(t, 200, st, m)
	month := m["Month"].(map[string]any)
	assert.Equal(t, 0.0, month["count"], "net of the return")
	assert.Equal(t, 0.0, month["revenue"])
	st, m = e.json(t, mgr, "GET", "/api/stats?from=2026-13-01", nil)
	expect(t, 400, st, m)

	// The ledger has the sale and the reversal.
	st, m = e.json(t, staff, "GET", p+"/movements", nil)
	expect(t, 200, st, m)
	assert.Len(t, m["movements"], 3)
}

// Suppliers and customers: create, list, detail (a supplier's stock and sales, a customer's
// purchases), edit, and bad input.
func TestSuppliersAndCustomers(t *testing.T) {
	e := newEnv(t)
	st, m := e.json(t, mgr, "POST", "/api/suppliers", map[string]any{"name": "广州白云皮具", "contact": "王经理", "phone": "13800000000"})
	expect(t, 201, st, m)
	sid := m["id"].(float64)
	st, m = e.json(t, mgr, "POST", "/api/suppliers", map[string]any{"name": "广州白云皮具"})
	expect(t, 409, st, m)
	st, m = e.json(t, mgr, "POST", "/api/suppliers", map[string]any{"name": "  "})
	expect(t, 400, st, m)
	st, m = e.json(t, mgr, "POST", "/api/suppliers", map[string]any{"name": 5})
	expect(t, 400, st, m)
	st, m = e.json(t, mgr, "GET", "/api/suppliers/abc", nil)
	expect(t, 404, st, m)
	st, m = e.json(t, mgr, "GET", "/api/suppliers/999", nil)
	expect(t, 404, st, m)

	code := e.register(t, map[string]any{"name": "酒红色手提包", "price": 1599, "stock": 2, "supplier_id": sid})
	st, m = e.json(t, mgr, "POST", "/api/products", map[string]any{"name": "x", "price": 1, "stock": 1, "supplier_id": 999})
	expect(t, 400, st, m)

	st, m = e.json(t, staff, "POST", "/api/customers", map[string]any{"name": "陈女士", "phone": "13900000000"})
	expect(t, 201, st, m)
	cid := m["id"].(float64)
	st, m = e.json(t, staff, "PATCH", "/api/customers/"+strconv.Itoa(int(cid)), map[string]any{"notes": "喜欢小号"})
	expect(t, 200, st, m)
	assert.Equal(t, "喜欢小号", m["notes"])
	st, m = e.json(t, staff, "PATCH", "/api/customers/0", map[string]any{"notes": "x"})
	expect(t, 404, st, m)

	st, m = e.json(t, staff, "POST", "/api/products/"+code+"/sell", map[string]any{"customer_id": cid})
	expect(t, 200, st, m)

	st, m = e.json(t, staff, "GET", "/api/customers/"+strconv.Itoa(int(cid)), nil)
	expect(t, 200, st, m)
	assert.Equal(t, 1.0, m["count"])
	assert.Equal(t, 1599.0, m["spent"])
	assert.Len(t, m["sales"], 1)

	st, m = e.json(t, mgr, "GET", "/api/suppliers/"+strconv.Itoa(int(sid)), nil)
	expect(t, 200, st, m)
	assert.Equal(t, 1.0, m["total_products"])
	assert.Equal(t, 1.0, m["units_in_stock"])
	assert.Len(t, m["sales"], 1)
	assert.Len(t, m["purchases"], 1, "the registration's stock came from the supplier")

	st, m = e.json(t, mgr, "PATCH", "/api/suppliers/"+strconv.Itoa(int(sid)), map[string]any{"phone": "020-1234567"})
	expect(t, 200, st, m)
	st, m = e.json(t, mgr, "GET", "/api/suppliers?q=白云", nil)
	expect(t, 200, st, m)
	assert.Equal(t, 1.0, m["total"])
	st, m = e.json(t, staff, "GET", "/api/products?q=白云", nil)
	expect(t, 200, st, m)
	assert.Equal(t, 1.0, m["total"], "search by supplier")

	for _, path := range []string{"/suppliers", "/customers", "/suppliers/" + strconv.Itoa(int(sid)), "/customers/" + strconv.Itoa(int(cid))} {
		resp, page := e.do(t, staff, "GET", path, "", nil)
		require.Equal(t, 200, resp.StatusCode, path)
		assert.Contains(t, string(page), "</html>", path)
	}
	resp, page := e.do(t, staff, "GET", "/customers/"+strconv.Itoa(int(cid)), "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), "酒红色手提包")
	resp, _ = e.do(t, staff, "GET", "/suppliers/x", "", nil)
	assert.Equal(t, 404, resp.StatusCode)
}

// The list shows the true total and pages through every bag (no cap at 300).
func TestListPagingAndSort(t *testing.T) {
	e := newEnv(t)
	for i := range 120 {
		e.register(t, map[string]any{"name": "包 " + strconv.Itoa(i), "price": 100 + i, "stock": 1})
	}
	resp, page := e.do(t, staff, "GET", "/?size=50&page=3&sort=price", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), "共 120 件")
	assert.Contains(t, string(page), "第 101–120 件")
	assert.Contains(t, string(page), "¥219.00")
	st, m := e.json(t, staff, "GET", "/api/products?limit=500&sort=-price", nil)
	expect(t, 200, st, m)
	assert.Equal(t, 120.0, m["total"])
}

// Exports: every kind as XLSX, a date range, bad input.
func TestExport(t *testing.T) {
	e := newEnv(t)
	code := e.register(t, map[string]any{"name": "棕色托特包", "price": 1299, "stock": 2})
	st, m := e.json(t, staff, "POST", "/api/products/"+code+"/sell", map[string]any{})
	require.Equal(t, 200, st, m)
	saleID := m["sale"].(map[string]any)["id"].(string)
	st, m = e.json(t, staff, "POST", "/api/sales/"+saleID+"/return", map[string]any{"kind": "撤销", "reason": "录错了"})
	require.Equal(t, 200, st, m)

	resp, body := e.do(t, mgr, "GET", "/export.xlsx?what=all", "", nil)
	require.Equal(t, 200, resp.StatusCode, string(body))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "export.xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, []string{"商品", "库存流水", "销售记录", "供应商", "客户"}, f.GetSheetList())
	rows, err := f.GetRows("销售记录")
	require.NoError(t, err)
	require.Len(t, rows, 3, "header, the sale and its reversal")
	assert.Equal(t, "撤销", rows[2][4])
	rows, err = f.GetRows("商品")
	require.NoError(t, err)
	assert.Equal(t, code, rows[1][0])

	resp, body = e.do(t, mgr, "GET", "/export.xlsx?what=sales&from=2000-01-01&to=2000-01-31", "", nil)
	require.Equal(t, 200, resp.StatusCode, string(body))
	f, err = excelize.OpenReader(bytes.NewReader(body))
	require.NoError(t, err)
	rows, err = f.GetRows("销售记录")
	require.NoError(t, err)
	assert.Len(t, rows, 1, "nothing was sold in 2000")

	for _, q := range []string{"what=bogus", "what=all&from=yesterday", "what=all&from=2026-03-02&to=2026-03-01"} {
		resp, body := e.do(t, mgr, "GET", "/export.xlsx?"+q, "", nil)
		assert.Equal(t, 400, resp.StatusCode, q)
		assert.Contains(t, string(body), "</html>", "a page, not a stack trace")
	}
	resp, _ = e.do(t, staff, "GET", "/export.xlsx?what=all", "", nil)
	assert.Equal(t, 403, resp.StatusCode)
}

// Scan records: a label scan (signed URL) and an in-app search count; the page shows them.
func TestScanRecords(t *testing.T) {
	e := newEnv(t)
	code := e.register(t, map[string]any{"name": "棕色托特包", "price": 1299, "stock": 1})
	st, m := e.json(t, mgr, "GET", "/api/products/"+code, nil)
	require.Equal(t, 200, st)
	label := m["url"].(string)
	u := label[len("https://shop.example"):]
	resp, _ := e.do(t, staff, "GET", u, "", nil)
	require.Equal(t, 200, resp.StatusCode)
	resp, page := e.do(t, mgr, "GET", "/p/"+code+"?via=search", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), "扫码 2 次")
	st, m = e.json(t, staff, "GET", "/api/products/"+code+"/scans", nil)
	expect(t, 200, st, m)
	assert.Equal(t, 2.0, m["count"])
	resp, page = e.do(t, mgr, "GET", "/stats", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), "扫码次数")
	resp, _ = e.do(t, mgr, "GET", "/stats?from=nope", "", nil)
	assert.Equal(t, 400, resp.StatusCode)
}
