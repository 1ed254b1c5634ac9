package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Message kinds.
const (
	KindWelcome = "welcome" // after a binding
	KindNotify  = "notify"  // an admin's or the API's notification
)

// Message statuses: 待发送, 已发送, 发送失败.
const (
	MsgPending = "pending"
	MsgSent    = "sent"
	MsgFailed  = "failed"
)

// Channels: a template message (模板消息), or a customer-service text (客服消息) within the 48-hour
// window after the user's last interaction.
const (
	ChannelTemplate = "template"
	ChannelCustom   = "custom"
)

// Attempt results. A "started" attempt whose process died is marked "interrupted" when the message
// is claimed again.
const (
	AttemptStarted     = "started"
	AttemptOK          = "ok"
	AttemptError       = "error"
	AttemptInterrupted = "interrupted"
)

// Payload is what a message says.
type Payload struct {
	Data map[string]string `json:"data,omitempty"` // template fields
	URL  string            `json:"url,omitempty"`  // opened on tap (template messages)
	Text string            `json:"text,omitempty"` // the 客服消息 text
}

// Message is a row of the outbox: a message to send, written in the same transaction as the
// change it belongs to (a binding, an admin's notification), and sent by the outbox worker.
type Message struct {
	ID            int64
	MerchantID    int64
	Kind          string
	OpenID        string
	TemplateID    string // "" : 客服消息 only
	Payload       Payload
	Summary       string // the content as people read it (history, audit)
	ClientMsgID   string // WeChat's client_msg_id: a resend with it is not delivered twice
	IdemKey       string // the idempotency key of the request that created it ("" : none)
	Status        string
	Channel       string // of the next (or last) attempt
	Attempts      int
	NextAttemptAt time.Time
	DeadlineAt    time.Time // give up (发送失败) after it
	CreatedAt     time.Time
	CreatedBy     string
	FinishedAt    time.Time
	MsgID         string // WeChat's msgid of a sent template message
	LastError     string
}

// Attempt is one try at sending a message.
type Attempt struct {
	ID         int64
	MessageID  int64
	StartedAt  time.Time
	FinishedAt time.Time
	Channel    string
	Result     string
	ErrCode    int // WeChat's errcode, 0 when none
	Detail     string
}

const messageCols = `id, merchant_id, kind, openid, template_id, payload, summary, client_msg_id, idem_key, status, channel,
	attempts, next_attempt_at, deadline_at, created_at, created_by, finished_at, msgid, last_error`

func scanMessage(row interface{ Scan(...any) error }) (*Message, error) {
	var (
		m                       Message
		payload                 string
		idem, msgid, lastErr    sql.NullString
		next, deadline, created int64
		finished                sql.NullInt64
	)
	if err := row.Scan(&m.ID, &m.MerchantID, &m.Kind, &m.OpenID, &m.TemplateID, &payload, &m.Summary, &m.ClientMsgID, &idem,
		&m.Status, &m.Channel, &m.Attempts, &next, &deadline, &created, &m.CreatedBy, &finished, &msgid, &lastErr); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("store: message: %w", err)
	}
	if err := json.Unmarshal([]byte(payload), &m.Payload); err != nil {
		return nil, fmt.Errorf("store: message %d payload: %w", m.ID, err)
	}
	m.IdemKey, m.MsgID, m.LastError = idem.String, msgid.String, lastErr.String
	m.NextAttemptAt, m.DeadlineAt, m.CreatedAt = time.Unix(next, 0), time.Unix(deadline, 0), time.Unix(created, 0)
	m.FinishedAt = fromUnix(finished)
	return &m, nil
}

