package shop

import (
	"context"
	"strings"
	"time"
)

// Query filters the product list.
type Query struct {
	Text     string // matches code, name, brand, model, colour, location (case-insensitive)
	Brand    string
	Status   Status
	LowStock bool // stock ≤ LowStockAt (set by the service), not inactive
	// LowStockAt is the low-stock threshold; [Service.Search] fills it in.
	LowStockAt int
	Deleted    bool      // list the products deleted in the sheet instead of the others
	Since      time.Time // only products registered at or after this time
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
	return s.store.Search(ctx, q)
}

// Brands lists the distinct brands, sorted.
func (s *Service) Brands(ctx context.Context) ([]string, error) {
	return s.store.Brands(ctx)
}
