package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// TestMemberEditsTheSheet: members edit the smart sheet in WeCom (here: the fake's
// POST /_fake/test/smartsheet/member_edit, delivered to the app as smart_sheet_change). A new 售价
// shows on the product page right after the callback; 库存 3 → 5 becomes a 表格修改 +2 ledger row
// and stock stays equal to the ledger sum; a deleted row marks the product 已删除.
func TestMemberEditsTheSheet(t *testing.T) {
	in := startDemoApp(t)
	mgr := newBrowser(t, in.base)
	mgr.login(t, "/")
	st, m := mgr.json(t, "POST", "/api/products", map[string]any{"name": "表格改价的包", "price": 1299, "stock": 3})
	require.Equal(t, http.StatusCreated, st, m)
	code := m["code"].(string)
	require.NoError(t, in.app.sync.Flush(t.Context()))
	rows, err := in.app.st.SheetRows(t.Context(), store.TopicProducts, []string{code})
	require.NoError(t, err)
	record := rows[code].RecordID
	require.NotEmpty(t, record)

	edit := func(values map[string]any) {
		t.Helper()
		st, m := mgr.json(t, "POST", "/_fake/test/smartsheet/member_edit", map[string]any{"userid": "zhangsan",
			"docid": in.app.docID, "sheet": "商品", "records": []any{map[string]any{"record_id": record, "values": values}}})
		require.Equal(t, http.StatusOK, st, m)
		require.Equal(t, true, m["delivered"], "the app acknowledged the callback: %v", m)
	}
	// waitFor polls the product until ok; it reports how long the change took to show.
	waitFor := func(what string, ok func(p map[string]any) bool) map[string]any {
		t.Helper()
		begin := time.Now()
		for {
			st, p := mgr.json(t, "GET", "/api/products/"+code, nil)
			require.Equal(t, http.StatusOK, st)
			if ok(p) {
				t.Logf("%s: shown %v after the callback was acknowledged", what, time.Since(begin).Round(time.Millisecond))
				return p
			}
			require.Less(t, time.Since(begin), 20*time.Second, "%s never showed: %v", what, p)
			time.Sleep(10 * time.Millisecond)
		}
	}

	edit(map[string]any{"售价": 1500})
	waitFor("售价 1299 → 1500", func(p map[string]any) bool { return p["price"] == 1500.0 })
	resp, page := mgr.raw(t, "GET", "/p/"+code, "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(page), "¥1,500.00")

	edit(map[string]any{"库存": 5})
	waitFor("库存 3 → 5", func(p map[string]any) bool { return p["stock"] == 5.0 })
	st, m = mgr.json(t, "GET", "/api/products/"+code+"/movements", nil)
	require.Equal(t, http.StatusOK, st)
	last := m["movements"].([]any)[0].(map[string]any)
	assert.Equal(t, "表格修改", last["kind"])
	assert.Equal(t, 2.0, last["qty"])
	assert.Equal(t, 5.0, last["balance"])
	assert.Equal(t, "张三", last["actor"], "who changed it, as the sheet tells")
	assert.Contains(t, last["reason"], "3 → 5")
	checkLedger(t, in)

	st, m = mgr.json(t, "POST", "/_fake/test/smartsheet/member_delete", map[string]any{"userid": "zhangsan",
		"docid": in.app.docID, "sheet": "商品", "record_ids": []string{record}})
	require.Equal(t, http.StatusOK, st, m)
	p := waitFor("row deleted", func(p map[string]any) bool { return p["deleted"] == true })
	assert.Equal(t, 5.0, p["stock"], "kept in the store")
	st, m = mgr.json(t, "POST", "/api/products/"+code+"/sell", map[string]any{})
	assert.Equal(t, http.StatusConflict, st)
	assert.Equal(t, "deleted", m["error"])
}
