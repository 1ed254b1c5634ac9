package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// The demo's year of sales is one a shop could have had: no sale before its bag was registered,
// stock only rises through a registration or a restock, never below zero, each sale has its
// ledger row, and some bags end sold out.
func TestDemoDataIsConsistent(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, shop.DefaultLocation())
	for _, n := range []int{30, 200} {
		photos := make([]string, len(demoBags))
		ps, moves, sales := demoData(n, now, photos)
		require.Len(t, ps, n)
		created := map[string]time.Time{}
		final := map[string]int{}
		for _, p := range ps {
			created[p.Code] = p.CreatedAt
			final[p.Code] = p.Stock
		}
		balance := map[string]int{}
		var prev time.Time
		sells := map[string]shop.Movement{}
		for i, m := range moves {
			assert.False(t, m.At.Before(prev), "row %d out of time order", i)
			prev = m.At
			assert.False(t, m.At.Before(created[m.Code]), "%s: a row before the bag existed", m.Code)
			assert.False(t, m.At.After(now), "%s: a row in the future", m.Code)
			if _, seen := balance[m.Code]; !seen {
				assert.Equal(t, shop.MoveRegister, m.Kind, "%s: the first row registers the bag", m.Code)
			}
			switch m.Kind {
			case shop.MoveRegister, shop.MoveRestock:
				assert.Positive(t, m.Qty)
			case shop.MoveSell:
				assert.Equal(t, -1, m.Qty)
				sells[m.ID] = m
			default:
				t.Errorf("unexpected row kind %s", m.Kind)
			}
			balance[m.Code] += m.Qty
			assert.Equal(t, balance[m.Code], m.Balance, "%s: balances chain", m.Code)
			assert.GreaterOrEqual(t, m.Balance, 0, "%s: stock below zero", m.Code)
		}
		soldOut := 0
		for code, b := range balance {
			assert.Equal(t, final[code], b, "%s: the product's stock is its last balance", code)
			if b == 0 {
				soldOut++
			}
		}
		assert.Positive(t, soldOut, "some bags are sold out")
		assert.Less(t, soldOut, n, "not every bag is sold out")
		require.Len(t, sales, len(sells))
		for _, x := range sales {
			m, ok := sells[x.ID]
			require.True(t, ok, "sale %s has its ledger row", x.ID)
			assert.Equal(t, m.At, x.At)
			assert.Equal(t, shop.SaleSell, x.Kind)
			assert.Equal(t, 1, x.Qty)
			assert.False(t, x.At.Before(created[x.Code]))
		}
		for _, p := range ps {
			if p.Stock == 0 {
				assert.Equal(t, shop.StatusSoldOut, p.Status, p.Code)
			}
		}
	}
}
