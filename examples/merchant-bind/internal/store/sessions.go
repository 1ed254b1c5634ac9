package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in browser (sessions). ID is the SHA-256 (hex) of the token in the cookie,
// so the table holds nothing a browser could present.
type Session struct {
	ID         string
	AdminID    int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero: not revoked
	IP         string
	UserAgent  string
}

const sessionCols = `id, admin_id, created_at, last_seen_at, expires_at, revoked_at, ip, user_agent`

func scanSession(row interface{ Scan(...any) error }) (*Session, error) {
	var (
		s                      Session
		created, seen, expires int64
		revoked                sql.NullInt64
	)
	if err := row.Scan(&s.ID, &s.AdminID, &created, &seen, &expires, &revoked, &s.IP, &s.UserAgent); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("store: session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = time.Unix(created, 0), time.Unix(seen, 0), time.Unix(expires, 0)
	s.RevokedAt = fromUnix(revoked)
	return &s, nil
}

// CreateSession stores a new session.
func (s *DB) CreateSession(ctx context.Context, ss *Session) error {
	_, err := exec(ctx, s.db, s.d, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)`,
		ss.ID, ss.AdminID, ss.CreatedAt.Unix(), ss.LastSeenAt.Unix(), ss.ExpiresAt.Unix(),
		SafeText(ss.IP, 64), SafeText(ss.UserAgent, 200))
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// ActiveSession returns a session that is neither revoked nor expired at now, with its admin, who
// must be enabled; anything else is ErrNotFound.
func (s *DB) ActiveSession(ctx context.Context, id string, now time.Time) (*Session, *Admin, error) {
	ss, err := scanSession(queryRow(ctx, s.db, s.d, `SELECT `+sessionCols+` FROM sessions
		WHERE id = ? AND revoked_at IS NULL AND expires_at > ?`, id, now.Unix()))
	if err != nil {
		return nil, nil, err
	}
	a, err := s.AdminByID(ctx, ss.AdminID)
	if err != nil {
		return nil, nil, err
	}
	if a.Disabled() {
		return nil, nil, ErrNotFound
	}
	return ss, a, nil
}

// TouchSession records that the session was used at now.
func (s *DB) TouchSession(ctx context.Context, id string, now time.Time) error {
	_, err := exec(ctx, s.db, s.d, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, now.Unix(), id)
	return err
}

// RevokeSession ends one session (logout).
func (s *DB) RevokeSession(ctx context.Context, id string, now time.Time) error {
	_, err := exec(ctx, s.db, s.d, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, now.Unix(), id)
	if err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	return nil
}

// RevokeAdminSessions ends every session of an admin except keep ("" : all).
func (s *DB) RevokeAdminSessions(ctx context.Context, adminID int64, keep string, now time.Time) error {
	_, err := exec(ctx, s.db, s.d, `UPDATE sessions SET revoked_at = ? WHERE admin_id = ? AND id <> ? AND revoked_at IS NULL`,
		now.Unix(), adminID, keep)
	if err != nil {
		return fmt.Errorf("store: revoke sessions: %w", err)
	}
	return nil
}

func revokeAdminSessions(ctx context.Context, tx *Tx, adminID int64, now time.Time) error {
	_, err := exec(ctx, tx.tx, tx.d, `UPDATE sessions SET revoked_at = ? WHERE admin_id = ? AND revoked_at IS NULL`, now.Unix(), adminID)
	if err != nil {
		return fmt.Errorf("store: revoke sessions: %w", err)
	}
	return nil
}

// AdminSessions returns an admin's active sessions, most recently used first.
func (s *DB) AdminSessions(ctx context.Context, adminID int64, now time.Time) ([]Session, error) {
	rows, err := query(ctx, s.db, s.d, `SELECT `+sessionCols+` FROM sessions
		WHERE admin_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY last_seen_at DESC, id`, adminID, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *ss)
	}
	return out, rows.Err()
}

// PurgeSessions deletes sessions that expired or were revoked before before.
func (s *DB) PurgeSessions(ctx context.Context, before time.Time) error {
	_, err := exec(ctx, s.db, s.d, `DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?`, before.Unix(), before.Unix())
	return err
}
