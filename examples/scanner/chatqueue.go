package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/wecom"
)

// errChatBusy makes the callback answer 500, so that WeCom delivers the message again later.
var errChatBusy = errors.New("scanner: chat inbox full")

// chatHandler handles one stored chat message and returns the reply ("" for none). An error is a
// failure worth another attempt (the store, a timeout); a message the member got wrong is a reply.
type chatHandler func(ctx context.Context, m *store.InboxMessage) (string, error)

// chatReplier sends a reply to member: to responseURL when there is one (an AI bot delivery), else
// with message/send. It logs its own failures.
type chatReplier func(ctx context.Context, member, responseURL, text string)

// inboxOptions configures a chatInbox.
type inboxOptions struct {
	Owner    string        // this replica's name in the store's claims
	Max      int           // waiting messages at most, all members: a full inbox makes WeCom retry
	Timeout  time.Duration // handling one message
	Attempts int           // handlings of a message before it is given up
	Workers  int           // members handled at once by this replica
	Poll     time.Duration // how often the store is read when no message arrived here
	Keep     time.Duration // how long finished messages stay (their MsgId deduplicates retries)
	Backoff  func(attempt int) time.Duration
	Log      *slog.Logger
}

// chatInbox handles chat messages (photos, a price, "#") durably. The callback stores a message
// in the store's inbox before it is acknowledged; a failed write answers an error, so WeCom
// delivers it again. Workers take the messages from the store: one member's one at a time, in the
// order they were stored, so that "#" never overtakes the price sent before it; different members
// in parallel. A member is claimed in the store (with a lease), so replicas sharing a PostgreSQL
// database never handle one member's messages at once. A message is finished in the store after
// its reply was sent: a crash before re-runs it on the next start (the chat flow is idempotent per
// MsgId), and one that keeps failing is given up after Attempts with a reply to the member.
//
// The idle loop only reads (a write costs an fsync and resets every SQLite reader's page cache):
// a stored message kicks the loop, and a slow poll finds those stored by other replicas and
// members whose replica died.
type chatInbox struct {
	st     *store.Store
	handle chatHandler
	reply  chatReplier
	o      inboxOptions
	lease  time.Duration
	kick   chan struct{}

	mu        sync.Mutex
	running   map[string]bool // members handled by a goroutine of this replica
	stop      context.CancelFunc
	done      chan struct{} // closed when the loop has ended
	wg        sync.WaitGroup
	lastPurge time.Time
	polled    func() // called after each look at the store (tests)
}

func newChatInbox(st *store.Store, handle chatHandler, reply chatReplier, o inboxOptions) *chatInbox {
	if o.Max <= 0 {
		o.Max = 256
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Keep <= 0 {
		o.Keep = 7 * 24 * time.Hour
	}
	if o.Backoff == nil {
		o.Backoff = func(n int) time.Duration { return min(time.Second<<min(n-1, 5), 30*time.Second) }
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Owner == "" {
		o.Owner = "local"
	}
	// The lease outlives a message's handling and its reply, so a live replica never loses a member.
	return &chatInbox{st: st, handle: handle, reply: reply, o: o, lease: 2*o.Timeout + time.Minute,
		kick: make(chan struct{}, 1), running: map[string]bool{}}
}

// handler is the app callback's MessageHandler for chat messages: text and pictures are stored,
// other messages and events are acknowledged and dropped.
func (q *chatInbox) handler() wecom.MessageHandler {
	return func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
		if m.MsgType != wecom.MsgTypeText && m.MsgType != wecom.MsgTypeImage {
			return nil, nil
		}
		id := m.MsgID
		if id == "" {
			id = localMsgID()
		}
		_, err := q.add(ctx, store.InboxMessage{MsgID: id, Member: m.FromUserName, Type: m.MsgType, Content: m.Content,
			MediaID: m.MediaID, SentAt: time.Unix(m.CreateTime, 0), Last: true})
		return nil, err
	}
}

// add stores the messages of one delivery and wakes the loop. added is false for a duplicate (a
// retried delivery) and for messages that cannot be kept (logged; a retry would not help). A full
// inbox is errChatBusy.
func (q *chatInbox) add(ctx context.Context, msgs ...store.InboxMessage) (added bool, err error) {
	added, err = q.st.AddInbox(ctx, q.o.Max, msgs...)
	switch {
	case errors.Is(err, store.ErrInboxFull):
		q.o.Log.Warn("scanner: chat inbox full, WeCom will deliver again", "member", msgs[0].Member)
		return false, errChatBusy
	case errors.Is(err, store.ErrInboxInvalid):
		q.o.Log.Warn("scanner: chat message dropped", "member", msgs[0].Member, "err", err)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("scanner: store the chat message: %w", err)
	case !added:
		q.o.Log.Info("scanner: chat message stored already (a retry)", "member", msgs[0].Member, "msgid", msgs[0].MsgID)
		return false, nil
	}
	q.wake()
	return true, nil
}

func (q *chatInbox) wake() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// start runs the workers until shutdown or until ctx ends. Messages left from before (a crash, a
// deploy) are handled first.
func (q *chatInbox) start(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	q.mu.Lock()
	q.stop, q.done = cancel, done
	q.mu.Unlock()
	go q.loop(ctx, done)
}

func (q *chatInbox) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(q.o.Poll)
	defer t.Stop()
	for {
		q.dispatch(ctx)
		select {
		case <-ctx.Done():
			return
		case <-q.kick:
		case <-t.C:
		}
	}
}

