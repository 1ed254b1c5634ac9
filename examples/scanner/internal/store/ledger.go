package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

const moveCols = `seq, id, code, kind, qty, balance, reason, actor, occurred_at`

func scanMove(sc scanner) (shop.Movement, error) {
	var m shop.Movement
	var kind string
	var at int64
	err := sc.Scan(&m.Seq, &m.ID, &m.Code, &kind, &m.Qty, &m.Balance, &m.Reason, &m.Actor, &at)
	m.Kind, m.At = shop.MoveKind(kind), fromMS(at)
	return m, err
}

const movesOfCode = `SELECT ` + moveCols + ` FROM ledger WHERE code = ? ORDER BY seq DESC LIMIT ?`

// Movements implements shop.Store: newest first by sequence number.
func (s *Store) Movements(ctx context.Context, code string, limit int) ([]shop.Movement, error) {
	var rows *sql.Rows
	var err error
	if st := s.prepared(ctx, movesOfCode); st != nil {
		rows, err = st.QueryContext(ctx, code, limit)
	} else {
		rows, err = s.query(ctx, movesOfCode, code, limit)
	}
	if err != nil {
		return nil, err
	}
	return collectMoves(rows)
}

// MovementsByID returns the ledger rows with these ids.
func (s *Store) MovementsByID(ctx context.Context, ids []string) (map[string]shop.Movement, error) {
	out := make(map[string]shop.Movement, len(ids))
	err := inChunks(ids, func(args []any) error {
		rows, err := s.query(ctx, `SELECT `+moveCols+` FROM ledger WHERE id IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return err
		}
		ms, err := collectMoves(rows)
		for _, m := range ms {
			out[m.ID] = m
		}
		return err
	})
	return out, err
}

func collectMoves(rows *sql.Rows) ([]shop.Movement, error) {
	defer rows.Close()
	var out []shop.Movement
	for rows.Next() {
		m, err := scanMove(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// LedgerMismatches returns the products whose stock differs from the sum of their ledger rows
// (there should be none; tests and the health check look).
func (s *Store) LedgerMismatches(ctx context.Context) (map[string][2]int, error) {
	rows, err := s.query(ctx, `SELECT p.code, p.stock, COALESCE(l.total, 0) FROM products p
		LEFT JOIN (SELECT code, SUM(qty) AS total FROM ledger GROUP BY code) l ON l.code = p.code
		WHERE p.stock <> COALESCE(l.total, 0)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][2]int{}
	for rows.Next() {
		var code string
		var stock, sum int
		if err := rows.Scan(&code, &stock, &sum); err != nil {
			return nil, err
		}
		out[code] = [2]int{stock, sum}
	}
	return out, rows.Err()
}

// AddMovement implements shop.Tx: the ledger row and its row in the sheet's outbox.
func (t *Tx) AddMovement(ctx context.Context, m *shop.Movement) error {
	err := t.queryRow(ctx, `INSERT INTO ledger (id, code, kind, qty, balance, reason, actor, occurred_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`, m.ID, m.Code, string(m.Kind), m.Qty, m.Balance, m.Reason,
		m.Actor, ms(m.At)).Scan(&m.Seq)
	if isCheckViolation(err) {
		return shop.ErrSoldOut
	}
	if err != nil {
		return fmt.Errorf("store: add ledger row: %w", err)
	}
	return t.Enqueue(ctx, TopicLedger, m.ID)
}

const saleCols = `id, code, name, price, cost, note, actor, sold_at`

func scanSale(sc scanner) (shop.Sale, error) {
	var x shop.Sale
	var at int64
	err := sc.Scan(&x.ID, &x.Code, &x.Name, &x.Price, &x.Cost, &x.Note, &x.Actor, &at)
	x.At = fromMS(at)
	return x, err
}

// SalesSince implements shop.Store.
func (s *Store) SalesSince(ctx context.Context, since time.Time) ([]shop.Sale, error) {
	rows, err := s.query(ctx, `SELECT `+saleCols+` FROM sales WHERE sold_at >= ? ORDER BY sold_at`, ms(since))
	if err != nil {
		return nil, err
	}
	return collectSales(rows)
}

// SalesByID returns the sales with these ids.
func (s *Store) SalesByID(ctx context.Context, ids []string) (map[string]shop.Sale, error) {
	out := make(map[string]shop.Sale, len(ids))
	err := inChunks(ids, func(args []any) error {
		rows, err := s.query(ctx, `SELECT `+saleCols+` FROM sales WHERE id IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return err
		}
		xs, err := collectSales(rows)
		for _, x := range xs {
			out[x.ID] = x
		}
		return err
	})
	return out, err
}

func collectSales(rows *sql.Rows) ([]shop.Sale, error) {
	defer rows.Close()
	var out []shop.Sale
	for rows.Next() {
		x, err := scanSale(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// AddSale implements shop.Tx: the sale and its row in the sheet's outbox.
func (t *Tx) AddSale(ctx context.Context, x *shop.Sale) error {
	if _, err := t.exec(ctx, `INSERT INTO sales (`+saleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.Code, x.Name, int64(x.Price), int64(x.Cost), x.Note, x.Actor, ms(x.At)); err != nil {
		return fmt.Errorf("store: add sale: %w", err)
	}
	return t.Enqueue(ctx, TopicSales, x.ID)
}

// Request implements shop.Tx.
func (t *Tx) Request(ctx context.Context, id string) (shop.Request, bool, error) {
	r := shop.Request{ID: id}
	var at int64
	err := t.queryRow(ctx, `SELECT op, code, created_at FROM requests WHERE id = ?`, id).Scan(&r.Op, &r.Code, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	r.At = fromMS(at)
	return r, err == nil, err
}

// AddRequest implements shop.Tx. A request ID recorded meanwhile by another replica's
// transaction is shop.ErrConflict: run the change again and it is a replay.
func (t *Tx) AddRequest(ctx context.Context, r shop.Request) error {
	n, err := affected(t.exec(ctx, `INSERT INTO requests (id, op, code, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, r.ID, r.Op, r.Code, ms(r.At)))
	if err != nil {
		return fmt.Errorf("store: add request: %w", err)
	}
	if n == 0 {
		return shop.ErrConflict
	}
	return nil
}

// inChunks calls f with the values as query arguments, at most 500 at a time.
func inChunks[T any](vals []T, f func(args []any) error) error {
	for len(vals) > 0 {
		n := min(len(vals), 500)
		args := make([]any, n)
		for i, v := range vals[:n] {
			args[i] = v
		}
		if err := f(args); err != nil {
			return err
		}
		vals = vals[n:]
	}
	return nil
}
