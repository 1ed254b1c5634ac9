package shop

import (
	"context"
	"strings"
	"time"
)

// Sort orders of the product list.
const (
	SortNewest    = "new"      // newest first (default)
	SortOldest    = "old"      //
	SortPriceUp   = "price"    // cheapest first
	SortPriceDown = "-price"   //
	SortStockUp   = "stock"    // fewest in stock first
	SortStockDown = "-stock"   //
	SortName      = "name"     // by name
	SortUpdated   = "-updated" // recently changed first
)

// Sorts lists the sort orders with their labels, for pickers.
var Sorts = [][2]string{{SortNewest, "最新入库"}, {SortOldest, "最早入库"}, {SortPriceUp, "价格从低到高"},
	{SortPriceDown, "价格从高到低"}, {SortStockUp, "库存从少到多"}, {SortStockDown, "库存从多到少"},
	{SortName, "名称"}, {SortUpdated, "最近修改"}}

// Query filters the product list.
type Query struct {
	Text     string // matches code, name, brand, model, colour, location and the supplier's name (case-insensitive)
	Brand    string
	Status   Status
	LowStock bool // stock ≤ LowStockAt (set by the service), not inactive
	// LowStockAt is the low-stock threshold; [Service.Search] fills it in.
	LowStockAt int
	Deleted    bool      // list the products deleted in the sheet instead of the others
	Since      time.Time // only products registered at or after this time
	SupplierID int64     // only the supplier's products
	Sort       string    // one of the Sort… orders (default newest first)
	Limit      int       // page size: 1…1000, default 100
	Offset     int
}

// Search returns one page of matching products, newest first, and how many match in all.
func (s *Service) Search(ctx context.Context, q Query) ([]Product, int, error) {
	q.Text = strings.TrimSpace(q.Text)
	q.Brand = strings.TrimSpace(q.Brand)
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	q.Offset = max(q.Offset, 0)
	q.LowStockAt = s.hooks.LowStockAt
	if !validSort(q.Sort) {
		q.Sort = SortNewest
	}
	return s.store.Search(ctx, q)
}

// Brands lists the distinct brands, sorted.
func (s *Service) Brands(ctx context.Context) ([]string, error) {
	return s.store.Brands(ctx)
}

func validSort(v string) bool {
	for _, o := range Sorts {
		if o[0] == v {
			return true
		}
	}
	return false
}
