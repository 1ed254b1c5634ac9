package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Code is a binding code (bind_codes): one temporary parametric QR code issued for a merchant.
type Code struct {
	Ticket     string // the QR ticket; primary key
	Scene      string // scene_str, bind_business_<merchant id>
	MerchantID int64
	URL        string // the QR code's content
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     time.Time // zero: not used
	UsedBy     string    // openid that used it
	RevokedAt  time.Time // zero: not replaced by a newer code
}

// Code states, see [Code.State].
const (
	CodeValid   = "valid"
	CodeUsed    = "used"
	CodeExpired = "expired"
	CodeRevoked = "revoked"
)

// State says whether the code can still bind at now.
func (c *Code) State(now time.Time) string {
	switch {
	case !c.UsedAt.IsZero():
		return CodeUsed
	case !c.RevokedAt.IsZero():
		return CodeRevoked
	case !now.Before(c.ExpiresAt):
		return CodeExpired
	}
	return CodeValid
}

const codeCols = `ticket, scene, merchant_id, url, created_at, expires_at, used_at, used_by, revoked_at`

func scanCode(row interface{ Scan(...any) error }) (*Code, error) {
	var (
		c                Code
		created, expires int64
		used, revoked    sql.NullInt64
		usedBy           sql.NullString
	)
	if err := row.Scan(&c.Ticket, &c.Scene, &c.MerchantID, &c.URL, &created, &expires, &used, &usedBy, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	c.CreatedAt, c.ExpiresAt = time.Unix(created, 0), time.Unix(expires, 0)
	c.UsedAt, c.RevokedAt, c.UsedBy = fromUnix(used), fromUnix(revoked), usedBy.String
	return &c, nil
}

// AddCode stores a new code and revokes the merchant's earlier unused codes, so that only the
// newest code binds.
func (s *DB) AddCode(ctx context.Context, c *Code) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := exec(ctx, tx.tx, s.d, `UPDATE bind_codes SET revoked_at = ?
			WHERE merchant_id = ? AND used_at IS NULL AND revoked_at IS NULL`, c.CreatedAt.Unix(), c.MerchantID); err != nil {
			return fmt.Errorf("store: revoke codes: %w", err)
		}
		_, err := exec(ctx, tx.tx, s.d, `INSERT INTO bind_codes (`+codeCols+`) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL)`,
			c.Ticket, c.Scene, c.MerchantID, c.URL, c.CreatedAt.Unix(), c.ExpiresAt.Unix())
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: ticket", ErrDuplicate)
		}
		if err != nil {
			return fmt.Errorf("store: add code: %w", err)
		}
		return nil
	})
}

// CodeByTicket returns a code, or ErrNotFound.
func (s *DB) CodeByTicket(ctx context.Context, ticket string) (*Code, error) {
	return codeByTicket(ctx, s.db, s.d, ticket)
}

func codeByTicket(ctx context.Context, q querier, d Dialect, ticket string) (*Code, error) {
	c, err := scanCode(queryRow(ctx, q, d, `SELECT `+codeCols+` FROM bind_codes WHERE ticket = ?`, ticket))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("store: code: %w", err)
	}
	return c, err
}

// CurrentCode returns the merchant's newest code that can still bind at now, or ErrNotFound.
func (s *DB) CurrentCode(ctx context.Context, merchantID int64, now time.Time) (*Code, error) {
	c, err := scanCode(queryRow(ctx, s.db, s.d, `SELECT `+codeCols+` FROM bind_codes
		WHERE merchant_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, ticket LIMIT 1`, merchantID, now.Unix()))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("store: current code: %w", err)
	}
	return c, err
}

// Codes returns the merchant's codes, newest first (at most limit).
func (s *DB) Codes(ctx context.Context, merchantID int64, limit int) ([]Code, error) {
	rows, err := query(ctx, s.db, s.d, `SELECT `+codeCols+` FROM bind_codes WHERE merchant_id = ?
		ORDER BY created_at DESC, ticket LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: codes: %w", err)
	}
	defer rows.Close()
	var out []Code
	for rows.Next() {
		c, err := scanCode(rows)
		if err != nil {
			return nil, fmt.Errorf("store: codes: %w", err)
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// CodeByTicket returns a code inside the transaction.
func (tx *Tx) CodeByTicket(ctx context.Context, ticket string) (*Code, error) {
	return codeByTicket(ctx, tx.tx, tx.d, ticket)
}

// LatestCodeForScene returns the newest code issued with scene, or ErrNotFound. It serves scan
// events that carry no Ticket.
func (tx *Tx) LatestCodeForScene(ctx context.Context, scene string) (*Code, error) {
	c, err := scanCode(queryRow(ctx, tx.tx, tx.d, `SELECT `+codeCols+` FROM bind_codes WHERE scene = ?
		ORDER BY created_at DESC, ticket LIMIT 1`, scene))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("store: code for scene: %w", err)
	}
	return c, err
}

// UseCode marks a code used by openid, only if it is still unused and not revoked. It reports
// whether this call did it (false: a concurrent scan won).
func (tx *Tx) UseCode(ctx context.Context, ticket, openid string, now time.Time) (bool, error) {
	n, err := affected(exec(ctx, tx.tx, tx.d, `UPDATE bind_codes SET used_at = ?, used_by = ?
		WHERE ticket = ? AND used_at IS NULL AND revoked_at IS NULL`, now.Unix(), openid, ticket))
	if err != nil {
		return false, fmt.Errorf("store: use code: %w", err)
	}
	return n == 1, nil
}
