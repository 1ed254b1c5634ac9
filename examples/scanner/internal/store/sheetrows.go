package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SheetRow says where a row of the store is in the smart sheet and what the app last wrote there.
type SheetRow struct {
	Topic    string // TopicProducts, TopicLedger, TopicSales
	Entity   string // product code, ledger row id, sale id
	Sheet    string // the sub-sheet's name in Sheets ("" until first written)
	RecordID string // "" until WeCom acknowledged the add
	Pushed   string // JSON: column title → canonical value, as last acknowledged (products only)
	Pushing  string // JSON of a write in flight, whose outcome may be unknown
	Maybe    bool   // an add may have been applied without its answer: look the key up first
}

const sheetRowCols = `topic, entity, sheet, record_id, pushed, pushing, maybe`

func scanSheetRow(sc scanner) (SheetRow, error) {
	var r SheetRow
	var maybe int
	err := sc.Scan(&r.Topic, &r.Entity, &r.Sheet, &r.RecordID, &r.Pushed, &r.Pushing, &maybe)
	r.Maybe = maybe != 0
	return r, err
}

func collectSheetRows(rows *sql.Rows) ([]SheetRow, error) {
	defer rows.Close()
	var out []SheetRow
	for rows.Next() {
		r, err := scanSheetRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SheetRows returns the rows of topic for these entities (a missing one was never written).
func (s *Store) SheetRows(ctx context.Context, topic string, entities []string) (map[string]SheetRow, error) {
	out := make(map[string]SheetRow, len(entities))
	err := inChunks(entities, func(args []any) error {
		rows, err := s.query(ctx, `SELECT `+sheetRowCols+` FROM sheet_rows WHERE topic = ? AND entity IN (`+
			placeholders(len(args))+`)`, append([]any{topic}, args...)...)
		if err != nil {
			return err
		}
		rs, err := collectSheetRows(rows)
		for _, r := range rs {
			out[r.Entity] = r
		}
		return err
	})
	return out, err
}

// SheetRowsByRecord returns the rows with these record ids, by record id.
func (s *Store) SheetRowsByRecord(ctx context.Context, recordIDs []string) (map[string]SheetRow, error) {
	out := make(map[string]SheetRow, len(recordIDs))
	err := inChunks(recordIDs, func(args []any) error {
		rows, err := s.query(ctx, `SELECT `+sheetRowCols+` FROM sheet_rows WHERE record_id IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return err
		}
		rs, err := collectSheetRows(rows)
		for _, r := range rs {
			out[r.RecordID] = r
		}
		return err
	})
	return out, err
}

// SheetRowsOf calls f for every row placed in sheet (the sub-sheet's name), in no order.
func (s *Store) SheetRowsOf(ctx context.Context, sheet string, f func(SheetRow) error) error {
	rows, err := s.query(ctx, `SELECT `+sheetRowCols+` FROM sheet_rows WHERE sheet = ?`, sheet)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanSheetRow(rows)
		if err != nil {
			return err
		}
		if err := f(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CountSheetRows returns how many rows the app placed in sheet with a known record id.
func (s *Store) CountSheetRows(ctx context.Context, sheet string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM sheet_rows WHERE sheet = ? AND record_id <> ''`, sheet).Scan(&n)
	return n, err
}

// SaveSheetRow writes r (insert or replace).
func (t *Tx) SaveSheetRow(ctx context.Context, r SheetRow) error {
	_, err := t.exec(ctx, `INSERT INTO sheet_rows (`+sheetRowCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (topic, entity) DO UPDATE SET sheet = excluded.sheet, record_id = excluded.record_id,
		pushed = excluded.pushed, pushing = excluded.pushing, maybe = excluded.maybe`,
		r.Topic, r.Entity, r.Sheet, r.RecordID, r.Pushed, r.Pushing, boolInt(r.Maybe))
	return err
}

// ForgetSheet drops what the store knows of the rows in sheet (a sub-sheet deleted or recreated)
// and queues all of them to be written again.
func (t *Tx) ForgetSheet(ctx context.Context, sheet string) error {
	if _, err := t.exec(ctx, `INSERT INTO outbox (topic, entity, full_row, created_at)
		SELECT topic, entity, 1, ? FROM sheet_rows WHERE sheet = ?`, ms(t.now), sheet); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM sheet_rows WHERE sheet = ?`, sheet)
	return err
}

// Sheet is one of the app's sub-sheets.
type Sheet struct {
	Name     string // products, ledger:2026:1, sales:2026:1
	SheetID  string
	Title    string // 商品, 库存流水2026, 销售记录2026 (2)
	RowCount int    // rows the app placed in it
}

// Sheets lists the app's sub-sheets.
func (s *Store) Sheets(ctx context.Context) ([]Sheet, error) {
	rows, err := s.query(ctx, `SELECT name, sheet_id, title, row_count FROM sheets ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Sheet
	for rows.Next() {
		var sh Sheet
		if err := rows.Scan(&sh.Name, &sh.SheetID, &sh.Title, &sh.RowCount); err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// SaveSheet records a sub-sheet (insert or replace).
func (t *Tx) SaveSheet(ctx context.Context, sh Sheet) error {
	_, err := t.exec(ctx, `INSERT INTO sheets (name, sheet_id, title, row_count) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET sheet_id = excluded.sheet_id, title = excluded.title, row_count = excluded.row_count`,
		sh.Name, sh.SheetID, sh.Title, sh.RowCount)
	return err
}

// AddSheetRows adds n to a sub-sheet's row count.
func (t *Tx) AddSheetRows(ctx context.Context, name string, n int) error {
	_, err := t.exec(ctx, `UPDATE sheets SET row_count = row_count + ? WHERE name = ?`, n, name)
	return err
}

// Lease takes or renews the named lease for owner until now+ttl; it reports whether owner holds
// it. A lease whose holder stopped renewing it passes to the next taker after it ran out.
func (s *Store) Lease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	now := s.now()
	var held bool
	err := s.WriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO leases (name, owner, until_at) VALUES (?, '', 0) ON CONFLICT (name) DO NOTHING`, name); err != nil {
			return err
		}
		n, err := affected(tx.exec(ctx, `UPDATE leases SET owner = ?, until_at = ? WHERE name = ? AND (owner = ? OR until_at < ?)`,
			owner, ms(now.Add(ttl)), name, owner, ms(now)))
		held = n == 1
		return err
	})
	return held, err
}

// ReleaseLease gives the lease up if owner holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE leases SET until_at = 0 WHERE name = ? AND owner = ?`, name, owner)
		return err
	})
}

