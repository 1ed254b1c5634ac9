package shop_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	. "github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// Suppliers and customers: created by the right members, linked from products, restocks and
// sales, with a supplier's purchases and its products' sales and a customer's purchase history.
func TestSuppliersAndCustomers(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		ctx := t.Context()
		_, err := s.CreateSupplier(ctx, staff, PartnerInput{Name: ptr("广州白云皮具城")})
		require.ErrorIs(t, err, ErrForbidden, "suppliers are managed by managers")
		sup, err := s.CreateSupplier(ctx, manager, PartnerInput{Name: ptr(" 广州白云皮具城 "), Contact: ptr("陈经理"),
			Phone: ptr("020-8888 6666")})
		require.NoError(t, err)
		assert.Equal(t, "广州白云皮具城", sup.Name)
		_, err = s.CreateSupplier(ctx, manager, PartnerInput{Name: ptr("广州白云皮具城")})
		require.ErrorIs(t, err, ErrNameTaken)
		_, err = s.CreateSupplier(ctx, manager, PartnerInput{Name: ptr("x"), Phone: ptr("call me")})
		require.ErrorIs(t, err, ErrInvalid)

		p, err := s.Register(ctx, manager, NewProduct{Name: "链条包", Brand: "小CK", Price: Yuan(459), Cost: Yuan(180),
			Stock: 2, SupplierID: sup.ID})
		require.NoError(t, err)
		assert.Equal(t, sup.ID, p.SupplierID)
		_, err = s.Register(ctx, manager, NewProduct{Name: "无源包", Price: Yuan(100), Stock: 1, SupplierID: 9999})
		require.ErrorIs(t, err, ErrInvalid, "an unknown supplier")

		_, err = s.RestockWith(ctx, staff, p.Code, RestockInput{Qty: 3, SupplierID: sup.ID, UnitCost: ptr(Yuan(170))})
		require.ErrorIs(t, err, ErrForbidden, "staff record no cost")
		q, err := s.RestockWith(ctx, manager, p.Code, RestockInput{Qty: 3, SupplierID: sup.ID, UnitCost: ptr(Yuan(170))})
		require.NoError(t, err)
		assert.Equal(t, 5, q.Stock)
		assert.Equal(t, Yuan(170), q.Cost, "the latest purchase price becomes the cost")
		buys, err := s.Purchases(ctx, sup.ID, 10)
		require.NoError(t, err)
		require.Len(t, buys, 2)
		assert.Equal(t, MoveRestock, buys[0].Kind)
		assert.Equal(t, Yuan(170), buys[0].UnitCost)
		assert.Equal(t, MoveRegister, buys[1].Kind)

		list, total, err := s.Search(ctx, Query{Text: "白云"})
		require.NoError(t, err)
		require.Equal(t, 1, total, "search finds a product by its supplier's name")
		assert.Equal(t, p.Code, list[0].Code)
		_, total, err = s.Search(ctx, Query{SupplierID: sup.ID})
		require.NoError(t, err)
		assert.Equal(t, 1, total)

		cus, err := s.CreateCustomer(ctx, staff, PartnerInput{Name: ptr("王女士"), Phone: ptr("13900001111"),
			ExternalID: ptr("wmABCDEF123")})
		require.NoError(t, err, "staff add customers at the counter")
		_, err = s.Sell(ctx, staff, p.Code, SellInput{CustomerID: 12345})
		require.ErrorIs(t, err, ErrInvalid, "an unknown customer")
		res, err := s.Sell(ctx, staff, p.Code, SellInput{CustomerID: cus.ID})
		require.NoError(t, err)
		assert.Equal(t, cus.ID, res.Sale.CustomerID)
		hist, err := s.Sales(ctx, SaleQuery{CustomerID: cus.ID})
		require.NoError(t, err)
		require.Len(t, hist, 1)
		assert.Equal(t, p.Code, hist[0].Code)
		bySupplier, err := s.Sales(ctx, SaleQuery{SupplierID: sup.ID})
		require.NoError(t, err)
		assert.Len(t, bySupplier, 1)

		_, err = s.UpdateCustomer(ctx, staff, cus.ID, PartnerInput{Deleted: ptr(true)})
		require.ErrorIs(t, err, ErrForbidden)
		c2, err := s.UpdateCustomer(ctx, staff, cus.ID, PartnerInput{Notes: ptr("喜欢小号")})
		require.NoError(t, err)
		assert.Equal(t, "喜欢小号", c2.Notes)
		assert.Equal(t, "13900001111", c2.Phone)
		cs, total, err := s.Customers(ctx, PartnerQuery{Text: "1390000"})
		require.NoError(t, err)
		assert.Equal(t, 1, total)
		assert.Equal(t, "王女士", cs[0].Name)

		s2, err := s.UpdateSupplier(ctx, manager, sup.ID, PartnerInput{Deleted: ptr(true)})
		require.NoError(t, err)
		assert.True(t, s2.Deleted)
		_, total, err = s.Suppliers(ctx, PartnerQuery{})
		require.NoError(t, err)
		assert.Zero(t, total, "a retired supplier is not listed")
		ledgerHolds(t, st)
	})
}

