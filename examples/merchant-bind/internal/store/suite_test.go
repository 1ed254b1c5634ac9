package store

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/testsvc"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// Databases the store suite runs on. SQLite is embedded; PostgreSQL and MariaDB are private
// servers started by testsvc (skipped with a message when not installed, failing under
// QIWEI_REQUIRE_SERVICES=1 as in CI).
var databases = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "test.db") }},
	{"postgres", func(t *testing.T) string { return testsvc.Postgres(t) }},
	{"mariadb", func(t *testing.T) string { return mysqlURL(testsvc.MariaDB(t)) }},
}

// mysqlURL turns testsvc's go-sql-driver DSN "user@tcp(host:port)/db" into DATABASE_URL form.
func mysqlURL(dsn string) string {
	user, rest, _ := strings.Cut(dsn, "@tcp(")
	addr, db, _ := strings.Cut(rest, ")/")
	return "mysql://" + user + "@" + addr + "/" + db
}

// eachDB runs f on a fresh database of every kind.
func eachDB(t *testing.T, f func(t *testing.T, db *DB)) {
	for _, d := range databases {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			f(t, openDSN(t, d.dsn(t)))
		})
	}
}

func openDSN(t *testing.T, dsn string) *DB {
	t.Helper()
	db, err := Open(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}
