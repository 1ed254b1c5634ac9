package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Admin is an administrator account. PasswordHash is a bcrypt hash.
type Admin struct {
	ID           int64
	Username     string
	PasswordHash string
	CreatedAt    time.Time
	LastLoginAt  time.Time
}

func scanAdmin(row *sql.Row) (*Admin, error) {
	var (
		a       Admin
		created int64
		last    sql.NullInt64
	)
	if err := row.Scan(&a.ID, &a.Username, &a.PasswordHash, &created, &last); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("store: admin: %w", err)
	}
	a.CreatedAt, a.LastLoginAt = time.Unix(created, 0), fromUnix(last)
	return &a, nil
}

const adminCols = `id, username, password_hash, created_at, last_login_at`

// CreateAdmin adds an admin; a taken username is ErrDuplicate.
func (s *DB) CreateAdmin(ctx context.Context, username, passwordHash string, now time.Time) (*Admin, error) {
	if username == "" || len(username) > 64 || passwordHash == "" {
		return nil, &ValidationError{"username", "1–64 characters, with a password"}
	}
	id, err := insertID(ctx, s.db, s.d, `INSERT INTO admins (username, password_hash, created_at) VALUES (?, ?, ?)`,
		username, passwordHash, now.Unix())
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("%w: admin %q", ErrDuplicate, username)
	}
	if err != nil {
		return nil, fmt.Errorf("store: create admin: %w", err)
	}
	return s.AdminByID(ctx, id)
}

// AdminByUsername returns an admin, or ErrNotFound.
func (s *DB) AdminByUsername(ctx context.Context, username string) (*Admin, error) {
	return scanAdmin(queryRow(ctx, s.db, s.d, `SELECT `+adminCols+` FROM admins WHERE username = ?`, username))
}

// AdminByID returns an admin, or ErrNotFound.
func (s *DB) AdminByID(ctx context.Context, id int64) (*Admin, error) {
	return scanAdmin(queryRow(ctx, s.db, s.d, `SELECT `+adminCols+` FROM admins WHERE id = ?`, id))
}

// SetAdminPassword replaces an admin's password hash.
func (s *DB) SetAdminPassword(ctx context.Context, id int64, passwordHash string) error {
	n, err := affected(exec(ctx, s.db, s.d, `UPDATE admins SET password_hash = ? WHERE id = ?`, passwordHash, id))
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}

// TouchAdminLogin records a successful login.
func (s *DB) TouchAdminLogin(ctx context.Context, id int64, at time.Time) error {
	_, err := exec(ctx, s.db, s.d, `UPDATE admins SET last_login_at = ? WHERE id = ?`, at.Unix(), id)
	return err
}

// CountAdmins returns the number of admins.
func (s *DB) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := queryRow(ctx, s.db, s.d, `SELECT COUNT(*) FROM admins`).Scan(&n)
	return n, err
}
