package bind

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/outbox"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/wecom"
)

// clock is a settable test clock.
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

// fakeIssuer issues tickets T1, T2, … without a network.
type fakeIssuer struct {
	n, consumed atomic.Int64
	clock       *clock
	fail        error
}

func (f *fakeIssuer) Issue(_ context.Context, id int64, ttl time.Duration) (*Issued, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	n := f.n.Add(1)
	return &Issued{Scene: Scene(id), Ticket: "T" + strconv.FormatInt(n, 10), URL: "https://weixin.qq.com/q/" + strconv.FormatInt(n, 10),
		ExpiresAt: f.clock.Now().Add(ttl)}, nil
}

func (f *fakeIssuer) ImageURL(t string) string { return "https://mp.test/showqrcode?ticket=" + t }

func (f *fakeIssuer) Consume(context.Context, *qrcode.ScanEvent) error { f.consumed.Add(1); return nil }

// fakeSender records template and 客服消息 texts and dedupes client_msg_id like WeChat.
type fakeSender struct {
	mu    sync.Mutex
	sent  []*wecom.TemplateMessage
	texts []string
	seen  map[string]bool
	fail  error
}

func (f *fakeSender) SendCustomText(_ context.Context, openid, content string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.texts = append(f.texts, openid+": "+content)
	return nil
}

func (f *fakeSender) SendTemplate(_ context.Context, m *wecom.TemplateMessage) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, f.fail
	}
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	if m.ClientMsgID != "" && f.seen[m.ClientMsgID] {
		return 1, nil
	}
	f.seen[m.ClientMsgID] = true
	f.sent = append(f.sent, m)
	return int64(len(f.sent)), nil
}

func (f *fakeSender) messages() []*wecom.TemplateMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*wecom.TemplateMessage(nil), f.sent...)
}

type env struct {
	svc    *Service
	db     *store.DB
	clock  *clock
	issuer *fakeIssuer
	sender *fakeSender
	outbox *outbox.Worker
}

// deliver runs the outbox worker once: every due message is sent.
func (e *env) deliver(t *testing.T) {
	t.Helper()
	_, err := e.outbox.RunOnce(t.Context())
	require.NoError(t, err)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "bind.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	c := &clock{t: time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)}
	e := &env{db: db, clock: c, issuer: &fakeIssuer{clock: c}, sender: &fakeSender{}}
	e.outbox, err = outbox.New(outbox.Config{Store: db, Sender: e.sender, Now: c.Now})
	require.NoError(t, err)
	e.svc, err = New(Config{Store: db, Issuer: e.issuer, Outbox: e.outbox, WelcomeTemplateID: "tpl-welcome",
		NotifyTemplateID: "tpl-notify", FieldMap: map[string]string{"merchant": "thing1"}, Now: c.Now})
	require.NoError(t, err)
	return e
}

func (e *env) merchant(t *testing.T, login string) *store.Merchant {
	t.Helper()
	m, err := e.db.CreateMerchant(t.Context(), store.MerchantInput{Name: "商户 " + login, Login: "shop-" + login}, e.clock.Now())
	require.NoError(t, err)
	return m
}

func (e *env) code(t *testing.T, m *store.Merchant) *store.Code {
	t.Helper()
	c, err := e.svc.IssueCode(t.Context(), m.ID, "admin")
	require.NoError(t, err)
	return c
}

func scan(openid string, c *store.Code, following bool) *qrcode.ScanEvent {
	ev := &qrcode.ScanEvent{OpenID: openid, Scene: c.Scene, Ticket: c.Ticket, Event: "SCAN"}
	if !following {
		ev.Event, ev.NewFollower = "subscribe", true
	}
	return ev
}

func TestParseScene(t *testing.T) {
	for in, want := range map[string]int64{"bind_business_7": 7, "bind_business_123456": 123456, "bind_business_": 0,
		"bind_business_07": 0, "bind_business_-1": 0, "bind_business_+1": 0, "bind_business_x": 0, "other_7": 0, "7": 0} {
		id, ok := ParseScene(in)
		assert.Equal(t, want, id, in)
		assert.Equal(t, want != 0, ok, in)
	}
	id, ok := ParseScene(Scene(42))
	assert.True(t, ok)
	assert.Equal(t, int64(42), id)
}

