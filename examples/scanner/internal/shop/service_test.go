package shop_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	. "github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
)

var (
	staff   = Actor{UserID: "lisi", Name: "李四"}
	manager = Actor{UserID: "zhangsan", Name: "张三", Manager: true}
	march8  = time.Date(2025, 3, 8, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
)

func newService(st *store.Store, hooks Hooks) *Service {
	return NewService(st, Options{Now: func() time.Time { return march8 }, Hooks: hooks})
}

// each runs f on a service over every database dialect.
func each(t *testing.T, f func(t *testing.T, s *Service, st *store.Store)) {
	storetest.Each(t, func(t *testing.T, st *store.Store) { f(t, newService(st, Hooks{}), st) })
}

func register(t *testing.T, s *Service, stock int) *Product {
	t.Helper()
	p, err := s.Register(t.Context(), manager, NewProduct{Name: "棕色托特包", Brand: "Coach", Price: Yuan(1299), Floor: Yuan(1100), Cost: Yuan(600), Stock: stock})
	require.NoError(t, err)
	return p
}

// ledgerHolds checks that every product's stock equals its ledger sum.
func ledgerHolds(t *testing.T, st *store.Store) {
	t.Helper()
	bad, err := st.LedgerMismatches(t.Context())
	require.NoError(t, err)
	assert.Empty(t, bad, "stock = ledger sum")
}

func TestRegisterGeneratesCodes(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		a := register(t, s, 1)
		b := register(t, s, 0)
		assert.Equal(t, "BAG20250308001", a.Code)
		assert.Equal(t, "BAG20250308002", b.Code)
		assert.Equal(t, StatusOnSale, a.Status)
		assert.Equal(t, StatusSoldOut, b.Status)
		_, err := s.Register(t.Context(), staff, NewProduct{Code: "bag20250308001", Name: "x", Price: 1})
		require.ErrorIs(t, err, ErrCodeTaken)
		for _, bad := range []NewProduct{{Name: "", Price: 100}, {Name: "x", Price: 0}, {Name: "x", Price: 100, Floor: 200},
			{Name: "x", Price: 100, Stock: -1}, {Name: "x", Price: 100, Code: "中文"}, {Name: "x", Price: 100, Photo: []byte("not an image")}} {
			_, err := s.Register(t.Context(), staff, bad)
			require.ErrorIs(t, err, ErrInvalid, "%+v", bad)
		}
		ms, err := s.Movements(t.Context(), a.Code, 0)
		require.NoError(t, err)
		require.Len(t, ms, 1)
		assert.Equal(t, MoveRegister, ms[0].Kind)
		ledgerHolds(t, st)
	})
}

