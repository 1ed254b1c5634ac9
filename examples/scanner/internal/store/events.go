package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// SheetEvent is a smart_sheet_change callback, kept until the sheet sync has applied it.
type SheetEvent struct {
	Seq        int64
	SheetID    string
	ChangeType string   // add_record, update_record, delete_record, add_filed, …
	IDs        []string // record ids (record events) or field ids (field events)
	ReceivedAt time.Time
	Attempts   int
	LastError  string
}

// AddSheetEvent stores a callback.
func (s *Store) AddSheetEvent(ctx context.Context, e SheetEvent) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO sheet_events (sheet_id, change_type, ids, received_at) VALUES (?, ?, ?, ?)`,
			e.SheetID, e.ChangeType, strings.Join(e.IDs, ","), ms(tx.now))
		return err
	})
}

// SheetEvents returns up to limit stored callbacks due at now, oldest first.
func (s *Store) SheetEvents(ctx context.Context, now time.Time, limit int) ([]SheetEvent, error) {
	rows, err := s.query(ctx, `SELECT seq, sheet_id, change_type, ids, received_at, attempts, last_error
		FROM sheet_events WHERE next_at <= ? ORDER BY seq LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, err
	}
	return collectEvents(rows)
}

func collectEvents(rows *sql.Rows) ([]SheetEvent, error) {
	defer rows.Close()
	var out []SheetEvent
	for rows.Next() {
		var e SheetEvent
		var ids string
		var at int64
		if err := rows.Scan(&e.Seq, &e.SheetID, &e.ChangeType, &ids, &at, &e.Attempts, &e.LastError); err != nil {
			return nil, err
		}
		if ids != "" {
			e.IDs = strings.Split(ids, ",")
		}
		e.ReceivedAt = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// SheetEventDone deletes an applied callback.
func (t *Tx) SheetEventDone(ctx context.Context, seq int64) error {
	_, err := t.exec(ctx, `DELETE FROM sheet_events WHERE seq = ?`, seq)
	return err
}

// SheetEventRetry records a failed attempt to apply a callback.
func (s *Store) SheetEventRetry(ctx context.Context, seq int64, next time.Time, cause string) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE sheet_events SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE seq = ?`,
			ms(next), truncate(cause, 500), seq)
		return err
	})
}

// FailingSheetEvents lists callbacks whose application failed, oldest first.
func (s *Store) FailingSheetEvents(ctx context.Context, limit int) ([]SheetEvent, error) {
	rows, err := s.query(ctx, `SELECT seq, sheet_id, change_type, ids, received_at, attempts, last_error
		FROM sheet_events WHERE attempts > 0 ORDER BY seq LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	return collectEvents(rows)
}
