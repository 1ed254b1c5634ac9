package testsvc

import (
	"database/sql"
	"net/url"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func open(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.PingContext(t.Context()))
	return db
}

func TestPostgresDatabasePerTest(t *testing.T) {
	var first string
	t.Run("a", func(t *testing.T) {
		first = Postgres(t)
		db := open(t, "pgx", first)
		_, err := db.ExecContext(t.Context(), `CREATE TABLE bag (name text)`)
		require.NoError(t, err)
		_, err = db.ExecContext(t.Context(), `INSERT INTO bag VALUES ($1)`, "棕色托特包")
		require.NoError(t, err)
		var name string
		require.NoError(t, db.QueryRowContext(t.Context(), `SELECT name FROM bag`).Scan(&name))
		assert.Equal(t, "棕色托特包", name)
	})
	second := Postgres(t)
	assert.NotEqual(t, first, second, "every call gets its own database")
	u1, _ := url.Parse(first)
	u2, _ := url.Parse(second)
	assert.Equal(t, u1.Host, u2.Host, "one server per test binary")
	db := open(t, "pgx", second)
	var n int
	require.NoError(t, db.QueryRowContext(t.Context(),
		`SELECT count(*) FROM pg_database WHERE datname = $1`, strings.TrimPrefix(u1.Path, "/")).Scan(&n))
	assert.Zero(t, n, "the first test's database is dropped when it ends")
}

func TestMariaDBDatabasePerTest(t *testing.T) {
	var first string
	t.Run("a", func(t *testing.T) {
		first = MariaDB(t)
		db := open(t, "mysql", first+"?charset=utf8mb4")
		var cs string
		require.NoError(t, db.QueryRowContext(t.Context(), `SELECT @@character_set_server`).Scan(&cs))
		assert.Equal(t, "latin1", cs, "the server default is latin1, as on many real servers")
		_, err := db.ExecContext(t.Context(), `CREATE TABLE bag (name varchar(64)) CHARACTER SET utf8mb4`)
		require.NoError(t, err)
		_, err = db.ExecContext(t.Context(), `INSERT INTO bag VALUES (?)`, "棕色托特包")
		require.NoError(t, err)
		var name string
		require.NoError(t, db.QueryRowContext(t.Context(), `SELECT name FROM bag`).Scan(&name))
		assert.Equal(t, "棕色托特包", name)
	})
	second := MariaDB(t)
	assert.NotEqual(t, first, second, "every call gets its own database")
	db := open(t, "mysql", second)
	var n int
	name := first[strings.LastIndex(first, "/")+1:]
	require.NoError(t, db.QueryRowContext(t.Context(),
		`SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?`, name).Scan(&n))
	assert.Zero(t, n, "the first test's database is dropped when it ends")
}
