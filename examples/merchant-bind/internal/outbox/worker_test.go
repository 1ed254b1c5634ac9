package outbox

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/wecom"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sender is a fake 公众号: it dedupes client_msg_id like WeChat and fails as scripted.
type sender struct {
	mu        sync.Mutex
	templates []*wecom.TemplateMessage
	texts     []string
	seen      map[string]int64
	errs      []error       // returned by the next calls, in order (template and custom alike)
	block     chan struct{} // when set, sends wait for it
	started   chan struct{} // when set, gets a value as a send begins
}

func (s *sender) next() error {
	if len(s.errs) == 0 {
		return nil
	}
	err := s.errs[0]
	s.errs = s.errs[1:]
	return err
}

func (s *sender) wait(ctx context.Context) error {
	if s.started != nil {
		s.started <- struct{}{}
	}
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (s *sender) SendTemplate(ctx context.Context, m *wecom.TemplateMessage) (int64, error) {
	if err := s.wait(ctx); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.next(); err != nil {
		return 0, err
	}
	if s.seen == nil {
		s.seen = map[string]int64{}
	}
	if id, ok := s.seen[m.ToUser+"|"+m.ClientMsgID]; ok && m.ClientMsgID != "" {
		return id, nil
	}
	s.templates = append(s.templates, m)
	id := int64(1000 + len(s.templates))
	s.seen[m.ToUser+"|"+m.ClientMsgID] = id
	return id, nil
}

func (s *sender) SendCustomText(ctx context.Context, openID, content string) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.next(); err != nil {
		return err
	}
	s.texts = append(s.texts, openID+": "+content)
	return nil
}

func (s *sender) counts() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.templates), len(s.texts)
}

type env struct {
	db     *store.DB
	clock  *clock
	sender *sender
	w      *Worker
	m      *store.Merchant
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "outbox.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	e := &env{db: db, clock: &clock{t: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)}, sender: &sender{}}
	e.w, err = New(Config{Store: db, Sender: e.sender, Now: e.clock.Now, SendTimeout: 2 * time.Second})
	require.NoError(t, err)
	e.m, err = db.CreateMerchant(t.Context(), store.MerchantInput{Name: "老王面馆", Login: "laowang"}, e.clock.Now())
	require.NoError(t, err)
	require.NoError(t, db.InTx(t.Context(), func(tx *store.Tx) error {
		_, err := tx.Bind(t.Context(), e.m.ID, "oBoss", "T1", e.clock.Now()) // opens the 48-hour window
		return err
	}))
	return e
}

var ids int

func (e *env) enqueue(t *testing.T, template string) *store.Message {
	t.Helper()
	ids++
	now := e.clock.Now()
	m := &store.Message{MerchantID: e.m.ID, Kind: store.KindNotify, OpenID: "oBoss", TemplateID: template,
		Payload: store.Payload{Data: map[string]string{"content": "结算单"}, Text: "【通知】结算单"}, Summary: "结算单",
		ClientMsgID: fmt.Sprintf("mb-test-%d", ids), NextAttemptAt: now, DeadlineAt: now.Add(DefaultGiveUpAfter), CreatedAt: now, CreatedBy: "admin"}
	require.NoError(t, e.db.InTx(t.Context(), func(tx *store.Tx) error { return tx.Enqueue(t.Context(), m) }))
	return m
}

func (e *env) run(t *testing.T) int {
	t.Helper()
	n, err := e.w.RunOnce(t.Context())
	require.NoError(t, err)
	return n
}

func (e *env) message(t *testing.T, id int64) (*store.Message, []store.Attempt) {
	t.Helper()
	m, err := e.db.Message(t.Context(), id)
	require.NoError(t, err)
	atts, err := e.db.Attempts(t.Context(), []int64{id})
	require.NoError(t, err)
	return m, atts[id]
}

func apiErr(code int) error {
	return &wecom.APIError{Code: wecom.ErrCode(code), Msg: "test", Path: "/cgi-bin/message/template/send"}
}

