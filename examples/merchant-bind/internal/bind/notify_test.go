package bind

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/wecom"
)

func TestNotify(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	bound, unbound, disabled := e.merchant(t, "bound"), e.merchant(t, "unbound"), e.merchant(t, "disabled")
	_, err := e.svc.Scan(ctx, scan("o1", e.code(t, bound), false))
	require.NoError(t, err)
	_, err = e.svc.Scan(ctx, scan("o3", e.code(t, disabled), false))
	require.NoError(t, err)
	_, err = e.db.SetMerchantStatus(ctx, disabled.ID, store.StatusDisabled)
	require.NoError(t, err)
	e.deliver(t)

	long := make([]rune, MaxContent+1)
	for i := range long {
		long[i] = '字'
	}
	tests := []struct {
		name    string
		id      int64
		n       Notification
		wantErr error
	}{
		{"content", bound.ID, Notification{Content: "您的结算单已生成"}, nil},
		{"verbatim data", bound.ID, Notification{Data: map[string]string{"thing9": "x"}, URL: "https://example.com"}, nil},
		{"not bound", unbound.ID, Notification{Content: "x"}, ErrNotBound},
		{"disabled", disabled.ID, Notification{Content: "x"}, ErrDisabled},
		{"unknown", 999, Notification{Content: "x"}, store.ErrNotFound},
		{"empty", bound.ID, Notification{}, ErrEmpty},
		{"blank", bound.ID, Notification{Content: "  "}, ErrEmpty},
		{"too long", bound.ID, Notification{Content: string(long)}, ErrTooLong},
		{"bad link", bound.ID, Notification{Content: "x", URL: "javascript:alert(1)"}, ErrBadURL},
		{"NUL byte", bound.ID, Notification{Content: "a\x00b"}, ErrBadText},
		{"invalid UTF-8 in data", bound.ID, Notification{Data: map[string]string{"k": "\xff"}}, ErrBadText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.svc.Notify(ctx, tt.id, tt.n, "admin")
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
	e.deliver(t)
	msgs := e.sender.messages()
	require.Len(t, msgs, 3, "1 welcome (the disabled merchant's is not sent) + 2 notifications")
	byTemplate := map[string][]*wecom.TemplateMessage{}
	for _, m := range msgs {
		byTemplate[m.TemplateID] = append(byTemplate[m.TemplateID], m)
	}
	require.Len(t, byTemplate["tpl-notify"], 2)
	n1, n2 := byTemplate["tpl-notify"][0], byTemplate["tpl-notify"][1]
	if n1.Data["content"] == "" {
		n1, n2 = n2, n1
	}
	assert.Equal(t, "您的结算单已生成", n1.Data["content"])
	assert.Equal(t, bound.Name, n1.Data["thing1"])
	assert.Equal(t, map[string]string{"thing9": "x"}, n2.Data)
	assert.Equal(t, "https://example.com", n2.URL)
	assert.NotEqual(t, n1.ClientMsgID, n2.ClientMsgID)

	// One idempotency key, one message: a double-clicked 发送.
	first, dup, err := e.svc.Notify(ctx, bound.ID, Notification{Content: "一次", IdemKey: "form-abc"}, "admin")
	require.NoError(t, err)
	assert.False(t, dup)
	again, dup, err := e.svc.Notify(ctx, bound.ID, Notification{Content: "一次", IdemKey: "form-abc"}, "admin")
	require.NoError(t, err)
	assert.True(t, dup)
	assert.Equal(t, first.ID, again.ID)
	e.deliver(t)
	assert.Len(t, e.sender.messages(), 4)

	// WeChat refuses (43004, permanent) and the merchant has not interacted for 48 hours: 发送失败,
	// audited; 重发 puts it back and it goes out.
	e.clock.Add(49 * time.Hour)
	e.sender.fail = &wecom.APIError{Code: 43004, Msg: "require subscribe", Path: "/cgi-bin/message/template/send"}
	m, _, err := e.svc.Notify(ctx, bound.ID, Notification{Content: "x"}, "api")
	require.NoError(t, err)
	e.deliver(t)
	m, err = e.db.Message(ctx, m.ID)
	require.NoError(t, err)
	assert.Equal(t, store.MsgFailed, m.Status)
	log, _, err := e.db.AuditLog(ctx, store.AuditQuery{MerchantID: bound.ID, Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, "notify.failed", log[0].What)
	assert.Contains(t, log[0].Details, "errcode=43004 errmsg=require subscribe")
	assert.Equal(t, "notify.queued", log[1].What)
	assert.Equal(t, "api", log[1].Who)

	e.sender.fail = nil
	_, err = e.svc.Resend(ctx, unbound.ID, m.ID, "admin")
	assert.ErrorIs(t, err, store.ErrNotFound, "another merchant's message")
	_, err = e.svc.Resend(ctx, bound.ID, first.ID, "admin")
	assert.ErrorIs(t, err, ErrNotFailed)
	_, err = e.svc.Resend(ctx, bound.ID, m.ID, "admin")
	require.NoError(t, err)
	e.deliver(t)
	m, err = e.db.Message(ctx, m.ID)
	require.NoError(t, err)
	assert.Equal(t, store.MsgSent, m.Status)
	assert.Equal(t, 2, m.Attempts)

	// Without a template, notifications are 客服消息 — refused when the window is closed.
	noTpl, err := New(Config{Store: e.db, Issuer: e.issuer, Now: e.clock.Now})
	require.NoError(t, err)
	_, _, err = noTpl.Notify(ctx, bound.ID, Notification{Content: "x"}, "admin")
	assert.ErrorIs(t, err, ErrNoChannel)
	require.NoError(t, e.db.TouchInteraction(ctx, "o1", e.clock.Now()))
	m, _, err = noTpl.Notify(ctx, bound.ID, Notification{Content: "窗口内", URL: "https://x.test/a"}, "admin")
	require.NoError(t, err)
	e.deliver(t)
	m, err = e.db.Message(ctx, m.ID)
	require.NoError(t, err)
	assert.Equal(t, store.MsgSent, m.Status)
	assert.Equal(t, store.ChannelCustom, m.Channel)
	assert.Contains(t, e.sender.texts, "o1: 【商户 bound】窗口内\nhttps://x.test/a")
}

// The binding stands when the welcome template is refused; the welcome goes out as a 客服消息.
func TestWelcomeFallsBack(t *testing.T) {
	e := newEnv(t)
	e.sender.fail = &wecom.APIError{Code: 40037, Msg: "invalid template_id"}
	m := e.merchant(t, "a")
	res, err := e.svc.Scan(t.Context(), scan("o1", e.code(t, m), false))
	require.NoError(t, err)
	assert.Equal(t, Bound, res.Outcome)
	e.deliver(t)
	log, _, err := e.db.AuditLog(t.Context(), store.AuditQuery{MerchantID: m.ID, Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, "welcome.sent", log[0].What)
	assert.Equal(t, "welcome.fallback", log[1].What)
	assert.Contains(t, log[1].Details, "errcode=40037")
	require.Len(t, e.sender.texts, 1)
	assert.Contains(t, e.sender.texts[0], "绑定成功")
}

// Messages, scans and menu clicks open the 48-hour 客服消息 window; a VIEW click or an unsubscribe
// does not.
func TestInteractionsOpenTheWindow(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	m := e.merchant(t, "a")
	_, err := e.svc.Scan(ctx, scan("o1", e.code(t, m), false))
	require.NoError(t, err)
	bound := e.clock.Now()
	for _, tt := range []struct {
		xml   string
		opens bool
	}{
		{`<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>hi</Content><MsgId>7</MsgId></xml>`, true},
		{`<xml><FromUserName>o1</FromUserName><MsgType>event</MsgType><Event>CLICK</Event><EventKey>menu</EventKey></xml>`, true},
		{`<xml><FromUserName>o1</FromUserName><MsgType>event</MsgType><Event>VIEW</Event><EventKey>https://x.test</EventKey></xml>`, false},
		{`<xml><FromUserName>o1</FromUserName><MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event></xml>`, false},
	} {
		e.clock.Add(time.Hour)
		msg, err := wecom.ParseMessage([]byte(tt.xml))
		require.NoError(t, err)
		before, err := e.db.Merchant(ctx, m.ID)
		require.NoError(t, err)
		_, err = e.svc.HandleMessage(ctx, msg)
		require.NoError(t, err)
		after, err := e.db.Merchant(ctx, m.ID)
		require.NoError(t, err)
		if tt.opens {
			assert.Equal(t, e.clock.Now().Unix(), after.LastInteractionAt.Unix(), tt.xml)
		} else {
			assert.Equal(t, before.LastInteractionAt, after.LastInteractionAt, tt.xml)
		}
	}
	assert.True(t, bound.Before(e.clock.Now()))
}