// dispatch claims members with waiting messages, up to the free workers, and handles each in a
// goroutine. Finding none is a read.
func (q *chatInbox) dispatch(ctx context.Context) {
	if q.polled != nil {
		defer q.polled()
	}
	q.mu.Lock()
	busy := len(q.running)
	q.mu.Unlock()
	if busy >= q.o.Workers {
		return
	}
	// One's own claims are listed too (a restarted replica takes them back): ask for enough.
	members, err := q.st.InboxMembers(ctx, q.o.Owner, q.o.Workers+busy)
	if err != nil {
		if ctx.Err() == nil {
			q.o.Log.Warn("scanner: chat inbox read failed", "err", err)
		}
		return
	}
	for _, m := range members {
		q.mu.Lock()
		skip := q.running[m] || len(q.running) >= q.o.Workers
		q.mu.Unlock()
		if skip {
			continue
		}
		ok, err := q.st.ClaimInbox(ctx, m, q.o.Owner, q.lease)
		if err != nil {
			if ctx.Err() == nil {
				q.o.Log.Warn("scanner: chat inbox claim failed", "member", m, "err", err)
			}
			return
		}
		if !ok {
			continue // another replica took the member just now
		}
		q.mu.Lock()
		q.running[m] = true
		q.wg.Add(1)
		q.mu.Unlock()
		go q.member(ctx, m)
	}
}

// member handles member's waiting messages in order until none is left (the claim is then
// released) or the inbox stops.
func (q *chatInbox) member(ctx context.Context, member string) {
	released := false
	defer func() {
		q.mu.Lock()
		delete(q.running, member)
		q.mu.Unlock()
		q.wg.Done()
		if released {
			// A message stored while the claim was being released may have been skipped by a
			// dispatch that still saw the claim: look again.
			q.wake()
		}
	}()
	for ctx.Err() == nil {
		m, err := q.st.NextInbox(ctx, member, q.o.Owner, q.lease)
		if err != nil {
			if ctx.Err() == nil {
				q.o.Log.Warn("scanner: chat inbox next failed", "member", member, "err", err)
			}
			return
		}
		if m == nil {
			released = true
			q.purge(ctx)
			return
		}
		q.one(ctx, m)
	}
}