func TestScanRules(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env) *qrcode.ScanEvent
		want  Outcome
		reply string // substring
	}{
		{"new follower binds", func(t *testing.T, e *env) *qrcode.ScanEvent {
			return scan("o1", e.code(t, e.merchant(t, "a")), false)
		}, Bound, "绑定成功"},
		{"follower SCAN binds", func(t *testing.T, e *env) *qrcode.ScanEvent {
			return scan("o1", e.code(t, e.merchant(t, "a")), true)
		}, Bound, "绑定成功"},
		{"scan without ticket uses the newest code", func(t *testing.T, e *env) *qrcode.ScanEvent {
			ev := scan("o1", e.code(t, e.merchant(t, "a")), true)
			ev.Ticket = ""
			return ev
		}, Bound, "绑定成功"},
		{"second merchant with the same openid", func(t *testing.T, e *env) *qrcode.ScanEvent {
			a, b := e.merchant(t, "a"), e.merchant(t, "b")
			_, err := e.svc.Scan(t.Context(), scan("o1", e.code(t, a), false))
			require.NoError(t, err)
			return scan("o1", e.code(t, b), true)
		}, RefusedOpenIDTaken, "商户 a"},
		{"merchant already bound to another openid", func(t *testing.T, e *env) *qrcode.ScanEvent {
			a := e.merchant(t, "a")
			c := e.code(t, a)
			_, err := e.svc.Scan(t.Context(), scan("o1", c, false))
			require.NoError(t, err)
			return scan("o2", c, false)
		}, RefusedUsed, "已被使用"},
		{"same person again", func(t *testing.T, e *env) *qrcode.ScanEvent {
			c := e.code(t, e.merchant(t, "a"))
			_, err := e.svc.Scan(t.Context(), scan("o1", c, false))
			require.NoError(t, err)
			return scan("o1", c, true)
		}, AlreadyBound, "无需重复绑定"},
		{"expired code", func(t *testing.T, e *env) *qrcode.ScanEvent {
			c := e.code(t, e.merchant(t, "a"))
			e.clock.Add(DefaultCodeTTL)
			return scan("o1", c, false)
		}, RefusedExpired, "已过期"},
		{"replaced code", func(t *testing.T, e *env) *qrcode.ScanEvent {
			m := e.merchant(t, "a")
			old := e.code(t, m)
			e.code(t, m)
			return scan("o1", old, false)
		}, RefusedReplaced, "已失效"},
		{"disabled merchant", func(t *testing.T, e *env) *qrcode.ScanEvent {
			m := e.merchant(t, "a")
			c := e.code(t, m)
			_, err := e.db.SetMerchantStatus(t.Context(), m.ID, store.StatusDisabled)
			require.NoError(t, err)
			return scan("o1", c, false)
		}, RefusedDisabled, "已停用"},
		{"unknown ticket", func(t *testing.T, e *env) *qrcode.ScanEvent {
			c := e.code(t, e.merchant(t, "a"))
			c.Ticket = "forged"
			return scan("o1", c, false)
		}, RefusedUnknown, "无法识别"},
		{"ticket of another merchant's scene", func(t *testing.T, e *env) *qrcode.ScanEvent {
			a, b := e.merchant(t, "a"), e.merchant(t, "b")
			ev := scan("o1", e.code(t, a), false)
			ev.Scene = e.code(t, b).Scene
			return ev
		}, RefusedUnknown, "无法识别"},
		{"not a binding scene", func(t *testing.T, e *env) *qrcode.ScanEvent {
			return &qrcode.ScanEvent{OpenID: "o1", Scene: "promo_2025", Event: "SCAN"}
		}, NotOurs, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ev := tt.setup(t, e)
			before, _, err := e.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "bind."})
			require.NoError(t, err)
			res, err := e.svc.Scan(t.Context(), ev)
			require.NoError(t, err)
			assert.Equal(t, tt.want, res.Outcome)
			assert.Contains(t, res.Reply(), tt.reply)
			e.deliver(t)
			after, _, err := e.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "bind."})
			require.NoError(t, err)
			if tt.want != NotOurs {
				require.Len(t, after, len(before)+1, "every attempt is audited")
				assert.Contains(t, after[0].Details, ev.Scene)
				assert.Equal(t, "wechat:"+ev.OpenID, after[0].Who)
			}
			if tt.want == Bound {
				m, err := e.db.MerchantByOpenID(t.Context(), ev.OpenID)
				require.NoError(t, err)
				assert.Equal(t, res.Merchant.ID, m.ID)
				assert.Equal(t, int64(1), e.issuer.consumed.Load())
				msgs := e.sender.messages()
				require.Len(t, msgs, 1)
				assert.Equal(t, "tpl-welcome", msgs[0].TemplateID)
				assert.Equal(t, m.Name, msgs[0].Data["thing1"], "FieldMap renames keys")
			}
		})
	}
}

