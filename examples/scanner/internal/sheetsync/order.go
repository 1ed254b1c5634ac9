package sheetsync

import (
	"slices"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// oldestFirst orders one product's ledger rows, read from a sheet written by an earlier version of
// the app (which had no sequence numbers), in operation order. The sheet stores 时间 in
// milliseconds, so two changes in one millisecond tie; the tie is broken by the balance chain (a
// row's balance minus its qty is the balance of the row before it), which the per-bag
// serialisation guaranteed. Rows whose chain cannot be followed keep their sheet order.
func oldestFirst(rows []shop.Movement) []shop.Movement {
	slices.SortStableFunc(rows, func(a, b shop.Movement) int { return a.At.Compare(b.At) })
	prev := 0 // the balance before the oldest row
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].At.Equal(rows[i].At) {
			j++
		}
		group := rows[i:j]
		for k := range group { // pick, in turn, the row that continues the chain
			for n := k; n < len(group); n++ {
				if group[n].Balance-group[n].Qty == prev {
					group[k], group[n] = group[n], group[k]
					break
				}
			}
			prev = group[k].Balance
		}
		i = j
	}
	return rows
}
