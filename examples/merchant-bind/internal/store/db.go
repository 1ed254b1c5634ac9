package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"
)

// Errors. Use errors.Is.
var (
	ErrNotFound  = errors.New("store: not found")
	ErrDuplicate = errors.New("store: already exists")
	ErrConflict  = errors.New("store: conflicting concurrent change")
)

// DB is the app's database. It is safe for concurrent use.
type DB struct {
	db   *sql.DB
	d    Dialect
	desc string // for people: dialect and where, never a password
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open connects to the database named by dsn (see [ParseDSN]) and runs the migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	d, driverDSN, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	desc := Describe(dsn)
	if d == SQLite {
		if err := privateFile(sqlitePath(dsn)); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open(d.driver(), driverDSN)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d, err)
	}
	if d == SQLite {
		// One writer at a time anyway; a few connections let reads proceed during a write (WAL).
		db.SetMaxOpenConns(4)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", d, err)
	}
	s := &DB{db: db, d: d, desc: desc}
	if err := s.migrate(ctx, migrations); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// String describes the database for people (the start-up banner): dialect and location, without
// credentials.
func (s *DB) String() string { return s.desc }

// Ping checks that the database answers a query (/healthz).
func (s *DB) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// privateFile creates the SQLite file readable by its owner only (0600), or tightens an existing
// one: it holds password hashes and merchants' data. SQLite gives its -wal and -shm files the
// database file's permissions.
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: chmod %s: %w", p, err)
		}
	}
	return nil
}

// Dialect returns the database's SQL dialect.
func (s *DB) Dialect() Dialect { return s.d }

// Tx is one transaction, handed to the function given to [DB.InTx].
type Tx struct {
	tx *sql.Tx
	d  Dialect
}

// InTx runs f in a transaction, committed when f returns nil and rolled back otherwise.
func (s *DB) InTx(ctx context.Context, f func(tx *Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := f(&Tx{tx: tx, d: s.d}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func exec(ctx context.Context, q querier, d Dialect, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, d.rebind(query), args...)
}

func queryRow(ctx context.Context, q querier, d Dialect, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, d.rebind(query), args...)
}

func query(ctx context.Context, q querier, d Dialect, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, d.rebind(query), args...)
}

// insertID runs an INSERT (without a trailing semicolon) and returns the new row's id.
func insertID(ctx context.Context, q querier, d Dialect, stmt string, args ...any) (int64, error) {
	if d.returningID() {
		var id int64
		err := queryRow(ctx, q, d, stmt+" RETURNING id", args...).Scan(&id)
		return id, err
	}
	res, err := exec(ctx, q, d, stmt, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// affected returns RowsAffected, treating a driver error as a failure.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// fromUnix converts a stored time; NULL is the zero time.
func fromUnix(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(n.Int64, 0)
}

// nullString stores "" as NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
