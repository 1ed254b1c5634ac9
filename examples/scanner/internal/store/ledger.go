package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

const moveCols = `seq, id, code, kind, qty, balance, reason, actor, occurred_at, supplier_id, unit_cost`

func scanMove(sc scanner) (shop.Movement, error) {
	var m shop.Movement
	var kind string
	var at int64
	err := sc.Scan(&m.Seq, &m.ID, &m.Code, &kind, &m.Qty, &m.Balance, &m.Reason, &m.Actor, &at, &m.SupplierID, &m.UnitCost)
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
	err := t.queryRow(ctx, `INSERT INTO ledger (id, code, kind, qty, balance, reason, actor, occurred_at, supplier_id, unit_cost)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`, m.ID, m.Code, string(m.Kind), m.Qty, m.Balance, m.Reason,
		m.Actor, ms(m.At), m.SupplierID, int64(m.UnitCost)).Scan(&m.Seq)
	if isCheckViolation(err) {
		return shop.ErrSoldOut
	}
	if err != nil {
		return fmt.Errorf("store: add ledger row: %w", err)
	}
	return t.Enqueue(ctx, TopicLedger, m.ID)
}

const saleCols = `id, code, name, price, cost, note, actor, sold_at, customer_id, kind, qty, reverses, reason`

func scanSale(sc scanner) (shop.Sale, error) {
	var x shop.Sale
	var at int64
	var kind string
	err := sc.Scan(&x.ID, &x.Code, &x.Name, &x.Price, &x.Cost, &x.Note, &x.Actor, &at, &x.CustomerID, &kind, &x.Qty,
		&x.Reverses, &x.Reason)
	x.At, x.Kind = fromMS(at), shop.SaleKind(kind)
	return x, err
}

func saleArgs(x *shop.Sale) []any {
	if x.Kind == "" {
		x.Kind = shop.SaleSell
	}
	if x.Qty == 0 {
		x.Qty = 1
	}
	return []any{x.ID, x.Code, x.Name, int64(x.Price), int64(x.Cost), x.Note, x.Actor, ms(x.At), x.CustomerID,
		string(x.Kind), x.Qty, x.Reverses, x.Reason}
}

// SalesBetween implements shop.Store.
func (s *Store) SalesBetween(ctx context.Context, from, to time.Time) ([]shop.Sale, error) {
	rows, err := s.query(ctx, `SELECT `+saleCols+` FROM sales WHERE sold_at >= ? AND sold_at < ? ORDER BY sold_at, id`,
		ms(from), ms(to))
	if err != nil {
		return nil, err
	}
	return collectSales(rows)
}

