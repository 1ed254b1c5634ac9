package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one row of audit_log: who did what, when, with details.
type AuditEntry struct {
	ID         int64
	Who        string // admin username, "wechat:<openid>", "api", "platform", "shell" or "system"
	What       string // action, e.g. "merchant.create", "bind.refused"
	When       time.Time
	MerchantID int64 // 0: not about one merchant
	Details    string
}

const maxDetails = 2000

// clean makes the entry storable on every database: whatever a person typed (a failed login's
// username may be 300 bytes of anything) is cut on a character boundary, invalid UTF-8 and NUL
// bytes are replaced.
func (e *AuditEntry) clean() {
	if e.Who == "" {
		e.Who = "system"
	}
	e.Who = SafeText(e.Who, 100)
	e.What = SafeText(e.What, 64)
	e.Details = SafeText(e.Details, maxDetails)
}

func addAudit(ctx context.Context, q querier, d Dialect, e AuditEntry) error {
	e.clean()
	_, err := exec(ctx, q, d, `INSERT INTO audit_log (who, what, occurred_at, merchant_id, details) VALUES (?, ?, ?, ?, ?)`,
		e.Who, e.What, e.When.Unix(), sql.NullInt64{Int64: e.MerchantID, Valid: e.MerchantID != 0}, e.Details)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// Audit appends an entry to the audit log.
func (s *DB) Audit(ctx context.Context, e AuditEntry) error { return addAudit(ctx, s.db, s.d, e) }

// Audit appends an entry inside the transaction (committed with it).
func (tx *Tx) Audit(ctx context.Context, e AuditEntry) error { return addAudit(ctx, tx.tx, tx.d, e) }

// AuditQuery selects audit entries, newest first.
type AuditQuery struct {
	MerchantID int64     // 0: all
	Who        string    // exact actor, e.g. an admin's username; "" all
	Prefix     string    // "bind." selects bind.*; "" all
	From, To   time.Time // occurred in [From, To); zero: unbounded
	Offset     int
	Limit      int // default 50, at most 500
}

// AuditLog returns one page of entries and the total number matching q.
func (s *DB) AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, int, error) {
	var where []string
	var args []any
	if q.MerchantID != 0 {
		where, args = append(where, "merchant_id = ?"), append(args, q.MerchantID)
	}
	if q.Who != "" {
		if err := checkText("who", q.Who); err != nil {
			return nil, 0, err
		}
		where, args = append(where, "who = ?"), append(args, SafeText(q.Who, 100))
	}
	if q.Prefix != "" {
		if err := checkText("kind", q.Prefix); err != nil {
			return nil, 0, err
		}
		where, args = append(where, "what LIKE ? ESCAPE '!'"), append(args, strings.TrimSuffix(likePattern(q.Prefix), "%")[1:]+"%")
	}
	if !q.From.IsZero() {
		where, args = append(where, "occurred_at >= ?"), append(args, q.From.Unix())
	}
	if !q.To.IsZero() {
		where, args = append(where, "occurred_at < ?"), append(args, q.To.Unix())
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := queryRow(ctx, s.db, s.d, `SELECT COUNT(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count audit: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := query(ctx, s.db, s.d, `SELECT id, who, what, occurred_at, merchant_id, details FROM audit_log`+cond+
		` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, min(limit, 500), max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var (
			e  AuditEntry
			at int64
			m  sql.NullInt64
		)
		if err := rows.Scan(&e.ID, &e.Who, &e.What, &at, &m, &e.Details); err != nil {
			return nil, 0, fmt.Errorf("store: audit log: %w", err)
		}
		e.When, e.MerchantID = time.Unix(at, 0), m.Int64
		out = append(out, e)
	}
	return out, total, rows.Err()
}
