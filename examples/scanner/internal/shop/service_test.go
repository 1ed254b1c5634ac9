package shop

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	staff   = Actor{UserID: "lisi", Name: "李四"}
	manager = Actor{UserID: "zhangsan", Name: "张三", Manager: true}
)

func newTestService(t *testing.T) (*Service, *MemRepo) {
	t.Helper()
	r := NewMemRepo()
	now := time.Date(2025, 3, 8, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	s := NewService(r, Options{Now: func() time.Time { return now }})
	return s, r
}

func register(t *testing.T, s *Service, stock int) *Product {
	t.Helper()
	p, err := s.Register(t.Context(), manager, NewProduct{Name: "棕色托特包", Brand: "Coach", Price: Yuan(1299), Floor: Yuan(1100), Cost: Yuan(600), Stock: stock})
	require.NoError(t, err)
	return p
}

func TestRegisterGeneratesCodes(t *testing.T) {
	s, r := newTestService(t)
	a := register(t, s, 1)
	b := register(t, s, 0)
	assert.Equal(t, "BAG20250308001", a.Code)
	assert.Equal(t, "BAG20250308002", b.Code)
	assert.Equal(t, StatusOnSale, a.Status)
	assert.Equal(t, StatusSoldOut, b.Status)
	assert.Equal(t, 1, r.LedgerSum(a.Code))
	_, err := s.Register(t.Context(), staff, NewProduct{Code: "bag20250308001", Name: "x", Price: 1})
	require.ErrorIs(t, err, ErrCodeTaken)
	for _, bad := range []NewProduct{{Name: "", Price: 100}, {Name: "x", Price: 0}, {Name: "x", Price: 100, Floor: 200},
		{Name: "x", Price: 100, Stock: -1}, {Name: "x", Price: 100, Code: "中文"}, {Name: "x", Price: 100, Photo: []byte("not an image")}} {
		_, err := s.Register(t.Context(), staff, bad)
		require.ErrorIs(t, err, ErrInvalid, "%+v", bad)
	}
}

func TestConcurrentSellsOfLastBag(t *testing.T) {
	s, r := newTestService(t)
	p := register(t, s, 1)
	var ok, soldOut atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Sell(context.Background(), staff, p.Code, SellInput{})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrSoldOut):
				soldOut.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, ok.Load())
	assert.EqualValues(t, 49, soldOut.Load())
	got, err := r.Product(t.Context(), p.Code)
	require.NoError(t, err)
	assert.Equal(t, 0, got.Stock)
	assert.Equal(t, StatusSoldOut, got.Status)
	assert.Equal(t, 0, r.LedgerSum(p.Code))
	sales, _ := r.SalesSince(t.Context(), time.Time{})
	assert.Len(t, sales, 1)
}

func TestSellRules(t *testing.T) {
	s, _ := newTestService(t)
	p := register(t, s, 3)
	low := Yuan(1000)
	_, err := s.Sell(t.Context(), staff, p.Code, SellInput{Price: &low})
	require.ErrorIs(t, err, ErrBelowFloor)
	ok := Yuan(1100)
	res, err := s.Sell(t.Context(), staff, p.Code, SellInput{Price: &ok, Note: "老顾客"})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Product.Stock)
	assert.Equal(t, Yuan(1100), res.Sale.Price)
	assert.Equal(t, "老顾客", res.Sale.Note)
	_, err = s.Sell(t.Context(), staff, "NOPE", SellInput{})
	require.ErrorIs(t, err, ErrNotFound)
}

func TestSellRequestIDIsIdempotent(t *testing.T) {
	s, r := newTestService(t)
	p := register(t, s, 5)
	for i := range 3 {
		res, err := s.Sell(t.Context(), staff, p.Code, SellInput{RequestID: "req-1"})
		require.NoError(t, err)
		assert.Equal(t, i > 0, res.Replay)
		assert.Equal(t, 4, res.Product.Stock)
	}
	assert.Equal(t, 4, r.LedgerSum(p.Code))
}