// Get returns a stored setting ("" when unset).
func (s *Store) Get(ctx context.Context, name string) (string, error) {
	var v string
	err := s.queryRow(ctx, `SELECT value FROM kv WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// Set stores a setting.
func (s *Store) Set(ctx context.Context, name, value string) error {
	return s.WriteTx(ctx, func(tx *Tx) error { return tx.Set(ctx, name, value) })
}

// Set stores a setting in the transaction.
func (t *Tx) Set(ctx context.Context, name, value string) error {
	_, err := t.exec(ctx, `INSERT INTO kv (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

// EnqueueSheet queues every row placed in sheet to be written in full (a column was re-created).
func (t *Tx) EnqueueSheet(ctx context.Context, sheet string) error {
	_, err := t.exec(ctx, `INSERT INTO outbox (topic, entity, full_row, created_at)
		SELECT topic, entity, 1, ? FROM sheet_rows WHERE sheet = ? AND record_id <> ''`, ms(t.now), sheet)
	return err
}

// DeleteSheet forgets a sub-sheet (deleted from the document); see ForgetSheet for its rows.
func (t *Tx) DeleteSheet(ctx context.Context, name string) error {
	_, err := t.exec(ctx, `DELETE FROM sheets WHERE name = ?`, name)
	return err
}
