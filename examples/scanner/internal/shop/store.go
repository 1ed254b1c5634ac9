package shop

import (
	"context"
	"errors"
	"time"
)

// Store is the shop's database (package store implements it on SQLite and PostgreSQL). Reads are
// plain queries; every change runs in one write transaction through Write.
type Store interface {
	Product(ctx context.Context, code string) (*Product, error) // ErrNotFound when unknown
	// Search returns one page of matching products, newest first, and how many match in all.
	Search(ctx context.Context, q Query) ([]Product, int, error)
	Brands(ctx context.Context) ([]string, error)
	// Movements returns a product's ledger rows, newest first (by sequence number), at most limit.
	Movements(ctx context.Context, code string, limit int) ([]Movement, error)
	// SalesBetween returns the sales rows (reversals included) in [from, to), oldest first.
	SalesBetween(ctx context.Context, from, to time.Time) ([]Sale, error)
	// SalesGroups sums the sales in [from, to) by "seller" (a reversal counts for the sale it
	// reverses) or by "brand", largest revenue first.
	SalesGroups(ctx context.Context, by string, from, to time.Time) ([]Group, error)
	Sale(ctx context.Context, id string) (*Sale, error) // ErrNotFound when unknown
	Sales(ctx context.Context, q SaleQuery) ([]Sale, error)
	// Purchases returns the ledger rows that name the supplier, newest first.
	Purchases(ctx context.Context, supplierID int64, limit int) ([]Movement, error)
	Supplier(ctx context.Context, id int64) (*Supplier, error) // ErrNotFound when unknown
	Suppliers(ctx context.Context, q PartnerQuery) ([]Supplier, int, error)
	Customer(ctx context.Context, id int64) (*Customer, error) // ErrNotFound when unknown
	Customers(ctx context.Context, q PartnerQuery) ([]Customer, int, error)
	// Scans returns how often a product was scanned and its latest scans, newest first.
	Scans(ctx context.Context, code string, limit int) (int, []Scan, error)
	ScanTimes(ctx context.Context, from, to time.Time) ([]time.Time, error)
	// MostScannedUnsold returns the products scanned most in [from, to) that did not sell then.
	MostScannedUnsold(ctx context.Context, from, to time.Time, limit int) ([]ScanCount, error)
	// Inventory sums the stock of products that are neither inactive nor deleted.
	Inventory(ctx context.Context) (Inventory, error)
	// SlowMovers returns in-stock products created before since with no sale since then, oldest
	// first.
	SlowMovers(ctx context.Context, since time.Time, limit int) ([]Product, error)
	// Write runs f in one write transaction: committed when f returns nil, rolled back otherwise.
	Write(ctx context.Context, f func(Tx) error) error
}

// Inventory is the stock on hand.
type Inventory struct {
	Units  int
	Cost   Money // at cost
	Retail Money // at list price
}

// Tx is one write transaction. Every write also queues what the smart sheet needs to learn (the
// store's outbox), in the same transaction.
type Tx interface {
	// Lock reads a product and holds it until the transaction ends: changes of one bag are
	// serialised by the database (a row lock, or SQLite's single writer).
	Lock(ctx context.Context, code string) (*Product, error)
	// Request returns what an earlier change with this request ID did (found false if none).
	Request(ctx context.Context, id string) (Request, bool, error)
	// AddRequest records a request ID; ErrRequestReused when the ID is taken.
	AddRequest(ctx context.Context, r Request) error
	AddMovement(ctx context.Context, m *Movement) error // sets m.Seq
	// AddSale records a sale or a reversal; ErrReversed when the sale was reversed already.
	AddSale(ctx context.Context, s *Sale) error
	CreateProduct(ctx context.Context, p *Product) error // ErrCodeTaken when the code exists
	SaveProduct(ctx context.Context, p *Product) error
	// Codes lists the product codes that start with prefix.
	Codes(ctx context.Context, prefix string) ([]string, error)
	// SavePhoto stores a picture with its thumbnail and returns its id (the same bytes give the
	// same id).
	SavePhoto(ctx context.Context, data, thumb []byte) (string, error)
	Supplier(ctx context.Context, id int64) (*Supplier, error)
	CreateSupplier(ctx context.Context, x *Supplier) error // sets x.ID; ErrConflict when the name is taken
	SaveSupplier(ctx context.Context, x *Supplier) error
	Customer(ctx context.Context, id int64) (*Customer, error)
	CreateCustomer(ctx context.Context, x *Customer) error // sets x.ID
	SaveCustomer(ctx context.Context, x *Customer) error
	AddScan(ctx context.Context, sc Scan) error
	// Enqueue queues a notice for topic about entity (e.g. TopicLowStock, a product code) in the
	// outbox; a worker delivers it after the transaction has committed.
	Enqueue(ctx context.Context, topic, entity string) error
}

// Request is a recorded request ID (idempotency key) and the change it made.
type Request struct {
	ID   string
	Op   string // "register", "sell", "restock", "adjust", "return"
	Code string
	At   time.Time
}

// ErrRequestReused is returned when a request ID is used again for another product or operation.
var ErrRequestReused = errors.New("request_id 已用于其他操作 (request ID already used)")

// ErrConflict is returned by a Store when a concurrent transaction took a unique key first (two
// replicas registering the same new code); the transaction was rolled back and may run again.
var ErrConflict = errors.New("shop: concurrent change, try again")
