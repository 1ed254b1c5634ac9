package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// migration is one schema version. Statements use {{ID}} for an auto-increment primary key
// ([Dialect.ddl]) and otherwise only SQL that SQLite, PostgreSQL and MySQL all accept. Times are
// BIGINT Unix seconds. Never edit an applied migration: add a new version.
type migration struct {
	version int
	name    string
	stmts   []string
}

var migrations = []migration{
	{1, "merchants, codes, bindings, audit, admins, settings", []string{
		`CREATE TABLE merchants (
			id {{ID}},
			name VARCHAR(100) NOT NULL,
			login VARCHAR(64) NOT NULL,
			contact VARCHAR(100) NOT NULL DEFAULT '',
			phone VARCHAR(32) NOT NULL DEFAULT '',
			status VARCHAR(16) NOT NULL DEFAULT 'active',
			created_at BIGINT NOT NULL,
			last_login_at BIGINT,
			wechat_openid VARCHAR(64),
			bound_at BIGINT
		)`,
		`CREATE UNIQUE INDEX merchants_login ON merchants (login)`,
		// One merchant per openid: only active bindings are stored here (NULLs do not collide).
		`CREATE UNIQUE INDEX merchants_wechat_openid ON merchants (wechat_openid)`,
		`CREATE TABLE bind_codes (
			ticket VARCHAR(191) NOT NULL PRIMARY KEY,
			scene VARCHAR(64) NOT NULL,
			merchant_id BIGINT NOT NULL REFERENCES merchants (id),
			url VARCHAR(255) NOT NULL,
			created_at BIGINT NOT NULL,
			expires_at BIGINT NOT NULL,
			used_at BIGINT,
			used_by VARCHAR(64),
			revoked_at BIGINT
		)`,
		`CREATE INDEX bind_codes_merchant ON bind_codes (merchant_id, created_at)`,
		`CREATE INDEX bind_codes_scene ON bind_codes (scene, created_at)`,
		`CREATE TABLE bindings (
			id {{ID}},
			merchant_id BIGINT NOT NULL REFERENCES merchants (id),
			openid VARCHAR(64) NOT NULL,
			ticket VARCHAR(191),
			bound_at BIGINT NOT NULL,
			unbound_at BIGINT,
			unbind_reason VARCHAR(32),
			unbound_by VARCHAR(100),
			active_openid VARCHAR(64),
			active_merchant_id BIGINT
		)`,
		`CREATE UNIQUE INDEX bindings_active_openid ON bindings (active_openid)`,
		`CREATE UNIQUE INDEX bindings_active_merchant ON bindings (active_merchant_id)`,
		`CREATE INDEX bindings_merchant ON bindings (merchant_id, id)`,
		`CREATE INDEX bindings_openid ON bindings (openid)`,
		// "when" is a reserved word in SQL: the column is occurred_at.
		`CREATE TABLE audit_log (
			id {{ID}},
			who VARCHAR(100) NOT NULL,
			what VARCHAR(64) NOT NULL,
			occurred_at BIGINT NOT NULL,
			merchant_id BIGINT,
			details TEXT NOT NULL
		)`,
		`CREATE INDEX audit_log_merchant ON audit_log (merchant_id, id)`,
		`CREATE TABLE admins (
			id {{ID}},
			username VARCHAR(64) NOT NULL,
			password_hash VARCHAR(100) NOT NULL,
			created_at BIGINT NOT NULL,
			last_login_at BIGINT
		)`,
		`CREATE UNIQUE INDEX admins_username ON admins (username)`,
		`CREATE TABLE settings (
			name VARCHAR(64) NOT NULL PRIMARY KEY,
			value VARCHAR(255) NOT NULL
		)`,
	}},
	{2, "utf8mb4, case-insensitive keys, admins with roles, sessions, login throttle, outbox", v2},
}

