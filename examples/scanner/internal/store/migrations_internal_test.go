package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/internal/testsvc"
)

// TestUpgradeFromVersion1 opens a database that an earlier version of the app wrote (schema 1,
// with a product, its ledger rows and a sale) and checks that the new version keeps every row and
// reads it with the new columns' defaults.
func TestUpgradeFromVersion1(t *testing.T) {
	for _, d := range []Dialect{SQLite, Postgres} {
		t.Run(d.String(), func(t *testing.T) {
			ctx := t.Context()
			dsn := filepath.Join(t.TempDir(), "scanner.db")
			if d == Postgres {
				dsn = testsvc.Postgres(t)
			}
			_, w, _, err := ParseDSN(dsn)
			require.NoError(t, err)
			db, err := sql.Open(d.driver(), w)
			require.NoError(t, err)
			old := &Store{rw: db, ro: db, d: d}
			conn, err := db.Conn(ctx)
			require.NoError(t, err)
			_, err = conn.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY,
				name VARCHAR(200) NOT NULL, applied_at BIGINT NOT NULL)`)
			require.NoError(t, err)
			require.NoError(t, old.apply(ctx, conn, migrations[0]))
			for _, q := range []string{
				`INSERT INTO products (code, name, price, stock, status, search, created_at, updated_at)
					VALUES ('BAG20250308001', '棕色托特包', 129900, 1, '在售', 'bag20250308001 棕色托特包', 1741399200000, 1741399200000)`,
				`INSERT INTO ledger (id, code, kind, qty, balance, actor, occurred_at) VALUES ('m1', 'BAG20250308001', '新品入库', 2, 2, 'zhangsan', 1741399200000)`,
				`INSERT INTO ledger (id, code, kind, qty, balance, actor, occurred_at) VALUES ('m2', 'BAG20250308001', '出库', -1, 1, 'lisi', 1741399300000)`,
				`INSERT INTO sales (id, code, name, price, cost, actor, sold_at) VALUES ('m2', 'BAG20250308001', '棕色托特包', 129900, 60000, 'lisi', 1741399300000)`,
			} {
				_, err := conn.ExecContext(ctx, q)
				require.NoError(t, err, q)
			}
			require.NoError(t, conn.Close())
			require.NoError(t, db.Close())

			s, err := Open(ctx, dsn)
			require.NoError(t, err)
			defer s.Close()
			v, err := s.SchemaVersion(ctx)
			require.NoError(t, err)
			assert.Equal(t, len(migrations), v)
			p, err := s.Product(ctx, "BAG20250308001")
			require.NoError(t, err)
			assert.Equal(t, "棕色托特包", p.Name)
			assert.Zero(t, p.SupplierID)
			assert.Empty(t, p.Photos)
			x, err := s.Sale(ctx, "m2")
			require.NoError(t, err)
			assert.Equal(t, shop.SaleSell, x.Kind)
			assert.Equal(t, 1, x.Qty)
			ms, err := s.Movements(ctx, "BAG20250308001", 10)
			require.NoError(t, err)
			require.Len(t, ms, 2)
			assert.Equal(t, "m2", ms[0].ID)
			bad, err := s.LedgerMismatches(context.Background())
			require.NoError(t, err)
			assert.Empty(t, bad)
		})
	}
}