// TestConcurrentSellsOfLastBag proves that changes of one bag are serialised by the database.
// First a fixed interleaving: sale A holds the bag's lock (paused inside its transaction) while
// sale B starts; B must wait for A (the test sees B blocked in the database) and then find the bag
// sold out. Without the serialisation (no row lock on PostgreSQL, several writers on SQLite) B
// reads the bag while A holds it, every time. Then 50 sales at once: exactly one wins.
func TestConcurrentSellsOfLastBag(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var armed, overlap atomic.Bool
		var first atomic.Bool
		locked, release := make(chan struct{}), make(chan struct{})
		s := newService(st, Hooks{AfterLock: func(code string, stock int) {
			if !armed.Load() {
				return
			}
			if first.CompareAndSwap(false, true) {
				close(locked) // A holds the bag
				<-release
				return
			}
			select {
			case <-release: // B got the bag after A was let go: serialised
			default:
				overlap.Store(true) // B got the bag while A still held it
			}
		}})
		p := register(t, s, 1)
		armed.Store(true)

		errA, errB := make(chan error, 1), make(chan error, 1)
		go func() { _, err := s.Sell(context.Background(), staff, p.Code, SellInput{}); errA <- err }()
		<-locked
		before, err := st.BlockedWriters(t.Context())
		require.NoError(t, err)
		go func() { _, err := s.Sell(context.Background(), staff, p.Code, SellInput{}); errB <- err }()
		// Wait until B is either blocked behind A in the database or inside the bag (a failure).
		deadline := time.Now().Add(30 * time.Second)
		tick := time.NewTicker(2 * time.Millisecond)
		for {
			n, err := st.BlockedWriters(t.Context())
			require.NoError(t, err)
			if n > before || overlap.Load() {
				break
			}
			require.True(t, time.Now().Before(deadline), "sale B neither waited for A nor ran")
			<-tick.C
		}
		tick.Stop()
		close(release)
		require.NoError(t, <-errA)
		assert.ErrorIs(t, <-errB, ErrSoldOut)
		assert.False(t, overlap.Load(), "sale B read the bag while sale A held it")
		armed.Store(false)

		// 50 sales of the last bag at once.
		q := register(t, s, 1)
		var ok, soldOut atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := s.Sell(context.Background(), staff, q.Code, SellInput{})
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
		close(start)
		wg.Wait()
		assert.EqualValues(t, 1, ok.Load())
		assert.EqualValues(t, 49, soldOut.Load())
		got, err := s.Product(t.Context(), q.Code)
		require.NoError(t, err)
		assert.Equal(t, 0, got.Stock)
		assert.Equal(t, StatusSoldOut, got.Status)
		sales, err := st.SalesSince(t.Context(), time.Time{})
		require.NoError(t, err)
		assert.Len(t, sales, 2, "one sale of each bag")
		ledgerHolds(t, st)
	})
}

func TestSellRules(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
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
		inactive := StatusInactive
		_, err = s.Update(t.Context(), manager, p.Code, UpdateInput{Status: &inactive})
		require.ErrorIs(t, err, ErrInvalid, "下架 needs a reason")
		_, err = s.Update(t.Context(), manager, p.Code, UpdateInput{Status: &inactive, InactiveReason: "五金损坏"})
		require.NoError(t, err)
		_, err = s.Sell(t.Context(), staff, p.Code, SellInput{})
		require.ErrorIs(t, err, ErrInactive)
		ledgerHolds(t, st)
	})
}

func TestSellRequestIDIsIdempotent(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		p := register(t, s, 5)
		for i := range 3 {
			res, err := s.Sell(t.Context(), staff, p.Code, SellInput{RequestID: "req-1"})
			require.NoError(t, err)
			assert.Equal(t, i > 0, res.Replay)
			assert.Equal(t, 4, res.Product.Stock)
		}
		other := register(t, s, 5)
		_, err := s.Sell(t.Context(), staff, other.Code, SellInput{RequestID: "req-1"})
		require.ErrorIs(t, err, ErrRequestReused)
		_, err = s.Restock(t.Context(), staff, p.Code, 1, "", "req-1")
		require.ErrorIs(t, err, ErrRequestReused)
		sales, err := st.SalesSince(t.Context(), time.Time{})
		require.NoError(t, err)
		assert.Len(t, sales, 1)
		ledgerHolds(t, st)
	})
}

func TestRestockAndAdjust(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
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
		ms, err := s.Movements(t.Context(), p.Code, 10)
		require.NoError(t, err)
		require.Len(t, ms, 3, "opening row (qty 0), restock, count")
		assert.Equal(t, MoveRegister, ms[2].Kind)
		assert.Equal(t, 0, ms[2].Qty)
		assert.Equal(t, MoveAdjust, ms[0].Kind)
		assert.Equal(t, -2, ms[0].Qty)
		assert.Equal(t, "zhangsan", ms[0].Actor)
		ledgerHolds(t, st)
	})
}

