package sheetsync

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func each(t *testing.T, f func(t *testing.T, r *rig)) {
	for _, d := range storetest.Dialects {
		t.Run(d.String(), func(t *testing.T) { f(t, newRig(t, d)) })
	}
}

func pngPhoto(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func TestPushWritesEveryTable(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		name := "广州白云皮具城"
		sup, err := r.shop.CreateSupplier(ctx, boss, shop.PartnerInput{Name: &name})
		require.NoError(t, err)
		cname := "王女士"
		cus, err := r.shop.CreateCustomer(ctx, boss, shop.PartnerInput{Name: &cname})
		require.NoError(t, err)
		p, err := r.shop.Register(ctx, boss, shop.NewProduct{Name: "托特包", Brand: "Coach", Price: shop.Yuan(1299.5),
			Floor: shop.Yuan(1100), Cost: shop.Yuan(600), Stock: 2, Photo: pngPhoto(t), SupplierID: sup.ID})
		require.NoError(t, err)
		q := r.register(t, "钱包", 1)
		sold, err := r.shop.Sell(ctx, boss, q.Code, shop.SellInput{CustomerID: cus.ID})
		require.NoError(t, err)
		_, err = r.shop.Return(ctx, boss, sold.Sale.ID, shop.ReturnInput{Reason: "不喜欢"})
		require.NoError(t, err)
		_, err = r.shop.Restock(ctx, boss, p.Code, 3, "补货", "")
		require.NoError(t, err)
		require.NoError(t, r.sync.Flush(ctx))

		products := r.rows(t, store.TopicProducts, colCode)
		require.Len(t, products, 2)
		row := products[p.Code]
		assert.Equal(t, "托特包", row.Values[colName].String())
		assert.Equal(t, 1299.5, row.Values[colPrice].Float())
		assert.EqualValues(t, 5, row.Values[colStock].Int())
		assert.Equal(t, "在售", row.Values[colStatus].String())
		require.Len(t, row.Values[colPhoto].Images(), 1, "the picture kept in the store was uploaded")
		assert.Equal(t, name, row.Values[colSupplier].String())
		assert.Equal(t, "在售", products[q.Code].Values[colStatus].String(), "returned")
		assert.EqualValues(t, 1, products[q.Code].Values[colStock].Int())

		ledger := r.rows(t, store.TopicLedger, colMoveID)
		assert.Len(t, ledger, 5, "two openings, a sale, its return, a restock")
		sales := r.rows(t, store.TopicSales, colSaleID)
		require.Len(t, sales, 2, "the sale and its reversal")
		total := 0.0
		for _, x := range sales {
			assert.Equal(t, q.Code, x.Values[colCode].String())
			assert.Equal(t, cname, x.Values[colCustomer].String())
			total += x.Values[colSalePrice].Float()
		}
		assert.Zero(t, total, "net zero in the sheet too")
		reversals := 0
		for _, x := range sales {
			if x.Values[colReverses].String() == sold.Sale.ID {
				reversals++
				assert.Equal(t, "退货", x.Values[colKind].String())
				assert.EqualValues(t, -1, x.Values[colQty].Int())
				assert.Equal(t, "不喜欢", x.Values[colReason].String())
			}
		}
		assert.Equal(t, 1, reversals)
		sups := r.rows(t, store.TopicSuppliers, colID)
		assert.Equal(t, name, sups["1"].Values[colName].String())
		assert.Equal(t, "在用", sups["1"].Values[colState].String())
		assert.Len(t, r.rows(t, store.TopicCustomers, colID), 1)

		// Every sub-sheet the app made has its columns and a view.
		for _, prefix := range store.SheetTopics {
			sh := r.sheet(t, prefix)
			fields, err := r.peek.SheetFields(ctx, r.sync.DocID(), sh.SheetID)
			require.NoError(t, err)
			titles := map[string]bool{}
			for _, f := range fields {
				titles[f.Title] = true
			}
			for _, f := range tables[prefix].columns {
				assert.True(t, titles[f.Title], "%s has %s", sh.Title, f.Title)
			}
			views, err := r.peek.GetViews(ctx, r.sync.DocID(), sh.SheetID, nil)
			require.NoError(t, err)
			assert.NotEmpty(t, views.Views, "%s has a view", sh.Title)
		}

		// Nothing queued: flushing again calls nothing; an unchanged product costs no write.
		r.fake.ResetCalls()
		require.NoError(t, r.sync.Flush(ctx))
		assert.Empty(t, r.fake.CallCounts())
		require.NoError(t, r.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.Enqueue(ctx, store.TopicProducts, p.Code) }))
		require.NoError(t, r.sync.Flush(ctx))
		assert.Zero(t, r.fake.Calls("POST /cgi-bin/wedoc/smartsheet/update_records"))
	})
}