// v2: tables created by version 1 on a MySQL server whose default charset is latin1 become utf8mb4;
// logins and admin usernames get lower-case key columns (unique, so case-insensitive on every
// database); phone digits for search; the merchant's last interaction (48-hour 客服消息 window);
// admin roles and disabling; server-side sessions; persisted login throttling; the message outbox
// and its attempts.
var v2 = []string{
	mysqlOnly + `ALTER TABLE schema_migrations CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
	mysqlOnly + `ALTER TABLE merchants CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
	mysqlOnly + `ALTER TABLE bind_codes CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
	mysqlOnly + `ALTER TABLE bindings CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
	mysqlOnly + `ALTER TABLE audit_log CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
	mysqlOnly + `ALTER TABLE admins CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
	mysqlOnly + `ALTER TABLE settings CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,

	`ALTER TABLE merchants ADD COLUMN login_key VARCHAR(64)`,
	`UPDATE merchants SET login_key = LOWER(login)`,
	`CREATE UNIQUE INDEX merchants_login_key ON merchants (login_key)`,
	`ALTER TABLE merchants ADD COLUMN phone_digits VARCHAR(32) NOT NULL DEFAULT ''`,
	`UPDATE merchants SET phone_digits = REPLACE(REPLACE(REPLACE(phone, ' ', ''), '-', ''), '+', '')`,
	`ALTER TABLE merchants ADD COLUMN last_interaction_at BIGINT`,

	`ALTER TABLE admins ADD COLUMN username_key VARCHAR(64)`,
	`UPDATE admins SET username_key = LOWER(username)`,
	`CREATE UNIQUE INDEX admins_username_key ON admins (username_key)`,
	`ALTER TABLE admins ADD COLUMN role VARCHAR(16) NOT NULL DEFAULT 'admin'`,
	`ALTER TABLE admins ADD COLUMN disabled_at BIGINT`,
	`ALTER TABLE admins ADD COLUMN password_changed_at BIGINT`,

	// id is the SHA-256 of the cookie's token: the database never holds a usable session.
	`CREATE TABLE sessions (
		id VARCHAR(64) NOT NULL PRIMARY KEY,
		admin_id BIGINT NOT NULL REFERENCES admins (id),
		created_at BIGINT NOT NULL,
		last_seen_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL,
		revoked_at BIGINT,
		ip VARCHAR(64) NOT NULL DEFAULT '',
		user_agent VARCHAR(200) NOT NULL DEFAULT ''
	)`,
	`CREATE INDEX sessions_admin ON sessions (admin_id)`,

	`CREATE TABLE login_throttle (
		throttle_key VARCHAR(191) NOT NULL PRIMARY KEY,
		failures INTEGER NOT NULL,
		window_start BIGINT NOT NULL,
		locked_until BIGINT NOT NULL
	)`,

	`CREATE TABLE outbox (
		id {{ID}},
		merchant_id BIGINT NOT NULL REFERENCES merchants (id),
		kind VARCHAR(16) NOT NULL,
		openid VARCHAR(64) NOT NULL,
		template_id VARCHAR(128) NOT NULL,
		payload TEXT NOT NULL,
		summary VARCHAR(300) NOT NULL,
		client_msg_id VARCHAR(64) NOT NULL,
		idem_key VARCHAR(191),
		status VARCHAR(16) NOT NULL,
		channel VARCHAR(16) NOT NULL,
		attempts INTEGER NOT NULL,
		next_attempt_at BIGINT NOT NULL,
		deadline_at BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		created_by VARCHAR(100) NOT NULL,
		finished_at BIGINT,
		msgid VARCHAR(32),
		last_error VARCHAR(500)
	)`,
	`CREATE UNIQUE INDEX outbox_client_msg_id ON outbox (client_msg_id)`,
	`CREATE UNIQUE INDEX outbox_idem_key ON outbox (idem_key)`,
	`CREATE INDEX outbox_due ON outbox (status, next_attempt_at)`,
	`CREATE INDEX outbox_merchant ON outbox (merchant_id, id)`,
	`CREATE TABLE outbox_attempts (
		id {{ID}},
		outbox_id BIGINT NOT NULL REFERENCES outbox (id),
		started_at BIGINT NOT NULL,
		finished_at BIGINT,
		channel VARCHAR(16) NOT NULL,
		result VARCHAR(16) NOT NULL,
		errcode INTEGER,
		detail VARCHAR(500) NOT NULL
	)`,
	`CREATE INDEX outbox_attempts_outbox ON outbox_attempts (outbox_id, id)`,

	`CREATE INDEX audit_log_who ON audit_log (who, id)`,
	`CREATE INDEX audit_log_when ON audit_log (occurred_at)`,
}

// migrate applies the migrations not yet recorded in schema_migrations, each in its own
// transaction (MySQL commits DDL implicitly, so there a failed version may be half applied and
// must be repaired by hand). If another instance applied a version meanwhile, it is skipped.
func (s *DB) migrate(ctx context.Context, ms []migration) error {
	create, _ := s.d.ddl(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY,
		name VARCHAR(100) NOT NULL,
		applied_at BIGINT NOT NULL
	)`)
	if _, err := s.db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for _, m := range ms {
		done, err := s.applied(ctx, m.version)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		err = s.InTx(ctx, func(tx *Tx) error {
			for _, stmt := range m.stmts {
				q, ok := s.d.ddl(stmt)
				if !ok {
					continue
				}
				if _, err := tx.tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("%.60s…: %w", strings.Join(strings.Fields(q), " "), err)
				}
			}
			_, err := exec(ctx, tx.tx, s.d, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, time.Now().Unix())
			return err
		})
		if err != nil {
			if done, _ := s.applied(ctx, m.version); done {
				continue // a concurrent start won
			}
			return fmt.Errorf("store: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

func (s *DB) applied(ctx context.Context, version int) (bool, error) {
	var n int
	err := queryRow(ctx, s.db, s.d, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	return n > 0, nil
}

// SchemaVersion returns the highest applied migration version.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := queryRow(ctx, s.db, s.d, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
