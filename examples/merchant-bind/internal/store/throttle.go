package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ThrottlePolicy bounds failed sign-ins for one key (an account or a client address): MaxFailures
// within Window lock the key for LockFor.
type ThrottlePolicy struct {
	MaxFailures int
	Window      time.Duration
	LockFor     time.Duration
}

// LockedUntil returns until when key is locked (zero: it is not locked at now). The state lives in
// the database (login_throttle), so a restart does not clear it and replicas share it.
func (s *DB) LockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	var until int64
	err := queryRow(ctx, s.db, s.d, `SELECT locked_until FROM login_throttle WHERE throttle_key = ?`, SafeText(key, 191)).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: login throttle: %w", err)
	}
	if until <= now.Unix() {
		return time.Time{}, nil
	}
	return time.Unix(until, 0), nil
}

// RecordLoginFailure counts a failed sign-in for key and reports until when the key is now locked
// (zero: not locked). Reaching p.MaxFailures within p.Window locks it for p.LockFor.
func (s *DB) RecordLoginFailure(ctx context.Context, key string, p ThrottlePolicy, now time.Time) (time.Time, error) {
	key = SafeText(key, 191)
	windowStart := now.Add(-p.Window).Unix()
	var until time.Time
	record := func(tx *Tx) error {
		n, err := affected(exec(ctx, tx.tx, tx.d, `UPDATE login_throttle
			SET failures = CASE WHEN window_start < ? THEN 1 ELSE failures + 1 END,
			    window_start = CASE WHEN window_start < ? THEN ? ELSE window_start END
			WHERE throttle_key = ?`, windowStart, windowStart, now.Unix(), key))
		if err != nil {
			return err
		}
		if n == 0 {
			_, err := exec(ctx, tx.tx, tx.d, `INSERT INTO login_throttle (throttle_key, failures, window_start, locked_until)
				VALUES (?, 1, ?, 0)`, key, now.Unix())
			if err != nil {
				return err // a concurrent first failure inserted it: retried below
			}
		}
		var failures int
		if err := queryRow(ctx, tx.tx, tx.d, `SELECT failures FROM login_throttle WHERE throttle_key = ?`, key).Scan(&failures); err != nil {
			return err
		}
		if failures < p.MaxFailures {
			return nil
		}
		until = now.Add(p.LockFor)
		_, err = exec(ctx, tx.tx, tx.d, `UPDATE login_throttle SET failures = 0, window_start = ?, locked_until = ? WHERE throttle_key = ?`,
			now.Unix(), until.Unix(), key)
		return err
	}
	err := s.InTx(ctx, record)
	if isUniqueViolation(err) {
		err = s.InTx(ctx, record)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: record login failure: %w", err)
	}
	// Forget keys that are neither counting nor locked (addresses that tried once long ago).
	_, _ = exec(ctx, s.db, s.d, `DELETE FROM login_throttle WHERE window_start < ? AND locked_until < ?`, windowStart, now.Unix())
	return until, nil
}

// ClearLoginFailures forgets key's failures and lock (a successful sign-in, a password reset).
func (s *DB) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := exec(ctx, s.db, s.d, `DELETE FROM login_throttle WHERE throttle_key = ?`, SafeText(key, 191))
	return err
}