// TestBatching: 1,000 sales within a minute reach the sheet in at most 10 add_records calls per
// sheet. The loop runs after every sale, with a clock that advances 60 ms per sale.
func TestBatching(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d.String(), func(t *testing.T) { testBatching(t, d) })
	}
}

func testBatching(t *testing.T, d store.Dialect) {
	ctx := t.Context()
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	r := newClockedRig(t, d, now)
	var codes []string
	for range 10 {
		codes = append(codes, r.register(t, "托特包", 100).Code)
	}
	require.NoError(t, r.sync.Flush(ctx))
	r.fake.ResetCalls()
	for i := range 1000 {
		_, err := r.shop.Sell(ctx, boss, codes[i%10], shop.SellInput{})
		require.NoError(t, err)
		mu.Lock()
		clock = clock.Add(60 * time.Millisecond)
		mu.Unlock()
		require.NoError(t, r.sync.Step(ctx, false))
	}
	mu.Lock()
	clock = clock.Add(time.Minute)
	mu.Unlock()
	require.NoError(t, r.sync.Step(ctx, false))
	st, err := r.st.OutboxStats(ctx, store.SheetTopics...)
	require.NoError(t, err)
	assert.Zero(t, st.Pending)
	calls := r.fake.Calls(addRecords)
	t.Logf("1,000 sales: %d add_records (ledger + sales), %d update_records (products)",
		calls, r.fake.Calls("POST /cgi-bin/wedoc/smartsheet/update_records"))
	assert.LessOrEqual(t, calls, 20, "≤ 10 add_records per sheet")
	assert.LessOrEqual(t, r.fake.Calls("POST /cgi-bin/wedoc/smartsheet/update_records"), 10)
	assert.Len(t, r.rows(t, store.TopicSales, colSaleID), 1000)
}

// An add_records that WeCom applied but whose answer was lost is looked up before it is sent
// again: the sheet ends with one row per store row.
func TestAmbiguousAddWritesOnce(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		for range 3 {
			r.register(t, "托特包", 1)
		}
		require.NoError(t, r.fake.InjectFault(addRecords, 3, wecomtest.AppliedDropFault()))
		require.Error(t, r.sync.Flush(ctx))
		r.fake.ClearFaults()
		require.NoError(t, r.sync.Flush(ctx))
		assert.Len(t, r.rows(t, store.TopicProducts, colCode), 3)
		assert.Len(t, r.rows(t, store.TopicLedger, colMoveID), 3)
	})
}

// A crash after add_records reached WeCom and before the store recorded it leaves the rows marked
// "maybe added"; the next run finds them by key instead of adding them again.
func TestUnconfirmedAddAfterCrash(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		p := r.register(t, "托特包", 1)
		require.NoError(t, r.sync.Flush(ctx))
		// A sale whose ledger row was added by the "crashed" process: marked maybe, in the sheet.
		res, err := r.shop.Sell(ctx, boss, p.Code, shop.SellInput{})
		require.NoError(t, err)
		ms, err := r.st.MovementsByID(ctx, []string{res.Sale.ID})
		require.NoError(t, err)
		m := ms[res.Sale.ID]
		sh := r.sheet(t, store.TopicLedger)
		require.NoError(t, r.sync.mark(ctx, ledgerTable, sh, []string{m.ID}, true))
		_, err = r.peek.AddRecords(ctx, r.sync.DocID(), sh.SheetID, []smartsheet.Record{{Values: moveCells(&m, nil, "")}})
		require.NoError(t, err)
		require.NoError(t, r.sync.Flush(ctx))
		assert.Len(t, r.rows(t, store.TopicLedger, colMoveID), 2, "the opening and the sale, once each")
	})
}

// A batch WeCom refuses for its content is split, so the other rows still get through.
func TestRefusedBatchIsSplit(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		for range 4 {
			r.register(t, "托特包", 1)
		}
		require.NoError(t, r.fake.InjectFault(addRecords, 1, wecomtest.ErrCodeFault(40058)))
		require.NoError(t, r.sync.Step(ctx, true))
		require.NoError(t, r.sync.Flush(ctx))
		assert.Len(t, r.rows(t, store.TopicProducts, colCode), 4)
	})
}

