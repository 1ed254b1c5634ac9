package shop_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	. "github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// eachAt runs f on a service with a settable clock (starting at march8) over every dialect.
func eachAt(t *testing.T, f func(t *testing.T, s *Service, st *store.Store, c *clock)) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		c := &clock{t: march8}
		f(t, NewService(st, Options{Now: c.now}), st, c)
	})
}

// Sell → 退货: the stock is back, a 退货 ledger row and a reversing sales row are written, the
// day's figures are net zero; a sale is reversed once, and only a sale.
func TestReturnReversesASale(t *testing.T) {
	eachAt(t, func(t *testing.T, s *Service, st *store.Store, c *clock) {
		ctx := t.Context()
		p := register(t, s, 1)
		res, err := s.Sell(ctx, staff, p.Code, SellInput{})
		require.NoError(t, err)
		assert.Equal(t, StatusSoldOut, res.Product.Status)

		_, err = s.Return(ctx, staff, res.Sale.ID, ReturnInput{})
		require.ErrorIs(t, err, ErrInvalid, "a reason is required")
		rr, err := s.Return(ctx, staff, res.Sale.ID, ReturnInput{Reason: "尺寸不合适", RequestID: "ret-1"})
		require.NoError(t, err)
		assert.Equal(t, 1, rr.Product.Stock)
		assert.Equal(t, StatusOnSale, rr.Product.Status, "a sold-out bag is on sale again")
		assert.Equal(t, -1, rr.Reversal.Qty)
		assert.Equal(t, -res.Sale.Price, rr.Reversal.Price)
		assert.Equal(t, res.Sale.ID, rr.Reversal.Reverses)
		assert.Equal(t, SaleReturn, rr.Reversal.Kind)

		again, err := s.Return(ctx, staff, res.Sale.ID, ReturnInput{Reason: "尺寸不合适", RequestID: "ret-1"})
		require.NoError(t, err)
		assert.True(t, again.Replay, "the same request replays")
		_, err = s.Return(ctx, manager, res.Sale.ID, ReturnInput{Reason: "又退一次"})
		require.ErrorIs(t, err, ErrReversed)
		_, err = s.Return(ctx, manager, rr.Reversal.ID, ReturnInput{Reason: "退退货"})
		require.ErrorIs(t, err, ErrNotASale)

		moves, err := s.Movements(ctx, p.Code, 10)
		require.NoError(t, err)
		assert.Equal(t, []MoveKind{MoveReturn, MoveSell, MoveRegister}, kinds(moves))
		stats, err := s.Stats(ctx)
		require.NoError(t, err)
		assert.Equal(t, 0, stats.Today.Count, "net of the return")
		assert.Equal(t, Money(0), stats.Today.Revenue)
		assert.Equal(t, 1, stats.Today.Returns)
		assert.Empty(t, stats.Best)
		ledgerHolds(t, st)

		// Staff reverse the day's sales only; a manager any.
		res, err = s.Sell(ctx, staff, p.Code, SellInput{})
		require.NoError(t, err)
		c.set(march8.Add(24 * time.Hour))
		_, err = s.Return(ctx, staff, res.Sale.ID, ReturnInput{Kind: SaleUndo, Reason: "录错了"})
		require.ErrorIs(t, err, ErrTooOldSale)
		rr, err = s.Return(ctx, manager, res.Sale.ID, ReturnInput{Kind: SaleUndo, Reason: "录错了"})
		require.NoError(t, err)
		assert.Equal(t, SaleUndo, rr.Reversal.Kind)
		moves, err = s.Movements(ctx, p.Code, 1)
		require.NoError(t, err)
		assert.Equal(t, MoveUndo, moves[0].Kind)
		ledgerHolds(t, st)
	})
}

// Two reversals of one sale at once: exactly one goes through.
func TestConcurrentReturnsOfOneSale(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		p := register(t, s, 1)
		res, err := s.Sell(t.Context(), staff, p.Code, SellInput{})
		require.NoError(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Return(t.Context(), manager, res.Sale.ID, ReturnInput{Reason: "退货"})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				assert.ErrorIs(t, err, ErrReversed)
			}
		}
		assert.Equal(t, 1, ok)
		q, err := s.Product(t.Context(), p.Code)
		require.NoError(t, err)
		assert.Equal(t, 1, q.Stock)
		ledgerHolds(t, st)
	})
}

// A price far above the list price needs confirming; one above the shop's maximum never goes
// through; below the floor only a manager may confirm.
func TestPriceRules(t *testing.T) {
	each(t, func(t *testing.T, s *Service, st *store.Store) {
		ctx := t.Context()
		p := register(t, s, 10) // list ¥1299, floor ¥1100
		hundred := p.Price * 100
		_, err := s.Sell(ctx, staff, p.Code, SellInput{Price: &hundred})
		require.ErrorIs(t, err, ErrConfirmPrice)
		var pe *PriceError
		require.ErrorAs(t, err, &pe)
		assert.True(t, pe.Confirmable)
		assert.Contains(t, err.Error(), "100 倍")
		res, err := s.Sell(ctx, staff, p.Code, SellInput{Price: &hundred, Confirm: true})
		require.NoError(t, err)
		assert.Equal(t, hundred, res.Sale.Price)

		typo := Yuan(99_999_999)
		_, err = s.Sell(ctx, manager, p.Code, SellInput{Price: &typo, Confirm: true})
		require.ErrorIs(t, err, ErrPriceLimit)
		assert.Contains(t, err.Error(), "超过上限")

		low := Yuan(900)
		_, err = s.Sell(ctx, staff, p.Code, SellInput{Price: &low, Confirm: true})
		require.ErrorIs(t, err, ErrBelowFloor, "staff cannot go below the floor")
		_, err = s.Sell(ctx, manager, p.Code, SellInput{Price: &low})
		require.ErrorAs(t, err, &pe)
		assert.True(t, pe.Confirmable)
		_, err = s.Sell(ctx, manager, p.Code, SellInput{Price: &low, Confirm: true})
		require.NoError(t, err)
		ledgerHolds(t, st)

		_, err = s.Register(ctx, manager, NewProduct{Name: "过贵的包", Price: Yuan(2_000_000), Stock: 1})
		require.ErrorIs(t, err, ErrInvalid, "list prices obey the maximum too")
	})
}

func kinds(ms []Movement) []MoveKind {
	out := make([]MoveKind, len(ms))
	for i, m := range ms {
		out[i] = m.Kind
	}
	return out
}
