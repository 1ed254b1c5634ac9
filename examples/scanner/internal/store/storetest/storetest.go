// Package storetest opens scanner stores for tests: a SQLite file in a temporary directory, or a
// fresh PostgreSQL database on the test binary's private server (skipped when PostgreSQL is not
// installed, unless QIWEI_REQUIRE_SERVICES=1).
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/internal/testsvc"
)

// Dialects are the databases every store test runs on.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// DSN returns the DSN of a new, empty database of dialect d.
func DSN(t testing.TB, d store.Dialect) string {
	t.Helper()
	if d == store.Postgres {
		return testsvc.Postgres(t)
	}
	return filepath.Join(t.TempDir(), "scanner.db")
}

// Open opens a new, empty store of dialect d, closed when the test ends.
func Open(t testing.TB, d store.Dialect, opts ...store.Option) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), DSN(t, d), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Each runs f as a subtest on every dialect, each with a store of its own.
func Each(t *testing.T, f func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d.String(), func(t *testing.T) { f(t, Open(t, d)) })
	}
}
