package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// EditDraft runs f on the chat draft of user (nil data when there is none) in one transaction and
// stores what f returns; nil removes the draft. Drafts live in the database, so a restart keeps
// them and every replica sees the same one.
func (s *Store) EditDraft(ctx context.Context, user string, f func(data []byte, updated time.Time) ([]byte, error)) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		// Make sure the row exists before locking it: two transactions that both found no row
		// would both insert, and the second would overwrite the first (PostgreSQL). An empty
		// data column is no draft.
		if _, err := tx.exec(ctx, `INSERT INTO chat_drafts (user_id, data, updated_at) VALUES (?, '', 0)
			ON CONFLICT (user_id) DO NOTHING`, user); err != nil {
			return err
		}
		var data string
		var at int64
		if err := tx.queryRow(ctx, `SELECT data, updated_at FROM chat_drafts WHERE user_id = ?`+tx.d.forUpdate(), user).Scan(&data, &at); err != nil {
			return err
		}
		var old []byte
		if data != "" {
			old = []byte(data)
		}
		out, err := f(old, fromMS(at))
		if err != nil {
			return err
		}
		if out == nil {
			_, err = tx.exec(ctx, `DELETE FROM chat_drafts WHERE user_id = ?`, user)
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO chat_drafts (user_id, data, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, user, string(out), ms(tx.now))
		return err
	})
}

// PutChatImage keeps a downloaded chat picture (an AI bot's image URL expires soon after the
// message) until the member's draft is done with it; pictures older than ttl are dropped.
func (s *Store) PutChatImage(ctx context.Context, name string, data []byte, ttl time.Duration) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM chat_images WHERE created_at < ?`, ms(tx.now.Add(-ttl))); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO chat_images (name, data, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			name, data, ms(tx.now))
		return err
	})
}

// ChatImage returns a kept chat picture younger than ttl (nil when there is none).
func (s *Store) ChatImage(ctx context.Context, name string, ttl time.Duration) ([]byte, error) {
	var data []byte
	err := s.queryRow(ctx, `SELECT data FROM chat_images WHERE name = ? AND created_at >= ?`, name, ms(s.now().Add(-ttl))).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return data, err
}
