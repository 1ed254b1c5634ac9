package main

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/sheetsync"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// TestEndToEnd drives the demo app as a phone and WeCom would: real HTTP, the login chain through
// the embedded fake WeCom, the JSON API, labels, and chat registration through encrypted callbacks.
func TestEndToEnd(t *testing.T) {
	start := time.Now()
	in := startDemoApp(t)
	t.Logf("app started (seeded demo data) in %v", time.Since(start).Round(time.Millisecond))
	anon := newBrowser(t, in.base)

	t.Run("healthz", func(t *testing.T) {
		resp, body := anon.raw(t, "GET", "/healthz", "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "ok", string(body))
	})
	t.Run("API without a session is 401 JSON", func(t *testing.T) {
		req, _ := http.NewRequest("GET", in.base+"/api/products/BAG1", nil)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Content-Type"), "application/json")
		st, m := anon.json(t, "POST", "/api/products", map[string]any{"name": "x", "price": 1})
		assert.Equal(t, http.StatusUnauthorized, st)
		assert.Equal(t, "unauthorized", m["error"])
	})

	mgr := newBrowser(t, in.base)
	t.Run("login chain", func(t *testing.T) {
		resp, body := mgr.raw(t, "GET", "/", "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "/", resp.Request.URL.Path, "back on the page first asked for")
		require.Len(t, mgr.hops, 3, "redirects: %v", mgr.hops)
		assert.Equal(t, "/_fake/wwlogin/sso/login", mgr.hops[0], "a desktop browser goes to the web login")
		assert.Equal(t, "/oauth/callback", mgr.hops[1])
		assert.Equal(t, "/", mgr.hops[2])
		assert.Contains(t, string(body), "演示箱包店")
		assert.Contains(t, string(body), "张三 · 店长")
		st, me := mgr.json(t, "GET", "/api/me", nil)
		require.Equal(t, http.StatusOK, st)
		assert.Equal(t, map[string]any{"userid": "zhangsan", "name": "张三", "manager": true}, me)
	})

	staff := newBrowser(t, in.base)
	t.Run("switch member", func(t *testing.T) {
		assert.Equal(t, "lisi", staff.login(t, "/demo/login-as?user=lisi"))
		resp, _ := staff.raw(t, "GET", "/demo/login-as?user=nobody", "", nil)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})

	var code string
	t.Run("register", func(t *testing.T) {
		resp, data := mgr.do(t, "POST", "/api/products", map[string]any{"name": "焦糖色托特包", "brand": "Coach", "price": 1299,
			"floor": 1199, "cost": 600, "stock": 1})
		require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", data)
		m := decode(t, data)
		code, _ = m["code"].(string)
		assert.Regexp(t, `^BAG\d{11}$`, code)
		assert.Equal(t, "/p/"+code, resp.Header.Get("Location"))
		assert.Equal(t, 1299.0, m["price"])
		assert.Equal(t, 1.0, m["stock"])
	})
	require.NotEmpty(t, code)

	t.Run("JSON POST needs application/json", func(t *testing.T) {
		resp, data := staff.raw(t, "POST", "/api/products/"+code+"/sell", "text/plain", strings.NewReader("{}"))
		assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
		assert.Equal(t, "unsupported_media_type", decode(t, data)["error"])
		resp, _ = staff.raw(t, "POST", "/api/products/"+code+"/sell", "application/x-www-form-urlencoded", strings.NewReader("a=1"))
		assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	})

	t.Run("scan", func(t *testing.T) {
		resp, body := staff.raw(t, "GET", "/p/"+code, "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, string(body), "焦糖色托特包")
		assert.Regexp(t, `id="stock"[^>]*>1<`, string(body))
		assert.NotContains(t, string(body), "成本", "staff never see cost")

		st, m := staff.json(t, "GET", "/api/products/"+code, nil)
		require.Equal(t, http.StatusOK, st)
		assert.Equal(t, code, m["code"])
		assert.Nil(t, m["cost"])

		// The label's QR decodes to the signed product URL, which opens the page.
		resp, png := staff.raw(t, "GET", "/qr/"+code+".png", "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
		signed := decodeQR(t, png)
		assert.Regexp(t, "^"+regexp.QuoteMeta(in.base+"/p/"+code)+`\?s=[A-Za-z0-9_-]+$`, signed)
		resp, body = staff.raw(t, "GET", signed, "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, string(body), code)
		resp, body = staff.raw(t, "GET", "/p/"+code+"?s=forged", "", nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.Contains(t, string(body), "标签签名无效")
		resp, _ = staff.raw(t, "GET", "/p/NOPE404", "", nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})

	t.Run("sell and sold out", func(t *testing.T) {
		st, m := staff.json(t, "POST", "/api/products/"+code+"/sell", map[string]any{})
		require.Equal(t, http.StatusOK, st, m)
		assert.Equal(t, 0.0, m["stock"])
		assert.Equal(t, "售罄", m["status"])
		st, m = staff.json(t, "POST", "/api/products/"+code+"/sell", map[string]any{"price": 1299})
		assert.Equal(t, http.StatusConflict, st)
		assert.Equal(t, "sold_out", m["error"])
		assert.Contains(t, m["message"], "已售罄")
	})

	t.Run("restock", func(t *testing.T) {
		st, m := staff.json(t, "POST", "/api/products/"+code+"/restock", map[string]any{"qty": 3, "reason": "补货"})
		require.Equal(t, http.StatusOK, st, m)
		assert.Equal(t, 3.0, m["stock"])
		st, m = staff.json(t, "POST", "/api/products/"+code+"/sell", map[string]any{"price": 1000})
		assert.Equal(t, http.StatusUnprocessableEntity, st, "below the floor")
		assert.Equal(t, "below_floor", m["error"])
	})

	t.Run("adjust: managers only", func(t *testing.T) {
		st, m := staff.json(t, "POST", "/api/products/"+code+"/adjust", map[string]any{"stock": 2, "reason": "盘点少一个"})
		assert.Equal(t, http.StatusForbidden, st)
		assert.Equal(t, "forbidden", m["error"])
		st, m = mgr.json(t, "POST", "/api/products/"+code+"/adjust", map[string]any{"stock": 2, "reason": "盘点少一个"})
		require.Equal(t, http.StatusOK, st, m)
		assert.Equal(t, 2.0, m["stock"])
		st, m = mgr.json(t, "GET", "/api/products/"+code+"/movements", nil)
		require.Equal(t, http.StatusOK, st)
		kinds := []string{}
		for _, mv := range m["movements"].([]any) {
			kinds = append(kinds, mv.(map[string]any)["kind"].(string))
		}
		assert.Equal(t, []string{"盘点", "入库", "出库", "新品入库"}, kinds)
	})

	t.Run("stats: managers only", func(t *testing.T) {
		st, _ := staff.json(t, "GET", "/api/stats", nil)
		assert.Equal(t, http.StatusForbidden, st)
		resp, _ := staff.raw(t, "GET", "/stats", "", nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		st, m := mgr.json(t, "GET", "/api/stats", nil)
		require.Equal(t, http.StatusOK, st)
		today := m["Today"].(map[string]any)
		assert.GreaterOrEqual(t, today["count"], 1.0)
		resp, body := mgr.raw(t, "GET", "/stats", "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, string(body), "经营统计")
	})

	t.Run("pages", func(t *testing.T) {
		for _, p := range []string{"/", "/?q=coach", "/new", "/import", "/labels/" + code, "/demo/chat"} {
			resp, _ := mgr.raw(t, "GET", p, "", nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode, p)
		}
		resp, pdf := mgr.raw(t, "GET", "/labels.pdf?codes="+code, "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.True(t, bytes.HasPrefix(pdf, []byte("%PDF")))
	})

	t.Run("chat registration", func(t *testing.T) {
		chatRegistration(t, in, mgr)
	})

	t.Run("stock equals the ledger", func(t *testing.T) {
		checkLedger(t, in)
	})
	t.Logf("end-to-end run took %v", time.Since(start).Round(time.Millisecond))
}

// chatRegistration sends photo, price, name and "#" through the fake, then the same "#" again as a
// retried callback, and checks that exactly one bag was created and the reply came back.
func chatRegistration(t *testing.T, in *instance, mgr *browser) {
	ctx := t.Context()
	count := func() int {
		st, m := mgr.json(t, "GET", "/api/products?limit=1000", nil)
		require.Equal(t, http.StatusOK, st)
		return int(m["count"].(float64))
	}
	before := count()
	sent := len(in.fake.Messages(wecomtest.MessageApp))
	send := func(m wecomtest.Message) {
		m.From = "lisi"
		_, err := in.fake.SendMessage(ctx, m)
		require.NoError(t, err)
	}
	send(wecomtest.Message{Type: "image", Image: bagPhoto(demoBags[1].rgb, 1)})
	send(wecomtest.Message{Type: "text", Content: "1888"})
	send(wecomtest.Message{Type: "text", Content: "链条包 测试"})
	hash := wecomtest.Message{Type: "text", Content: "#", MsgID: 7700123456789, CreateTime: time.Now()}
	send(hash)
	reply := waitReply(t, in, sent, "lisi", "已入库")
	assert.Contains(t, reply, "链条包 测试")
	assert.Contains(t, reply, "¥1,888.00")
	assert.Contains(t, reply, in.base+"/labels/BAG")

	// WeCom delivers the same "#" again (same MsgId): nothing new. A later message from the same
	// member is handled after anything queued before it, so its reply proves the retry is done.
	send(hash)
	send(wecomtest.Message{Type: "text", Content: "帮助"})
	waitReply(t, in, sent, "lisi", "拍照入库：")
	assert.Equal(t, before+1, count(), "exactly one new bag")
	var registered int
	for _, m := range in.fake.Messages(wecomtest.MessageApp)[sent:] {
		if strings.Contains(m.Content, "已入库") {
			registered++
			assert.Equal(t, "lisi", m.ToUser)
		}
	}
	assert.Equal(t, 1, registered)

	code := regexp.MustCompile(`编码 (BAG\d+)`).FindStringSubmatch(reply)
	require.Len(t, code, 2)
	st, p := mgr.json(t, "GET", "/api/products/"+code[1], nil)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, "链条包 测试", p["name"])
	assert.Equal(t, 1.0, p["stock"])
	require.NotEmpty(t, p["photo_url"])
	resp, photo := mgr.raw(t, "GET", p["photo_url"].(string), "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/jpeg", http.DetectContentType(photo))
}

// waitReply waits for an app message to user containing want, recorded after index from.
func waitReply(t *testing.T, in *instance, from int, user, want string) string {
	t.Helper()
	var got []string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		got = got[:0]
		for _, m := range in.fake.Messages(wecomtest.MessageApp)[from:] {
			if m.ToUser == user {
				got = append(got, m.Content)
				if strings.Contains(m.Content, want) {
					return m.Content
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no reply containing %q; replies: %q", want, got)
	return ""
}

// checkLedger checks that every product's stock equals its ledger sum in the store, then writes
// everything queued to the smart sheet and reads it with a client of its own: every product's
// 库存 equals the sum of its 库存流水 rows there too, and no row is there twice.
func checkLedger(t *testing.T, in *instance) {
	ctx := t.Context()
	bad, err := in.app.st.LedgerMismatches(ctx)
	require.NoError(t, err)
	require.Empty(t, bad, "stock = ledger sum in the store")
	require.NoError(t, in.app.sync.Flush(ctx))
	stock, ledger := sheetTotals(t, in.base+fakePrefix, in.app.docID)
	require.GreaterOrEqual(t, len(stock), 30)
	for code, n := range stock {
		assert.Equal(t, n, ledger[code], "库存 of %s equals its ledger sum in the sheet", code)
	}
	for code := range ledger {
		_, ok := stock[code]
		assert.True(t, ok, "ledger rows of %s belong to a product", code)
	}
}

// sheetTotals reads the document at the fake on base: 库存 per code in 商品, and the sum of 数量 per
// code over every 库存流水 sheet. It fails on a duplicate row (two rows with one key).
func sheetTotals(t *testing.T, base, docID string) (stock, ledger map[string]int64) {
	ctx := t.Context()
	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
		wecom.WithBaseURL(base))
	require.NoError(t, err)
	ss := smartsheet.New(wc)
	require.NoError(t, ss.Err())
	sheets, err := ss.Sheets(ctx, docID, nil)
	require.NoError(t, err)
	stock, ledger = map[string]int64{}, map[string]int64{}
	seen := map[string]bool{}
	var ledgers int
	for _, sh := range sheets {
		switch {
		case sh.Title == sheetsync.ProductsTitle:
			for rec, err := range ss.Records(ctx, docID, sh.ID, nil) {
				require.NoError(t, err)
				code := rec.Values["产品编码"].String()
				_, dup := stock[code]
				require.False(t, dup, "two rows of %s in 商品", code)
				stock[code] = rec.Values["库存"].Int()
			}
		case strings.HasPrefix(sh.Title, sheetsync.LedgerTitle):
			ledgers++
			for rec, err := range ss.Records(ctx, docID, sh.ID, nil) {
				require.NoError(t, err)
				id := rec.Values["流水号"].String()
				require.False(t, seen[id], "two ledger rows %s", id)
				seen[id] = true
				ledger[rec.Values["产品编码"].String()] += rec.Values["数量"].Int()
			}
		}
	}
	require.Positive(t, ledgers)
	return stock, ledger
}

func decode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), "%s", data)
	return m
}

func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	require.NoError(t, err)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	require.NoError(t, err)
	return res.GetText()
}