func TestRetriedDeliveryHasOneEffect(t *testing.T) {
	e := newEnv(t)
	ev := scan("o1", e.code(t, e.merchant(t, "a")), false)
	var outcomes []Outcome
	for range 3 {
		res, err := e.svc.Scan(t.Context(), ev)
		require.NoError(t, err)
		outcomes = append(outcomes, res.Outcome)
	}
	e.deliver(t)
	assert.Equal(t, []Outcome{Bound, AlreadyBound, AlreadyBound}, outcomes)
	assert.Len(t, e.sender.messages(), 1)
	hist, err := e.db.Bindings(t.Context(), 1)
	require.NoError(t, err)
	assert.Len(t, hist, 1)
}

func TestConcurrentScansOfOneCode(t *testing.T) {
	e := newEnv(t)
	c := e.code(t, e.merchant(t, "a"))
	const n = 12
	outcomes := make([]Outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.svc.Scan(context.Background(), scan(fmt.Sprintf("o%d", i), c, false))
			if assert.NoError(t, err) {
				outcomes[i] = res.Outcome
			}
		}()
	}
	wg.Wait()
	e.deliver(t)
	count := map[Outcome]int{}
	for _, o := range outcomes {
		count[o]++
	}
	assert.Equal(t, map[Outcome]int{Bound: 1, RefusedUsed: n - 1}, count)
	assert.Len(t, e.sender.messages(), 1)
}

func TestConcurrentScansOfManyCodes(t *testing.T) {
	e := newEnv(t)
	const n = 20
	codes := make([]*store.Code, n)
	for i := range n {
		codes[i] = e.code(t, e.merchant(t, fmt.Sprintf("m%02d", i)))
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.svc.Scan(context.Background(), scan(fmt.Sprintf("o%d", i), codes[i], i%2 == 0))
			if assert.NoError(t, err) {
				assert.Equal(t, Bound, res.Outcome)
			}
		}()
	}
	wg.Wait()
	e.deliver(t)
	_, bound, err := e.db.CountMerchants(t.Context())
	require.NoError(t, err)
	assert.Equal(t, n, bound)
	assert.Len(t, e.sender.messages(), n)
}

func TestIssueCode(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	m := e.merchant(t, "a")
	c := e.code(t, m)
	assert.Equal(t, "bind_business_"+strconv.FormatInt(m.ID, 10), c.Scene)
	assert.Equal(t, e.clock.Now().Add(DefaultCodeTTL), c.ExpiresAt)

	_, err := e.svc.IssueCode(ctx, 999, "admin")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = e.svc.Scan(ctx, scan("o1", c, false))
	require.NoError(t, err)
	_, err = e.svc.IssueCode(ctx, m.ID, "admin")
	assert.ErrorIs(t, err, ErrAlreadyBound)

	d := e.merchant(t, "d")
	_, err = e.db.SetMerchantStatus(ctx, d.ID, store.StatusDisabled)
	require.NoError(t, err)
	_, err = e.svc.IssueCode(ctx, d.ID, "admin")
	assert.ErrorIs(t, err, ErrDisabled)

	e.issuer.fail = &wecom.APIError{Code: wecom.CodeAPIUnauthorized, Msg: "api unauthorized", Path: "/cgi-bin/qrcode/create"}
	_, err = e.svc.IssueCode(ctx, e.merchant(t, "x").ID, "admin")
	assert.ErrorIs(t, err, wecom.CodeAPIUnauthorized)
	log, _, err := e.db.AuditLog(ctx, store.AuditQuery{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, "code.failed", log[0].What)
	assert.Contains(t, log[0].Details, "errcode=48001")

	_, err = New(Config{Store: e.db, Issuer: e.issuer, CodeTTL: 31 * 24 * time.Hour})
	assert.Error(t, err)
}

func TestUnsubscribeAndUnbindKeepHistory(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	m := e.merchant(t, "a")
	_, err := e.svc.Scan(ctx, scan("o1", e.code(t, m), false))
	require.NoError(t, err)

	require.NoError(t, e.svc.Unsubscribe(ctx, "o1"))
	require.NoError(t, e.svc.Unsubscribe(ctx, "o1"), "a retried unsubscribe is harmless")
	require.NoError(t, e.svc.Unsubscribe(ctx, "stranger"))
	got, err := e.db.Merchant(ctx, m.ID)
	require.NoError(t, err)
	assert.False(t, got.Bound())

	_, err = e.svc.Scan(ctx, scan("o2", e.code(t, m), false))
	require.NoError(t, err)
	assert.ErrorIs(t, e.svc.Unbind(ctx, 999, "admin"), store.ErrNotFound)
	require.NoError(t, e.svc.Unbind(ctx, m.ID, "admin"))
	assert.ErrorIs(t, e.svc.Unbind(ctx, m.ID, "admin"), ErrNotBound)

	hist, err := e.db.Bindings(ctx, m.ID)
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, [2]string{store.ReasonAdmin, store.ReasonUnsubscribe}, [2]string{hist[0].UnbindReason, hist[1].UnbindReason})
	assert.Equal(t, "o2", hist[0].OpenID)
}

