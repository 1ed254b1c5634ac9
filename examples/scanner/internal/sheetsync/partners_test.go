package sheetsync

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
)

// change delivers a smart_sheet_change of the sub-sheet named topic.
func (r *rig) change(t *testing.T, topic, change string, ids ...string) {
	t.Helper()
	require.NoError(t, r.sync.HandleCallback(t.Context(), &wecom.Message{Event: wecom.EventSmartSheetChange,
		ChangeType: change, DocID: r.sync.DocID(), SheetID: r.sheet(t, topic).SheetID, RecordIDs: ids}))
}

// Members edit 供应商 and 客户 in the sheet: a changed phone is taken, an emptied name is written
// back, a row a member adds becomes a customer (the app writes its 编号), a deleted row retires the
// supplier.
func TestPartnerEditsInTheSheet(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		sup, err := r.shop.CreateSupplier(ctx, boss, shop.PartnerInput{Name: ptr("义乌小商品城 3 区"), Phone: ptr("0579-1234")})
		require.NoError(t, err)
		_, err = r.shop.CreateCustomer(ctx, boss, shop.PartnerInput{Name: ptr("李先生")})
		require.NoError(t, err)
		require.NoError(t, r.sync.Flush(ctx))
		ssh, csh := r.sheet(t, store.TopicSuppliers), r.sheet(t, store.TopicCustomers)
		row := r.rows(t, store.TopicSuppliers, colID)["1"]
		require.NotEmpty(t, row.ID)

		_, err = r.peek.UpdateRecords(ctx, r.sync.DocID(), ssh.SheetID, []smartsheet.Record{{ID: row.ID,
			Values: map[string]smartsheet.Value{colPhone: smartsheet.Text("0579-8888"), colName: smartsheet.Text("")}}})
		require.NoError(t, err)
		r.change(t, store.TopicSuppliers, wecom.ChangeTypeUpdateRecord, row.ID)
		require.NoError(t, r.sync.Flush(ctx))
		got, err := r.shop.Supplier(ctx, sup.ID)
		require.NoError(t, err)
		assert.Equal(t, "义乌小商品城 3 区", got.Name, "an empty name is refused")
		assert.Equal(t, "0579-1234", got.Phone, "a refused edit changes nothing")
		row = r.rows(t, store.TopicSuppliers, colID)["1"]
		assert.Equal(t, "义乌小商品城 3 区", row.Values[colName].String(), "written back")

		_, err = r.peek.UpdateRecords(ctx, r.sync.DocID(), ssh.SheetID, []smartsheet.Record{{ID: row.ID,
			Values: map[string]smartsheet.Value{colPhone: smartsheet.Text("0579-8888")}}})
		require.NoError(t, err)
		r.change(t, store.TopicSuppliers, wecom.ChangeTypeUpdateRecord, row.ID)
		require.NoError(t, r.sync.Flush(ctx))
		got, err = r.shop.Supplier(ctx, sup.ID)
		require.NoError(t, err)
		assert.Equal(t, "0579-8888", got.Phone)

		added, err := r.peek.AddRecords(ctx, r.sync.DocID(), csh.SheetID, []smartsheet.Record{{Values: map[string]smartsheet.Value{
			colName: smartsheet.Text("周女士"), colPhone: smartsheet.Text("13700001111")}}})
		require.NoError(t, err)
		r.change(t, store.TopicCustomers, wecom.ChangeTypeAddRecord, added[0].ID)
		require.NoError(t, r.sync.Flush(ctx))
		cs, total, err := r.shop.Customers(ctx, shop.PartnerQuery{Text: "周"})
		require.NoError(t, err)
		require.Equal(t, 1, total)
		assert.Equal(t, "13700001111", cs[0].Phone)
		crow := r.rows(t, store.TopicCustomers, colID)
		assert.Len(t, crow, 2, "no second row for the member's customer")
		assert.Equal(t, added[0].ID, crow["2"].ID, "the app wrote its 编号 into the member's row")

		require.NoError(t, r.peek.DeleteRecords(ctx, r.sync.DocID(), ssh.SheetID, []string{row.ID}))
		r.change(t, store.TopicSuppliers, wecom.ChangeTypeDeleteRecord, row.ID)
		require.NoError(t, r.sync.Flush(ctx))
		got, err = r.shop.Supplier(ctx, sup.ID)
		require.NoError(t, err)
		assert.True(t, got.Deleted, "retired, kept")
		assert.Empty(t, r.rows(t, store.TopicSuppliers, colID), "not written again")
	})
}

// A sheet made by an earlier version of the app lacks the columns this one maps: they are added
// once, before the first write.
func TestOlderSheetsGetNewColumns(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		r.register(t, "托特包", 1)
		require.NoError(t, r.sync.Flush(ctx))
		sh := r.sheet(t, store.TopicProducts)
		fields, err := r.peek.SheetFields(ctx, r.sync.DocID(), sh.SheetID)
		require.NoError(t, err)
		var drop []string
		for _, f := range fields {
			if f.Title == colSupplier || f.Title == colNotes {
				drop = append(drop, f.ID)
			}
		}
		require.Len(t, drop, 2)
		require.NoError(t, r.peek.DeleteFields(ctx, r.sync.DocID(), sh.SheetID, drop...))
		require.NoError(t, r.st.Set(ctx, schemaKey(sh), "an earlier version's columns"))

		// A new process (the schema is checked once per process) writes a product.
		r.sync = New(r.st, r.ss, r.shop, r.sync.DocID(), Options{Owner: "test"})
		p, err := r.shop.Register(ctx, boss, shop.NewProduct{Name: "钱包", Price: shop.Yuan(199), Stock: 1, Notes: "新款"})
		require.NoError(t, err)
		require.NoError(t, r.sync.Flush(ctx))
		row := r.rows(t, store.TopicProducts, colCode)[p.Code]
		assert.Equal(t, "新款", row.Values[colNotes].String())
		v, err := r.st.Get(ctx, schemaKey(sh))
		require.NoError(t, err)
		assert.Equal(t, productsTable.schema(), v)
	})
}
