// Package store keeps the merchant-binding app's data in a SQL database through database/sql:
// merchants, binding codes (bind_codes), the binding history (bindings), admins, settings and the
// audit log (audit_log).
//
// # Databases
//
// [Open] takes a DSN: a file path or "sqlite://path" opens SQLite (modernc.org/sqlite, pure Go,
// driver name "sqlite"); "postgres://…" opens PostgreSQL (pgx) and "mysql://user:pass@host:3306/db"
// MySQL. The SQL is portable: queries are written with "?" placeholders and rebound to $1, $2… for
// PostgreSQL; times are BIGINT Unix seconds; strings that are indexed are VARCHAR(≤191) so that
// MySQL's utf8mb4 index limit holds; the few dialect differences (identity columns, how an
// inserted id is read back, unique-violation codes) live in dialect.go.
//
// # Migrations
//
// [Open] runs the versioned migrations of migrate.go: each version is applied once, recorded in
// schema_migrations, and skipped afterwards, so every start may run them.
//
// # Binding invariants
//
// merchants.wechat_openid holds the openid of a merchant's active binding (NULL when unbound) under
// a UNIQUE index: one merchant per openid. The bindings table keeps the history; its columns
// active_openid and active_merchant_id equal openid and merchant_id while the binding is active and
// are NULL afterwards, both UNIQUE, so the database itself refuses a second active binding of either
// side (a partial unique index would say the same, but MySQL has none). Rules that need more than a
// constraint (expired, used or replaced codes, disabled merchants) are checked by package bind
// inside one transaction ([DB.InTx]); writes there are conditional (… WHERE used_at IS NULL), so of
// two concurrent scans exactly one wins.
package store