// TestLedgerOrder: 200 rounds of a restock then a count, back to back and within the same clock
// reading (the service's clock never moves here): the movements come back in operation order
// every time, each row's balance the older row's balance plus its qty.
func TestLedgerOrder(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		p := register(t, s, 1)
		for round := range 200 {
			_, err := s.Restock(t.Context(), staff, p.Code, 2, "", "")
			require.NoError(t, err)
			_, err = s.Adjust(t.Context(), manager, p.Code, 1+round%3, "盘点", "")
			require.NoError(t, err)
			ms, err := s.Movements(t.Context(), p.Code, 3)
			require.NoError(t, err)
			require.Equal(t, MoveAdjust, ms[0].Kind, "round %d", round)
			require.Equal(t, MoveRestock, ms[1].Kind, "round %d", round)
			for i := 0; i+1 < len(ms); i++ {
				require.Greater(t, ms[i].Seq, ms[i+1].Seq)
				require.Equal(t, ms[i+1].Balance+ms[i].Qty, ms[i].Balance, "round %d row %d", round, i)
			}
		}
		ledgerHolds(t, st)
	})
}

func TestSellReturnsTheStockItLeft(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
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
		ledgerHolds(t, st)
	})
}

func TestRegisterRequestIDAndBatch(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		in := NewProduct{Name: "托特包", Price: Yuan(899), Stock: 2, RequestID: "form-1"}
		// Two replicas (or a double tap) register with one request ID at once: one bag.
		var wg sync.WaitGroup
		codes := make([]string, 4)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := s.Register(context.Background(), manager, in)
				if assert.NoError(t, err) {
					codes[i] = p.Code
				}
			}()
		}
		wg.Wait()
		for _, c := range codes {
			assert.Equal(t, "BAG20250308001", c)
		}
		res, err := s.RegisterBatch(t.Context(), manager, []NewProduct{
			{Name: "钱包", Price: Yuan(199), Stock: 1},
			{Name: "", Price: Yuan(10)},
			{Code: "BAG20250308003", Name: "given code", Price: Yuan(10)},
			{Name: "托特包", Price: Yuan(899), Stock: 2, RequestID: "form-1"},
			{Code: "BAG20250308001", Name: "taken", Price: Yuan(10)},
			{Name: "counts on past the given code", Price: Yuan(10)},
		})
		require.NoError(t, err)
		assert.Equal(t, "BAG20250308002", res[0].Product.Code)
		assert.ErrorIs(t, res[1].Err, ErrInvalid)
		assert.Equal(t, "BAG20250308003", res[2].Product.Code)
		assert.True(t, res[3].Replay)
		assert.Equal(t, "BAG20250308001", res[3].Product.Code)
		assert.ErrorIs(t, res[4].Err, ErrCodeTaken)
		assert.Equal(t, "BAG20250308004", res[5].Product.Code)
		n, err := st.ProductCount(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 4, n)
		ledgerHolds(t, st)
	})
}

// A change whose transaction fails part-way leaves nothing behind: no ledger row, no stock change.
func TestFailedChangeWritesNothing(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		p := register(t, s, 3)
		boom := errors.New("boom")
		_, _, err := s.ApplySheetEdit(t.Context(), manager, p.Code, SheetEdit{StockFrom: ptr(3), StockTo: ptr(7)},
			func(ctx context.Context, tx Tx, p *Product) error { return boom })
		require.ErrorIs(t, err, boom)
		got, err := s.Product(t.Context(), p.Code)
		require.NoError(t, err)
		assert.Equal(t, 3, got.Stock)
		ms, err := s.Movements(t.Context(), p.Code, 0)
		require.NoError(t, err)
		assert.Len(t, ms, 1)
		ledgerHolds(t, st)
	})
}