// Staff change a product's location and notes; managers everything, photos included; 下架 needs
// a reason and disables selling until 上架.
func TestUpdateByRole(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		ctx := t.Context()
		p := register(t, s, 2)
		_, err := s.Update(ctx, staff, p.Code, UpdateInput{Price: ptr(Yuan(1))})
		require.ErrorIs(t, err, ErrForbidden)
		_, err = s.Update(ctx, staff, p.Code, UpdateInput{Name: ptr("改名")})
		require.ErrorIs(t, err, ErrForbidden)
		q, err := s.Update(ctx, staff, p.Code, UpdateInput{Location: ptr("B-2 橱窗"), Notes: ptr("肩带有划痕")})
		require.NoError(t, err)
		assert.Equal(t, "B-2 橱窗", q.Location)
		assert.Equal(t, "肩带有划痕", q.Notes)

		q, err = s.Update(ctx, manager, p.Code, UpdateInput{Name: ptr("棕色托特包 大号"), Price: ptr(Yuan(1399)),
			Floor: ptr(Yuan(1200)), Cost: ptr(Yuan(650)), Color: ptr("棕色")})
		require.NoError(t, err)
		assert.Equal(t, Yuan(1399), q.Price)
		_, err = s.Update(ctx, manager, p.Code, UpdateInput{Floor: ptr(Yuan(2000))})
		require.ErrorIs(t, err, ErrInvalid, "the floor stays under the price")

		q, err = s.SetActive(ctx, manager, p.Code, false, "五金损坏，返厂")
		require.NoError(t, err)
		assert.Equal(t, StatusInactive, q.Status)
		assert.Equal(t, "五金损坏，返厂", q.InactiveReason)
		_, err = s.Sell(ctx, staff, p.Code, SellInput{})
		require.ErrorIs(t, err, ErrInactive)
		_, err = s.SetActive(ctx, staff, p.Code, true, "")
		require.ErrorIs(t, err, ErrForbidden)
		q, err = s.SetActive(ctx, manager, p.Code, true, "")
		require.NoError(t, err)
		assert.Equal(t, StatusOnSale, q.Status)
		assert.Empty(t, q.InactiveReason)
		_, err = s.Sell(ctx, staff, p.Code, SellInput{})
		require.NoError(t, err)
		ledgerHolds(t, st)
	})
}

