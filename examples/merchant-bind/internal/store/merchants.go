package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Merchant statuses.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Merchant is a row of merchants. OpenID and BoundAt describe the active binding; both are zero
// when the merchant is not bound.
type Merchant struct {
	ID          int64
	Name        string
	Login       string // the merchant's account name in the operator's systems
	Contact     string
	Phone       string
	Status      string
	CreatedAt   time.Time
	LastLoginAt time.Time // zero: never
	OpenID      string
	BoundAt     time.Time
}

// Bound reports whether the merchant has an active WeChat binding.
func (m *Merchant) Bound() bool { return m.OpenID != "" }

// Active reports whether the merchant is not disabled.
func (m *Merchant) Active() bool { return m.Status == StatusActive }

// MerchantInput is what an admin edits.
type MerchantInput struct {
	Name, Login, Contact, Phone string
}

// ValidationError names the field an input was refused for.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return "store: " + e.Field + ": " + e.Msg }

var (
	loginRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$`)
	phoneRE = regexp.MustCompile(`^[0-9+\- ]{0,32}$`)
)

// Normalize trims the input and checks it.
func (in *MerchantInput) Normalize() error {
	in.Name, in.Login = strings.TrimSpace(in.Name), strings.TrimSpace(in.Login)
	in.Contact, in.Phone = strings.TrimSpace(in.Contact), strings.TrimSpace(in.Phone)
	switch {
	case in.Name == "" || utf8.RuneCountInString(in.Name) > 100:
		return &ValidationError{"name", "1–100 characters"}
	case !loginRE.MatchString(in.Login):
		return &ValidationError{"login", "2–64 letters, digits, '.', '_' or '-'"}
	case utf8.RuneCountInString(in.Contact) > 100:
		return &ValidationError{"contact", "at most 100 characters"}
	case !phoneRE.MatchString(in.Phone):
		return &ValidationError{"phone", "digits, '+', '-' and spaces, at most 32"}
	}
	return nil
}

const merchantCols = `id, name, login, contact, phone, status, created_at, last_login_at, wechat_openid, bound_at`

func scanMerchant(row interface{ Scan(...any) error }) (*Merchant, error) {
	var (
		m                Merchant
		created          int64
		lastLogin, bound sql.NullInt64
		openid           sql.NullString
	)
	if err := row.Scan(&m.ID, &m.Name, &m.Login, &m.Contact, &m.Phone, &m.Status, &created, &lastLogin, &openid, &bound); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	m.CreatedAt, m.LastLoginAt, m.BoundAt = time.Unix(created, 0), fromUnix(lastLogin), fromUnix(bound)
	m.OpenID = openid.String
	return &m, nil
}

// CreateMerchant inserts an active merchant. A taken login is ErrDuplicate.
func (s *DB) CreateMerchant(ctx context.Context, in MerchantInput, now time.Time) (*Merchant, error) {
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	id, err := insertID(ctx, s.db, s.d, `INSERT INTO merchants (name, login, contact, phone, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, in.Name, in.Login, in.Contact, in.Phone, StatusActive, now.Unix())
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("%w: login %q", ErrDuplicate, in.Login)
	}
	if err != nil {
		return nil, fmt.Errorf("store: create merchant: %w", err)
	}
	return s.Merchant(ctx, id)
}

// UpdateMerchant changes a merchant's editable fields.
func (s *DB) UpdateMerchant(ctx context.Context, id int64, in MerchantInput) error {
	if err := in.Normalize(); err != nil {
		return err
	}
	n, err := affected(exec(ctx, s.db, s.d, `UPDATE merchants SET name = ?, login = ?, contact = ?, phone = ? WHERE id = ?`,
		in.Name, in.Login, in.Contact, in.Phone, id))
	switch {
	case isUniqueViolation(err):
		return fmt.Errorf("%w: login %q", ErrDuplicate, in.Login)
	case err != nil:
		return fmt.Errorf("store: update merchant: %w", err)
	case n == 0:
		return ErrNotFound
	}
	return nil
}

