package sheetsync

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// Two or more changes in one millisecond come back from an old sheet in any order; the balance
// chain puts them back in operation order.
func TestOldestFirstBreaksTiesByBalanceChain(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Millisecond)
	rows := []shop.Movement{
		{ID: "adjust", Kind: shop.MoveAdjust, Qty: -1, Balance: 2, At: t1},
		{ID: "restock", Kind: shop.MoveRestock, Qty: 2, Balance: 3, At: t1},
		{ID: "sell", Kind: shop.MoveSell, Qty: -1, Balance: 1, At: t1},
		{ID: "register", Kind: shop.MoveRegister, Qty: 2, Balance: 2, At: t0},
	}
	var ids []string
	for _, m := range oldestFirst(rows) {
		ids = append(ids, m.ID)
	}
	assert.Equal(t, []string{"register", "sell", "restock", "adjust"}, ids)
}
