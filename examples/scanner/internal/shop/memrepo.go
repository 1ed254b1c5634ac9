package shop

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// MemRepo is an in-memory [Repo] for tests. Fail, when set, is consulted before every write and
// can inject errors.
type MemRepo struct {
	mu       sync.Mutex
	products map[string]Product
	moves    []Movement
	sales    []Sale
	images   map[string][]byte
	Fail     func(op string) error
	Calls    map[string]int
}

// NewMemRepo returns an empty repo.
func NewMemRepo() *MemRepo {
	return &MemRepo{products: map[string]Product{}, images: map[string][]byte{}, Calls: map[string]int{}}
}

func (r *MemRepo) hit(op string) error {
	r.Calls[op]++
	if r.Fail != nil {
		return r.Fail(op)
	}
	return nil
}

func (r *MemRepo) Product(_ context.Context, code string) (*Product, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.hit("Product"); err != nil {
		return nil, err
	}
	p, ok := r.products[code]
	if !ok {
		return nil, ErrNotFound
	}
	return &p, nil
}

func (r *MemRepo) Products(context.Context) ([]Product, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.hit("Products"); err != nil {
		return nil, err
	}
	out := make([]Product, 0, len(r.products))
	for _, p := range r.products {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

func (r *MemRepo) CreateProduct(_ context.Context, p *Product) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.hit("CreateProduct"); err != nil {
		return err
	}
	if _, ok := r.products[p.Code]; ok {
		return fmt.Errorf("duplicate %s", p.Code)
	}
	p.RecordID = "r" + p.Code
	r.products[p.Code] = *p
	return nil
}

func (r *MemRepo) UpdateProduct(_ context.Context, p *Product) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.hit("UpdateProduct"); err != nil {
		return err
	}
	if _, ok := r.products[p.Code]; !ok {
		return ErrNotFound
	}
	r.products[p.Code] = *p
	return nil
}

func (r *MemRepo) AddMovement(_ context.Context, m *Movement) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.hit("AddMovement"); err != nil {
		return err
	}
	for _, x := range r.moves {
		if x.ID == m.ID {
			return nil
		}
	}
	r.moves = append(r.moves, *m)
	return nil
}

func (r *MemRepo) HasMovement(_ context.Context, id string, _ time.Time) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.moves {
		if x.ID == id {
			return true, nil
		}
	}
	return false, nil
}

func (r *MemRepo) Movements(_ context.Context, code string, limit int) ([]Movement, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.hit("Movements"); err != nil {
		return nil, err
	}
	var out []Movement
	for i := len(r.moves) - 1; i >= 0; i-- {
		if r.moves[i].Code == code {
			out = append(out, r.moves[i])
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func (r *MemRepo) MovementsSince(_ context.Context, since time.Time) ([]Movement, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Movement
	for _, m := range r.moves {
		if !m.At.Before(since) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (r *MemRepo) AddSale(_ context.Context, s *Sale) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.hit("AddSale"); err != nil {
		return err
	}
	for _, x := range r.sales {
		if x.ID == s.ID {
			return nil
		}
	}
	r.sales = append(r.sales, *s)
	return nil
}

func (r *MemRepo) SalesSince(_ context.Context, since time.Time) ([]Sale, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Sale
	for _, s := range r.sales {
		if !s.At.Before(since) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (r *MemRepo) UploadImage(_ context.Context, name string, data []byte) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.hit("UploadImage"); err != nil {
		return "", err
	}
	r.images[name] = data
	return "https://img.test/" + name, nil
}

// LedgerSum returns the sum of a product's ledger rows.
func (r *MemRepo) LedgerSum(code string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.moves {
		if m.Code == code {
			n += m.Qty
		}
	}
	return n
}
