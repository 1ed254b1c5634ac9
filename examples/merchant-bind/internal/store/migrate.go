package store

import (
	"context"
	"fmt"
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
}

// migrate applies the migrations not yet recorded in schema_migrations, each in its own
// transaction (MySQL commits DDL implicitly, so there a failed version may be half applied and
// must be repaired by hand). If another instance applied a version meanwhile, it is skipped.
func (s *DB) migrate(ctx context.Context, ms []migration) error {
	if _, err := exec(ctx, s.db, s.d, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY,
		name VARCHAR(100) NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
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
				if _, err := tx.tx.ExecContext(ctx, s.d.ddl(stmt)); err != nil {
					return err
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
