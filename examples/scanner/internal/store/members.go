package store

import (
	"context"
	"time"
)

// SetMember records a member's display name.
func (s *Store) SetMember(ctx context.Context, userID, name string) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO members (user_id, name, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at`, userID, name, ms(tx.now))
		return err
	})
}

// Members returns every known member's name and when it was learnt.
func (s *Store) Members(ctx context.Context) (map[string]string, map[string]time.Time, error) {
	rows, err := s.query(ctx, `SELECT user_id, name, updated_at FROM members`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	names, at := map[string]string{}, map[string]time.Time{}
	for rows.Next() {
		var id, name string
		var t int64
		if err := rows.Scan(&id, &name, &t); err != nil {
			return nil, nil, err
		}
		names[id], at[id] = name, fromMS(t)
	}
	return names, at, rows.Err()
}
