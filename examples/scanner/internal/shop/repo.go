package shop

import (
	"context"
	"time"
)

// Repo stores products, ledger rows and sales. Implementations must make AddMovement and AddSale
// idempotent by ID (a retried write never creates a second row) and return [ErrNotFound] for an
// unknown product code.
type Repo interface {
	Product(ctx context.Context, code string) (*Product, error)
	Products(ctx context.Context) ([]Product, error)
	CreateProduct(ctx context.Context, p *Product) error
	UpdateProduct(ctx context.Context, p *Product) error

	AddMovement(ctx context.Context, m *Movement) error
	// HasMovement reports whether a ledger row with this ID exists (a retried request).
	HasMovement(ctx context.Context, id string, at time.Time) (bool, error)
	// Movements returns a product's ledger rows, newest first, at most limit (0 = all).
	Movements(ctx context.Context, code string, limit int) ([]Movement, error)
	MovementsSince(ctx context.Context, since time.Time) ([]Movement, error)

	AddSale(ctx context.Context, s *Sale) error
	SalesSince(ctx context.Context, since time.Time) ([]Sale, error)

	// UploadImage stores a product photo and returns its URL.
	UploadImage(ctx context.Context, name string, data []byte) (string, error)
}

// Locker serialises changes to one key (one bag) across goroutines and, with a shared
// implementation, across replicas.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}