// Enqueue adds a pending message inside the transaction and sets m.ID. A taken IdemKey is
// ErrDuplicate (the caller then answers with the earlier message).
func (tx *Tx) Enqueue(ctx context.Context, m *Message) error {
	payload, err := json.Marshal(m.Payload)
	if err != nil {
		return fmt.Errorf("store: enqueue: %w", err)
	}
	m.Status, m.Attempts = MsgPending, 0
	if m.Channel == "" {
		m.Channel = ChannelTemplate
	}
	m.Summary, m.CreatedBy = SafeText(m.Summary, 300), SafeText(m.CreatedBy, 100)
	m.ID, err = insertID(ctx, tx.tx, tx.d, `INSERT INTO outbox (merchant_id, kind, openid, template_id, payload, summary,
		client_msg_id, idem_key, status, channel, attempts, next_attempt_at, deadline_at, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
		m.MerchantID, m.Kind, m.OpenID, m.TemplateID, string(payload), m.Summary, m.ClientMsgID, nullString(m.IdemKey),
		m.Status, m.Channel, m.NextAttemptAt.Unix(), m.DeadlineAt.Unix(), m.CreatedAt.Unix(), m.CreatedBy)
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: message %q", ErrDuplicate, m.IdemKey)
	}
	if err != nil {
		return fmt.Errorf("store: enqueue: %w", err)
	}
	return nil
}

// Message returns one message, or ErrNotFound.
func (s *DB) Message(ctx context.Context, id int64) (*Message, error) {
	return scanMessage(queryRow(ctx, s.db, s.d, `SELECT `+messageCols+` FROM outbox WHERE id = ?`, id))
}

// MessageByIdemKey returns the message a request with that idempotency key created, or ErrNotFound.
func (s *DB) MessageByIdemKey(ctx context.Context, key string) (*Message, error) {
	return scanMessage(queryRow(ctx, s.db, s.d, `SELECT `+messageCols+` FROM outbox WHERE idem_key = ?`, key))
}

// MerchantMessages returns a merchant's messages, newest first (at most limit).
func (s *DB) MerchantMessages(ctx context.Context, merchantID int64, limit int) ([]Message, error) {
	return s.messages(ctx, `WHERE merchant_id = ? ORDER BY id DESC LIMIT ?`, merchantID, limit)
}

// DueMessages returns pending messages whose next attempt is due at now, oldest first.
func (s *DB) DueMessages(ctx context.Context, now time.Time, limit int) ([]Message, error) {
	return s.messages(ctx, `WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, MsgPending, now.Unix(), limit)
}

// NextDue returns when the earliest pending message is due (zero: none is pending).
func (s *DB) NextDue(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	err := queryRow(ctx, s.db, s.d, `SELECT MIN(next_attempt_at) FROM outbox WHERE status = ?`, MsgPending).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: next due: %w", err)
	}
	return fromUnix(at), nil
}

