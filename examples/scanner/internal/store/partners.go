package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// Outbox topics of the suppliers and customers (the entity is the id).
const (
	TopicSuppliers = "suppliers"
	TopicCustomers = "customers"
)

const supplierCols = `id, name, contact, phone, notes, deleted, created_at, updated_at`

func scanSupplier(sc scanner) (*shop.Supplier, error) {
	var x shop.Supplier
	var del int
	var created, updated int64
	err := sc.Scan(&x.ID, &x.Name, &x.Contact, &x.Phone, &x.Notes, &del, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shop.ErrNotFound
	}
	x.Deleted, x.CreatedAt, x.UpdatedAt = del != 0, fromMS(created), fromMS(updated)
	return &x, err
}

func supplierSearch(x *shop.Supplier) string {
	return strings.ToLower(x.Name + " " + x.Contact + " " + x.Phone)
}

// Supplier implements shop.Store.
func (s *Store) Supplier(ctx context.Context, id int64) (*shop.Supplier, error) {
	return scanSupplier(s.queryRow(ctx, `SELECT `+supplierCols+` FROM suppliers WHERE id = ?`, id))
}

// SupplierByName returns the supplier with this name.
func (s *Store) SupplierByName(ctx context.Context, name string) (*shop.Supplier, error) {
	return scanSupplier(s.queryRow(ctx, `SELECT `+supplierCols+` FROM suppliers WHERE name = ?`, name))
}

// Suppliers implements shop.Store: by name.
func (s *Store) Suppliers(ctx context.Context, q shop.PartnerQuery) ([]shop.Supplier, int, error) {
	cond, args := partnerCond(s.d, q)
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM suppliers`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.query(ctx, `SELECT `+supplierCols+` FROM suppliers`+cond+` ORDER BY name, id LIMIT ? OFFSET ?`,
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []shop.Supplier
	for rows.Next() {
		x, err := scanSupplier(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *x)
	}
	return out, total, rows.Err()
}

// SuppliersByID returns the suppliers with these ids.
func (s *Store) SuppliersByID(ctx context.Context, ids []int64) (map[int64]*shop.Supplier, error) {
	out := map[int64]*shop.Supplier{}
	err := inChunks(ids, func(args []any) error {
		rows, err := s.query(ctx, `SELECT `+supplierCols+` FROM suppliers WHERE id IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			x, err := scanSupplier(rows)
			if err != nil {
				return err
			}
			out[x.ID] = x
		}
		return rows.Err()
	})
	return out, err
}