// one makes an attempt at m: handled and finished, or left waiting for another attempt after a
// back-off, or given up.
func (q *chatInbox) one(ctx context.Context, m *store.InboxMessage) {
	if m.Attempts > q.o.Attempts { // the earlier attempts crashed or timed out
		q.giveUp(ctx, m, "no attempt finished: "+m.LastError)
		return
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.o.Timeout)
	reply, err := q.safeHandle(hctx, m)
	cancel()
	if err == nil {
		q.finish(ctx, m, store.InboxDone, reply, "")
		return
	}
	q.o.Log.Warn("scanner: chat message failed", "member", m.Member, "msgid", m.MsgID, "attempt", m.Attempts, "err", err)
	if m.Attempts >= q.o.Attempts {
		q.giveUp(ctx, m, err.Error())
		return
	}
	if err := q.st.RetryInbox(context.WithoutCancel(ctx), m.Seq, err.Error()); err != nil {
		q.o.Log.Warn("scanner: chat inbox write failed", "member", m.Member, "err", err)
	}
	if d := q.o.Backoff(m.Attempts); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

func (q *chatInbox) safeHandle(ctx context.Context, m *store.InboxMessage) (reply string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("chat handler panicked: %v", v)
		}
	}()
	return q.handle(ctx, m)
}

// giveUp ends m as failed, tells the member and logs it.
func (q *chatInbox) giveUp(ctx context.Context, m *store.InboxMessage, cause string) {
	q.o.Log.Error("scanner: chat message given up", "member", m.Member, "msgid", m.MsgID, "attempts", m.Attempts, "err", cause)
	q.finish(ctx, m, store.InboxFailed, giveUpText(m), cause)
}

// giveUpText is what a member is told of a message that could not be handled.
func giveUpText(m *store.InboxMessage) string {
	if m.Type == wecom.MsgTypeImage {
		return "这张照片多次处理失败，未保存。请稍后重新发送这张照片。"
	}
	text := strings.TrimSpace(m.Content)
	if utf8.RuneCountInString(text) > 20 {
		text = string([]rune(text)[:20]) + "…"
	}
	return "消息「" + text + "」多次处理失败，未处理。请稍后重新发送（入库请再发送 #）。"
}

// finish sends the reply (for the last message of a delivery, the replies of all its messages)
// and then records m as finished: a crash in between sends the reply again on the next start,
// rather than never.
func (q *chatInbox) finish(ctx context.Context, m *store.InboxMessage, state, reply, cause string) {
	ctx = context.WithoutCancel(ctx)
	if m.Last {
		parts, err := q.st.DeliveryReplies(ctx, m.Delivery, m.Seq)
		if err != nil {
			q.o.Log.Warn("scanner: chat inbox read failed", "member", m.Member, "err", err)
		}
		var texts []string
		for _, p := range append(parts, reply) {
			if p != "" {
				texts = append(texts, p)
			}
		}
		if len(texts) > 0 {
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			q.reply(rctx, m.Member, m.ResponseURL, strings.Join(texts, "\n\n"))
			cancel()
		}
	}
	if err := q.st.FinishInbox(ctx, m.Seq, state, reply, cause); err != nil {
		q.o.Log.Warn("scanner: chat inbox write failed; the message will run again", "member", m.Member, "err", err)
	}
}

// purge deletes long-finished messages, at most once an hour and only after some work.
func (q *chatInbox) purge(ctx context.Context) {
	q.mu.Lock()
	due := time.Since(q.lastPurge) >= time.Hour
	if due {
		q.lastPurge = time.Now()
	}
	q.mu.Unlock()
	if !due {
		return
	}
	if _, err := q.st.PurgeInbox(ctx, time.Now().Add(-q.o.Keep)); err != nil && ctx.Err() == nil {
		q.o.Log.Warn("scanner: chat inbox purge failed", "err", err)
	}
}

// shutdown stops taking messages from the store and waits, until ctx ends, for the messages being
// handled. Messages still waiting stay in the store for the next start (or another replica);
// the callback goes on storing new ones.
func (q *chatInbox) shutdown(ctx context.Context) error {
	q.mu.Lock()
	stop, done := q.stop, q.done
	q.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	finished := make(chan struct{})
	go func() {
		<-done
		q.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// localMsgID names a message that came without an id (it cannot be deduplicated).
func localMsgID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "local-" + hex.EncodeToString(b[:])
}
