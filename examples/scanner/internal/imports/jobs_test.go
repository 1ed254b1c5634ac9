package imports

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
)

// A job stopped part-way (a restart) resumes where its last committed chunk ended: every row is
// registered once and the counters add up.
func TestJobResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc := shop.NewService(st, shop.Options{})
		var csv strings.Builder
		csv.WriteString("名称,售价,成本,库存\n")
		for i := range 25 {
			price := fmt.Sprint(100 + i)
			if i == 7 {
				price = "x" // a bad row
			}
			fmt.Fprintf(&csv, "包%d,%s,50,2\n", i, price)
		}
		staff := shop.Actor{UserID: "lisi"}
		j, err := Submit(t.Context(), st, svc, staff, "bags.csv", []byte(csv.String()), Options{})
		require.NoError(t, err)
		assert.Equal(t, 25, j.Total)

		ctx, cancel := context.WithCancel(t.Context())
		first := NewRunner(st, svc, "a", nil)
		first.chunk = 10
		first.afterChunk = cancel // stop after the first chunk
		require.Error(t, first.RunOnce(ctx))
		mid, err := st.Job(t.Context(), j.ID)
		require.NoError(t, err)
		assert.Equal(t, store.JobRunning, mid.State)
		assert.Equal(t, 10, mid.Done)
		require.NoError(t, st.ReleaseLease(t.Context(), "import", "a"))

		second := NewRunner(st, svc, "b", nil)
		second.chunk = 10
		require.NoError(t, second.RunOnce(t.Context()))
		done, err := st.Job(t.Context(), j.ID)
		require.NoError(t, err)
		assert.Equal(t, store.JobDone, done.State)
		assert.Equal(t, 25, done.Done)
		assert.Equal(t, 24, done.Created)
		assert.Equal(t, 1, done.Failed)
		n, err := st.ProductCount(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 24, n)
		ps, _, err := svc.Search(t.Context(), shop.Query{Text: "包3"})
		require.NoError(t, err)
		require.NotEmpty(t, ps)
		assert.Zero(t, ps[0].Cost, "only managers record cost")

		// The same file again: nothing new, every row skipped.
		again, err := Submit(t.Context(), st, svc, staff, "bags.csv", []byte(csv.String()), Options{})
		require.NoError(t, err)
		require.NoError(t, second.RunOnce(t.Context()))
		got, err := st.Job(t.Context(), again.ID)
		require.NoError(t, err)
		assert.Equal(t, 24, got.Skipped)
		assert.Zero(t, got.Created)
		n, err = st.ProductCount(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 24, n)
	})
}

func TestParseRefusesBadFiles(t *testing.T) {
	for name, data := range map[string]string{"a.txt": "x", "a.csv": "名称\n包\n", "b.csv": "\xff\xfe", "c.csv": "名称,售价\n"} {
		_, err := Parse(name, []byte(data))
		var pe *ParseError
		assert.ErrorAs(t, err, &pe, name)
	}
}

// importFile submits a file and runs its job to the end.
func importFile(t *testing.T, st *store.Store, svc *shop.Service, a shop.Actor, name string, data []byte, o Options) *store.Job {
	t.Helper()
	j, err := Submit(t.Context(), st, svc, a, name, data, o)
	require.NoError(t, err)
	require.NoError(t, NewRunner(st, svc, "t", nil).RunOnce(t.Context()))
	done, err := st.Job(t.Context(), j.ID)
	require.NoError(t, err)
	require.Equal(t, store.JobDone, done.State)
	return done
}

// The same list uploaded again — saved again from Excel, with a title row added and the rows in
// another order, even re-encoded — creates nothing twice, and the job says so.
func TestReuploadCreatesNothingTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc := shop.NewService(st, shop.Options{})
		boss := shop.Actor{UserID: "zhangsan", Manager: true}
		first := importFile(t, st, svc, boss, "gbk.csv", fixture(t, "gbk.csv"), Options{})
		assert.Equal(t, 2, first.Created)
		assert.Equal(t, 1, first.Failed, "面议 is not a price")
		assert.Equal(t, "新增 2 件；1 行有错误", Summary(first))

		again := importFile(t, st, svc, boss, "gbk.csv", fixture(t, "gbk.csv"), Options{})
		assert.Zero(t, again.Created)
		assert.Equal(t, 2, again.Skipped)
		assert.Equal(t, "已存在 2 件，未重复创建；1 行有错误", Summary(again))

		edited := "2026 秋季\n名称,售价,颜色,库存\n黑色斜挎包,899,黑,1\n新的水桶包,699,米,1\n棕色托特包,\"1,299.00\",棕色,2\n"
		third := importFile(t, st, svc, boss, "秋季.csv", []byte(edited), Options{})
		assert.Equal(t, 1, third.Created)
		assert.Equal(t, 2, third.Skipped)
		assert.Contains(t, Summary(third), "已存在 2 件，未重复创建")
		n, err := st.ProductCount(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 3, n)
	})
}