func partnerCond(d Dialect, q shop.PartnerQuery) (string, []any) {
	where, args := []string{"deleted = ?"}, []any{boolInt(q.Deleted)}
	if q.Text != "" {
		where, args = append(where, d.contains("search")), append(args, strings.ToLower(q.Text))
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// Supplier implements shop.Tx.
func (t *Tx) Supplier(ctx context.Context, id int64) (*shop.Supplier, error) {
	return scanSupplier(t.queryRow(ctx, `SELECT `+supplierCols+` FROM suppliers WHERE id = ?`+t.d.forUpdate(), id))
}

// CreateSupplier implements shop.Tx.
func (t *Tx) CreateSupplier(ctx context.Context, x *shop.Supplier) error {
	n, err := affected(t.exec(ctx, `INSERT INTO suppliers (name, contact, phone, notes, deleted, search, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`, x.Name, x.Contact, x.Phone, x.Notes,
		boolInt(x.Deleted), supplierSearch(x), ms(x.CreatedAt), ms(x.UpdatedAt)))
	if err != nil {
		return fmt.Errorf("store: create supplier: %w", err)
	}
	if n == 0 {
		return shop.ErrConflict
	}
	if err := t.queryRow(ctx, `SELECT id FROM suppliers WHERE name = ?`, x.Name).Scan(&x.ID); err != nil {
		return err
	}
	return t.Enqueue(ctx, TopicSuppliers, strconv.FormatInt(x.ID, 10))
}

// SaveSupplier implements shop.Tx.
func (t *Tx) SaveSupplier(ctx context.Context, x *shop.Supplier) error {
	_, err := t.exec(ctx, `UPDATE suppliers SET name = ?, contact = ?, phone = ?, notes = ?, deleted = ?, search = ?,
		updated_at = ? WHERE id = ?`, x.Name, x.Contact, x.Phone, x.Notes, boolInt(x.Deleted), supplierSearch(x),
		ms(x.UpdatedAt), x.ID)
	if isUniqueViolation(err) {
		return shop.ErrNameTaken
	}
	if err != nil {
		return fmt.Errorf("store: save supplier: %w", err)
	}
	return t.Enqueue(ctx, TopicSuppliers, strconv.FormatInt(x.ID, 10))
}

const customerCols = `id, name, phone, external_id, notes, deleted, created_at, updated_at`

func scanCustomer(sc scanner) (*shop.Customer, error) {
	var x shop.Customer
	var del int
	var created, updated int64
	err := sc.Scan(&x.ID, &x.Name, &x.Phone, &x.ExternalID, &x.Notes, &del, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shop.ErrNotFound
	}
	x.Deleted, x.CreatedAt, x.UpdatedAt = del != 0, fromMS(created), fromMS(updated)
	return &x, err
}

func customerSearch(x *shop.Customer) string {
	return strings.ToLower(x.Name + " " + x.Phone + " " + x.ExternalID)
}

// Customer implements shop.Store.
func (s *Store) Customer(ctx context.Context, id int64) (*shop.Customer, error) {
	return scanCustomer(s.queryRow(ctx, `SELECT `+customerCols+` FROM customers WHERE id = ?`, id))
}

// Customers implements shop.Store: most recently changed first.
func (s *Store) Customers(ctx context.Context, q shop.PartnerQuery) ([]shop.Customer, int, error) {
	cond, args := partnerCond(s.d, q)
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM customers`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.query(ctx, `SELECT `+customerCols+` FROM customers`+cond+` ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []shop.Customer
	for rows.Next() {
		x, err := scanCustomer(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *x)
	}
	return out, total, rows.Err()
}

// CustomersByID returns the customers with these ids.
func (s *Store) CustomersByID(ctx context.Context, ids []int64) (map[int64]*shop.Customer, error) {
	out := map[int64]*shop.Customer{}
	err := inChunks(ids, func(args []any) error {
		rows, err := s.query(ctx, `SELECT `+customerCols+` FROM customers WHERE id IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			x, err := scanCustomer(rows)
			if err != nil {
				return err
			}
			out[x.ID] = x
		}
		return rows.Err()
	})
	return out, err
}

// Customer implements shop.Tx.
func (t *Tx) Customer(ctx context.Context, id int64) (*shop.Customer, error) {
	return scanCustomer(t.queryRow(ctx, `SELECT `+customerCols+` FROM customers WHERE id = ?`+t.d.forUpdate(), id))
}

// CreateCustomer implements shop.Tx.
func (t *Tx) CreateCustomer(ctx context.Context, x *shop.Customer) error {
	if err := t.queryRow(ctx, `INSERT INTO customers (name, phone, external_id, notes, deleted, search, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, x.Name, x.Phone, x.ExternalID, x.Notes, boolInt(x.Deleted),
		customerSearch(x), ms(x.CreatedAt), ms(x.UpdatedAt)).Scan(&x.ID); err != nil {
		return fmt.Errorf("store: create customer: %w", err)
	}
	return t.Enqueue(ctx, TopicCustomers, strconv.FormatInt(x.ID, 10))
}

// SaveCustomer implements shop.Tx.
func (t *Tx) SaveCustomer(ctx context.Context, x *shop.Customer) error {
	if _, err := t.exec(ctx, `UPDATE customers SET name = ?, phone = ?, external_id = ?, notes = ?, deleted = ?, search = ?,
		updated_at = ? WHERE id = ?`, x.Name, x.Phone, x.ExternalID, x.Notes, boolInt(x.Deleted), customerSearch(x),
		ms(x.UpdatedAt), x.ID); err != nil {
		return fmt.Errorf("store: save customer: %w", err)
	}
	return t.Enqueue(ctx, TopicCustomers, strconv.FormatInt(x.ID, 10))
}
