package store

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdmins(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		a, err := db.CreateAdmin(ctx, "admin", "$2a$hash", RoleAdmin, t0)
		require.NoError(t, err)
		_, err = db.CreateAdmin(ctx, "Admin", "$2a$other", RoleAdmin, t0)
		assert.ErrorIs(t, err, ErrDuplicate, "usernames are unique in any letter case, on every database")
		var ve *ValidationError
		_, err = db.CreateAdmin(ctx, "bad name", "$2a$x", RoleAdmin, t0)
		assert.ErrorAs(t, err, &ve)
		_, err = db.CreateAdmin(ctx, "viewer", "$2a$x", "root", t0)
		assert.ErrorAs(t, err, &ve)
		ro, err := db.CreateAdmin(ctx, "viewer", "$2a$viewer", RoleReadOnly, t0)
		require.NoError(t, err)
		assert.False(t, ro.CanWrite())
		assert.True(t, a.CanWrite())

		got, err := db.AdminByUsername(ctx, "ADMIN")
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		for _, odd := range []string{"nobody", "", "a\x00b", "\xff\xfe", strings.Repeat("长", 70)} {
			_, err = db.AdminByUsername(ctx, odd)
			assert.ErrorIs(t, err, ErrNotFound, "%q", odd)
		}

		// The last enabled 管理员 can be neither disabled nor demoted.
		assert.ErrorIs(t, db.SetAdminDisabled(ctx, a.ID, true, t0), ErrLastAdmin)
		assert.ErrorIs(t, db.SetAdminRole(ctx, a.ID, RoleReadOnly), ErrLastAdmin)
		require.NoError(t, db.SetAdminRole(ctx, ro.ID, RoleAdmin))
		require.NoError(t, db.SetAdminDisabled(ctx, a.ID, true, t0))
		got, err = db.AdminByID(ctx, a.ID)
		require.NoError(t, err)
		assert.True(t, got.Disabled())
		assert.False(t, got.CanWrite())
		assert.ErrorIs(t, db.SetAdminDisabled(ctx, ro.ID, true, t0), ErrLastAdmin)
		require.NoError(t, db.SetAdminDisabled(ctx, a.ID, false, t0))

		require.NoError(t, db.SetAdminPassword(ctx, a.ID, "$2a$new", t0.Add(time.Hour)))
		assert.ErrorIs(t, db.SetAdminPassword(ctx, 999, "$2a$new", t0), ErrNotFound)
		require.NoError(t, db.TouchAdminLogin(ctx, a.ID, t0))
		got, err = db.AdminByUsername(ctx, "admin")
		require.NoError(t, err)
		assert.Equal(t, "$2a$new", got.PasswordHash)
		assert.Equal(t, t0.Unix(), got.LastLoginAt.Unix())
		assert.Equal(t, t0.Add(time.Hour).Unix(), got.PasswordChangedAt.Unix())
		all, err := db.Admins(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, []string{"admin", "viewer"}, []string{all[0].Username, all[1].Username})
	})
}

// Sessions end on logout, on a password change and when the admin is disabled.
func TestSessions(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		a, err := db.CreateAdmin(ctx, "admin", "$2a$hash", RoleAdmin, t0)
		require.NoError(t, err)
		b, err := db.CreateAdmin(ctx, "second", "$2a$hash", RoleAdmin, t0)
		require.NoError(t, err)
		newSession := func(admin int64, n int) string {
			id := strings.Repeat(strconv.Itoa(n), 64)[:64]
			require.NoError(t, db.CreateSession(ctx, &Session{ID: id, AdminID: admin, CreatedAt: t0, LastSeenAt: t0,
				ExpiresAt: t0.Add(12 * time.Hour), IP: "203.0.113.9", UserAgent: "Mozilla/5.0 \x00" + strings.Repeat("长", 300)}))
			return id
		}
		active := func(id string, at time.Time) bool {
			_, _, err := db.ActiveSession(ctx, id, at)
			if err != nil {
				require.ErrorIs(t, err, ErrNotFound)
			}
			return err == nil
		}
		s1, s2, s3 := newSession(a.ID, 1), newSession(a.ID, 2), newSession(b.ID, 3)
		ss, admin, err := db.ActiveSession(ctx, s1, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, "admin", admin.Username)
		assert.Equal(t, "203.0.113.9", ss.IP)
		assert.LessOrEqual(t, utf8.RuneCountInString(ss.UserAgent), 200)
		assert.False(t, active(s1, t0.Add(12*time.Hour)), "expired")
		assert.False(t, active("nope", t0))

		require.NoError(t, db.TouchSession(ctx, s2, t0.Add(time.Hour)))
		list, err := db.AdminSessions(ctx, a.ID, t0)
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, s2, list[0].ID, "most recently used first")

		require.NoError(t, db.RevokeSession(ctx, s1, t0))
		assert.False(t, active(s1, t0), "logout")
		assert.True(t, active(s2, t0))
		require.NoError(t, db.SetAdminPassword(ctx, a.ID, "$2a$new", t0))
		assert.False(t, active(s2, t0), "a password change ends every session")
		assert.True(t, active(s3, t0), "other admins keep theirs")
		s4 := newSession(b.ID, 4)
		require.NoError(t, db.RevokeAdminSessions(ctx, b.ID, s4, t0))
		assert.False(t, active(s3, t0))
		assert.True(t, active(s4, t0), "the kept one")
		require.NoError(t, db.SetAdminDisabled(ctx, b.ID, true, t0))
		assert.False(t, active(s4, t0), "disabling ends every session")
		require.NoError(t, db.SetAdminDisabled(ctx, b.ID, false, t0))
		assert.False(t, active(s4, t0), "and enabling again does not revive them")
		require.NoError(t, db.PurgeSessions(ctx, t0.Add(time.Hour)))
		list, err = db.AdminSessions(ctx, b.ID, t0)
		require.NoError(t, err)
		assert.Empty(t, list)
	})
}

