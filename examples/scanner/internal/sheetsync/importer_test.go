package sheetsync

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	sm "github.com/qiwei-go/qiwei/smartsheet"
)

// oldSheet adds a sub-sheet with the columns an earlier version of the app made (no 序号, no
// 最后编辑时间) and rows.
func (r *rig) oldSheet(t *testing.T, title string, tb *table, rows []cells) {
	t.Helper()
	ctx := t.Context()
	sh, err := r.peek.AddSheet(ctx, r.sync.DocID(), &sm.AddSheetRequest{Title: title})
	require.NoError(t, err)
	var cols []sm.Field
	for _, f := range tb.columns {
		if f.Title != colSeq && f.Title != colEdited {
			cols = append(cols, f)
		}
	}
	have, err := r.peek.SheetFields(ctx, r.sync.DocID(), sh.ID)
	require.NoError(t, err)
	var ids []string
	for _, f := range have {
		ids = append(ids, f.ID)
	}
	_, err = r.peek.AddFields(ctx, r.sync.DocID(), sh.ID, cols...)
	require.NoError(t, err)
	if len(ids) > 0 {
		require.NoError(t, r.peek.DeleteFields(ctx, r.sync.DocID(), sh.ID, ids...))
	}
	recs := make([]sm.Record, len(rows))
	for i, c := range rows {
		delete(c, colSeq)
		recs[i] = sm.Record{Values: c}
	}
	_, err = r.peek.AddRecords(ctx, r.sync.DocID(), sh.ID, recs)
	require.NoError(t, err)
}

// TestImportAnExistingDocument: the first start on a document an earlier version wrote copies it
// into the store once, in operation order, and balances a product whose 库存 differs from its ledger.
func TestImportAnExistingDocument(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		at := time.Date(2025, 6, 1, 10, 0, 0, 0, shop.DefaultLocation())
		a := &shop.Product{Code: "BAG1", Name: "托特包", Price: shop.Yuan(100), Stock: 1, Status: shop.StatusOnSale, CreatedAt: at, UpdatedAt: at}
		b := &shop.Product{Code: "BAG2", Name: "钱包", Price: shop.Yuan(50), Stock: 4, Status: shop.StatusOnSale, CreatedAt: at, UpdatedAt: at}
		r.oldSheet(t, ProductsTitle, productsTable, []cells{productCells(a, nil, ""), productCells(b, nil, ""),
			{colName: sm.Text("未写完的行")}})
		same := at.Add(time.Hour)
		moves := []shop.Movement{ // two changes of BAG1 in one millisecond, in the wrong order
			{ID: "m3", Code: "BAG1", Kind: shop.MoveSell, Qty: -1, Balance: 1, At: same},
			{ID: "m2", Code: "BAG1", Kind: shop.MoveRestock, Qty: 1, Balance: 2, At: same},
			{ID: "m1", Code: "BAG1", Kind: shop.MoveRegister, Qty: 1, Balance: 1, At: at},
			{ID: "m4", Code: "BAG2", Kind: shop.MoveRegister, Qty: 3, Balance: 3, At: at},
		}
		var mc []cells
		for i := range moves {
			mc = append(mc, moveCells(&moves[i], nil, ""))
		}
		r.oldSheet(t, LedgerTitle+"2025", ledgerTable, mc)
		sale := shop.Sale{ID: "m3", Code: "BAG1", Name: "托特包", Price: shop.Yuan(100), At: same}
		r.oldSheet(t, SalesTitle+"2025", salesTable, []cells{saleCells(&sale, nil, "")})

		require.NoError(t, r.sync.Import(ctx))
		require.NoError(t, r.sync.Import(ctx), "a second run does nothing")
		n, err := r.st.ProductCount(ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		ms, err := r.shop.Movements(ctx, "BAG1", 0)
		require.NoError(t, err)
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		assert.Equal(t, []string{"m3", "m2", "m1"}, ids, "newest first, the same-millisecond pair in chain order")
		ms, err = r.shop.Movements(ctx, "BAG2", 0)
		require.NoError(t, err)
		require.Len(t, ms, 2, "BAG2's 库存 4 against a ledger of 3: a 表格修改 row of +1")
		assert.Equal(t, shop.MoveSheetEdit, ms[0].Kind)
		assert.Equal(t, 1, ms[0].Qty)
		r.ledgerHolds(t)
		sales, err := r.st.SalesSince(ctx, time.Time{})
		require.NoError(t, err)
		assert.Len(t, sales, 1)

		// The sheet: nothing written twice, the balancing row added, the new columns made.
		require.NoError(t, r.sync.Flush(ctx))
		total := 0
		shs, err := r.st.Sheets(ctx)
		require.NoError(t, err)
		for _, sh := range shs {
			if tableOf(sh.Name) == ledgerTable {
				n, err := r.fake.RecordCount(r.sync.DocID(), sh.SheetID)
				require.NoError(t, err)
				total += n
			}
		}
		assert.Equal(t, 5, total, "four imported rows and the balancing one (dated today)")
		assert.Len(t, r.rows(t, store.TopicSales, colSaleID), 1)
		fields, err := r.peek.SheetFields(ctx, r.sync.DocID(), r.sheet(t, store.TopicLedger).SheetID)
		require.NoError(t, err)
		var titles []string
		for _, f := range fields {
			titles = append(titles, f.Title)
		}
		assert.Contains(t, titles, colSeq)
	})
}