func TestRestockAndAdjust(t *testing.T) {
	s, r := newTestService(t)
	p := register(t, s, 0)
	got, err := s.Restock(t.Context(), staff, p.Code, 4, "补货", "")
	require.NoError(t, err)
	assert.Equal(t, 4, got.Stock)
	assert.Equal(t, StatusOnSale, got.Status)
	_, err = s.Adjust(t.Context(), staff, p.Code, 2, "盘点少两个", "")
	require.ErrorIs(t, err, ErrForbidden)
	_, err = s.Adjust(t.Context(), manager, p.Code, 2, "", "")
	require.ErrorIs(t, err, ErrInvalid)
	got, err = s.Adjust(t.Context(), manager, p.Code, 2, "盘点少两个", "")
	require.NoError(t, err)
	assert.Equal(t, 2, got.Stock)
	assert.Equal(t, 2, r.LedgerSum(p.Code))
	ms, err := s.Movements(t.Context(), p.Code, 10)
	require.NoError(t, err)
	require.Len(t, ms, 3, "opening row (qty 0), restock, count")
	assert.Equal(t, MoveRegister, ms[2].Kind)
	assert.Equal(t, 0, ms[2].Qty)
	assert.Equal(t, MoveAdjust, ms[0].Kind)
	assert.Equal(t, -2, ms[0].Qty)
	assert.Equal(t, "zhangsan", ms[0].Actor)
}

func TestFailedProductWriteIsRepairedFromLedger(t *testing.T) {
	s, r := newTestService(t)
	p := register(t, s, 3)
	r.Fail = func(op string) error {
		if op == "UpdateProduct" {
			return errors.New("smart sheet timeout")
		}
		return nil
	}
	_, err := s.Sell(t.Context(), staff, p.Code, SellInput{})
	require.Error(t, err)
	r.Fail = nil
	// The ledger says 2; the product still says 3 until the next change repairs it.
	assert.Equal(t, 2, r.LedgerSum(p.Code))
	res, err := s.Sell(t.Context(), staff, p.Code, SellInput{})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Product.Stock)
	assert.Equal(t, 1, r.LedgerSum(p.Code))
}

func TestReconcile(t *testing.T) {
	s, r := newTestService(t)
	p := register(t, s, 3)
	bad := *p
	bad.Stock = 9
	require.NoError(t, r.UpdateProduct(t.Context(), &bad))
	fixed, err := s.Reconcile(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []string{p.Code}, fixed)
	got, _ := s.Product(t.Context(), p.Code)
	assert.Equal(t, 3, got.Stock)
}

func TestWarmProductLookupCostsNoRepoCall(t *testing.T) {
	s, r := newTestService(t)
	p := register(t, s, 2)
	_, err := s.Product(t.Context(), p.Code)
	require.NoError(t, err)
	before := r.Calls["Product"]
	for range 10 {
		got, err := s.Product(t.Context(), p.Code)
		require.NoError(t, err)
		assert.Equal(t, 2, got.Stock)
	}
	assert.Equal(t, before, r.Calls["Product"])
	_, err = s.Sell(t.Context(), staff, p.Code, SellInput{})
	require.NoError(t, err)
	got, _ := s.Product(t.Context(), p.Code)
	assert.Equal(t, 1, got.Stock, "writes update the cache")
}

func TestStats(t *testing.T) {
	s, _ := newTestService(t)
	a := register(t, s, 5)
	b := register(t, s, 5)
	for range 3 {
		_, err := s.Sell(t.Context(), staff, a.Code, SellInput{})
		require.NoError(t, err)
	}
	_, err := s.Sell(t.Context(), staff, b.Code, SellInput{})
	require.NoError(t, err)
	st, err := s.Stats(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 4, st.Today.Count)
	assert.Equal(t, Yuan(4*1299), st.Today.Revenue)
	assert.Equal(t, Yuan(4*(1299-600)), st.Today.Margin)
	assert.Equal(t, a.Code, st.Best[0].Code)
	assert.Equal(t, 6, st.StockUnits)
	assert.Equal(t, Yuan(6*600), st.StockValue)
	assert.Len(t, st.Daily, 30)
	assert.Equal(t, 4, st.Daily[29].Count)
}

