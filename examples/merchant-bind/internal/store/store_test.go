package store

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		in      string
		dialect Dialect
		want    string // prefix of the driver DSN
		wantErr bool
	}{
		{"data/app.db", SQLite, "file:data/app.db?_pragma=busy_timeout", false},
		{"sqlite:///var/lib/mb.db", SQLite, "file:/var/lib/mb.db?", false},
		{"file:x.db", SQLite, "file:x.db?", false},
		{"postgres://u:p@db:5432/mb?sslmode=disable", Postgres, "postgres://u:p@db:5432/mb", false},
		{"postgresql://db/mb", Postgres, "postgresql://db/mb", false},
		{"mysql://u:p@db:3306/mb", MySQL, "u:p@tcp(db:3306)/mb", false},
		{"mysql://db", 0, "", true},
		{"redis://x", 0, "", true},
		{"", 0, "", true},
		{"a.db?mode=ro", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, dsn, err := ParseDSN(tt.in)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.dialect, d)
			assert.True(t, strings.HasPrefix(dsn, tt.want), dsn)
		})
	}
}

func TestRebind(t *testing.T) {
	q := `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`
	assert.Equal(t, q, SQLite.rebind(q))
	assert.Equal(t, q, MySQL.rebind(q))
	assert.Equal(t, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`, Postgres.rebind(q))
}

func TestDDL(t *testing.T) {
	for d, want := range map[Dialect]string{SQLite: "AUTOINCREMENT", Postgres: "IDENTITY", MySQL: "AUTO_INCREMENT"} {
		assert.Contains(t, d.ddl("CREATE TABLE x (id {{ID}})"), want, d.String())
	}
}

func TestMigrationsAreIdempotentAndVersioned(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(ctx, path)
	require.NoError(t, err)
	_, err = db.CreateMerchant(ctx, MerchantInput{Name: "甲", Login: "jia"}, t0)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db, err = Open(ctx, path) // second start: nothing re-applied, data kept
	require.NoError(t, err)
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(migrations), v)
	all, _, err := db.CountMerchants(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, all)

	next := append(append([]migration(nil), migrations...),
		migration{len(migrations) + 1, "notes", []string{`CREATE TABLE notes (id {{ID}}, body TEXT NOT NULL)`}})
	require.NoError(t, db.migrate(ctx, next))
	require.NoError(t, db.migrate(ctx, next)) // applied once only: a re-run would fail on CREATE TABLE
	v, err = db.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(next), v)

	bad := append(next, migration{len(next) + 1, "broken", []string{`CREATE TABLE notes (id INTEGER)`}})
	err = db.migrate(ctx, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "broken")
}

func TestMerchants(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	a, err := db.CreateMerchant(ctx, MerchantInput{Name: " 老王面馆 ", Login: "laowang", Contact: "王建国", Phone: "138 0000 0001"}, t0)
	require.NoError(t, err)
	assert.Equal(t, "老王面馆", a.Name)
	assert.Equal(t, StatusActive, a.Status)
	assert.False(t, a.Bound())

	_, err = db.CreateMerchant(ctx, MerchantInput{Name: "x", Login: "laowang"}, t0)
	assert.ErrorIs(t, err, ErrDuplicate)
	var ve *ValidationError
	_, err = db.CreateMerchant(ctx, MerchantInput{Name: "", Login: "ok-login"}, t0)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "name", ve.Field)
	_, err = db.CreateMerchant(ctx, MerchantInput{Name: "y", Login: "空格 no"}, t0)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "login", ve.Field)

	b, err := db.CreateMerchant(ctx, MerchantInput{Name: "鲜果时光 100%", Login: "fruit_time"}, t0)
	require.NoError(t, err)
	require.NoError(t, db.UpdateMerchant(ctx, b.ID, MerchantInput{Name: "鲜果时光 100%", Login: "fruit-time", Phone: "+86 139"}))
	assert.ErrorIs(t, db.UpdateMerchant(ctx, b.ID, MerchantInput{Name: "z", Login: "laowang"}), ErrDuplicate)
	assert.ErrorIs(t, db.UpdateMerchant(ctx, 999, MerchantInput{Name: "z", Login: "zz"}), ErrNotFound)

	changed, err := db.SetMerchantStatus(ctx, b.ID, StatusDisabled)
	require.NoError(t, err)
	assert.True(t, changed)
	changed, err = db.SetMerchantStatus(ctx, b.ID, StatusDisabled)
	require.NoError(t, err)
	assert.False(t, changed)
	_, err = db.SetMerchantStatus(ctx, 999, StatusDisabled)
	assert.ErrorIs(t, err, ErrNotFound)

	bindTest(t, db, a.ID, "openid-a", "T-a")

	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all newest first", Filter{}, []string{"fruit-time", "laowang"}},
		{"search name", Filter{Query: "面馆"}, []string{"laowang"}},
		{"search login case-insensitive", Filter{Query: "FRUIT"}, []string{"fruit-time"}},
		{"percent is literal", Filter{Query: "100%"}, []string{"fruit-time"}},
		{"underscore is literal", Filter{Query: "t_t"}, nil},
		{"phone", Filter{Query: "0001"}, []string{"laowang"}},
		{"bound", Filter{Bound: BoundYes}, []string{"laowang"}},
		{"unbound", Filter{Bound: BoundNo}, []string{"fruit-time"}},
		{"page 2", Filter{Limit: 1, Offset: 1}, []string{"laowang"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, total, err := db.ListMerchants(ctx, tt.f)
			require.NoError(t, err)
			var got []string
			for _, m := range ms {
				got = append(got, m.Login)
			}
			assert.Equal(t, tt.want, got)
			if tt.f.Limit == 0 {
				assert.Equal(t, len(tt.want), total)
			}
		})
	}
	all, bound, err := db.CountMerchants(ctx)
	require.NoError(t, err)
	assert.Equal(t, [2]int{2, 1}, [2]int{all, bound})
}

func bindTest(t *testing.T, db *DB, merchantID int64, openid, ticket string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, db.InTx(t.Context(), func(tx *Tx) (err error) {
		id, err = tx.Bind(t.Context(), merchantID, openid, ticket, t0)
		return err
	}))
	return id
}

func TestCodes(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	m, err := db.CreateMerchant(ctx, MerchantInput{Name: "店", Login: "shop"}, t0)
	require.NoError(t, err)
	_, err = db.CurrentCode(ctx, m.ID, t0)
	assert.ErrorIs(t, err, ErrNotFound)

	c1 := &Code{Ticket: "T1", Scene: "bind_business_1", MerchantID: m.ID, URL: "u1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	require.NoError(t, db.AddCode(ctx, c1))
	assert.ErrorIs(t, db.AddCode(ctx, c1), ErrDuplicate)
	c2 := &Code{Ticket: "T2", Scene: "bind_business_1", MerchantID: m.ID, URL: "u2", CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(2 * time.Hour)}
	require.NoError(t, db.AddCode(ctx, c2))

	cur, err := db.CurrentCode(ctx, m.ID, t0.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, "T2", cur.Ticket)
	old, err := db.CodeByTicket(ctx, "T1")
	require.NoError(t, err)
	assert.Equal(t, CodeRevoked, old.State(t0))
	assert.Equal(t, CodeValid, cur.State(t0))
	assert.Equal(t, CodeExpired, cur.State(t0.Add(2*time.Hour)))
	_, err = db.CurrentCode(ctx, m.ID, t0.Add(3*time.Hour))
	assert.ErrorIs(t, err, ErrNotFound)

	require.NoError(t, db.InTx(ctx, func(tx *Tx) error {
		c, err := tx.LatestCodeForScene(ctx, "bind_business_1")
		require.NoError(t, err)
		assert.Equal(t, "T2", c.Ticket)
		ok, err := tx.UseCode(ctx, "T1", "o1", t0) // revoked
		require.NoError(t, err)
		assert.False(t, ok)
		ok, err = tx.UseCode(ctx, "T2", "o1", t0)
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = tx.UseCode(ctx, "T2", "o2", t0) // already used
		require.NoError(t, err)
		assert.False(t, ok)
		return nil
	}))
	used, err := db.CodeByTicket(ctx, "T2")
	require.NoError(t, err)
	assert.Equal(t, CodeUsed, used.State(t0))
	assert.Equal(t, "o1", used.UsedBy)
	codes, err := db.Codes(ctx, m.ID, 10)
	require.NoError(t, err)
	require.Len(t, codes, 2)
	assert.Equal(t, "T2", codes[0].Ticket)
}

func TestBindingConstraints(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	var ids []int64
	for i := range 3 {
		m, err := db.CreateMerchant(ctx, MerchantInput{Name: "店" + strconv.Itoa(i), Login: "shop" + strconv.Itoa(i)}, t0)
		require.NoError(t, err)
		ids = append(ids, m.ID)
	}
	bindTest(t, db, ids[0], "oA", "")

	tryBind := func(merchant int64, openid string) error {
		return db.InTx(ctx, func(tx *Tx) error {
			_, err := tx.Bind(ctx, merchant, openid, "", t0)
			return err
		})
	}
	assert.ErrorIs(t, tryBind(ids[1], "oA"), ErrConflict, "one merchant per openid")
	assert.ErrorIs(t, tryBind(ids[0], "oB"), ErrConflict, "one openid per merchant")

	var ub *Binding
	require.NoError(t, db.InTx(ctx, func(tx *Tx) (err error) {
		ub, err = tx.Unbind(ctx, ids[0], ReasonUnsubscribe, "wechat:oA", t0.Add(time.Hour))
		return err
	}))
	assert.False(t, ub.Active())
	err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Unbind(ctx, ids[0], ReasonAdmin, "admin", t0)
		return err
	})
	assert.ErrorIs(t, err, ErrNotFound)

	require.NoError(t, tryBind(ids[1], "oA"), "openid is free again")
	bindTest(t, db, ids[0], "oC", "")
	hist, err := db.Bindings(ctx, ids[0])
	require.NoError(t, err)
	require.Len(t, hist, 2, "history kept")
	assert.True(t, hist[0].Active())
	assert.Equal(t, "oC", hist[0].OpenID)
	assert.Equal(t, ReasonUnsubscribe, hist[1].UnbindReason)
	assert.Equal(t, "wechat:oA", hist[1].UnboundBy)

	m, err := db.MerchantByOpenID(ctx, "oA")
	require.NoError(t, err)
	assert.Equal(t, ids[1], m.ID)
	_, err = db.MerchantByOpenID(ctx, "nobody")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestAuditPaging(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	m, err := db.CreateMerchant(ctx, MerchantInput{Name: "店", Login: "shop"}, t0)
	require.NoError(t, err)
	for i := range 7 {
		e := AuditEntry{Who: "admin", What: "merchant.update", When: t0.Add(time.Duration(i) * time.Second), Details: "n=" + strconv.Itoa(i)}
		if i%2 == 0 {
			e.MerchantID, e.What = m.ID, "bind.refused"
		}
		require.NoError(t, db.Audit(ctx, e))
	}
	page, total, err := db.AuditLog(ctx, AuditQuery{Limit: 3, Offset: 3})
	require.NoError(t, err)
	assert.Equal(t, 7, total)
	require.Len(t, page, 3)
	assert.Equal(t, "n=3", page[0].Details)
	_, total, err = db.AuditLog(ctx, AuditQuery{MerchantID: m.ID})
	require.NoError(t, err)
	assert.Equal(t, 4, total)
	_, total, err = db.AuditLog(ctx, AuditQuery{Prefix: "bind."})
	require.NoError(t, err)
	assert.Equal(t, 4, total)

	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'x'
	}
	require.NoError(t, db.Audit(ctx, AuditEntry{What: "x", When: t0, Details: string(long)}))
	page, _, err = db.AuditLog(ctx, AuditQuery{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, "system", page[0].Who)
	assert.LessOrEqual(t, len([]rune(page[0].Details)), maxDetails)
}

func TestAdminsAndSettings(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	a, err := db.CreateAdmin(ctx, "admin", "$2a$hash", t0)
	require.NoError(t, err)
	_, err = db.CreateAdmin(ctx, "admin", "$2a$other", t0)
	assert.ErrorIs(t, err, ErrDuplicate)
	require.NoError(t, db.SetAdminPassword(ctx, a.ID, "$2a$new"))
	require.NoError(t, db.TouchAdminLogin(ctx, a.ID, t0))
	got, err := db.AdminByUsername(ctx, "admin")
	require.NoError(t, err)
	assert.Equal(t, "$2a$new", got.PasswordHash)
	assert.Equal(t, t0.Unix(), got.LastLoginAt.Unix())
	_, err = db.AdminByUsername(ctx, "nobody")
	assert.ErrorIs(t, err, ErrNotFound)
	n, err := db.CountAdmins(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	v, err := db.SettingOrInit(ctx, "session_key", "first")
	require.NoError(t, err)
	assert.Equal(t, "first", v)
	v, err = db.SettingOrInit(ctx, "session_key", "second")
	require.NoError(t, err)
	assert.Equal(t, "first", v)
	_, ok, err := db.Setting(ctx, "missing")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestUniqueViolationDetection(t *testing.T) {
	assert.False(t, isUniqueViolation(errors.New("x")))
	assert.False(t, isUniqueViolation(nil))
	db := openTest(t)
	_, err := exec(context.Background(), db.db, db.d, `INSERT INTO settings (name, value) VALUES ('a', '1')`)
	require.NoError(t, err)
	_, err = exec(context.Background(), db.db, db.d, `INSERT INTO settings (name, value) VALUES ('a', '2')`)
	assert.True(t, isUniqueViolation(err))
}
