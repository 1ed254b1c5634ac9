package store

import (
	"context"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// AddScan implements shop.Tx.
func (t *Tx) AddScan(ctx context.Context, sc shop.Scan) error {
	_, err := t.exec(ctx, `INSERT INTO scans (code, actor, source, scanned_at) VALUES (?, ?, ?, ?)`,
		sc.Code, sc.Actor, string(sc.Source), ms(sc.At))
	return err
}

// Scans implements shop.Store.
func (s *Store) Scans(ctx context.Context, code string, limit int) (int, []shop.Scan, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM scans WHERE code = ?`, code).Scan(&n); err != nil {
		return 0, nil, err
	}
	if n == 0 {
		return 0, nil, nil
	}
	rows, err := s.query(ctx, `SELECT code, actor, source, scanned_at FROM scans WHERE code = ? ORDER BY seq DESC LIMIT ?`, code, limit)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []shop.Scan
	for rows.Next() {
		var sc shop.Scan
		var src string
		var at int64
		if err := rows.Scan(&sc.Code, &sc.Actor, &src, &at); err != nil {
			return 0, nil, err
		}
		sc.Source, sc.At = shop.ScanSource(src), fromMS(at)
		out = append(out, sc)
	}
	return n, out, rows.Err()
}

// ScanTimes implements shop.Store.
func (s *Store) ScanTimes(ctx context.Context, from, to time.Time) ([]time.Time, error) {
	rows, err := s.query(ctx, `SELECT scanned_at FROM scans WHERE scanned_at >= ? AND scanned_at < ?`, ms(from), ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return nil, err
		}
		out = append(out, fromMS(at))
	}
	return out, rows.Err()
}

// MostScannedUnsold implements shop.Store: scans in the window of products that had no sale in it
// that stayed sold (a sale later reversed does not count).
func (s *Store) MostScannedUnsold(ctx context.Context, from, to time.Time, limit int) ([]shop.ScanCount, error) {
	rows, err := s.query(ctx, `SELECT x.code, p.name, p.stock, x.n FROM
		(SELECT code, COUNT(*) AS n FROM scans WHERE scanned_at >= ? AND scanned_at < ? GROUP BY code) x
		JOIN products p ON p.code = x.code
		WHERE p.deleted = 0 AND NOT EXISTS (SELECT 1 FROM sales y WHERE y.code = x.code AND y.qty > 0
			AND y.sold_at >= ? AND y.sold_at < ? AND NOT EXISTS (SELECT 1 FROM sales r WHERE r.reverses <> '' AND r.reverses = y.id))
		ORDER BY x.n DESC, x.code LIMIT ?`, ms(from), ms(to), ms(from), ms(to), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shop.ScanCount
	for rows.Next() {
		var c shop.ScanCount
		if err := rows.Scan(&c.Code, &c.Name, &c.Stock, &c.Scans); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
