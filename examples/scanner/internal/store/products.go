package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

const productCols = `code, name, brand, model, color, price, floor_price, cost, stock, location, status,
	photo_id, photo_url, deleted, created_at, updated_at, supplier_id, notes, inactive_reason, photos`

// productWidth is the number of productCols, plus the search column written with them.
const productWidth = 21

type scanner interface{ Scan(dest ...any) error }

func scanProduct(sc scanner) (*shop.Product, error) {
	var p shop.Product
	var status string
	var deleted int
	var created, updated int64
	var photos string
	if err := sc.Scan(&p.Code, &p.Name, &p.Brand, &p.Model, &p.Color, &p.Price, &p.Floor, &p.Cost, &p.Stock,
		&p.Location, &status, &p.PhotoID, &p.PhotoURL, &deleted, &created, &updated, &p.SupplierID, &p.Notes,
		&p.InactiveReason, &photos); err != nil {
		return nil, err
	}
	if photos != "" {
		p.Photos = strings.Split(photos, ",")
	}
	p.Status, p.Deleted = shop.Status(status), deleted != 0
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return &p, nil
}

// productArgs returns the values of productCols and then the search column.
func productArgs(p *shop.Product) []any {
	photos := strings.Join(p.Photos, ",")
	if photos == "" {
		photos = p.PhotoID
	}
	return []any{p.Code, p.Name, p.Brand, p.Model, p.Color, int64(p.Price), int64(p.Floor), int64(p.Cost), p.Stock,
		p.Location, string(p.Status), p.PhotoID, p.PhotoURL, boolInt(p.Deleted), ms(p.CreatedAt), ms(p.UpdatedAt),
		p.SupplierID, p.Notes, p.InactiveReason, photos, searchText(p)}
}

// searchText is what a list search matches: the lower-cased code, name, brand, model, colour,
// location and notes (lower-cased in Go: SQLite's LOWER knows ASCII only). The supplier's name is
// matched through the suppliers table.
func searchText(p *shop.Product) string {
	return strings.ToLower(strings.Join([]string{p.Code, p.Name, p.Brand, p.Model, p.Color, p.Location, p.Notes}, " "))
}

// sortOrders are the ORDER BY clauses of the list's sort orders.
var sortOrders = map[string]string{
	shop.SortNewest: "created_at DESC, code DESC", shop.SortOldest: "created_at, code",
	shop.SortPriceUp: "price, code", shop.SortPriceDown: "price DESC, code DESC",
	shop.SortStockUp: "stock, code", shop.SortStockDown: "stock DESC, code DESC",
	shop.SortName: "name, code", shop.SortUpdated: "updated_at DESC, code DESC",
}

const productByCode = `SELECT ` + productCols + ` FROM products WHERE code = ?`

// Product implements shop.Store.
func (s *Store) Product(ctx context.Context, code string) (*shop.Product, error) {
	var row *sql.Row
	if st := s.prepared(ctx, productByCode); st != nil {
		row = st.QueryRowContext(ctx, code)
	} else {
		row = s.queryRow(ctx, productByCode, code)
	}
	p, err := scanProduct(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shop.ErrNotFound
	}
	return p, err
}

// Search implements shop.Store.
func (s *Store) Search(ctx context.Context, q shop.Query) ([]shop.Product, int, error) {
	var where []string
	var args []any
	if q.Deleted {
		where = append(where, "deleted = 1")
	} else {
		where = append(where, "deleted = 0")
	}
	if q.Text != "" {
		// A plain substring test of the lower-cased search column (faster than LIKE, nothing to
		// escape), or the supplier's name.
		text := strings.ToLower(q.Text)
		where = append(where, "("+s.d.contains("search")+" OR (supplier_id <> 0 AND supplier_id IN (SELECT id FROM suppliers WHERE "+
			s.d.contains("search")+")))")
		args = append(args, text, text)
	}
	if q.SupplierID != 0 {
		where, args = append(where, "supplier_id = ?"), append(args, q.SupplierID)
	}
	if q.Brand != "" {
		where, args = append(where, "brand = ?"), append(args, q.Brand)
	}
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(q.Status))
	}
	if !q.Since.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, ms(q.Since))
	}
	if q.LowStock {
		where, args = append(where, "stock <= ? AND status <> ?"), append(args, q.LowStockAt, string(shop.StatusInactive))
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM products`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := sortOrders[q.Sort]
	if order == "" {
		order = sortOrders[shop.SortNewest]
	}
	rows, err := s.query(ctx, `SELECT `+productCols+` FROM products`+cond+
		` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	ps, err := collectProducts(rows)
	return ps, total, err
}