func TestMemberEdits(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		p := r.register(t, "托特包", 3)
		require.NoError(t, r.sync.Flush(ctx))

		r.memberEdit(t, p.Code, map[string]smartsheet.Value{colPrice: smartsheet.Currency(1500), colStock: smartsheet.Number(5)})
		require.NoError(t, r.sync.Step(ctx, false))
		got, err := r.shop.Product(ctx, p.Code)
		require.NoError(t, err)
		assert.Equal(t, shop.Yuan(1500), got.Price)
		assert.Equal(t, 5, got.Stock)
		ms, err := r.shop.Movements(ctx, p.Code, 1)
		require.NoError(t, err)
		assert.Equal(t, shop.MoveSheetEdit, ms[0].Kind)
		assert.Equal(t, 2, ms[0].Qty)
		assert.Equal(t, "表格修改 3 → 5", ms[0].Reason)
		r.ledgerHolds(t)

		// The callback again (a retry, or the app's own write echoed): nothing new.
		require.NoError(t, r.sync.Flush(ctx))
		r.callback(t, wecom.ChangeTypeUpdateRecord, r.rows(t, store.TopicProducts, colCode)[p.Code].ID)
		require.NoError(t, r.sync.Flush(ctx))
		ms, err = r.shop.Movements(ctx, p.Code, 0)
		require.NoError(t, err)
		assert.Len(t, ms, 2)
		assert.Len(t, r.rows(t, store.TopicLedger, colMoveID), 2, "the 表格修改 row reached the ledger sheet")

		// The app sells one, then a member empties the name: the name is written back.
		_, err = r.shop.Sell(ctx, boss, p.Code, shop.SellInput{})
		require.NoError(t, err)
		require.NoError(t, r.sync.Flush(ctx))
		r.memberEdit(t, p.Code, map[string]smartsheet.Value{colName: smartsheet.Text("")})
		require.NoError(t, r.sync.Flush(ctx))
		row := r.rows(t, store.TopicProducts, colCode)[p.Code]
		assert.Equal(t, "托特包", row.Values[colName].String())
		assert.EqualValues(t, 4, row.Values[colStock].Int())
		ms, err = r.shop.Movements(ctx, p.Code, 0)
		require.NoError(t, err)
		assert.Len(t, ms, 3, "no edit was made up from the app's own sale")
		r.ledgerHolds(t)
	})
}

func TestRowsDeletedInTheSheet(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		p := r.register(t, "托特包", 1)
		q := r.register(t, "钱包", 1)
		require.NoError(t, r.sync.Flush(ctx))
		prow := r.rows(t, store.TopicProducts, colCode)[p.Code]
		require.NoError(t, r.peek.DeleteRecords(ctx, r.sync.DocID(), r.sheet(t, store.TopicProducts).SheetID, []string{prow.ID}))
		r.callback(t, wecom.ChangeTypeDeleteRecord, prow.ID)
		// A ledger row deleted by mistake.
		lsh := r.sheet(t, store.TopicLedger)
		lrow := r.rows(t, store.TopicLedger, colMoveID)
		var qrow string
		for _, rec := range lrow {
			if rec.Values[colCode].String() == q.Code {
				qrow = rec.ID
			}
		}
		require.NoError(t, r.peek.DeleteRecords(ctx, r.sync.DocID(), lsh.SheetID, []string{qrow}))
		require.NoError(t, r.sync.HandleCallback(ctx, &wecom.Message{Event: wecom.EventSmartSheetChange,
			ChangeType: wecom.ChangeTypeDeleteRecord, DocID: r.sync.DocID(), SheetID: lsh.SheetID, RecordIDs: []string{qrow}}))
		require.NoError(t, r.sync.Flush(ctx))

		got, err := r.shop.Product(ctx, p.Code)
		require.NoError(t, err)
		assert.True(t, got.Deleted, "marked 已删除, kept in the store")
		assert.Len(t, r.rows(t, store.TopicProducts, colCode), 1, "the deleted row is not written again")
		assert.Len(t, r.rows(t, store.TopicLedger, colMoveID), 2, "the ledger row is written again")

		// A manager puts the product back on sale: its row returns.
		onSale := shop.StatusOnSale
		_, err = r.shop.Update(ctx, boss, p.Code, shop.UpdateInput{Status: &onSale})
		require.NoError(t, err)
		require.NoError(t, r.sync.Flush(ctx))
		assert.Len(t, r.rows(t, store.TopicProducts, colCode), 2)
	})
}

func TestMemberAddsARow(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		r.register(t, "托特包", 1)
		require.NoError(t, r.sync.Flush(ctx))
		sh := r.sheet(t, store.TopicProducts)
		// First the empty row (WeCom's add_record), then the cells (update_record).
		added, err := r.peek.AddRecords(ctx, r.sync.DocID(), sh.SheetID, []smartsheet.Record{{Values: map[string]smartsheet.Value{
			colName: smartsheet.Text("")}}})
		require.NoError(t, err)
		r.callback(t, wecom.ChangeTypeAddRecord, added[0].ID)
		require.NoError(t, r.sync.Flush(ctx))
		_, err = r.peek.UpdateRecords(ctx, r.sync.DocID(), sh.SheetID, []smartsheet.Record{{ID: added[0].ID, Values: map[string]smartsheet.Value{
			colName: smartsheet.Text("手写新品"), colPrice: smartsheet.Currency(399), colStock: smartsheet.Number(2)}}})
		require.NoError(t, err)
		r.callback(t, wecom.ChangeTypeUpdateRecord, added[0].ID)
		require.NoError(t, r.sync.Flush(ctx))

		ps, total, err := r.shop.Search(ctx, shop.Query{Text: "手写新品"})
		require.NoError(t, err)
		require.Equal(t, 1, total)
		assert.Equal(t, 2, ps[0].Stock)
		rows := r.rows(t, store.TopicProducts, colCode)
		assert.Len(t, rows, 2, "the member's row got its code; no second row")
		assert.Equal(t, added[0].ID, rows[ps[0].Code].ID)
		assert.Equal(t, "在售", rows[ps[0].Code].Values[colStatus].String())
		r.ledgerHolds(t)
	})
}