// SetMerchantStatus enables or disables a merchant. It reports whether the status changed.
func (s *DB) SetMerchantStatus(ctx context.Context, id int64, status string) (bool, error) {
	if status != StatusActive && status != StatusDisabled {
		return false, &ValidationError{"status", "active or disabled"}
	}
	if _, err := s.Merchant(ctx, id); err != nil {
		return false, err
	}
	n, err := affected(exec(ctx, s.db, s.d, `UPDATE merchants SET status = ? WHERE id = ? AND status <> ?`, status, id, status))
	if err != nil {
		return false, fmt.Errorf("store: set merchant status: %w", err)
	}
	return n > 0, nil
}

// SetMerchantLastLogin records a merchant's last login (the demo seeds it).
func (s *DB) SetMerchantLastLogin(ctx context.Context, id int64, at time.Time) error {
	_, err := exec(ctx, s.db, s.d, `UPDATE merchants SET last_login_at = ? WHERE id = ?`, unix(at), id)
	return err
}

// Merchant returns one merchant, or ErrNotFound.
func (s *DB) Merchant(ctx context.Context, id int64) (*Merchant, error) {
	return merchantByID(ctx, s.db, s.d, id)
}

func merchantByID(ctx context.Context, q querier, d Dialect, id int64) (*Merchant, error) {
	m, err := scanMerchant(queryRow(ctx, q, d, `SELECT `+merchantCols+` FROM merchants WHERE id = ?`, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("store: merchant %d: %w", id, err)
	}
	return m, err
}

func merchantByOpenID(ctx context.Context, q querier, d Dialect, openid string) (*Merchant, error) {
	m, err := scanMerchant(queryRow(ctx, q, d, `SELECT `+merchantCols+` FROM merchants WHERE wechat_openid = ?`, openid))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("store: merchant by openid: %w", err)
	}
	return m, err
}

// MerchantByOpenID returns the merchant actively bound to openid, or ErrNotFound.
func (s *DB) MerchantByOpenID(ctx context.Context, openid string) (*Merchant, error) {
	return merchantByOpenID(ctx, s.db, s.d, openid)
}

// Bound filters for [Filter].
const (
	BoundAny = ""
	BoundYes = "bound"
	BoundNo  = "unbound"
)

// Filter selects merchants for [DB.ListMerchants].
type Filter struct {
	Query  string // matches name, login, contact or phone, case-insensitively
	Bound  string // BoundAny, BoundYes or BoundNo
	Offset int
	Limit  int // default 20, at most 200
}

// ListMerchants returns one page of merchants (newest first) and the total number matching f.
func (s *DB) ListMerchants(ctx context.Context, f Filter) ([]Merchant, int, error) {
	var where []string
	var args []any
	if q := strings.TrimSpace(f.Query); q != "" {
		p := likePattern(q)
		where = append(where, `(LOWER(name) LIKE ? ESCAPE '!' OR LOWER(login) LIKE ? ESCAPE '!' OR LOWER(contact) LIKE ? ESCAPE '!' OR phone LIKE ? ESCAPE '!')`)
		args = append(args, p, p, p, p)
	}
	switch f.Bound {
	case BoundYes:
		where = append(where, `wechat_openid IS NOT NULL`)
	case BoundNo:
		where = append(where, `wechat_openid IS NULL`)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := queryRow(ctx, s.db, s.d, `SELECT COUNT(*) FROM merchants`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count merchants: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	rows, err := query(ctx, s.db, s.d, `SELECT `+merchantCols+` FROM merchants`+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list merchants: %w", err)
	}
	defer rows.Close()
	var out []Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("store: list merchants: %w", err)
		}
		out = append(out, *m)
	}
	return out, total, rows.Err()
}

// CountMerchants returns the number of merchants (all, and bound).
func (s *DB) CountMerchants(ctx context.Context) (all, bound int, err error) {
	err = queryRow(ctx, s.db, s.d, `SELECT COUNT(*), COUNT(wechat_openid) FROM merchants`).Scan(&all, &bound)
	return all, bound, err
}