// Scans are recorded per product; the stats count them per day and list the bags scanned most
// that did not sell.
func TestScansAndStatsWindow(t *testing.T) {
	eachAt(t, func(t *testing.T, s *Service, st *store.Store, c *clock) {
		ctx := t.Context()
		a := register(t, s, 5)
		b, err := s.Register(ctx, manager, NewProduct{Name: "Kira 单肩包", Brand: "Tory Burch", Price: Yuan(3890), Cost: Yuan(1950), Stock: 3})
		require.NoError(t, err)
		for range 3 {
			require.NoError(t, s.RecordScan(ctx, staff, b.Code, ScanLabel))
		}
		require.NoError(t, s.RecordScan(ctx, staff, a.Code, ScanSearch))
		n, last, err := s.Scans(ctx, b.Code, 2)
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		require.Len(t, last, 2)
		assert.Equal(t, ScanLabel, last[0].Source)
		assert.Equal(t, "lisi", last[0].Actor)

		res, err := s.Sell(ctx, staff, a.Code, SellInput{}) // 李四 sells a
		require.NoError(t, err)
		_, err = s.Sell(ctx, manager, a.Code, SellInput{}) // 张三 sells a
		require.NoError(t, err)
		c.set(march8.Add(2 * time.Hour))
		_, err = s.Return(ctx, manager, res.Sale.ID, ReturnInput{Reason: "退货"}) // 李四's sale comes back
		require.NoError(t, err)

		stats, err := s.StatsFor(ctx, StatsQuery{From: march8.AddDate(0, 0, -6), To: march8.AddDate(0, 0, 1)})
		require.NoError(t, err)
		assert.Len(t, stats.Daily, 7)
		day := stats.Daily[6]
		assert.Equal(t, "2025-03-08", day.Date)
		assert.Equal(t, 1, day.Count, "two sales, one returned")
		assert.Equal(t, 4, day.Scans)
		assert.Equal(t, 1, stats.Range.Count)
		assert.Equal(t, 1, stats.Range.Returns)
		byStaff := map[string]Group{}
		for _, g := range stats.ByStaff {
			byStaff[g.Key] = g
		}
		assert.Equal(t, 0, byStaff["lisi"].Count, "the return counts against 李四's sale")
		assert.Equal(t, 1, byStaff["lisi"].Returns)
		assert.Equal(t, 1, byStaff["zhangsan"].Count)
		require.Len(t, stats.ByBrand, 1)
		assert.Equal(t, "Coach", stats.ByBrand[0].Key)
		require.NotEmpty(t, stats.MostScanned)
		assert.Equal(t, b.Code, stats.MostScanned[0].Code, "scanned three times, never sold")
		assert.Equal(t, 3, stats.MostScanned[0].Scans)
		for _, m := range stats.MostScanned {
			assert.NotEqual(t, a.Code, m.Code, "a sold bag is not listed")
		}

		_, err = s.StatsFor(ctx, StatsQuery{From: march8, To: march8.AddDate(-2, 0, 0)})
		require.ErrorIs(t, err, ErrInvalid)
		_, err = s.StatsFor(ctx, StatsQuery{From: march8.AddDate(-2, 0, 0), To: march8})
		require.ErrorIs(t, err, ErrInvalid, "at most a year")
	})
}

func TestSearchSorts(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		for i, n := range []NewProduct{{Name: "B 包", Price: Yuan(300), Stock: 1}, {Name: "A 包", Price: Yuan(100), Stock: 3},
			{Name: "C 包", Price: Yuan(200), Stock: 2}} {
			n.Code = "S" + string(rune('1'+i))
			_, err := s.Register(t.Context(), manager, n)
			require.NoError(t, err)
		}
		codes := func(sort string) []string {
			ps, _, err := s.Search(t.Context(), Query{Sort: sort})
			require.NoError(t, err)
			var out []string
			for _, p := range ps {
				out = append(out, p.Code)
			}
			return out
		}
		assert.Equal(t, []string{"S2", "S3", "S1"}, codes(SortPriceUp))
		assert.Equal(t, []string{"S1", "S3", "S2"}, codes(SortPriceDown))
		assert.Equal(t, []string{"S1", "S3", "S2"}, codes(SortStockUp))
		assert.Equal(t, []string{"S2", "S1", "S3"}, codes(SortName))
		assert.Equal(t, []string{"S3", "S2", "S1"}, codes("'; DROP TABLE products"), "an unknown order is the default")
	})
}