func TestTemplateSent(t *testing.T) {
	e := newEnv(t)
	m := e.enqueue(t, "tpl")
	assert.Equal(t, 1, e.run(t))
	got, atts := e.message(t, m.ID)
	assert.Equal(t, store.MsgSent, got.Status)
	assert.Equal(t, "1001", got.MsgID)
	require.Len(t, atts, 1)
	assert.Equal(t, store.AttemptOK, atts[0].Result)
	assert.Equal(t, store.ChannelTemplate, atts[0].Channel)
	assert.Equal(t, m.ClientMsgID, e.sender.templates[0].ClientMsgID)
	assert.Equal(t, 0, e.run(t), "nothing more to do")
	log, _, err := e.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "notify.sent"})
	require.NoError(t, err)
	assert.Len(t, log, 1)
}

func TestTransientFailuresAreRetriedWithBackoff(t *testing.T) {
	e := newEnv(t)
	e.sender.errs = []error{apiErr(-1), errors.New("dial tcp: connection refused"), apiErr(45009)}
	m := e.enqueue(t, "tpl")
	for i, wait := range []time.Duration{10 * time.Second, 30 * time.Second, 90 * time.Second} {
		e.run(t)
		got, atts := e.message(t, m.ID)
		require.Equal(t, store.MsgPending, got.Status, "attempt %d", i+1)
		require.Len(t, atts, i+1)
		assert.Equal(t, e.clock.Now().Add(wait).Unix(), got.NextAttemptAt.Unix(), "back-off after attempt %d", i+1)
		assert.Equal(t, 0, e.run(t), "not due yet")
		e.clock.Add(wait)
	}
	e.run(t)
	got, atts := e.message(t, m.ID)
	assert.Equal(t, store.MsgSent, got.Status)
	require.Len(t, atts, 4)
	assert.Equal(t, -1, atts[0].ErrCode)
	assert.Contains(t, atts[1].Detail, "connection refused")
	assert.Equal(t, 45009, atts[2].ErrCode)
	assert.Equal(t, store.AttemptOK, atts[3].Result)
	assert.Len(t, e.sender.templates, 1)
}

// A permanent refusal of the template falls back to a 客服消息 text at once (the merchant
// interacted within 48 hours); outside the window the message fails, visibly.
func TestPermanentRefusalFallsBackWithinTheWindow(t *testing.T) {
	e := newEnv(t)
	e.sender.errs = []error{apiErr(40037)}
	m := e.enqueue(t, "bad-template")
	e.run(t)
	got, atts := e.message(t, m.ID)
	assert.Equal(t, store.MsgSent, got.Status)
	assert.Equal(t, store.ChannelCustom, got.Channel)
	require.Len(t, atts, 2)
	assert.Equal(t, 40037, atts[0].ErrCode)
	assert.Equal(t, store.ChannelCustom, atts[1].Channel)
	assert.Equal(t, []string{"oBoss: 【通知】结算单"}, e.sender.texts)
	log, _, err := e.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "notify.fallback"})
	require.NoError(t, err)
	assert.Len(t, log, 1)

	e.clock.Add(49 * time.Hour) // the window has closed
	e.sender.errs = []error{apiErr(43101)}
	m = e.enqueue(t, "tpl")
	e.run(t)
	got, atts = e.message(t, m.ID)
	assert.Equal(t, store.MsgFailed, got.Status, "发送失败")
	require.Len(t, atts, 1)
	assert.Contains(t, got.LastError, "43101")
	log, _, err = e.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "notify.failed"})
	require.NoError(t, err)
	assert.Len(t, log, 1)
}

