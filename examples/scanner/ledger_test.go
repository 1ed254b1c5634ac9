package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// TestLedgerOrderOverHTTP: 200 rounds of a restock and a count, back to back, through the API; after
// each round GET /api/products/{code}/movements lists them in operation order, newest first, each
// row's balance the older row's balance plus its qty.
func TestLedgerOrderOverHTTP(t *testing.T) {
	in := startDemoApp(t)
	mgr := newBrowser(t, in.base)
	mgr.login(t, "/")
	st, m := mgr.json(t, "POST", "/api/products", map[string]any{"name": "排序测试包", "price": 100, "stock": 1})
	require.Equal(t, http.StatusCreated, st, m)
	code := m["code"].(string)
	for round := range 200 {
		st, m = mgr.json(t, "POST", "/api/products/"+code+"/restock", map[string]any{"qty": 2})
		require.Equal(t, http.StatusOK, st, m)
		st, m = mgr.json(t, "POST", "/api/products/"+code+"/adjust", map[string]any{"stock": 1 + round%3, "reason": "盘点"})
		require.Equal(t, http.StatusOK, st, m)
		st, m = mgr.json(t, "GET", "/api/products/"+code+"/movements", nil)
		require.Equal(t, http.StatusOK, st)
		ms := m["movements"].([]any)
		first, second := ms[0].(map[string]any), ms[1].(map[string]any)
		require.Equal(t, "盘点", first["kind"], "round %d", round)
		require.Equal(t, "入库", second["kind"], "round %d", round)
		for i := 0; i+1 < len(ms); i++ {
			newer, older := ms[i].(map[string]any), ms[i+1].(map[string]any)
			require.Equal(t, older["balance"].(float64)+newer["qty"].(float64), newer["balance"], "round %d row %d", round, i)
		}
	}
}

// TestLowStockNotice: a sale that leaves the last bag queues a notice in the same transaction; the
// notifier sends the managers a text card.
func TestLowStockNotice(t *testing.T) {
	in := startDemoApp(t)
	staff := newBrowser(t, in.base)
	staff.login(t, "/demo/login-as?user=lisi")
	st, m := staff.json(t, "POST", "/api/products", map[string]any{"name": "快卖完的包", "price": 100, "stock": 2})
	require.Equal(t, http.StatusCreated, st, m)
	code := m["code"].(string)
	sent := len(in.fake.Messages(wecomtest.MessageApp))
	st, m = staff.json(t, "POST", "/api/products/"+code+"/sell", map[string]any{})
	require.Equal(t, http.StatusOK, st, m)
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, msg := range in.fake.Messages(wecomtest.MessageApp)[sent:] {
			if msg.MsgType == "textcard" && strings.Contains(messageText(&msg), code) {
				assert.Contains(t, messageText(&msg), "低库存提醒")
				assert.Equal(t, "zhangsan", msg.ToUser, "to the managers")
				return
			}
		}
		require.True(t, time.Now().Before(deadline), "no low-stock notice")
		time.Sleep(50 * time.Millisecond)
	}
}
