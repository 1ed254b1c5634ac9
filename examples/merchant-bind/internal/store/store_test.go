package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	assert.Equal(t, "postgres db:5432/mb", Describe("postgres://u:secret@db:5432/mb?sslmode=disable"), "no credentials")
	assert.Equal(t, "mysql db:3306/mb", Describe("mysql://u:secret@db:3306/mb"))
	assert.Equal(t, "sqlite /var/lib/mb.db", Describe("sqlite:///var/lib/mb.db"))
}

func TestRebind(t *testing.T) {
	q := `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`
	assert.Equal(t, q, SQLite.rebind(q))
	assert.Equal(t, q, MySQL.rebind(q))
	assert.Equal(t, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`, Postgres.rebind(q))
}

func TestDDL(t *testing.T) {
	for d, want := range map[Dialect]string{SQLite: "AUTOINCREMENT", Postgres: "IDENTITY", MySQL: "AUTO_INCREMENT"} {
		q, ok := d.ddl("CREATE TABLE x (id {{ID}})")
		assert.True(t, ok)
		assert.Contains(t, q, want, d.String())
	}
	q, _ := MySQL.ddl("CREATE TABLE x (id {{ID}})\n")
	assert.True(t, strings.HasSuffix(q, ") DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"), "MySQL tables are utf8mb4 whatever the server default")
	_, ok := SQLite.ddl(mysqlOnly + "ALTER TABLE x CONVERT TO CHARACTER SET utf8mb4")
	assert.False(t, ok)
	q, ok = MySQL.ddl(mysqlOnly + "ALTER TABLE x CONVERT TO CHARACTER SET utf8mb4")
	assert.True(t, ok)
	assert.Equal(t, "ALTER TABLE x CONVERT TO CHARACTER SET utf8mb4", q)
}

func TestMigrationsAreIdempotentAndVersioned(t *testing.T) {
	for _, d := range databases {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			dsn := d.dsn(t)
			db, err := Open(ctx, dsn)
			require.NoError(t, err)
			_, err = db.CreateMerchant(ctx, MerchantInput{Name: "甲", Login: "jia"}, t0)
			require.NoError(t, err)
			require.NoError(t, db.Close())

			db = openDSN(t, dsn) // second start: nothing re-applied, data kept
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
		})
	}
}

// A database created by version 1 on a server whose default charset is latin1 (the tables then
// were latin1) is converted to utf8mb4 by version 2: Chinese names are stored afterwards.
func TestLatin1TablesAreConverted(t *testing.T) {
	ctx := t.Context()
	dsn := databases[2].dsn(t)
	db := openDSN(t, dsn)
	raw := db.db
	for _, tbl := range []string{"outbox_attempts", "outbox", "login_throttle", "sessions"} {
		_, err := raw.ExecContext(ctx, "DROP TABLE "+tbl)
		require.NoError(t, err)
	}
	for _, stmt := range []string{
		"DROP INDEX merchants_login_key ON merchants", "ALTER TABLE merchants DROP COLUMN login_key, DROP COLUMN phone_digits, DROP COLUMN last_interaction_at",
		"DROP INDEX admins_username_key ON admins", "ALTER TABLE admins DROP COLUMN username_key, DROP COLUMN role, DROP COLUMN disabled_at, DROP COLUMN password_changed_at",
		"DROP INDEX audit_log_who ON audit_log", "DROP INDEX audit_log_when ON audit_log", "DELETE FROM schema_migrations WHERE version = 2",
	} {
		_, err := raw.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	for _, tbl := range []string{"merchants", "bind_codes", "bindings", "audit_log", "admins", "settings"} {
		_, err := raw.ExecContext(ctx, "ALTER TABLE "+tbl+" CONVERT TO CHARACTER SET latin1")
		require.NoError(t, err)
	}
	_, err := raw.ExecContext(ctx, "INSERT INTO merchants (name, login, status, created_at) VALUES ('Old Shop', 'Old-Shop', 'active', 1)")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db = openDSN(t, dsn)
	var cs string
	require.NoError(t, db.db.QueryRowContext(ctx, `SELECT CCSA.character_set_name FROM information_schema.TABLES T
		JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY CCSA ON CCSA.collation_name = T.table_collation
		WHERE T.table_schema = DATABASE() AND T.table_name = 'merchants'`).Scan(&cs))
	assert.Equal(t, "utf8mb4", cs)
	m, err := db.CreateMerchant(ctx, MerchantInput{Name: "老王面馆 🍜", Login: "laowang"}, t0)
	require.NoError(t, err)
	assert.Equal(t, "老王面馆 🍜", m.Name)
	_, err = db.CreateMerchant(ctx, MerchantInput{Name: "x", Login: "old-shop"}, t0)
	assert.ErrorIs(t, err, ErrDuplicate, "the login key is filled in for existing rows")
}

func TestMerchants(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		a, err := db.CreateMerchant(ctx, MerchantInput{Name: " 老王面馆 ", Login: "laowang", Contact: "王建国", Phone: "138 0000-0001"}, t0)
		require.NoError(t, err)
		assert.Equal(t, "老王面馆", a.Name)
		assert.Equal(t, StatusActive, a.Status)
		assert.Equal(t, t0.Unix(), a.CreatedAt.Unix())
		assert.False(t, a.Bound())

		_, err = db.CreateMerchant(ctx, MerchantInput{Name: "x", Login: "laowang"}, t0)
		assert.ErrorIs(t, err, ErrDuplicate)
		_, err = db.CreateMerchant(ctx, MerchantInput{Name: "x", Login: "LaoWang"}, t0)
		assert.ErrorIs(t, err, ErrDuplicate, "logins are unique in any letter case, on every database")
		var ve *ValidationError
		for _, tt := range []struct {
			in    MerchantInput
			field string
		}{
			{MerchantInput{Name: "", Login: "ok-login"}, "name"},
			{MerchantInput{Name: "y", Login: "空格 no"}, "login"},
			{MerchantInput{Name: "a\x00b", Login: "nul-name"}, "name"},
			{MerchantInput{Name: "bad \xff utf8", Login: "bad-utf8"}, "name"},
			{MerchantInput{Name: "ok", Login: "ok-contact", Contact: "\xe4\xb8"}, "contact"},
			{MerchantInput{Name: strings.Repeat("店", 101), Login: "long-name"}, "name"},
		} {
			_, err = db.CreateMerchant(ctx, tt.in, t0)
			require.ErrorAs(t, err, &ve, "%q", tt.in.Name)
			assert.Equal(t, tt.field, ve.Field)
			assert.Regexp(t, `\p{Han}`, ve.Msg, "the message is Chinese")
		}

		b, err := db.CreateMerchant(ctx, MerchantInput{Name: "鲜果时光 100%", Login: "fruit_time"}, t0.Add(time.Hour))
		require.NoError(t, err)
		require.NoError(t, db.UpdateMerchant(ctx, b.ID, MerchantInput{Name: "鲜果时光 100%", Login: "fruit-time", Phone: "+86 139-1234-5678"}))
		require.NoError(t, db.UpdateMerchant(ctx, b.ID, MerchantInput{Name: "鲜果时光 100%", Login: "fruit-time", Phone: "+86 139-1234-5678"}), "an unchanged save")
		assert.ErrorIs(t, db.UpdateMerchant(ctx, b.ID, MerchantInput{Name: "z", Login: "LAOWANG"}), ErrDuplicate)
		assert.ErrorIs(t, db.UpdateMerchant(ctx, 999, MerchantInput{Name: "z", Login: "zz"}), ErrNotFound)
		got, err := db.MerchantByLogin(ctx, "Fruit-Time")
		require.NoError(t, err)
		assert.Equal(t, b.ID, got.ID)

		changed, err := db.SetMerchantStatus(ctx, b.ID, StatusDisabled)
		require.NoError(t, err)
		assert.True(t, changed)
		changed, err = db.SetMerchantStatus(ctx, b.ID, StatusDisabled)
		require.NoError(t, err)
		assert.False(t, changed)
		_, err = db.SetMerchantStatus(ctx, 999, StatusDisabled)
		assert.ErrorIs(t, err, ErrNotFound)

		require.NoError(t, db.SetMerchantLastLogin(ctx, a.ID, t0.Add(2*time.Hour)))
		require.NoError(t, db.SetMerchantLastLogin(ctx, a.ID, t0.Add(time.Hour)), "an older report changes nothing")
		assert.ErrorIs(t, db.SetMerchantLastLogin(ctx, 999, t0), ErrNotFound)
		bindTest(t, db, a.ID, "oWx_openid-A", "T-a")
		require.NoError(t, db.TouchInteraction(ctx, "oWx_openid-A", t0.Add(3*time.Hour)))
		require.NoError(t, db.TouchInteraction(ctx, "nobody", t0))
		a, err = db.Merchant(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, t0.Add(2*time.Hour).Unix(), a.LastLoginAt.Unix())
		assert.Equal(t, t0.Add(3*time.Hour).Unix(), a.LastInteractionAt.Unix())

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
			{"phone as typed", Filter{Query: "0000-0001"}, []string{"laowang"}},
			{"phone digits ignore spaces and dashes", Filter{Query: "13800000001"}, []string{"laowang"}},
			{"phone with other separators", Filter{Query: "139 1234 5678"}, []string{"fruit-time"}},
			{"openid", Filter{Query: "oWx_openid-A"}, []string{"laowang"}},
			{"bound", Filter{Bound: BoundYes}, []string{"laowang"}},
			{"unbound", Filter{Bound: BoundNo}, []string{"fruit-time"}},
			{"disabled", Filter{Status: StatusDisabled}, []string{"fruit-time"}},
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
		for _, bad := range []Filter{{Query: "a\x00"}, {Query: "\xff"}, {Bound: "maybe"}, {Status: "x"}} {
			_, _, err := db.ListMerchants(ctx, bad)
			assert.ErrorAs(t, err, &ve, "%+v", bad)
		}
		var exported []string
		require.NoError(t, db.EachMerchant(ctx, Filter{Query: "1", Limit: 1}, func(m *Merchant) error {
			exported = append(exported, m.Name)
			return nil
		}))
		assert.Equal(t, []string{"鲜果时光 100%", "老王面馆"}, exported, "every match, no paging")
		all, bound, err := db.CountMerchants(ctx)
		require.NoError(t, err)
		assert.Equal(t, [2]int{2, 1}, [2]int{all, bound})
	})
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
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
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
	})
}

func TestBindingConstraints(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
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
	})
}

func TestSettings(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		v, err := db.SettingOrInit(ctx, "session_key", "first")
		require.NoError(t, err)
		assert.Equal(t, "first", v)
		v, err = db.SettingOrInit(ctx, "session_key", "second")
		require.NoError(t, err)
		assert.Equal(t, "first", v)
		_, ok, err := db.Setting(ctx, "missing")
		require.NoError(t, err)
		assert.False(t, ok)
		require.NoError(t, db.SetSetting(ctx, "mode", "real"))
		require.NoError(t, db.SetSetting(ctx, "mode", "real"))
		require.NoError(t, db.SetSetting(ctx, "mode", "demo"))
		v, _, err = db.Setting(ctx, "mode")
		require.NoError(t, err)
		assert.Equal(t, "demo", v)
		require.NoError(t, db.DeleteSetting(ctx, "session_key"))
		_, ok, err = db.Setting(ctx, "session_key")
		require.NoError(t, err)
		assert.False(t, ok)
		require.NoError(t, db.Ping(ctx))
	})
}

func TestUniqueViolationDetection(t *testing.T) {
	assert.False(t, isUniqueViolation(errors.New("x")))
	assert.False(t, isUniqueViolation(nil))
	eachDB(t, func(t *testing.T, db *DB) {
		_, err := exec(context.Background(), db.db, db.d, `INSERT INTO settings (name, value) VALUES ('a', '1')`)
		require.NoError(t, err)
		_, err = exec(context.Background(), db.db, db.d, `INSERT INTO settings (name, value) VALUES ('a', '2')`)
		assert.True(t, isUniqueViolation(err))
	})
}
