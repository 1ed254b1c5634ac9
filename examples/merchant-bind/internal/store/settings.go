package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting returns a stored setting; ok is false when it is not set.
func (s *DB) Setting(ctx context.Context, name string) (value string, ok bool, err error) {
	err = queryRow(ctx, s.db, s.d, `SELECT value FROM settings WHERE name = ?`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: setting %s: %w", name, err)
	}
	return value, true, nil
}

// SettingOrInit returns the stored value of name, storing value first if there is none. Of
// concurrent first calls one value wins and every caller gets it (used for generated keys).
func (s *DB) SettingOrInit(ctx context.Context, name, value string) (string, error) {
	if v, ok, err := s.Setting(ctx, name); err != nil || ok {
		return v, err
	}
	_, err := exec(ctx, s.db, s.d, `INSERT INTO settings (name, value) VALUES (?, ?)`, name, value)
	if err != nil && !isUniqueViolation(err) {
		return "", fmt.Errorf("store: setting %s: %w", name, err)
	}
	v, _, err := s.Setting(ctx, name)
	return v, err
}

// SetSetting stores value under name, replacing an earlier value.
func (s *DB) SetSetting(ctx context.Context, name, value string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		n, err := affected(exec(ctx, tx.tx, tx.d, `UPDATE settings SET value = ? WHERE name = ?`, value, name))
		if err != nil {
			return fmt.Errorf("store: setting %s: %w", name, err)
		}
		if n > 0 {
			return nil
		}
		var have int
		if err := queryRow(ctx, tx.tx, tx.d, `SELECT COUNT(*) FROM settings WHERE name = ?`, name).Scan(&have); err != nil || have > 0 {
			return err // MySQL reports 0 rows for an unchanged value
		}
		_, err = exec(ctx, tx.tx, tx.d, `INSERT INTO settings (name, value) VALUES (?, ?)`, name, value)
		return err
	})
}

// DeleteSetting removes a setting (no error when it is not set).
func (s *DB) DeleteSetting(ctx context.Context, name string) error {
	_, err := exec(ctx, s.db, s.d, `DELETE FROM settings WHERE name = ?`, name)
	return err
}