func TestGivesUpAtTheDeadline(t *testing.T) {
	e := newEnv(t)
	e.clock.Add(49 * time.Hour) // no fallback
	m := e.enqueue(t, "tpl")
	for i := range 100 {
		e.sender.errs = []error{apiErr(-1)}
		e.run(t)
		got, _ := e.message(t, m.ID)
		if got.Status != store.MsgPending {
			break
		}
		require.Less(t, i, 99, "never gave up")
		e.clock.Add(got.NextAttemptAt.Sub(e.clock.Now()))
	}
	got, atts := e.message(t, m.ID)
	assert.Equal(t, store.MsgFailed, got.Status)
	assert.LessOrEqual(t, e.clock.Now().Sub(m.CreatedAt), DefaultGiveUpAfter, "bounded time")
	assert.Greater(t, len(atts), 5)
	for _, a := range atts {
		assert.Equal(t, store.AttemptError, a.Result)
	}
}

// Transient failures until the deadline: the last resort is the 客服消息 text.
func TestDeadlineFallsBackWithinTheWindow(t *testing.T) {
	e := newEnv(t)
	m := e.enqueue(t, "tpl")
	for range 100 {
		e.sender.errs = []error{apiErr(-1)}
		e.run(t)
		got, _ := e.message(t, m.ID)
		if got.Channel == store.ChannelCustom || got.Status != store.MsgPending {
			break
		}
		e.clock.Add(got.NextAttemptAt.Sub(e.clock.Now()))
	}
	e.run(t)
	got, _ := e.message(t, m.ID)
	assert.Equal(t, store.MsgSent, got.Status)
	assert.Equal(t, store.ChannelCustom, got.Channel)
	tpl, texts := e.sender.counts()
	assert.Equal(t, [2]int{0, 1}, [2]int{tpl, texts})
}

func TestNoTemplateUsesCustomMessages(t *testing.T) {
	e := newEnv(t)
	m := e.enqueue(t, "")
	e.run(t)
	got, _ := e.message(t, m.ID)
	assert.Equal(t, store.MsgSent, got.Status)
	assert.Equal(t, store.ChannelCustom, got.Channel)

	e.clock.Add(48 * time.Hour)
	m = e.enqueue(t, "")
	e.run(t)
	got, atts := e.message(t, m.ID)
	assert.Equal(t, store.MsgFailed, got.Status)
	assert.Contains(t, got.LastError, "48")
	require.Len(t, atts, 1)
	tpl, texts := e.sender.counts()
	assert.Equal(t, [2]int{0, 1}, [2]int{tpl, texts}, "nothing sent outside the window")
}

func TestUnboundMerchantIsNotMessaged(t *testing.T) {
	e := newEnv(t)
	m := e.enqueue(t, "tpl")
	require.NoError(t, e.db.InTx(t.Context(), func(tx *store.Tx) error {
		_, err := tx.Unbind(t.Context(), e.m.ID, store.ReasonUnsubscribe, "wechat:oBoss", e.clock.Now())
		return err
	}))
	e.run(t)
	got, _ := e.message(t, m.ID)
	assert.Equal(t, store.MsgFailed, got.Status)
	assert.Contains(t, got.LastError, "解除绑定")
	tpl, texts := e.sender.counts()
	assert.Zero(t, tpl+texts)
}

// A worker that dies after WeChat took the message (before recording it): once the lease ends the
// message is due again, the dead attempt is marked interrupted, and the resend carries the same
// client_msg_id, so the merchant gets one message.
func TestCrashAfterSendIsNotDuplicated(t *testing.T) {
	e := newEnv(t)
	m := e.enqueue(t, "tpl")
	claimed, _, err := e.db.ClaimMessage(t.Context(), m.ID, e.clock.Now(), e.clock.Now().Add(e.w.cfg.Lease))
	require.NoError(t, err)
	_, err = e.sender.SendTemplate(t.Context(), &wecom.TemplateMessage{ToUser: claimed.OpenID, TemplateID: claimed.TemplateID,
		ClientMsgID: claimed.ClientMsgID, Data: claimed.Payload.Data}) // … and the process is killed here
	require.NoError(t, err)

	assert.Equal(t, 0, e.run(t), "leased")
	e.clock.Add(e.w.cfg.Lease)
	assert.Equal(t, 1, e.run(t))
	got, atts := e.message(t, m.ID)
	assert.Equal(t, store.MsgSent, got.Status)
	require.Len(t, atts, 2)
	assert.Equal(t, store.AttemptInterrupted, atts[0].Result)
	assert.Equal(t, store.AttemptOK, atts[1].Result)
	assert.Len(t, e.sender.templates, 1, "one delivery")
}