func (s *DB) messages(ctx context.Context, tail string, args ...any) ([]Message, error) {
	rows, err := query(ctx, s.db, s.d, `SELECT `+messageCols+` FROM outbox `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

// Attempts returns the attempts of the given messages, oldest first per message.
func (s *DB) Attempts(ctx context.Context, ids []int64) (map[int64][]Attempt, error) {
	out := map[int64][]Attempt{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := query(ctx, s.db, s.d, `SELECT id, outbox_id, started_at, finished_at, channel, result, errcode, detail
		FROM outbox_attempts WHERE outbox_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a        Attempt
			started  int64
			finished sql.NullInt64
			code     sql.NullInt64
		)
		if err := rows.Scan(&a.ID, &a.MessageID, &started, &finished, &a.Channel, &a.Result, &code, &a.Detail); err != nil {
			return nil, fmt.Errorf("store: attempts: %w", err)
		}
		a.StartedAt, a.FinishedAt, a.ErrCode = time.Unix(started, 0), fromUnix(finished), int(code.Int64)
		out[a.MessageID] = append(out[a.MessageID], a)
	}
	return out, rows.Err()
}

// ClaimMessage takes a due message for one attempt: its next attempt moves to leaseUntil (if this
// process dies, the message is due again then), an attempt is recorded as started, and an earlier
// attempt left "started" by a process that died is marked interrupted. ErrConflict: another worker
// claimed it, or it is not due.
func (s *DB) ClaimMessage(ctx context.Context, id int64, now, leaseUntil time.Time) (*Message, int64, error) {
	var m *Message
	var attemptID int64
	err := s.InTx(ctx, func(tx *Tx) error {
		n, err := affected(exec(ctx, tx.tx, tx.d, `UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1
			WHERE id = ? AND status = ? AND next_attempt_at <= ?`, leaseUntil.Unix(), id, MsgPending, now.Unix()))
		if err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		if n == 0 {
			return ErrConflict
		}
		if _, err := exec(ctx, tx.tx, tx.d, `UPDATE outbox_attempts SET result = ?, finished_at = ?,
			detail = 'process stopped during the attempt; result unknown' WHERE outbox_id = ? AND result = ?`,
			AttemptInterrupted, now.Unix(), id, AttemptStarted); err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		if m, err = scanMessage(queryRow(ctx, tx.tx, tx.d, `SELECT `+messageCols+` FROM outbox WHERE id = ?`, id)); err != nil {
			return err
		}
		attemptID, err = insertID(ctx, tx.tx, tx.d, `INSERT INTO outbox_attempts (outbox_id, started_at, channel, result, detail)
			VALUES (?, ?, ?, ?, '')`, id, now.Unix(), m.Channel, AttemptStarted)
		if err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		return nil
	})
	return m, attemptID, err
}

// AttemptResult is how an attempt ended.
type AttemptResult struct {
	At      time.Time
	Channel string
	Result  string // AttemptOK or AttemptError
	ErrCode int
	Detail  string
}

// NextState is the message's state after an attempt.
type NextState struct {
	Status        string
	Channel       string
	NextAttemptAt time.Time
	DeadlineAt    time.Time
	MsgID         string
	LastError     string
}

// FinishAttempt records an attempt's result and the message's next state in one transaction,
// with an optional audit entry. It reports false, changing nothing, when the attempt is no longer
// ours (the lease ran out and another worker claimed the message).
func (s *DB) FinishAttempt(ctx context.Context, messageID, attemptID int64, r AttemptResult, next NextState, audit *AuditEntry) (bool, error) {
	ours := false
	err := s.InTx(ctx, func(tx *Tx) error {
		n, err := affected(exec(ctx, tx.tx, tx.d, `UPDATE outbox_attempts SET finished_at = ?, channel = ?, result = ?, errcode = ?, detail = ?
			WHERE id = ? AND result = ?`, r.At.Unix(), r.Channel, r.Result, sql.NullInt64{Int64: int64(r.ErrCode), Valid: r.ErrCode != 0},
			SafeText(r.Detail, 500), attemptID, AttemptStarted))
		if err != nil || n == 0 {
			return err
		}
		ours = true
		var finished sql.NullInt64
		if next.Status != MsgPending {
			finished = sql.NullInt64{Int64: r.At.Unix(), Valid: true}
		}
		if _, err := exec(ctx, tx.tx, tx.d, `UPDATE outbox SET status = ?, channel = ?, next_attempt_at = ?, deadline_at = ?,
			finished_at = ?, msgid = ?, last_error = ? WHERE id = ?`, next.Status, next.Channel, next.NextAttemptAt.Unix(),
			next.DeadlineAt.Unix(), finished, nullString(next.MsgID), nullString(SafeText(next.LastError, 500)), messageID); err != nil {
			return err
		}
		if audit != nil {
			return tx.Audit(ctx, *audit)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: finish attempt: %w", err)
	}
	return ours, nil
}

// ResendMessage puts a failed message back in the queue (重发): due at now, with a new deadline,
// starting again with channel. ErrConflict: it is not failed (already sent, or still pending).
func (s *DB) ResendMessage(ctx context.Context, id int64, channel string, now, deadline time.Time, audit *AuditEntry) error {
	return s.InTx(ctx, func(tx *Tx) error {
		n, err := affected(exec(ctx, tx.tx, tx.d, `UPDATE outbox SET status = ?, channel = ?, next_attempt_at = ?, deadline_at = ?,
			finished_at = NULL WHERE id = ? AND status = ?`, MsgPending, channel, now.Unix(), deadline.Unix(), id, MsgFailed))
		if err != nil {
			return fmt.Errorf("store: resend: %w", err)
		}
		if n == 0 {
			if _, err := scanMessage(queryRow(ctx, tx.tx, tx.d, `SELECT `+messageCols+` FROM outbox WHERE id = ?`, id)); err != nil {
				return err
			}
			return ErrConflict
		}
		if audit != nil {
			return tx.Audit(ctx, *audit)
		}
		return nil
	})
}
