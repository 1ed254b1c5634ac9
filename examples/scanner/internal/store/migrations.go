package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one schema version. Statements use {{ID}} for an auto-increment primary key and
// {{BLOB}} for bytes ([Dialect.ddl]), and otherwise SQL that SQLite and PostgreSQL both accept.
// Times are BIGINT Unix milliseconds, money BIGINT fen. Never edit an applied migration: add a
// new version.
type migration struct {
	version int
	name    string
	stmts   []string
}

var migrations = []migration{
	{1, "products, ledger, sales, requests, photos, outbox, sheet sync, jobs, chat drafts", []string{
		`CREATE TABLE products (
			code VARCHAR(40) NOT NULL PRIMARY KEY,
			name VARCHAR(100) NOT NULL,
			brand VARCHAR(50) NOT NULL DEFAULT '',
			model VARCHAR(50) NOT NULL DEFAULT '',
			color VARCHAR(30) NOT NULL DEFAULT '',
			price BIGINT NOT NULL,
			floor_price BIGINT NOT NULL DEFAULT 0,
			cost BIGINT NOT NULL DEFAULT 0,
			stock INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
			location VARCHAR(50) NOT NULL DEFAULT '',
			status VARCHAR(8) NOT NULL,
			photo_id VARCHAR(64) NOT NULL DEFAULT '',
			photo_url VARCHAR(1000) NOT NULL DEFAULT '',
			deleted INTEGER NOT NULL DEFAULT 0,
			search TEXT NOT NULL,
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
		// The list (newest first) and its count, the brand filter and list, low stock: each served
		// by an index that starts with the deleted flag every list query has.
		`CREATE INDEX products_list ON products (deleted, created_at, code)`,
		`CREATE INDEX products_brand ON products (deleted, brand)`,
		`CREATE INDEX products_stock ON products (deleted, stock)`,
		// Text search scans this narrow index instead of the table.
		`CREATE INDEX products_search ON products (deleted, search, created_at, code)`,
		// Inventory sums read this index alone.
		`CREATE INDEX products_value ON products (deleted, status, stock, cost, price)`,
		// The ledger: seq is the operation order; balance = the previous row's balance + qty.
		`CREATE TABLE ledger (
			seq {{ID}},
			id VARCHAR(64) NOT NULL,
			code VARCHAR(40) NOT NULL,
			kind VARCHAR(16) NOT NULL,
			qty INTEGER NOT NULL,
			balance INTEGER NOT NULL CHECK (balance >= 0),
			reason VARCHAR(200) NOT NULL DEFAULT '',
			actor VARCHAR(64) NOT NULL DEFAULT '',
			occurred_at BIGINT NOT NULL
		)`,
		`CREATE UNIQUE INDEX ledger_id ON ledger (id)`,
		`CREATE INDEX ledger_code ON ledger (code, seq)`,
		`CREATE INDEX ledger_time ON ledger (occurred_at)`,
		`CREATE TABLE sales (
			id VARCHAR(64) NOT NULL PRIMARY KEY,
			code VARCHAR(40) NOT NULL,
			name VARCHAR(100) NOT NULL,
			price BIGINT NOT NULL,
			cost BIGINT NOT NULL,
			note VARCHAR(200) NOT NULL DEFAULT '',
			actor VARCHAR(64) NOT NULL DEFAULT '',
			sold_at BIGINT NOT NULL
		)`,
		`CREATE INDEX sales_time ON sales (sold_at)`,
		`CREATE INDEX sales_code ON sales (code, sold_at)`,
		`CREATE TABLE requests (
			id VARCHAR(64) NOT NULL PRIMARY KEY,
			op VARCHAR(16) NOT NULL,
			code VARCHAR(40) NOT NULL,
			created_at BIGINT NOT NULL
		)`,
		`CREATE TABLE photos (
			id VARCHAR(64) NOT NULL PRIMARY KEY,
			data {{BLOB}} NOT NULL,
			content_type VARCHAR(32) NOT NULL,
			sheet_url VARCHAR(1000) NOT NULL DEFAULT '',
			created_at BIGINT NOT NULL
		)`,
		// The outbox: what WeCom must learn (smart-sheet rows, notices), written in the change's
		// transaction and deleted once WeCom acknowledged it.
		`CREATE TABLE outbox (
			seq {{ID}},
			topic VARCHAR(32) NOT NULL,
			entity VARCHAR(64) NOT NULL,
			full_row INTEGER NOT NULL DEFAULT 0,
			created_at BIGINT NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0,
			next_at BIGINT NOT NULL DEFAULT 0,
			last_error VARCHAR(500) NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX outbox_topic ON outbox (topic, seq)`,
		// The app's sub-sheets: products, ledger:2026:1, sales:2026:1, …
		`CREATE TABLE sheets (
			name VARCHAR(32) NOT NULL PRIMARY KEY,
			sheet_id VARCHAR(64) NOT NULL,
			title VARCHAR(64) NOT NULL,
			row_count INTEGER NOT NULL DEFAULT 0
		)`,
		// Where each row of the store is in the sheet, and what was last written there.
		`CREATE TABLE sheet_rows (
			topic VARCHAR(32) NOT NULL,
			entity VARCHAR(64) NOT NULL,
			sheet VARCHAR(32) NOT NULL DEFAULT '',
			record_id VARCHAR(64) NOT NULL DEFAULT '',
			pushed TEXT NOT NULL DEFAULT '',
			pushing TEXT NOT NULL DEFAULT '',
			maybe INTEGER NOT NULL DEFAULT 0,
			PRIMARY KEY (topic, entity)
		)`,
		`CREATE INDEX sheet_rows_record ON sheet_rows (record_id)`,
		`CREATE INDEX sheet_rows_sheet ON sheet_rows (sheet)`,
		// smart_sheet_change callbacks, kept until applied.
		`CREATE TABLE sheet_events (
			seq {{ID}},
			sheet_id VARCHAR(64) NOT NULL,
			change_type VARCHAR(32) NOT NULL,
			ids TEXT NOT NULL,
			received_at BIGINT NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0,
			next_at BIGINT NOT NULL DEFAULT 0,
			last_error VARCHAR(500) NOT NULL DEFAULT ''
		)`,
		`CREATE TABLE leases (
			name VARCHAR(64) NOT NULL PRIMARY KEY,
			owner VARCHAR(64) NOT NULL,
			until_at BIGINT NOT NULL
		)`,
		`CREATE TABLE kv (
			name VARCHAR(64) NOT NULL PRIMARY KEY,
			value TEXT NOT NULL
		)`,
		`CREATE TABLE import_jobs (
			id VARCHAR(32) NOT NULL PRIMARY KEY,
			file_name VARCHAR(200) NOT NULL,
			actor VARCHAR(64) NOT NULL,
			manager INTEGER NOT NULL DEFAULT 0,
			state VARCHAR(16) NOT NULL,
			total INTEGER NOT NULL,
			done INTEGER NOT NULL DEFAULT 0,
			created INTEGER NOT NULL DEFAULT 0,
			skipped INTEGER NOT NULL DEFAULT 0,
			failed INTEGER NOT NULL DEFAULT 0,
			rows_json TEXT NOT NULL,
			results_json TEXT NOT NULL DEFAULT '[]',
			error VARCHAR(500) NOT NULL DEFAULT '',
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
		`CREATE INDEX import_jobs_state ON import_jobs (state, created_at)`,
		`CREATE TABLE chat_drafts (
			user_id VARCHAR(64) NOT NULL PRIMARY KEY,
			data TEXT NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
		`CREATE TABLE chat_images (
			name VARCHAR(64) NOT NULL PRIMARY KEY,
			data {{BLOB}} NOT NULL,
			created_at BIGINT NOT NULL
		)`,
	}},
	{2, "suppliers, customers, returns, scans, member names, product notes and photos", []string{
		`CREATE TABLE suppliers (
			id {{ID}},
			name VARCHAR(100) NOT NULL,
			contact VARCHAR(50) NOT NULL DEFAULT '',
			phone VARCHAR(40) NOT NULL DEFAULT '',
			notes VARCHAR(500) NOT NULL DEFAULT '',
			deleted INTEGER NOT NULL DEFAULT 0,
			search TEXT NOT NULL DEFAULT '',
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
		`CREATE UNIQUE INDEX suppliers_name ON suppliers (name)`,
		`CREATE TABLE customers (
			id {{ID}},
			name VARCHAR(100) NOT NULL,
			phone VARCHAR(40) NOT NULL DEFAULT '',
			external_id VARCHAR(64) NOT NULL DEFAULT '',
			notes VARCHAR(500) NOT NULL DEFAULT '',
			deleted INTEGER NOT NULL DEFAULT 0,
			search TEXT NOT NULL DEFAULT '',
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
		`CREATE INDEX customers_phone ON customers (phone)`,
		`CREATE INDEX customers_list ON customers (deleted, updated_at)`,
		// Products: where a bag came from, notes, why it was taken off sale, and all its photos
		// (photo_id stays the first).
		`ALTER TABLE products ADD COLUMN supplier_id BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE products ADD COLUMN notes VARCHAR(500) NOT NULL DEFAULT ''`,
		`ALTER TABLE products ADD COLUMN inactive_reason VARCHAR(200) NOT NULL DEFAULT ''`,
		`ALTER TABLE products ADD COLUMN photos TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX products_supplier ON products (supplier_id, deleted)`,
		`CREATE INDEX products_price ON products (deleted, price, code)`,
		`CREATE INDEX products_name ON products (deleted, name, code)`,
		// A restock or a registration names its supplier and unit cost.
		`ALTER TABLE ledger ADD COLUMN supplier_id BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE ledger ADD COLUMN unit_cost BIGINT NOT NULL DEFAULT 0`,
		`CREATE INDEX ledger_supplier ON ledger (supplier_id, seq)`,
		// Sales: the customer, and reversals (退货, 撤销): a row with qty -1 and negated amounts
		// that names the sale it reverses; a sale is reversed at most once.
		`ALTER TABLE sales ADD COLUMN customer_id BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE sales ADD COLUMN kind VARCHAR(8) NOT NULL DEFAULT '销售'`,
		`ALTER TABLE sales ADD COLUMN qty INTEGER NOT NULL DEFAULT 1`,
		`ALTER TABLE sales ADD COLUMN reverses VARCHAR(64) NOT NULL DEFAULT ''`,
		`ALTER TABLE sales ADD COLUMN reason VARCHAR(200) NOT NULL DEFAULT ''`,
		`CREATE UNIQUE INDEX sales_reverses ON sales (reverses) WHERE reverses <> ''`,
		`CREATE INDEX sales_customer ON sales (customer_id, sold_at)`,
		// Scans of a label (or a code looked up in the app).
		`CREATE TABLE scans (
			seq {{ID}},
			code VARCHAR(40) NOT NULL,
			actor VARCHAR(64) NOT NULL,
			source VARCHAR(8) NOT NULL,
			scanned_at BIGINT NOT NULL
		)`,
		`CREATE INDEX scans_code ON scans (code, seq)`,
		`CREATE INDEX scans_time ON scans (scanned_at)`,
		// Members' display names, learnt from WeCom when they sign in (pages never ask WeCom).
		`CREATE TABLE members (
			user_id VARCHAR(64) NOT NULL PRIMARY KEY,
			name VARCHAR(64) NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
		// A 112 px thumbnail of each stored photo (lists).
		`ALTER TABLE photos ADD COLUMN thumb {{BLOB}}`,
	}},
	{3, "chat inbox", []string{
		// Chat messages (app callbacks, AI bot deliveries), stored before the callback is
		// acknowledged and handled from here, one member at a time in seq order (see inbox.go).
		`CREATE TABLE chat_inbox (
			seq {{ID}},
			msg_id VARCHAR(200) NOT NULL,
			member VARCHAR(64) NOT NULL,
			msg_type VARCHAR(16) NOT NULL,
			content TEXT NOT NULL DEFAULT '',
			media_id TEXT NOT NULL DEFAULT '',
			sent_at BIGINT NOT NULL,
			delivery VARCHAR(200) NOT NULL DEFAULT '',
			last_item INTEGER NOT NULL DEFAULT 1,
			response_url TEXT NOT NULL DEFAULT '',
			state VARCHAR(8) NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0,
			reply TEXT NOT NULL DEFAULT '',
			last_error VARCHAR(500) NOT NULL DEFAULT '',
			received_at BIGINT NOT NULL,
			done_at BIGINT NOT NULL DEFAULT 0
		)`,
		`CREATE UNIQUE INDEX chat_inbox_msg ON chat_inbox (msg_id)`,
		`CREATE INDEX chat_inbox_waiting ON chat_inbox (state, member, seq)`,
		`CREATE INDEX chat_inbox_delivery ON chat_inbox (delivery, seq)`,
		`CREATE INDEX chat_inbox_done ON chat_inbox (done_at)`,
		// Which replica handles a member's messages, until when.
		`CREATE TABLE chat_inbox_claims (
			member VARCHAR(64) NOT NULL PRIMARY KEY,
			owner VARCHAR(64) NOT NULL,
			until_at BIGINT NOT NULL
		)`,
	}},
}

// migrate applies the migrations not yet recorded in schema_migrations, each in its own
// transaction. On PostgreSQL an advisory lock keeps replicas that start together from racing.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.rw.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer conn.Close()
	if s.d == Postgres {
		const key = 7_311_946_201 // any constant shared by every replica
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) //nolint:errcheck
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY,
		name VARCHAR(200) NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		if err := s.apply(ctx, conn, m); err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// apply runs one migration unless it is recorded as applied. The check is inside the migration's
// transaction: on SQLite that transaction holds the write lock (BEGIN IMMEDIATE), so two processes
// opening a new file together apply it once.
func (s *Store) apply(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if n > 0 {
		return tx.Rollback()
	}
	for _, stmt := range m.stmts {
		if _, err := tx.ExecContext(ctx, s.d.ddl(stmt)); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.version, m.name, time.Now().UnixMilli()); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// SchemaVersion returns the highest applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
