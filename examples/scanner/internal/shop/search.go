package shop

import (
	"context"
	"sort"
	"strings"
)

// Query filters the product list.
type Query struct {
	Text     string // matches code, name, brand, model, colour, location (case-insensitive)
	Brand    string
	Status   Status
	LowStock bool // stock ≤ LowStockAt
	Limit    int  // 0 = no limit
}

// Search returns matching products, newest first.
func (s *Service) Search(ctx context.Context, q Query) ([]Product, error) {
	all, err := s.Products(ctx)
	if err != nil {
		return nil, err
	}
	text := strings.ToLower(strings.TrimSpace(q.Text))
	var out []Product
	for _, p := range all {
		if q.Brand != "" && !strings.EqualFold(p.Brand, q.Brand) {
			continue
		}
		if q.Status != "" && p.Status != q.Status {
			continue
		}
		if q.LowStock && (p.Stock > s.hooks.LowStockAt || p.Status == StatusInactive) {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(strings.Join([]string{p.Code, p.Name, p.Brand, p.Model, p.Color, p.Location}, "\x00")), text) {
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// Brands lists the distinct brands, sorted.
func (s *Service) Brands(ctx context.Context) ([]string, error) {
	all, err := s.Products(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range all {
		if p.Brand != "" && !seen[p.Brand] {
			seen[p.Brand] = true
			out = append(out, p.Brand)
		}
	}
	sort.Strings(out)
	return out, nil
}
