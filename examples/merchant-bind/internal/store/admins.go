package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Admin roles: 管理员 may change everything, 只读 may look.
const (
	RoleAdmin    = "admin"
	RoleReadOnly = "readonly"
)

// ErrLastAdmin refuses to disable or demote the last enabled 管理员.
var ErrLastAdmin = errors.New("store: the last enabled admin cannot be disabled or demoted")

// Admin is an administrator account. PasswordHash is a bcrypt hash.
type Admin struct {
	ID                int64
	Username          string
	PasswordHash      string
	Role              string
	CreatedAt         time.Time
	LastLoginAt       time.Time
	DisabledAt        time.Time // zero: enabled
	PasswordChangedAt time.Time
}

// Disabled reports whether the account is disabled.
func (a *Admin) Disabled() bool { return !a.DisabledAt.IsZero() }

// CanWrite reports whether the admin may change data (管理员, enabled).
func (a *Admin) CanWrite() bool { return a.Role == RoleAdmin && !a.Disabled() }

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$`)

// CheckUsername validates a new admin's username.
func CheckUsername(username string) error {
	if !usernameRE.MatchString(username) {
		return &ValidationError{"username", "2–64 位字母、数字或 . _ @ -，以字母或数字开头 (2–64 letters, digits, '.', '_', '@' or '-')"}
	}
	return nil
}

// CheckRole validates a role.
func CheckRole(role string) error {
	if role != RoleAdmin && role != RoleReadOnly {
		return &ValidationError{"role", "未知角色 (unknown role)"}
	}
	return nil
}

const adminCols = `id, username, password_hash, role, created_at, last_login_at, disabled_at, password_changed_at`

func scanAdmin(row interface{ Scan(...any) error }) (*Admin, error) {
	var (
		a                        Admin
		created                  int64
		last, disabled, changedA sql.NullInt64
	)
	if err := row.Scan(&a.ID, &a.Username, &a.PasswordHash, &a.Role, &created, &last, &disabled, &changedA); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("store: admin: %w", err)
	}
	a.CreatedAt, a.LastLoginAt = time.Unix(created, 0), fromUnix(last)
	a.DisabledAt, a.PasswordChangedAt = fromUnix(disabled), fromUnix(changedA)
	return &a, nil
}

// CreateAdmin adds an admin; a username taken in any letter case is ErrDuplicate.
func (s *DB) CreateAdmin(ctx context.Context, username, passwordHash, role string, now time.Time) (*Admin, error) {
	if err := CheckUsername(username); err != nil {
		return nil, err
	}
	if err := CheckRole(role); err != nil {
		return nil, err
	}
	if passwordHash == "" {
		return nil, &ValidationError{"password", "请设置密码 (a password is required)"}
	}
	id, err := insertID(ctx, s.db, s.d, `INSERT INTO admins (username, username_key, password_hash, role, created_at, password_changed_at)
		VALUES (?, ?, ?, ?, ?, ?)`, username, foldKey(username), passwordHash, role, now.Unix(), now.Unix())
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("%w: admin %q", ErrDuplicate, username)
	}
	if err != nil {
		return nil, fmt.Errorf("store: create admin: %w", err)
	}
	return s.AdminByID(ctx, id)
}

// AdminByUsername returns an admin by username in any letter case, or ErrNotFound. Any string may
// be asked for (it is what someone typed on the login page): invalid text is simply not found.
func (s *DB) AdminByUsername(ctx context.Context, username string) (*Admin, error) {
	if username == "" || len(username) > 64 || !ValidText(username, false) {
		return nil, ErrNotFound
	}
	return scanAdmin(queryRow(ctx, s.db, s.d, `SELECT `+adminCols+` FROM admins WHERE username_key = ?`, foldKey(username)))
}

// AdminByID returns an admin, or ErrNotFound.
func (s *DB) AdminByID(ctx context.Context, id int64) (*Admin, error) {
	return scanAdmin(queryRow(ctx, s.db, s.d, `SELECT `+adminCols+` FROM admins WHERE id = ?`, id))
}

// Admins returns every admin, by username.
func (s *DB) Admins(ctx context.Context) ([]Admin, error) {
	rows, err := query(ctx, s.db, s.d, `SELECT `+adminCols+` FROM admins ORDER BY username_key`)
	if err != nil {
		return nil, fmt.Errorf("store: admins: %w", err)
	}
	defer rows.Close()
	var out []Admin
	for rows.Next() {
		a, err := scanAdmin(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// SetAdminPassword replaces an admin's password hash and, in the same transaction, ends every
// session of that admin.
func (s *DB) SetAdminPassword(ctx context.Context, id int64, passwordHash string, now time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		n, err := affected(exec(ctx, tx.tx, tx.d, `UPDATE admins SET password_hash = ?, password_changed_at = ? WHERE id = ?`,
			passwordHash, now.Unix(), id))
		if err != nil {
			return fmt.Errorf("store: set password: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return revokeAdminSessions(ctx, tx, id, now)
	})
}

// SetAdminDisabled disables (ending every session at once) or enables an admin. Disabling the last
// enabled 管理员 is ErrLastAdmin.
func (s *DB) SetAdminDisabled(ctx context.Context, id int64, disabled bool, now time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		a, err := scanAdmin(queryRow(ctx, tx.tx, tx.d, `SELECT `+adminCols+` FROM admins WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if !disabled {
			_, err := exec(ctx, tx.tx, tx.d, `UPDATE admins SET disabled_at = NULL WHERE id = ?`, id)
			return err
		}
		if a.Role == RoleAdmin && !a.Disabled() {
			if err := otherAdminExists(ctx, tx, id); err != nil {
				return err
			}
		}
		if _, err := exec(ctx, tx.tx, tx.d, `UPDATE admins SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL`, now.Unix(), id); err != nil {
			return fmt.Errorf("store: disable admin: %w", err)
		}
		return revokeAdminSessions(ctx, tx, id, now)
	})
}

// SetAdminRole changes an admin's role; demoting the last enabled 管理员 is ErrLastAdmin.
func (s *DB) SetAdminRole(ctx context.Context, id int64, role string) error {
	if err := CheckRole(role); err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Tx) error {
		a, err := scanAdmin(queryRow(ctx, tx.tx, tx.d, `SELECT `+adminCols+` FROM admins WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if a.Role == RoleAdmin && role != RoleAdmin && !a.Disabled() {
			if err := otherAdminExists(ctx, tx, id); err != nil {
				return err
			}
		}
		_, err = exec(ctx, tx.tx, tx.d, `UPDATE admins SET role = ? WHERE id = ?`, role, id)
		return err
	})
}

// otherAdminExists returns ErrLastAdmin unless an enabled 管理员 other than id exists. Concurrent
// callers are serialised by the row lock of the UPDATE that follows on SQLite (one writer) and by
// the SELECT … FOR UPDATE elsewhere.
func otherAdminExists(ctx context.Context, tx *Tx, id int64) error {
	q := `SELECT id FROM admins WHERE role = ? AND disabled_at IS NULL AND id <> ?`
	if tx.d != SQLite {
		q += ` FOR UPDATE`
	}
	rows, err := query(ctx, tx.tx, tx.d, q, RoleAdmin, id)
	if err != nil {
		return fmt.Errorf("store: count admins: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return ErrLastAdmin
	}
	return nil
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