func TestSheetEdit(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		p := register(t, s, 3)
		price := Yuan(1500)
		got, move, err := s.ApplySheetEdit(t.Context(), Actor{UserID: "zhangsan"}, p.Code,
			SheetEdit{Price: &price, StockFrom: ptr(3), StockTo: ptr(5)}, nil)
		require.NoError(t, err)
		assert.Equal(t, Yuan(1500), got.Price)
		assert.Equal(t, 5, got.Stock)
		require.NotNil(t, move)
		assert.Equal(t, MoveSheetEdit, move.Kind)
		assert.Equal(t, 2, move.Qty)
		assert.Equal(t, "表格修改 3 → 5", move.Reason)
		// A member sets 库存 from 5 to 0 while the app sold one meanwhile (store 4): the edit's
		// −5 cannot go below zero.
		_, err = s.Sell(t.Context(), staff, p.Code, SellInput{})
		require.NoError(t, err)
		got, move, err = s.ApplySheetEdit(t.Context(), Actor{UserID: "zhangsan"}, p.Code, SheetEdit{StockFrom: ptr(5), StockTo: ptr(0)}, nil)
		require.NoError(t, err)
		assert.Equal(t, 0, got.Stock)
		assert.Equal(t, -4, move.Qty)
		got, _, err = s.ApplySheetEdit(t.Context(), Actor{UserID: "zhangsan"}, p.Code, SheetEdit{Deleted: true}, nil)
		require.NoError(t, err)
		assert.True(t, got.Deleted)
		_, err = s.Restock(t.Context(), staff, p.Code, 1, "", "")
		require.ErrorIs(t, err, ErrDeleted)
		list, total, err := s.Search(t.Context(), Query{})
		require.NoError(t, err)
		assert.Equal(t, 0, total, "deleted products are not listed")
		assert.Empty(t, list)
		ledgerHolds(t, st)
	})
}

func TestStats(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		a := register(t, s, 5)
		b := register(t, s, 5)
		for range 3 {
			_, err := s.Sell(t.Context(), staff, a.Code, SellInput{})
			require.NoError(t, err)
		}
		_, err := s.Sell(t.Context(), staff, b.Code, SellInput{})
		require.NoError(t, err)
		stats, err := s.Stats(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 4, stats.Today.Count)
		assert.Equal(t, Yuan(4*1299), stats.Today.Revenue)
		assert.Equal(t, Yuan(4*(1299-600)), stats.Today.Margin)
		assert.Equal(t, a.Code, stats.Best[0].Code)
		assert.Equal(t, 6, stats.StockUnits)
		assert.Equal(t, Yuan(6*600), stats.StockValue)
		assert.Len(t, stats.Daily, 30)
		assert.Equal(t, 4, stats.Daily[29].Count)
	})
}

func TestSearch(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		for i, n := range []NewProduct{{Name: "Willow 托特包", Brand: "Coach", Price: 100, Stock: 1},
			{Name: "Le Pliage 饺子包", Brand: "Longchamp", Price: 100, Stock: 0, Location: "A-1 货架"},
			{Name: "100%_真皮 钱包", Brand: "稻草人", Price: 100, Stock: 5}} {
			n.Code = "C" + string(rune('1'+i))
			_, err := s.Register(t.Context(), manager, n)
			require.NoError(t, err)
		}
		codes := func(q Query) []string {
			ps, total, err := s.Search(t.Context(), q)
			require.NoError(t, err)
			var out []string
			for _, p := range ps {
				out = append(out, p.Code)
			}
			assert.Equal(t, len(out), total)
			return out
		}
		assert.Equal(t, []string{"C3", "C2", "C1"}, codes(Query{}), "newest first")
		assert.Equal(t, []string{"C1"}, codes(Query{Text: "willow"}))
		assert.Equal(t, []string{"C2"}, codes(Query{Text: "a-1"}))
		assert.Equal(t, []string{"C3"}, codes(Query{Text: "100%_"}), "LIKE wildcards are literal")
		assert.Empty(t, codes(Query{Text: "100%x"}))
		assert.Equal(t, []string{"C2"}, codes(Query{Brand: "Longchamp"}))
		assert.Equal(t, []string{"C2", "C1"}, codes(Query{LowStock: true}))
		assert.Equal(t, []string{"C2"}, codes(Query{Status: StatusSoldOut}))
		brands, err := s.Brands(t.Context())
		require.NoError(t, err)
		assert.Equal(t, []string{"Coach", "Longchamp", "稻草人"}, brands)
	})
}

func ptr[T any](v T) *T { return &v }
