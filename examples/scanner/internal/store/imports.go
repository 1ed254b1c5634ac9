package store

import (
	"context"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// The import of a document written by an earlier version of the app (the sheet was the store then):
// rows already in the sheet are written to the store without queueing them for the sheet.

// ImportProduct inserts a product read from the sheet; an existing code is left alone. It reports
// whether the product was new.
func (t *Tx) ImportProduct(ctx context.Context, p *shop.Product) (bool, error) {
	n, err := affected(t.exec(ctx, `INSERT INTO products (`+productCols+`, search) VALUES (`+placeholders(productWidth)+`)
		ON CONFLICT (code) DO NOTHING`, productArgs(p)...))
	return n == 1, err
}

// ImportMovement inserts a ledger row read from the sheet (rows come oldest first, so their
// sequence numbers keep the operation order); an existing id is left alone. It reports whether the
// row was new.
func (t *Tx) ImportMovement(ctx context.Context, m *shop.Movement) (bool, error) {
	n, err := affected(t.exec(ctx, `INSERT INTO ledger (id, code, kind, qty, balance, reason, actor, occurred_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, m.ID, m.Code, string(m.Kind), m.Qty, max(m.Balance, 0),
		m.Reason, m.Actor, ms(m.At)))
	return n == 1, err
}

// ImportSale inserts a sale read from the sheet; an existing id is left alone.
func (t *Tx) ImportSale(ctx context.Context, x *shop.Sale) (bool, error) {
	n, err := affected(t.exec(ctx, `INSERT INTO sales (`+saleCols+`) VALUES (`+placeholders(13)+`) ON CONFLICT (id) DO NOTHING`,
		saleArgs(x)...))
	return n == 1, err
}

// LedgerSums returns the sum of every product's ledger rows.
func (s *Store) LedgerSums(ctx context.Context) (map[string]int, error) {
	rows, err := s.query(ctx, `SELECT code, SUM(qty) FROM ledger GROUP BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return nil, err
		}
		out[code] = n
	}
	return out, rows.Err()
}