func TestReconcile(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		p := r.register(t, "托特包", 3)
		r.register(t, "钱包", 1)
		_, err := r.shop.Sell(ctx, boss, p.Code, shop.SellInput{})
		require.NoError(t, err)
		require.NoError(t, r.sync.Flush(ctx))
		require.NoError(t, r.sync.Reconcile(ctx))
		r.fake.ResetCalls()
		require.NoError(t, r.sync.Reconcile(ctx))
		assert.Zero(t, r.fake.Calls("POST /cgi-bin/wedoc/smartsheet/get_records")-3, "unchanged sheets: one small read each")

		// Missed callbacks: a price edit and a deleted ledger row.
		prow := r.rows(t, store.TopicProducts, colCode)[p.Code]
		_, err = r.peek.UpdateRecords(ctx, r.sync.DocID(), r.sheet(t, store.TopicProducts).SheetID,
			[]smartsheet.Record{{ID: prow.ID, Values: map[string]smartsheet.Value{colPrice: smartsheet.Currency(999)}}})
		require.NoError(t, err)
		lsh := r.sheet(t, store.TopicLedger)
		for _, rec := range r.rows(t, store.TopicLedger, colMoveID) {
			require.NoError(t, r.peek.DeleteRecords(ctx, r.sync.DocID(), lsh.SheetID, []string{rec.ID}))
			break
		}
		require.NoError(t, r.sync.Reconcile(ctx))
		require.NoError(t, r.sync.Flush(ctx))
		got, err := r.shop.Product(ctx, p.Code)
		require.NoError(t, err)
		assert.Equal(t, shop.Yuan(999), got.Price)
		assert.Len(t, r.rows(t, store.TopicLedger, colMoveID), 3)

		// A sub-sheet deleted from the document is made again, with its rows.
		require.NoError(t, r.peek.DeleteSheet(ctx, r.sync.DocID(), r.sheet(t, store.TopicSales).SheetID))
		_, err = r.shop.Sell(ctx, boss, p.Code, shop.SellInput{})
		require.NoError(t, err)
		_ = r.sync.Flush(ctx) // fails: the sale's sheet is gone; the reconcile puts it right
		require.NoError(t, r.sync.Reconcile(ctx))
		require.NoError(t, r.sync.Flush(ctx))
		assert.Len(t, r.rows(t, store.TopicSales, colSaleID), 2)
		r.ledgerHolds(t)
	})
}

// An update whose outcome is unknown (the process died after WeCom applied it) leaves the row
// unknown: the next write sends every cell, not only those that differ from the last acknowledged
// write. Otherwise a change back to the acknowledged value would never reach the sheet.
func TestUnconfirmedUpdateIsWrittenInFull(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		p := r.register(t, "托特包", 1)
		require.NoError(t, r.sync.Flush(ctx))
		// Restock to 2; the write of 库存 2 reaches WeCom, then the app dies before recording it.
		_, err := r.shop.Restock(ctx, boss, p.Code, 1, "", "")
		require.NoError(t, err)
		known, err := r.st.SheetRows(ctx, store.TopicProducts, []string{p.Code})
		require.NoError(t, err)
		row := known[p.Code]
		row.Pushing = snapshot{colStock: "2"}.String()
		require.NoError(t, r.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.SaveSheetRow(ctx, row) }))
		_, err = r.peek.UpdateRecords(ctx, r.sync.DocID(), r.sheet(t, store.TopicProducts).SheetID,
			[]smartsheet.Record{{ID: row.RecordID, Values: map[string]smartsheet.Value{colStock: smartsheet.Number(2)}}})
		require.NoError(t, err)
		// After the restart a sale brings the store back to 1, the value last acknowledged.
		_, err = r.shop.Sell(ctx, boss, p.Code, shop.SellInput{})
		require.NoError(t, err)
		require.NoError(t, r.sync.Flush(ctx))
		assert.EqualValues(t, 1, r.rows(t, store.TopicProducts, colCode)[p.Code].Values[colStock].Int())
	})
}
