package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// The chat inbox: every chat message a callback acknowledges is stored here first, and handled from
// here. A member's messages are handled one at a time in the order they were stored (seq), by the
// replica that holds the member's claim; different members in parallel. A message is waiting until
// it is done (handled, its reply recorded) or failed (given up after too many attempts). Done and
// failed rows are kept for a while: their msg_id makes a late retry of the same message a
// duplicate.

// Inbox states.
const (
	InboxWaiting = "waiting"
	InboxDone    = "done"
	InboxFailed  = "failed"
)

var (
	// ErrInboxFull is returned by AddInbox when the inbox holds its maximum of waiting messages.
	ErrInboxFull = errors.New("store: chat inbox full")
	// ErrInboxLost is returned by NextInbox when the member's claim is no longer the caller's.
	ErrInboxLost = errors.New("store: chat inbox claim lost")
	// ErrInboxInvalid is a message the inbox cannot keep (no id, no member, a member id over 64
	// bytes, a delivery from several members).
	ErrInboxInvalid = errors.New("store: chat inbox: invalid message")
)

// maxMsgID is the longest message id stored as it is; a longer one is stored as its hash.
const maxMsgID = 128

// InboxMessage is one stored chat message.
type InboxMessage struct {
	Seq     int64
	MsgID   string // unique: a message stored twice is a duplicate
	Member  string // the sender's userid
	Type    string // "text" or "image"
	Content string
	MediaID string
	SentAt  time.Time // the message's own time
	// Delivery groups the messages of one callback answered with one reply (an AI bot delivery's
	// items); Last marks the one whose handling sends that reply. A lone message has no Delivery
	// and is Last.
	Delivery    string
	Last        bool
	ResponseURL string // where the reply goes (an AI bot's response_url); "" for message/send
	State       string
	Attempts    int // handlings started, this one included
	Reply       string
	LastError   string
	ReceivedAt  time.Time
	DoneAt      time.Time
}

const inboxCols = `seq, msg_id, member, msg_type, content, media_id, sent_at, delivery, last_item, response_url, state,
	attempts, reply, last_error, received_at, done_at`

func scanInbox(sc scanner) (*InboxMessage, error) {
	var m InboxMessage
	var last int
	var sent, received, done int64
	if err := sc.Scan(&m.Seq, &m.MsgID, &m.Member, &m.Type, &m.Content, &m.MediaID, &sent, &m.Delivery, &last,
		&m.ResponseURL, &m.State, &m.Attempts, &m.Reply, &m.LastError, &received, &done); err != nil {
		return nil, err
	}
	m.Last, m.SentAt, m.ReceivedAt, m.DoneAt = last != 0, fromMS(sent), fromMS(received), fromMS(done)
	return &m, nil
}

// inboxKey is the stored form of a message id.
func inboxKey(id string) string {
	if len(id) <= maxMsgID {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:16])
}

var errInboxDuplicate = errors.New("store: chat inbox: duplicate")

// inboxLockSpace is the first key of the inbox's PostgreSQL advisory locks (the two-key space,
// apart from the migration lock's single key).
const inboxLockSpace = 7_311_946

// memberLock is the second key: a hash of the member.
func memberLock(member string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(member))
	return int32(h.Sum32())
}