func TestAwaitAndStopDrain(t *testing.T) {
	e := newEnv(t)
	e.sender.block, e.sender.started = make(chan struct{}), make(chan struct{}, 1)
	e.w.Start()
	m := e.enqueue(t, "tpl")
	e.w.Kick()
	<-e.sender.started
	awaited := make(chan *store.Message, 1)
	go func() {
		got, err := e.w.Await(t.Context(), m.ID)
		assert.NoError(t, err)
		awaited <- got
	}()
	stopped := make(chan error, 1)
	go func() { stopped <- e.w.Stop(context.Background()) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a send was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(e.sender.block) // the send completes
	require.NoError(t, <-stopped)
	got := <-awaited
	assert.Equal(t, store.MsgSent, got.Status, "recorded before Stop returned")

	// Await on a finished message returns at once; a short wait on a pending one returns it pending.
	got, err := e.w.Await(t.Context(), m.ID)
	require.NoError(t, err)
	assert.Equal(t, store.MsgSent, got.Status)
	p := e.enqueue(t, "tpl")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	got, err = e.w.Await(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, store.MsgPending, got.Status)
}

// Two workers on one database: every message is sent once.
func TestConcurrentWorkersSendOnce(t *testing.T) {
	e := newEnv(t)
	other, err := New(Config{Store: e.db, Sender: e.sender, Now: e.clock.Now})
	require.NoError(t, err)
	const n = 40
	for range n {
		e.enqueue(t, "tpl")
	}
	var wg sync.WaitGroup
	for _, w := range []*Worker{e.w, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.RunOnce(t.Context())
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	tpl, _ := e.sender.counts()
	assert.Equal(t, n, tpl)
	due, err := e.db.DueMessages(t.Context(), e.clock.Now().Add(time.Hour), 100)
	require.NoError(t, err)
	assert.Empty(t, due)
}

func TestDefaultBackoff(t *testing.T) {
	var got []time.Duration
	for n := 1; n <= 8; n++ {
		got = append(got, DefaultBackoff(n))
	}
	assert.Equal(t, []time.Duration{10 * time.Second, 30 * time.Second, 90 * time.Second, 270 * time.Second,
		810 * time.Second, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute}, got)
}

func TestPermanentAndDescribe(t *testing.T) {
	assert.True(t, Permanent(apiErr(43004)))
	assert.False(t, Permanent(apiErr(45009)))
	assert.False(t, Permanent(context.DeadlineExceeded))
	assert.True(t, Permanent(&wecom.ValidationError{Call: "SendTemplate", Field: "ToUser", Problem: "empty"}))
	s, code := Describe(fmt.Errorf("send: %w", apiErr(43004)))
	assert.Equal(t, 43004, code)
	assert.Contains(t, s, "未关注")
	s, _ = Describe(context.DeadlineExceeded)
	assert.Contains(t, s, "超时")
}

// Flush next to the running worker: both claim from the same queue; Flush returns once everything
// due is sent, whichever of them sent it (a claim lost to the other must not leave Flush waiting).
func TestFlushWithTheWorkerRunning(t *testing.T) {
	e := newEnv(t)
	e.w.Start()
	defer func() { require.NoError(t, e.w.Stop(context.Background())) }()
	for round := range 5 {
		for range 12 {
			e.enqueue(t, "tpl")
		}
		e.w.Kick()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		require.NoError(t, e.w.Flush(ctx), "round %d", round)
		cancel()
		tpl, _ := e.sender.counts()
		assert.Equal(t, 12*(round+1), tpl)
	}
}
