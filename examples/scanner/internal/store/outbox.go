package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Outbox topics: the smart sheet's tables (the entity is a product code, a ledger row id or a sale
// id) and notices.
const (
	TopicProducts = "products"
	TopicLedger   = "ledger"
	TopicSales    = "sales"
)

// SheetTopics are the outbox topics the smart sheet is built from.
var SheetTopics = []string{TopicProducts, TopicLedger, TopicSales, TopicSuppliers, TopicCustomers}

// OutboxItem is one queued row.
type OutboxItem struct {
	Seq       int64
	Topic     string
	Entity    string
	Full      bool // write every column (the row may be missing or stale in the sheet)
	CreatedAt time.Time
	Attempts  int
	NextAt    time.Time
	LastError string
}

// Enqueue implements shop.Tx: it queues entity for topic, to be delivered after commit.
func (t *Tx) Enqueue(ctx context.Context, topic, entity string) error {
	return t.enqueue(ctx, topic, entity, false)
}

// EnqueueFull queues entity with every column to be written (a row to repair in the sheet).
func (t *Tx) EnqueueFull(ctx context.Context, topic, entity string) error {
	return t.enqueue(ctx, topic, entity, true)
}

func (t *Tx) enqueue(ctx context.Context, topic, entity string, full bool) error {
	if _, err := t.exec(ctx, `INSERT INTO outbox (topic, entity, full_row, created_at) VALUES (?, ?, ?, ?)`,
		topic, entity, boolInt(full), ms(t.now)); err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	return nil
}

// Outbox returns up to limit queued rows of topic that are due at now, oldest first.
func (s *Store) Outbox(ctx context.Context, topic string, now time.Time, limit int) ([]OutboxItem, error) {
	rows, err := s.query(ctx, `SELECT seq, topic, entity, full_row, created_at, attempts, next_at, last_error
		FROM outbox WHERE topic = ? AND next_at <= ? ORDER BY seq LIMIT ?`, topic, ms(now), limit)
	if err != nil {
		return nil, err
	}
	return collectOutbox(rows)
}

func collectOutbox(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}) ([]OutboxItem, error) {
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var full int
		var created, next int64
		if err := rows.Scan(&it.Seq, &it.Topic, &it.Entity, &full, &created, &it.Attempts, &next, &it.LastError); err != nil {
			return nil, err
		}
		it.Full, it.CreatedAt, it.NextAt = full != 0, fromMS(created), fromMS(next)
		out = append(out, it)
	}
	return out, rows.Err()
}

// OutboxDone deletes delivered rows.
func (t *Tx) OutboxDone(ctx context.Context, seqs []int64) error {
	return inChunks(seqs, func(args []any) error {
		_, err := t.exec(ctx, `DELETE FROM outbox WHERE seq IN (`+placeholders(len(args))+`)`, args...)
		return err
	})
}

// OutboxRetry records a failed delivery: the rows are tried again from next on.
func (t *Tx) OutboxRetry(ctx context.Context, seqs []int64, next time.Time, cause string) error {
	cause = truncate(cause, 500)
	return inChunks(seqs, func(args []any) error {
		_, err := t.exec(ctx, `UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ?
			WHERE seq IN (`+placeholders(len(args))+`)`, append([]any{ms(next), cause}, args...)...)
		return err
	})
}

// OutboxStats is the outbox's backlog.
type OutboxStats struct {
	Pending int       // rows waiting
	Failing int       // rows whose last delivery failed
	Oldest  time.Time // creation time of the oldest row (zero when empty)
}

// OutboxStats sums the backlog of the given topics (all when none).
func (s *Store) OutboxStats(ctx context.Context, topics ...string) (OutboxStats, error) {
	var st OutboxStats
	cond, args := topicCond(topics)
	var oldest int64
	err := s.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(created_at), 0) FROM outbox`+cond, args...).Scan(&st.Pending, &st.Failing, &oldest)
	st.Oldest = fromMS(oldest)
	return st, err
}

// Due reports how many rows of topic are due at now (counting at most limit) and when the oldest
// of them was queued.
func (s *Store) Due(ctx context.Context, topic string, now time.Time, limit int) (int, time.Time, error) {
	var n int
	var oldest int64
	err := s.queryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM
		(SELECT created_at FROM outbox WHERE topic = ? AND next_at <= ? ORDER BY seq LIMIT ?) d`,
		topic, ms(now), limit).Scan(&n, &oldest)
	return n, fromMS(oldest), err
}

// Failing lists rows whose delivery failed, oldest first (the admin view of stuck rows).
func (s *Store) Failing(ctx context.Context, limit int) ([]OutboxItem, error) {
	rows, err := s.query(ctx, `SELECT seq, topic, entity, full_row, created_at, attempts, next_at, last_error
		FROM outbox WHERE attempts > 0 ORDER BY seq LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	return collectOutbox(rows)
}

// RetryNow makes every failed row due at once (the admin's 「立即重试」).
func (s *Store) RetryNow(ctx context.Context) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE outbox SET next_at = 0 WHERE attempts > 0`)
		return err
	})
}

func topicCond(topics []string) (string, []any) {
	if len(topics) == 0 {
		return "", nil
	}
	args := make([]any, len(topics))
	for i, t := range topics {
		args[i] = t
	}
	return " WHERE topic IN (" + placeholders(len(topics)) + ")", args
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