func collectProducts(rows *sql.Rows) ([]shop.Product, error) {
	defer rows.Close()
	var out []shop.Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// Brands implements shop.Store.
func (s *Store) Brands(ctx context.Context) ([]string, error) {
	rows, err := s.query(ctx, `SELECT DISTINCT brand FROM products WHERE brand <> '' AND deleted = 0 ORDER BY brand`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Inventory implements shop.Store.
func (s *Store) Inventory(ctx context.Context) (shop.Inventory, error) {
	var inv shop.Inventory
	var cost, retail int64
	err := s.queryRow(ctx, `SELECT COALESCE(SUM(stock), 0), COALESCE(SUM(stock * cost), 0), COALESCE(SUM(stock * price), 0)
		FROM products WHERE deleted = 0 AND status <> ?`, string(shop.StatusInactive)).Scan(&inv.Units, &cost, &retail)
	inv.Cost, inv.Retail = shop.Money(cost), shop.Money(retail)
	return inv, err
}

// SlowMovers implements shop.Store.
func (s *Store) SlowMovers(ctx context.Context, since time.Time, limit int) ([]shop.Product, error) {
	rows, err := s.query(ctx, `SELECT `+productCols+` FROM products p
		WHERE deleted = 0 AND status <> ? AND stock > 0 AND created_at < ?
		AND NOT EXISTS (SELECT 1 FROM sales x WHERE x.code = p.code AND x.sold_at >= ?)
		ORDER BY created_at, code LIMIT ?`, string(shop.StatusInactive), ms(since), ms(since), limit)
	if err != nil {
		return nil, err
	}
	return collectProducts(rows)
}

// ProductCount returns how many products the store holds (deleted ones included).
func (s *Store) ProductCount(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM products`).Scan(&n)
	return n, err
}

// ProductsByCode returns the products with these codes (unknown codes are left out).
func (s *Store) ProductsByCode(ctx context.Context, codes []string) (map[string]*shop.Product, error) {
	out := make(map[string]*shop.Product, len(codes))
	err := inChunks(codes, func(args []any) error {
		rows, err := s.query(ctx, `SELECT `+productCols+` FROM products WHERE code IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return err
		}
		ps, err := collectProducts(rows)
		for i := range ps {
			out[ps[i].Code] = &ps[i]
		}
		return err
	})
	return out, err
}

// Lock implements shop.Tx.
func (t *Tx) Lock(ctx context.Context, code string) (*shop.Product, error) {
	p, err := scanProduct(t.queryRow(ctx, `SELECT `+productCols+` FROM products WHERE code = ?`+t.d.forUpdate(), code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shop.ErrNotFound
	}
	return p, err
}

// CreateProduct implements shop.Tx: the product and its row in the sheet's outbox.
func (t *Tx) CreateProduct(ctx context.Context, p *shop.Product) error {
	n, err := affected(t.exec(ctx, `INSERT INTO products (`+productCols+`, search)
		VALUES (`+placeholders(productWidth)+`) ON CONFLICT (code) DO NOTHING`, productArgs(p)...))
	if err != nil {
		return fmt.Errorf("store: create product: %w", err)
	}
	if n == 0 {
		return shop.ErrCodeTaken
	}
	return t.Enqueue(ctx, TopicProducts, p.Code)
}

// SaveProduct implements shop.Tx: every column but the code and the creation time.
func (t *Tx) SaveProduct(ctx context.Context, p *shop.Product) error {
	a := productArgs(p)
	// Every column but code (a[0]) and created_at (a[14]), then the key.
	args := append(append(a[1:14:14], a[15:]...), a[0])
	n, err := affected(t.exec(ctx, `UPDATE products SET name = ?, brand = ?, model = ?, color = ?, price = ?,
		floor_price = ?, cost = ?, stock = ?, location = ?, status = ?, photo_id = ?, photo_url = ?, deleted = ?,
		updated_at = ?, supplier_id = ?, notes = ?, inactive_reason = ?, photos = ?, search = ? WHERE code = ?`, args...))
	switch {
	case isCheckViolation(err):
		return shop.ErrSoldOut
	case err != nil:
		return fmt.Errorf("store: save product: %w", err)
	case n == 0:
		return shop.ErrNotFound
	}
	return t.Enqueue(ctx, TopicProducts, p.Code)
}

// Codes implements shop.Tx (a range scan of the primary key).
func (t *Tx) Codes(ctx context.Context, prefix string) ([]string, error) {
	rows, err := t.query(ctx, `SELECT code FROM products WHERE code >= ? AND code < ?`, prefix, prefix+"\x7f")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EachProduct calls f for every product (deleted ones too) registered in [from, to) — any time
// when both are zero — oldest first (exports).
func (s *Store) EachProduct(ctx context.Context, from, to time.Time, f func(*shop.Product) error) error {
	if to.IsZero() {
		to = time.UnixMilli(1 << 62)
	}
	rows, err := s.query(ctx, `SELECT `+productCols+` FROM products WHERE created_at >= ? AND created_at < ?
		ORDER BY created_at, code`, ms(from), ms(to))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return err
		}
		if err := f(p); err != nil {
			return err
		}
	}
	return rows.Err()
}
