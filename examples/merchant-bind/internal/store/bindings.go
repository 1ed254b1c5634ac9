package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Binding is one row of the binding history: a merchant bound to an openid from BoundAt until
// UnboundAt (zero while active).
type Binding struct {
	ID           int64
	MerchantID   int64
	OpenID       string
	Ticket       string // the code that made it
	BoundAt      time.Time
	UnboundAt    time.Time
	UnbindReason string // "unsubscribe" (取消关注) or "admin"
	UnboundBy    string
}

// Active reports whether the binding is in force.
func (b *Binding) Active() bool { return b.UnboundAt.IsZero() }

// Unbind reasons.
const (
	ReasonUnsubscribe = "unsubscribe"
	ReasonAdmin       = "admin"
)

const bindingCols = `id, merchant_id, openid, ticket, bound_at, unbound_at, unbind_reason, unbound_by`

func scanBinding(row interface{ Scan(...any) error }) (*Binding, error) {
	var (
		b                         Binding
		bound                     int64
		unbound                   sql.NullInt64
		ticket, reason, unboundBy sql.NullString
	)
	if err := row.Scan(&b.ID, &b.MerchantID, &b.OpenID, &ticket, &bound, &unbound, &reason, &unboundBy); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	b.Ticket, b.UnbindReason, b.UnboundBy = ticket.String, reason.String, unboundBy.String
	b.BoundAt, b.UnboundAt = time.Unix(bound, 0), fromUnix(unbound)
	return &b, nil
}

// Bindings returns a merchant's binding history, newest first.
func (s *DB) Bindings(ctx context.Context, merchantID int64) ([]Binding, error) {
	rows, err := query(ctx, s.db, s.d, `SELECT `+bindingCols+` FROM bindings WHERE merchant_id = ? ORDER BY id DESC`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("store: bindings: %w", err)
	}
	defer rows.Close()
	var out []Binding
	for rows.Next() {
		b, err := scanBinding(rows)
		if err != nil {
			return nil, fmt.Errorf("store: bindings: %w", err)
		}
		out = append(out, *b)
	}
	return out, rows.Err()
}

// Merchant returns a merchant inside the transaction.
func (tx *Tx) Merchant(ctx context.Context, id int64) (*Merchant, error) {
	return merchantByID(ctx, tx.tx, tx.d, id)
}

// MerchantByOpenID returns the merchant actively bound to openid inside the transaction.
func (tx *Tx) MerchantByOpenID(ctx context.Context, openid string) (*Merchant, error) {
	return merchantByOpenID(ctx, tx.tx, tx.d, openid)
}

// Bind binds an unbound merchant to openid and records the binding. ErrConflict: the merchant got
// bound meanwhile, or openid is actively bound to another merchant (the unique indexes say so).
// After ErrConflict the transaction must be rolled back (PostgreSQL has already aborted it).
func (tx *Tx) Bind(ctx context.Context, merchantID int64, openid, ticket string, now time.Time) (int64, error) {
	n, err := affected(exec(ctx, tx.tx, tx.d, `UPDATE merchants SET wechat_openid = ?, bound_at = ?, last_interaction_at = ?
		WHERE id = ? AND wechat_openid IS NULL`, openid, now.Unix(), now.Unix(), merchantID))
	switch {
	case isUniqueViolation(err):
		return 0, fmt.Errorf("%w: openid already bound", ErrConflict)
	case err != nil:
		return 0, fmt.Errorf("store: bind: %w", err)
	case n == 0:
		return 0, fmt.Errorf("%w: merchant already bound", ErrConflict)
	}
	id, err := insertID(ctx, tx.tx, tx.d, `INSERT INTO bindings
		(merchant_id, openid, ticket, bound_at, active_openid, active_merchant_id) VALUES (?, ?, ?, ?, ?, ?)`,
		merchantID, openid, nullString(ticket), now.Unix(), openid, merchantID)
	if isUniqueViolation(err) {
		return 0, fmt.Errorf("%w: active binding exists", ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("store: record binding: %w", err)
	}
	return id, nil
}

// Unbind ends the merchant's active binding, keeping it in the history. ErrNotFound: none active.
func (tx *Tx) Unbind(ctx context.Context, merchantID int64, reason, by string, now time.Time) (*Binding, error) {
	b, err := scanBinding(queryRow(ctx, tx.tx, tx.d, `SELECT `+bindingCols+` FROM bindings WHERE active_merchant_id = ?`, merchantID))
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("store: unbind: %w", err)
		}
		return nil, err
	}
	if _, err := exec(ctx, tx.tx, tx.d, `UPDATE bindings SET unbound_at = ?, unbind_reason = ?, unbound_by = ?,
		active_openid = NULL, active_merchant_id = NULL WHERE id = ?`, now.Unix(), reason, by, b.ID); err != nil {
		return nil, fmt.Errorf("store: unbind: %w", err)
	}
	if _, err := exec(ctx, tx.tx, tx.d, `UPDATE merchants SET wechat_openid = NULL, bound_at = NULL WHERE id = ?`, merchantID); err != nil {
		return nil, fmt.Errorf("store: unbind: %w", err)
	}
	b.UnboundAt, b.UnbindReason, b.UnboundBy = time.Unix(now.Unix(), 0), reason, by
	return b, nil
}