func TestHandleMessage(t *testing.T) {
	e := newEnv(t)
	m := e.merchant(t, "a")
	c := e.code(t, m)
	event := func(ev, key, ticket string) *wecom.Message {
		x := fmt.Sprintf(`<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>`+
			`<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event>`+
			`<EventKey><![CDATA[%s]]></EventKey><Ticket><![CDATA[%s]]></Ticket></xml>`, ev, key, ticket)
		msg, err := wecom.ParseMessage([]byte(x))
		require.NoError(t, err)
		return msg
	}
	text := func(r wecom.Reply) string {
		if tr, ok := r.(wecom.TextReply); ok {
			return tr.Content
		}
		return fmt.Sprint(r)
	}
	ctx := t.Context()
	r, err := e.svc.HandleMessage(ctx, event("subscribe", "", ""))
	require.NoError(t, err)
	assert.Equal(t, FollowReply, text(r))
	r, err = e.svc.HandleMessage(ctx, event("subscribe", "qrscene_promo", "x"))
	require.NoError(t, err)
	assert.Equal(t, FollowReply, text(r))
	r, err = e.svc.HandleMessage(ctx, event("SCAN", "promo", "x"))
	require.NoError(t, err)
	assert.Nil(t, r)
	r, err = e.svc.HandleMessage(ctx, event("subscribe", "qrscene_"+c.Scene, c.Ticket))
	require.NoError(t, err)
	assert.Contains(t, text(r), "绑定成功")
	r, err = e.svc.HandleMessage(ctx, event("unsubscribe", "", ""))
	require.NoError(t, err)
	assert.Nil(t, r)
	got, err := e.db.Merchant(ctx, m.ID)
	require.NoError(t, err)
	assert.False(t, got.Bound())
	msg, err := wecom.ParseMessage([]byte(`<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>`))
	require.NoError(t, err)
	r, err = e.svc.HandleMessage(ctx, msg)
	require.NoError(t, err)
	assert.Nil(t, r)
	e.deliver(t)
}

// WeChat hangs up after 5 seconds (the request's context ends); the delivery is processed to the
// end all the same, so its retry finds it done.
func TestHandleMessageOutlivesTheRequest(t *testing.T) {
	e := newEnv(t)
	m := e.merchant(t, "a")
	c := e.code(t, m)
	msg, err := wecom.ParseMessage([]byte(`<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime>` +
		`<MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_` + c.Scene + `</EventKey><Ticket>` + c.Ticket + `</Ticket></xml>`))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the caller is gone
	r, err := e.svc.HandleMessage(ctx, msg)
	require.NoError(t, err)
	assert.Contains(t, r.(wecom.TextReply).Content, "绑定成功")
	got, err := e.db.Merchant(t.Context(), m.ID)
	require.NoError(t, err)
	assert.Equal(t, "o1", got.OpenID)
}
