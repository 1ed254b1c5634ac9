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

// Merchant statuses: 正常 (active) and 禁用 (disabled).
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
	CreatedAt   time.Time // 注册时间
	LastLoginAt time.Time // zero: never (reported by the merchant platform)
	OpenID      string
	BoundAt     time.Time
	// LastInteractionAt is the bound WeChat user's last interaction with the 公众号 (a message,
	// a scan, a menu click); 客服消息 may be sent for 48 hours after it.
	LastInteractionAt time.Time
}

// Bound reports whether the merchant has an active WeChat binding.
func (m *Merchant) Bound() bool { return m.OpenID != "" }

// CustomWindow is how long after a user's last interaction a 公众号 may send them 客服消息: 48
// hours, less a margin for clocks and queues.
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
const CustomWindow = 48*time.Hour - 5*time.Minute

// InWindow reports whether 客服消息 may be sent to the merchant's WeChat at now.
func (m *Merchant) InWindow(now time.Time) bool {
	return m.Bound() && !m.LastInteractionAt.IsZero() && now.Sub(m.LastInteractionAt) < CustomWindow
}

// Active reports whether the merchant is not disabled.
func (m *Merchant) Active() bool { return m.Status == StatusActive }

// MerchantInput is what an admin edits.
type MerchantInput struct {
	Name, Login, Contact, Phone string
}