func TestMoneyJSON(t *testing.T) {
	var m Money
	require.NoError(t, m.UnmarshalJSON([]byte("1299.5")))
	assert.Equal(t, Money(129950), m)
	b, _ := m.MarshalJSON()
	assert.Equal(t, "1299.5", string(b))
	assert.Error(t, m.UnmarshalJSON([]byte("1.234")))
	assert.Error(t, m.UnmarshalJSON([]byte(`"12"`)))
	assert.Equal(t, "-3.05", Money(-305).String())
}

func TestCodeGen(t *testing.T) {
	g, err := NewCodeGen("BAG{date}{seq:3}")
	require.NoError(t, err)
	now := time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)
	c, err := g.Next(now, []string{"BAG20250308009", "BAG20250307999", "X"})
	require.NoError(t, err)
	assert.Equal(t, "BAG20250308010", c)
	_, err = g.Next(now, []string{"BAG20250308999"})
	require.Error(t, err)
	for _, bad := range []string{"", "BAG", "bag{seq:3}", "{seq:0}", "A{date}{seq:3}X"} {
		_, err := NewCodeGen(bad)
		assert.Error(t, err, bad)
	}
}

func TestWarmMovementsCostNoRepoCall(t *testing.T) {
	s, r := newTestService(t)
	p := register(t, s, 3)
	ms, err := s.Movements(t.Context(), p.Code, 10)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	before := r.Calls["Movements"]
	for range 5 {
		ms, err = s.Movements(t.Context(), p.Code, 10)
		require.NoError(t, err)
		require.Len(t, ms, 1)
	}
	assert.Equal(t, before, r.Calls["Movements"], "warm reads come from the cache")
	ms[0].Qty = 99 // callers get their own copy
	_, err = s.Sell(t.Context(), staff, p.Code, SellInput{})
	require.NoError(t, err)
	ms, err = s.Movements(t.Context(), p.Code, 10)
	require.NoError(t, err)
	require.Len(t, ms, 2, "a change drops the cached rows")
	assert.Equal(t, MoveSell, ms[0].Kind)
	assert.Equal(t, 3, ms[1].Qty)
}

func TestSellReturnsTheStockItLeft(t *testing.T) {
	s, _ := newTestService(t)
	p := register(t, s, 20)
	var wg sync.WaitGroup
	seen := make(chan int, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Sell(context.Background(), staff, p.Code, SellInput{})
			if assert.NoError(t, err) {
				seen <- res.Product.Stock
			}
		}()
	}
	wg.Wait()
	close(seen)
	got := map[int]bool{}
	for n := range seen {
		assert.False(t, got[n], "two sales report stock %d", n)
		got[n] = true
	}
	assert.Len(t, got, 20, "each sale reports the stock it left: 19, 18, …, 0")
}

func TestRegisterRetryAfterFailedProductWrite(t *testing.T) {
	s, r := newTestService(t)
	r.Fail = func(op string) error {
		if op == "CreateProduct" {
			return errors.New("timeout")
		}
		return nil
	}
	in := NewProduct{Name: "托特包", Price: Yuan(899), Stock: 2, RequestID: "form-1"}
	_, err := s.Register(t.Context(), manager, in)
	require.Error(t, err)
	r.Fail = nil

	// Another registration must not take the code of the unfinished one.
	other, err := s.Register(t.Context(), manager, NewProduct{Name: "钱包", Price: Yuan(199), Stock: 1})
	require.NoError(t, err)
	assert.Equal(t, "BAG20250308002", other.Code)

	// The retry with the same request ID finishes the first registration, once.
	for range 2 {
		p, err := s.Register(t.Context(), manager, in)
		require.NoError(t, err)
		assert.Equal(t, "BAG20250308001", p.Code)
		assert.Equal(t, 2, p.Stock)
	}
	ps, _ := r.Products(t.Context())
	assert.Len(t, ps, 2)
	assert.Equal(t, 2, r.LedgerSum("BAG20250308001"))
	fixed, err := s.Reconcile(t.Context())
	require.NoError(t, err)
	assert.Empty(t, fixed)
}