// AddInbox stores the messages of one delivery in one transaction: all of them or none. added is
// false when the first message's id is stored already (a retried delivery: nothing is written).
// ErrInboxFull when max messages (max > 0) would be waiting: the caller answers an error and
// WeCom delivers again later.
func (s *Store) AddInbox(ctx context.Context, max int, msgs ...InboxMessage) (added bool, err error) {
	if len(msgs) == 0 {
		return false, nil
	}
	for _, m := range msgs {
		if m.MsgID == "" || m.Member == "" || len(m.Member) > 64 || m.Type == "" || m.Member != msgs[0].Member {
			return false, ErrInboxInvalid
		}
	}
	err = s.WriteTx(ctx, func(tx *Tx) error {
		if tx.d == Postgres {
			// One member's messages are stored one transaction at a time, so that their seq order
			// is their commit order: a worker reading the oldest waiting message never sees a later
			// one before an earlier one commits. (SQLite has a single writer.)
			if _, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(?, ?)`, inboxLockSpace, memberLock(msgs[0].Member)); err != nil {
				return err
			}
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM chat_inbox WHERE msg_id = ?`, inboxKey(msgs[0].MsgID)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errInboxDuplicate
		}
		if max > 0 {
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM chat_inbox WHERE state = ?`, InboxWaiting).Scan(&n); err != nil {
				return err
			}
			if n+len(msgs) > max {
				return ErrInboxFull
			}
		}
		for i, m := range msgs {
			// ON CONFLICT: another replica may be storing the same retried delivery right now.
			k, err := affected(tx.exec(ctx, `INSERT INTO chat_inbox (msg_id, member, msg_type, content, media_id, sent_at,
				delivery, last_item, response_url, state, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (msg_id) DO NOTHING`, inboxKey(m.MsgID), m.Member, m.Type, m.Content, m.MediaID, ms(m.SentAt),
				m.Delivery, boolInt(m.Last), m.ResponseURL, InboxWaiting, ms(tx.now)))
			if err != nil {
				return fmt.Errorf("store: chat inbox: %w", err)
			}
			if k == 0 {
				if i == 0 {
					return errInboxDuplicate
				}
				return fmt.Errorf("%w: message %d of a delivery stored already", ErrInboxInvalid, i)
			}
		}
		return nil
	})
	if errors.Is(err, errInboxDuplicate) {
		return false, nil
	}
	return err == nil, err
}

// InboxMembers returns up to limit members with waiting messages whose claim is free, expired or
// owner's own, those whose oldest waiting message is oldest first. It only reads.
func (s *Store) InboxMembers(ctx context.Context, owner string, limit int) ([]string, error) {
	rows, err := s.query(ctx, `SELECT i.member, MIN(i.seq) AS first FROM chat_inbox i
		LEFT JOIN chat_inbox_claims c ON c.member = i.member AND c.until_at > ? AND c.owner <> ?
		WHERE i.state = ? AND c.member IS NULL
		GROUP BY i.member ORDER BY first LIMIT ?`, ms(s.now()), owner, InboxWaiting, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		var first int64
		if err := rows.Scan(&m, &first); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ClaimInbox makes owner the handler of member's messages for lease, unless another owner's claim
// is still live. A replica's own claim (it restarted with the same name) is taken back at once.
func (s *Store) ClaimInbox(ctx context.Context, member, owner string, lease time.Duration) (bool, error) {
	var n int64
	err := s.WriteTx(ctx, func(tx *Tx) error {
		var err error
		n, err = affected(tx.exec(ctx, `INSERT INTO chat_inbox_claims (member, owner, until_at) VALUES (?, ?, ?)
			ON CONFLICT (member) DO UPDATE SET owner = excluded.owner, until_at = excluded.until_at
			WHERE chat_inbox_claims.until_at <= ? OR chat_inbox_claims.owner = excluded.owner`,
			member, owner, ms(tx.now.Add(lease)), ms(tx.now)))
		return err
	})
	return n > 0, err
}

// NextInbox renews owner's claim on member for lease and returns the member's oldest waiting
// message, its attempt counted. When none is left it releases the claim and returns nil.
// ErrInboxLost when the claim is no longer owner's.
func (s *Store) NextInbox(ctx context.Context, member, owner string, lease time.Duration) (*InboxMessage, error) {
	var m *InboxMessage
	err := s.WriteTx(ctx, func(tx *Tx) error {
		m = nil
		n, err := affected(tx.exec(ctx, `UPDATE chat_inbox_claims SET until_at = ? WHERE member = ? AND owner = ?`,
			ms(tx.now.Add(lease)), member, owner))
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrInboxLost
		}
		m, err = scanInbox(tx.queryRow(ctx, `SELECT `+inboxCols+` FROM chat_inbox WHERE state = ? AND member = ?
			ORDER BY seq LIMIT 1`, InboxWaiting, member))
		if errors.Is(err, sql.ErrNoRows) {
			m = nil
			_, err = tx.exec(ctx, `DELETE FROM chat_inbox_claims WHERE member = ? AND owner = ?`, member, owner)
			return err
		}
		if err != nil {
			return err
		}
		m.Attempts++
		_, err = tx.exec(ctx, `UPDATE chat_inbox SET attempts = ? WHERE seq = ?`, m.Attempts, m.Seq)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RetryInbox records why an attempt failed; the message stays waiting.
func (s *Store) RetryInbox(ctx context.Context, seq int64, cause string) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE chat_inbox SET last_error = ? WHERE seq = ?`, truncate(cause, 500), seq)
		return err
	})
}

// FinishInbox ends a waiting message: state InboxDone or InboxFailed, with the reply it gave (and
// for a failure, why). Its response_url is forgotten.
func (s *Store) FinishInbox(ctx context.Context, seq int64, state, reply, cause string) error {
	if state != InboxDone && state != InboxFailed {
		return fmt.Errorf("store: chat inbox: bad state %q", state)
	}
	return s.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE chat_inbox SET state = ?, reply = ?, last_error = ?, response_url = '', done_at = ?
			WHERE seq = ? AND state = ?`, state, reply, truncate(cause, 500), ms(tx.now), seq, InboxWaiting)
		return err
	})
}

// DeliveryReplies returns the replies of a delivery's messages stored before seq, in order.
func (s *Store) DeliveryReplies(ctx context.Context, delivery string, seq int64) ([]string, error) {
	if delivery == "" {
		return nil, nil
	}
	rows, err := s.query(ctx, `SELECT reply FROM chat_inbox WHERE delivery = ? AND seq < ? ORDER BY seq`, delivery, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// InboxMessage returns the stored message with this id, or shop.ErrNotFound.
func (s *Store) InboxMessage(ctx context.Context, msgID string) (*InboxMessage, error) {
	m, err := scanInbox(s.queryRow(ctx, `SELECT `+inboxCols+` FROM chat_inbox WHERE msg_id = ?`, inboxKey(msgID)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shop.ErrNotFound
	}
	return m, err
}

// InboxCounts returns how many messages are waiting and how many were given up.
func (s *Store) InboxCounts(ctx context.Context) (waiting, failed int, err error) {
	err = s.queryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN state = ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = ? THEN 1 ELSE 0 END), 0) FROM chat_inbox`, InboxWaiting, InboxFailed).Scan(&waiting, &failed)
	return waiting, failed, err
}

// PurgeInbox deletes messages finished before before, and claims that expired before it.
func (s *Store) PurgeInbox(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.WriteTx(ctx, func(tx *Tx) error {
		var err error
		if n, err = affected(tx.exec(ctx, `DELETE FROM chat_inbox WHERE done_at > 0 AND done_at < ?`, ms(before))); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `DELETE FROM chat_inbox_claims WHERE until_at < ?`, ms(before))
		return err
	})
	return n, err
}