// A coded row whose code is in the shop (registered by hand, or by a concurrent import) is the same
// bag: skipped, not an error; duplicate rows in the file are skipped too.
func TestImportSkipsExistingCodes(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	svc := shop.NewService(st, shop.Options{})
	boss := shop.Actor{UserID: "zhangsan", Manager: true}
	_, err := svc.Register(t.Context(), boss, shop.NewProduct{Code: "TB-002", Name: "黑色斜挎包", Price: shop.Yuan(2500), Stock: 1})
	require.NoError(t, err)

	p, err := DryRun(t.Context(), st, svc, boss, "title.xlsx", fixture(t, "title.xlsx"), Options{})
	require.NoError(t, err)
	assert.Equal(t, [4]int{2, 1, 1, 1}, [4]int{p.Create, p.Exists, p.Duplicate, p.Invalid})
	got := map[int]string{}
	for _, r := range p.Rows {
		got[r.Row] = r.Status + " " + r.Reason
	}
	assert.Equal(t, map[int]string{4: "create ", 5: "exists 店内已有（TB-002），不重复创建", 6: "create ",
		7: "duplicate 与第 4 行编码相同", 8: "invalid 售价「面议」不是有效金额"}, got)
	n, err := st.ProductCount(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, n, "a dry run writes nothing")

	// Registered between the preview and the job: still skipped, not an error.
	j, err := Submit(t.Context(), st, svc, boss, "title.xlsx", fixture(t, "title.xlsx"), Options{})
	require.NoError(t, err)
	_, err = svc.Register(t.Context(), boss, shop.NewProduct{Code: "TB-003", Name: "米色水桶包", Price: shop.Yuan(899.9), Stock: 1})
	require.NoError(t, err)
	require.NoError(t, NewRunner(st, svc, "t", nil).RunOnce(t.Context()))
	done, err := st.Job(t.Context(), j.ID)
	require.NoError(t, err)
	assert.Equal(t, [3]int{1, 3, 1}, [3]int{done.Created, done.Skipped, done.Failed})
	assert.Equal(t, "新增 1 件；已存在 3 件，未重复创建；1 行有错误", Summary(done))
	tb, err := svc.Product(t.Context(), "TB-001")
	require.NoError(t, err)
	assert.Equal(t, shop.Yuan(600.5), tb.Cost)
	assert.Equal(t, "A-1", tb.Location)
}

// The dry run applies the shop's rules (a floor above the price, a price over the shop's maximum),
// links known suppliers and keeps unknown ones in the notes; staff cannot record cost.
func TestDryRunRules(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	svc := shop.NewService(st, shop.Options{})
	boss := shop.Actor{UserID: "zhangsan", Manager: true}
	sup, err := svc.CreateSupplier(t.Context(), boss, shop.PartnerInput{Name: ptr("广州白云皮具")})
	require.NoError(t, err)
	csv := "名称,售价,最低售价,成本,供应商\n托特包,1299,1500,600,广州白云皮具\n斜挎包,99999999,,,\n水桶包,699,,300,义乌小商品\n"
	p, err := DryRun(t.Context(), st, svc, shop.Actor{UserID: "lisi"}, "r.csv", []byte(csv), Options{})
	require.NoError(t, err)
	require.Len(t, p.Rows, 3)
	assert.Equal(t, Invalid, p.Rows[0].Status)
	assert.Equal(t, "最低售价须在 0 与售价之间", p.Rows[0].Reason)
	assert.Equal(t, Invalid, p.Rows[1].Status)
	assert.Contains(t, p.Rows[1].Reason, "售价")
	assert.Equal(t, WillCreate, p.Rows[2].Status)
	assert.Equal(t, []string{"成本仅店长可导入，已忽略", "供应商「义乌小商品」未登记，已记入备注"}, p.Rows[2].Warnings)

	f, err := prepare(t.Context(), st, svc, boss, "r.csv", []byte(csv), Options{})
	require.NoError(t, err)
	assert.Equal(t, sup.ID, f.Rows[0].Product.SupplierID)
	assert.Equal(t, "进货来源：义乌小商品", f.Rows[2].Product.Notes)
	assert.Equal(t, shop.Yuan(300), f.Rows[2].Product.Cost)
}
