package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// BulkLoad writes many products, ledger rows and sales at once, with their outbox rows, in one
// transaction (the demo's seed data: 50,000 bags and a year of sales in seconds). Ledger rows are
// numbered in the order given; the caller makes each product's balances a chain. Nothing is
// checked against existing rows: load into an empty store.
func (s *Store) BulkLoad(ctx context.Context, ps []shop.Product, moves []shop.Movement, sales []shop.Sale) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		prod := make([][]any, len(ps))
		for i := range ps {
			prod[i] = productArgs(&ps[i])
		}
		if err := tx.insertRows(ctx, "products", productCols+", search", prod); err != nil {
			return err
		}
		led := make([][]any, len(moves))
		for i, m := range moves {
			led[i] = []any{m.ID, m.Code, string(m.Kind), m.Qty, m.Balance, m.Reason, m.Actor, ms(m.At), m.SupplierID, int64(m.UnitCost)}
		}
		if err := tx.insertRows(ctx, "ledger", "id, code, kind, qty, balance, reason, actor, occurred_at, supplier_id, unit_cost", led); err != nil {
			return err
		}
		sl := make([][]any, len(sales))
		for i := range sales {
			sl[i] = saleArgs(&sales[i])
		}
		if err := tx.insertRows(ctx, "sales", saleCols, sl); err != nil {
			return err
		}
		out := make([][]any, 0, len(ps)+len(moves)+len(sales))
		now := ms(tx.now)
		for _, p := range ps {
			out = append(out, []any{TopicProducts, p.Code, now})
		}
		for _, m := range moves {
			out = append(out, []any{TopicLedger, m.ID, now})
		}
		for _, x := range sales {
			out = append(out, []any{TopicSales, x.ID, now})
		}
		return tx.insertRows(ctx, "outbox", "topic, entity, created_at", out)
	})
}

// insertRows inserts rows with multi-row INSERT statements.
func (t *Tx) insertRows(ctx context.Context, table, cols string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	per := max(1, 2000/width)
	one := "(" + placeholders(width) + ")"
	for len(rows) > 0 {
		n := min(len(rows), per)
		args := make([]any, 0, n*width)
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
		if _, err := t.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: bulk insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}
