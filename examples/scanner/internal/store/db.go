package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// Store is the database. It is safe for concurrent use and implements shop.Store.
type Store struct {
	rw  *sql.DB // writes (SQLite: one connection, the single writer)
	ro  *sql.DB // reads (SQLite: a read-only pool; PostgreSQL: the same pool as rw)
	d   Dialect
	now func() time.Time

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // the hot reads (a scan's product and movements), prepared once
}

var _ shop.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithClock sets the clock used for outbox, lease and job times (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open connects to the database named by dsn (see ParseDSN) and applies the migrations.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	d, wdsn, rdsn, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	s := &Store{d: d, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.rw, err = sql.Open(d.driver(), wdsn); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d, err)
	}
	if d == SQLite {
		// One write connection: SQLite has one writer anyway, and queueing in Go is fair and
		// cheap where SQLite's busy handler would sleep and retry.
		s.rw.SetMaxOpenConns(1)
		if s.ro, err = sql.Open(d.driver(), rdsn); err != nil {
			s.rw.Close()
			return nil, fmt.Errorf("store: open %s: %w", d, err)
		}
		s.ro.SetMaxOpenConns(8)
		s.ro.SetMaxIdleConns(8)
	} else {
		s.rw.SetMaxOpenConns(20)
		s.rw.SetMaxIdleConns(10)
		s.ro = s.rw
	}
	s.rw.SetConnMaxIdleTime(5 * time.Minute)
	if err := s.rw.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", d, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		_ = st.Close()
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	err := s.rw.Close()
	if s.ro != s.rw && s.ro != nil {
		err = errors.Join(err, s.ro.Close())
	}
	return err
}

// Dialect returns the database's SQL dialect.
func (s *Store) Dialect() Dialect { return s.d }

// Tx is one write transaction. It implements shop.Tx; the sheet sync uses its other methods.
type Tx struct {
	tx  *sql.Tx
	d   Dialect
	now time.Time
}

// Write implements shop.Store.
func (s *Store) Write(ctx context.Context, f func(shop.Tx) error) error {
	return s.WriteTx(ctx, func(tx *Tx) error { return f(tx) })
}

// WriteTx runs f in a write transaction, committed when f returns nil and rolled back otherwise.
// A unique-key race lost to another replica (PostgreSQL) is reported as shop.ErrConflict.
func (s *Store) WriteTx(ctx context.Context, f func(tx *Tx) error) error {
	sqlTx, err := s.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, d: s.d, now: s.now()}
	if err := f(tx); err != nil {
		_ = sqlTx.Rollback()
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: %v", shop.ErrConflict, err)
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// BlockedWriters reports how many write transactions are waiting for another one to finish: for
// SQLite the waits for the single write connection so far (a counter), for PostgreSQL the sessions
// waiting for a lock now. It is a diagnostic (tests use it to see that a change waits for another).
func (s *Store) BlockedWriters(ctx context.Context) (int64, error) {
	if s.d == SQLite {
		return s.rw.Stats().WaitCount, nil
	}
	var n int64
	err := s.rw.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
	return n, err
}

func (t *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.rebind(q), args...)
}

func (t *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.rebind(q), args...)
}

func (t *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.rebind(q), args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.ro.QueryContext(ctx, s.d.rebind(q), args...)
}

// prepared returns q prepared on the read pool (database/sql prepares it again on each new
// connection as needed), or nil when preparing failed (the caller then runs it unprepared).
func (s *Store) prepared(ctx context.Context, q string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st
	}
	st, err := s.ro.PrepareContext(ctx, s.d.rebind(q))
	if err != nil {
		return nil
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[q] = st
	return st
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.ro.QueryRowContext(ctx, s.d.rebind(q), args...)
}

// ms converts t for storage (Unix milliseconds); the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts a stored time; 0 is the zero time.
func fromMS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// affected returns RowsAffected, treating a driver error as a failure.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