func TestLoginThrottle(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		p := ThrottlePolicy{MaxFailures: 3, Window: 10 * time.Minute, LockFor: 15 * time.Minute}
		key := "user:" + strings.Repeat("账", 80) // longer than the column: cut on a character boundary
		for i := range 2 {
			until, err := db.RecordLoginFailure(ctx, key, p, t0.Add(time.Duration(i)*time.Minute))
			require.NoError(t, err)
			assert.True(t, until.IsZero())
		}
		until, err := db.RecordLoginFailure(ctx, key, p, t0.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, t0.Add(17*time.Minute).Unix(), until.Unix(), "the third failure locks")
		got, err := db.LockedUntil(ctx, key, t0.Add(5*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, until.Unix(), got.Unix())
		got, err = db.LockedUntil(ctx, key, t0.Add(20*time.Minute))
		require.NoError(t, err)
		assert.True(t, got.IsZero(), "the lock ends")

		// Failures outside the window start a new count.
		ip := "ip:203.0.113.7"
		for _, at := range []time.Duration{0, time.Minute, 30 * time.Minute, 31 * time.Minute} {
			until, err := db.RecordLoginFailure(ctx, ip, p, t0.Add(at))
			require.NoError(t, err)
			assert.True(t, until.IsZero(), "at %v", at)
		}
		require.NoError(t, db.ClearLoginFailures(ctx, ip))
		until, err = db.RecordLoginFailure(ctx, ip, p, t0.Add(32*time.Minute))
		require.NoError(t, err)
		assert.True(t, until.IsZero(), "cleared")
		got, err = db.LockedUntil(ctx, "ip:unknown", t0)
		require.NoError(t, err)
		assert.True(t, got.IsZero())
	})
}

func TestAuditLog(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		m, err := db.CreateMerchant(ctx, MerchantInput{Name: "店", Login: "shop"}, t0)
		require.NoError(t, err)
		for i := range 7 {
			e := AuditEntry{Who: "admin", What: "merchant.update", When: t0.Add(time.Duration(i) * time.Hour), Details: "n=" + strconv.Itoa(i)}
			if i%2 == 0 {
				e.MerchantID, e.What, e.Who = m.ID, "bind.refused", "wechat:oX"
			}
			require.NoError(t, db.Audit(ctx, e))
		}
		page, total, err := db.AuditLog(ctx, AuditQuery{Limit: 3, Offset: 3})
		require.NoError(t, err)
		assert.Equal(t, 7, total)
		require.Len(t, page, 3)
		assert.Equal(t, "n=3", page[0].Details)
		for _, tt := range []struct {
			q    AuditQuery
			want int
		}{
			{AuditQuery{MerchantID: m.ID}, 4},
			{AuditQuery{Prefix: "bind."}, 4},
			{AuditQuery{Who: "admin"}, 3},
			{AuditQuery{From: t0.Add(2 * time.Hour), To: t0.Add(4 * time.Hour)}, 2},
			{AuditQuery{Who: "admin", From: t0.Add(2 * time.Hour)}, 2},
		} {
			_, total, err = db.AuditLog(ctx, tt.q)
			require.NoError(t, err)
			assert.Equal(t, tt.want, total, "%+v", tt.q)
		}
		var ve *ValidationError
		_, _, err = db.AuditLog(ctx, AuditQuery{Who: "a\x00"})
		assert.ErrorAs(t, err, &ve)

		// What people typed is stored whatever it is: a 200-byte username of Chinese characters and
		// invalid bytes (PostgreSQL refuses a cut in the middle of a character).
		odd := "login:" + strings.Repeat("管", 66) + "\xff\x00end"
		require.NoError(t, db.Audit(ctx, AuditEntry{Who: odd, What: "admin.login_failed", When: t0, Details: strings.Repeat("x", 5000)}))
		page, _, err = db.AuditLog(ctx, AuditQuery{Prefix: "admin.", Limit: 1})
		require.NoError(t, err)
		require.Len(t, page, 1)
		assert.True(t, utf8.ValidString(page[0].Who))
		assert.True(t, strings.HasPrefix(page[0].Who, "login:管管"))
		assert.LessOrEqual(t, utf8.RuneCountInString(page[0].Details), maxDetails)
		require.NoError(t, db.Audit(ctx, AuditEntry{What: "x", When: t0}))
		page, _, err = db.AuditLog(ctx, AuditQuery{Limit: 1})
		require.NoError(t, err)
		assert.Equal(t, "system", page[0].Who)
	})
}

func TestSafeText(t *testing.T) {
	assert.Equal(t, "ab", SafeText("a\x00b", 10))
	assert.Equal(t, "a\uFFFDb", SafeText("a\xffb", 10))
	assert.Equal(t, "一二…", SafeText("一二三四", 3))
	assert.Equal(t, "line\nnext", SafeText("line\nnext", 20))
	assert.True(t, ValidText("老王 面馆\t1", false))
	assert.False(t, ValidText("a\nb", false))
	assert.True(t, ValidText("a\r\nb", true))
	assert.False(t, ValidText("a\x00b", true))
	assert.False(t, ValidText("\xe4\xb8", true))
}