var (
	loginRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$`)
	phoneRE = regexp.MustCompile(`^[0-9+\- ]{0,32}$`)
)

// Normalize trims the input and checks it; a refusal is a *ValidationError with a Chinese message.
func (in *MerchantInput) Normalize() error {
	in.Name, in.Login = strings.TrimSpace(in.Name), strings.TrimSpace(in.Login)
	in.Contact, in.Phone = strings.TrimSpace(in.Contact), strings.TrimSpace(in.Phone)
	for _, f := range []struct{ name, v string }{{"name", in.Name}, {"login", in.Login}, {"contact", in.Contact}, {"phone", in.Phone}} {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	switch {
	case in.Name == "":
		return &ValidationError{"name", "请填写商户名称 (required)"}
	case utf8.RuneCountInString(in.Name) > 100:
		return &ValidationError{"name", "最多 100 个字符 (at most 100 characters)"}
	case !loginRE.MatchString(in.Login):
		return &ValidationError{"login", "2–64 位字母、数字或 . _ -，以字母或数字开头 (2–64 letters, digits, '.', '_' or '-')"}
	case utf8.RuneCountInString(in.Contact) > 100:
		return &ValidationError{"contact", "最多 100 个字符 (at most 100 characters)"}
	case !phoneRE.MatchString(in.Phone):
		return &ValidationError{"phone", "只能包含数字、+、- 和空格，最多 32 位 (digits, '+', '-' and spaces, at most 32)"}
	}
	return nil
}

// phoneDigits keeps the digits of a phone number, for search that ignores spaces, dashes and "+".
func phoneDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

const merchantCols = `id, name, login, contact, phone, status, created_at, last_login_at, wechat_openid, bound_at, last_interaction_at`

func scanMerchant(row interface{ Scan(...any) error }) (*Merchant, error) {
	var (
		m                        Merchant
		created                  int64
		lastLogin, bound, interx sql.NullInt64
		openid                   sql.NullString
	)
	if err := row.Scan(&m.ID, &m.Name, &m.Login, &m.Contact, &m.Phone, &m.Status, &created, &lastLogin, &openid, &bound, &interx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	m.CreatedAt, m.LastLoginAt, m.BoundAt = time.Unix(created, 0), fromUnix(lastLogin), fromUnix(bound)
	m.OpenID, m.LastInteractionAt = openid.String, fromUnix(interx)
	return &m, nil
}

// CreateMerchant inserts an active merchant. A taken login — in any letter case — is ErrDuplicate.
func (s *DB) CreateMerchant(ctx context.Context, in MerchantInput, now time.Time) (*Merchant, error) {
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	id, err := insertID(ctx, s.db, s.d, `INSERT INTO merchants (name, login, login_key, contact, phone, phone_digits, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, in.Name, in.Login, foldKey(in.Login), in.Contact, in.Phone, phoneDigits(in.Phone), StatusActive, now.Unix())
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
	n, err := affected(exec(ctx, s.db, s.d, `UPDATE merchants SET name = ?, login = ?, login_key = ?, contact = ?, phone = ?, phone_digits = ?
		WHERE id = ?`, in.Name, in.Login, foldKey(in.Login), in.Contact, in.Phone, phoneDigits(in.Phone), id))
	switch {
	case isUniqueViolation(err):
		return fmt.Errorf("%w: login %q", ErrDuplicate, in.Login)
	case err != nil:
		return fmt.Errorf("store: update merchant: %w", err)
	case n == 0:
		// MySQL counts only changed rows: an unchanged save of an existing merchant is 0 too.
		if _, err := s.Merchant(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// SetMerchantStatus enables or disables a merchant. It reports whether the status changed.
func (s *DB) SetMerchantStatus(ctx context.Context, id int64, status string) (bool, error) {
	if status != StatusActive && status != StatusDisabled {
		return false, &ValidationError{"status", "未知状态 (unknown status)"}
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

// SetMerchantLastLogin records a merchant's login at the merchant platform (最后登录). A report
// older than the recorded one changes nothing, so late or repeated reports are harmless.
func (s *DB) SetMerchantLastLogin(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.Merchant(ctx, id); err != nil {
		return err
	}
	_, err := exec(ctx, s.db, s.d, `UPDATE merchants SET last_login_at = ? WHERE id = ? AND (last_login_at IS NULL OR last_login_at < ?)`,
		at.Unix(), id, at.Unix())
	if err != nil {
		return fmt.Errorf("store: merchant login: %w", err)
	}
	return nil
}

// TouchInteraction records that openid interacted with the 公众号 at at (opening the 48-hour
// 客服消息 window) on the merchant it is bound to, if any.
func (s *DB) TouchInteraction(ctx context.Context, openid string, at time.Time) error {
	_, err := exec(ctx, s.db, s.d, `UPDATE merchants SET last_interaction_at = ?
		WHERE wechat_openid = ? AND (last_interaction_at IS NULL OR last_interaction_at < ?)`, at.Unix(), openid, at.Unix())
	if err != nil {
		return fmt.Errorf("store: interaction: %w", err)
	}
	return nil
}

// Merchant returns one merchant, or ErrNotFound.
func (s *DB) Merchant(ctx context.Context, id int64) (*Merchant, error) {
	return merchantByID(ctx, s.db, s.d, id)
}

// MerchantByLogin returns the merchant with login (in any letter case), or ErrNotFound.
func (s *DB) MerchantByLogin(ctx context.Context, login string) (*Merchant, error) {
	m, err := scanMerchant(queryRow(ctx, s.db, s.d, `SELECT `+merchantCols+` FROM merchants WHERE login_key = ?`, foldKey(login)))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("store: merchant by login: %w", err)
	}
	return m, err
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

// Filter selects merchants for [DB.ListMerchants] and [DB.EachMerchant].
type Filter struct {
	// Query matches name, login, contact or phone case-insensitively, the phone also by its
	// digits alone (spaces, dashes and "+" ignored), and the bound openid.
	Query  string
	Bound  string // BoundAny, BoundYes or BoundNo
	Status string // "" (all), StatusActive or StatusDisabled
	Offset int
	Limit  int // default 20, at most 200 (ListMerchants)
}

// where builds the WHERE clause of f; invalid text is a ValidationError.
func (f Filter) where() (string, []any, error) {
	var where []string
	var args []any
	if q := strings.TrimSpace(f.Query); q != "" {
		if err := checkText("q", q); err != nil {
			return "", nil, err
		}
		if utf8.RuneCountInString(q) > 100 {
			return "", nil, &ValidationError{"q", "搜索词最多 100 个字符 (search at most 100 characters)"}
		}
		p := likePattern(q)
		cond := `LOWER(name) LIKE ? ESCAPE '!' OR LOWER(login) LIKE ? ESCAPE '!' OR LOWER(contact) LIKE ? ESCAPE '!' OR phone LIKE ? ESCAPE '!' OR wechat_openid LIKE ? ESCAPE '!'`
		args = append(args, p, p, p, p, likePatternExact(q))
		if d := phoneDigits(q); len(d) >= 3 && strings.Trim(q, "0123456789 -+") == "" {
			cond += ` OR phone_digits LIKE ? ESCAPE '!'`
			args = append(args, "%"+d+"%")
		}
		where = append(where, "("+cond+")")
	}
	switch f.Bound {
	case BoundAny:
	case BoundYes:
		where = append(where, `wechat_openid IS NOT NULL`)
	case BoundNo:
		where = append(where, `wechat_openid IS NULL`)
	default:
		return "", nil, &ValidationError{"bound", "未知的绑定筛选 (unknown binding filter)"}
	}
	switch f.Status {
	case "":
	case StatusActive, StatusDisabled:
		where, args = append(where, `status = ?`), append(args, f.Status)
	default:
		return "", nil, &ValidationError{"status", "未知状态 (unknown status)"}
	}
	if len(where) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(where, " AND "), args, nil
}

// ListMerchants returns one page of merchants (newest first) and the total number matching f.
func (s *DB) ListMerchants(ctx context.Context, f Filter) ([]Merchant, int, error) {
	cond, args, err := f.where()
	if err != nil {
		return nil, 0, err
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
	var out []Merchant
	err = s.eachMerchant(ctx, cond+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0)), func(m *Merchant) error {
		out = append(out, *m)
		return nil
	})
	return out, total, err
}

// EachMerchant calls fn for every merchant matching f (Offset and Limit ignored), newest first,
// streaming rows (the export of a long list does not hold it in memory).
func (s *DB) EachMerchant(ctx context.Context, f Filter, fn func(*Merchant) error) error {
	cond, args, err := f.where()
	if err != nil {
		return err
	}
	return s.eachMerchant(ctx, cond+` ORDER BY id DESC`, args, fn)
}

func (s *DB) eachMerchant(ctx context.Context, tail string, args []any, fn func(*Merchant) error) error {
	rows, err := query(ctx, s.db, s.d, `SELECT `+merchantCols+` FROM merchants`+tail, args...)
	if err != nil {
		return fmt.Errorf("store: list merchants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return fmt.Errorf("store: list merchants: %w", err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CountMerchants returns the number of merchants (all, and bound).
func (s *DB) CountMerchants(ctx context.Context) (all, bound int, err error) {
	err = queryRow(ctx, s.db, s.d, `SELECT COUNT(*), COUNT(wechat_openid) FROM merchants`).Scan(&all, &bound)
	return all, bound, err
}
