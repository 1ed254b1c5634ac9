package store

import "context"

// RequestCodes returns, for those of ids that were recorded as applied requests, the product code
// each one concerned (an import previews which rows registered a bag before without writing).
func (s *Store) RequestCodes(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	err := inChunks(ids, func(args []any) error {
		rows, err := s.query(ctx, `SELECT id, code FROM requests WHERE id IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, code string
			if err := rows.Scan(&id, &code); err != nil {
				return err
			}
			out[id] = code
		}
		return rows.Err()
	})
	return out, err
}
