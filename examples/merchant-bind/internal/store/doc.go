// Package store keeps the merchant-binding app's data in a SQL database through database/sql:
// merchants, binding codes (bind_codes), the binding history (bindings), admins and their
// server-side sessions, persisted login throttling (login_throttle), the message outbox (outbox,
// outbox_attempts), settings and the audit log (audit_log).
//
// # Databases
//
// [Open] takes a DSN: a file path or "sqlite://path" opens SQLite (modernc.org/sqlite, pure Go,
// driver name "sqlite"); "postgres://…" opens PostgreSQL (pgx) and "mysql://user:pass@host:3306/db"
// MySQL. The SQL is portable: queries are written with "?" placeholders and rebound to $1, $2… for
// PostgreSQL; times are BIGINT Unix seconds; strings that are indexed are VARCHAR(≤191) so that
// MySQL's utf8mb4 index limit holds; the few dialect differences (identity columns, how an
// inserted id is read back, unique-violation codes, MySQL table options) live in dialect.go.
//
// The databases disagree where they are given odd input, so the store decides first: text with a
// NUL byte, other control characters or invalid UTF-8 is a [ValidationError] (PostgreSQL would
// fail on it, MySQL too for invalid UTF-8, SQLite would store it); MySQL tables are utf8mb4 with a
// binary collation whatever the server's default charset (often latin1), so comparisons are exact
// as elsewhere; logins and admin usernames are unique in any letter case through lower-case key
// columns (login_key, username_key), not through a collation only MySQL has. Text stored as typed
// by people (a failed login's username in the audit log) goes through [SafeText].
//
// # Outbox
//
// A message that must go out — the welcome message after a binding, an admin's notification — is
// a row of outbox written in the same transaction as the change it belongs to ([Tx.Enqueue]). The
// worker claims a due row ([DB.ClaimMessage]: a lease, so a crashed worker's row is due again and
// its attempt marked interrupted), sends it and records the attempt and the next state together
// ([DB.FinishAttempt]).
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