// Sale implements shop.Store.
func (s *Store) Sale(ctx context.Context, id string) (*shop.Sale, error) {
	x, err := scanSale(s.queryRow(ctx, `SELECT `+saleCols+` FROM sales WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shop.ErrNotFound
	}
	return &x, err
}

// Sales implements shop.Store: newest first (see Reversed for which sales were reversed).
func (s *Store) Sales(ctx context.Context, q shop.SaleQuery) ([]shop.Sale, error) {
	where, args := []string{"1 = 1"}, []any{}
	if q.Code != "" {
		where, args = append(where, "x.code = ?"), append(args, q.Code)
	}
	if q.CustomerID != 0 {
		where, args = append(where, "x.customer_id = ?"), append(args, q.CustomerID)
	}
	if q.SupplierID != 0 {
		where, args = append(where, "x.code IN (SELECT code FROM products WHERE supplier_id = ?)"), append(args, q.SupplierID)
	}
	if !q.From.IsZero() {
		where, args = append(where, "x.sold_at >= ?"), append(args, ms(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "x.sold_at < ?"), append(args, ms(q.To))
	}
	rows, err := s.query(ctx, `SELECT `+prefixed("x.", saleCols)+` FROM sales x WHERE `+strings.Join(where, " AND ")+
		` ORDER BY x.sold_at DESC, x.id DESC LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	return collectSales(rows)
}

// Reversed returns, of these sale ids, the ones that were reversed. Every query on reverses also asks
// for a non-empty value: only then may the database use the partial index sales_reverses (without it the
// product page scanned the whole sales table, 40,000 rows at 50,000 bags).
func (s *Store) Reversed(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := inChunks(ids, func(args []any) error {
		rows, err := s.query(ctx, `SELECT reverses FROM sales WHERE reverses <> '' AND reverses IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out[id] = true
		}
		return rows.Err()
	})
	return out, err
}

// SalesGroups implements shop.Store.
func (s *Store) SalesGroups(ctx context.Context, by string, from, to time.Time) ([]shop.Group, error) {
	var q string
	switch by {
	case "seller":
		q = `SELECT COALESCE(o.actor, x.actor) AS k, SUM(x.qty), SUM(x.price), SUM(x.cost),
			SUM(CASE WHEN x.qty < 0 THEN 1 ELSE 0 END) FROM sales x LEFT JOIN sales o ON o.id = x.reverses AND x.reverses <> ''
			WHERE x.sold_at >= ? AND x.sold_at < ? GROUP BY COALESCE(o.actor, x.actor)`
	case "brand":
		q = `SELECT COALESCE(p.brand, '') AS k, SUM(x.qty), SUM(x.price), SUM(x.cost),
			SUM(CASE WHEN x.qty < 0 THEN 1 ELSE 0 END) FROM sales x LEFT JOIN products p ON p.code = x.code
			WHERE x.sold_at >= ? AND x.sold_at < ? GROUP BY COALESCE(p.brand, '')`
	default:
		return nil, fmt.Errorf("store: sales groups by %q", by)
	}
	rows, err := s.query(ctx, q, ms(from), ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shop.Group
	for rows.Next() {
		var g shop.Group
		var rev, cost int64
		if err := rows.Scan(&g.Key, &g.Count, &rev, &cost, &g.Returns); err != nil {
			return nil, err
		}
		g.Revenue, g.Cost, g.Margin = shop.Money(rev), shop.Money(cost), shop.Money(rev-cost)
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b shop.Group) int {
		if a.Revenue != b.Revenue {
			return cmp.Compare(b.Revenue, a.Revenue)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, rows.Err()
}

// Purchases implements shop.Store.
func (s *Store) Purchases(ctx context.Context, supplierID int64, limit int) ([]shop.Movement, error) {
	rows, err := s.query(ctx, `SELECT `+moveCols+` FROM ledger WHERE supplier_id = ? ORDER BY seq DESC LIMIT ?`, supplierID, limit)
	if err != nil {
		return nil, err
	}
	return collectMoves(rows)
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

// AddSale implements shop.Tx: the sale and its row in the sheet's outbox. A second reversal of a
// sale is shop.ErrReversed (the bag is locked, so two reversals of one sale run one after the
// other; a unique index backs this up).
func (t *Tx) AddSale(ctx context.Context, x *shop.Sale) error {
	if x.Reverses != "" {
		var n int
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM sales WHERE reverses <> '' AND reverses = ?`, x.Reverses).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shop.ErrReversed
		}
	}
	if _, err := t.exec(ctx, `INSERT INTO sales (`+saleCols+`) VALUES (`+placeholders(13)+`)`, saleArgs(x)...); err != nil {
		return fmt.Errorf("store: add sale: %w", err)
	}
	return t.Enqueue(ctx, TopicSales, x.ID)
}

// prefixed qualifies every column of a list with p ("x.").
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
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

// SalesSince returns the sales rows at or after since, oldest first.
func (s *Store) SalesSince(ctx context.Context, since time.Time) ([]shop.Sale, error) {
	return s.SalesBetween(ctx, since, time.UnixMilli(1<<62))
}

// EachMovement calls f for every ledger row in [from, to), in operation order (exports).
func (s *Store) EachMovement(ctx context.Context, from, to time.Time, f func(*shop.Movement) error) error {
	rows, err := s.query(ctx, `SELECT `+moveCols+` FROM ledger WHERE occurred_at >= ? AND occurred_at < ? ORDER BY seq`,
		ms(from), ms(to))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMove(rows)
		if err != nil {
			return err
		}
		if err := f(&m); err != nil {
			return err
		}
	}
	return rows.Err()
}
