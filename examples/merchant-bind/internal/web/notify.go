package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

// awaitResult is how long a form or an API call waits for the first send attempt of a message it
// queued, so that the answer can say 已发送 or why not. The worker goes on after it.
const awaitResult = 5 * time.Second

// notifyError maps Notify's and Resend's errors to a status and a body. WeChat's refusals are not
// among them: they arrive later, recorded on the message.
func notifyError(err error) (int, apiError, bool) {
	e := func(status int, code, msg string) (int, apiError, bool) {
		return status, apiError{Error: code, Message: msg}, true
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return e(http.StatusNotFound, "not_found", "商户或通知不存在 (no such merchant or message)")
	case errors.Is(err, bind.ErrNotBound):
		return e(http.StatusConflict, "not_bound", "商户未绑定微信，无法发送 (merchant is not bound to WeChat)")
	case errors.Is(err, bind.ErrDisabled):
		return e(http.StatusConflict, "disabled", "商户已禁用 (merchant is disabled)")
	case errors.Is(err, bind.ErrNoChannel):
		return e(http.StatusConflict, "no_channel", "未配置通知模板 (NOTIFY_TEMPLATE_ID)，且商户 48 小时内未与公众号互动，无法发送客服消息 (no template, and outside the 48-hour window)")
	case errors.Is(err, bind.ErrNotFailed):
		return e(http.StatusConflict, "not_failed", "只有发送失败的通知可以重发 (only failed messages can be resent)")
	case errors.Is(err, bind.ErrEmpty):
		return e(http.StatusBadRequest, "empty", "请填写通知内容 (content or data is required)")
	case errors.Is(err, bind.ErrBadURL):
		return e(http.StatusBadRequest, "bad_url", "链接须为 http(s) 地址 (url must be an absolute http(s) URL)")
	case errors.Is(err, bind.ErrTooLong):
		return e(http.StatusBadRequest, "too_long", fmt.Sprintf("内容过长：最多 %d 个字符、%d 个字段 (content at most %d characters, %d fields)",
			bind.MaxContent, bind.MaxFields, bind.MaxContent, bind.MaxFields))
	case errors.Is(err, bind.ErrBadText):
		return e(http.StatusBadRequest, "bad_input", "内容包含无效字符（空字符或非 UTF-8 编码）(invalid characters)")
	}
	return 0, apiError{}, false
}

// await waits briefly for the message's first attempt (see awaitResult).
func (s *Server) await(ctx context.Context, m *store.Message) *store.Message {
	if s.cfg.Outbox == nil {
		return m
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), awaitResult)
	defer cancel()
	got, err := s.cfg.Outbox.Await(ctx, m.ID)
	if err != nil {
		return m
	}
	return got
}

// resultFlash says what became of a message, for the section the admin is looking at.
func resultFlash(m *store.Message, duplicate bool, target string) flash {
	f := flash{Target: target}
	prefix := ""
	if duplicate {
		prefix = "该通知已提交过，未重复发送 (already submitted; not sent twice) · "
	}
	switch {
	case m.Status == store.MsgSent:
		f.Kind, f.Msg = "ok", prefix+"已发送 (sent) · "+channelName(m.Channel)
		if m.MsgID != "" {
			f.Msg += " · msgid " + m.MsgID
		}
	case m.Status == store.MsgFailed:
		f.Kind, f.Msg = "err", prefix+"发送失败 (failed) — "+m.LastError
	case m.LastError != "":
		f.Kind, f.Msg = "warn", prefix+"暂未发送成功，将自动重试 (not sent yet; retrying) — "+m.LastError
	default:
		f.Kind, f.Msg = "ok", prefix+"已加入发送队列 (queued)"
	}
	return f
}

// notifyForm is the notify card's 发送: queued in the outbox (idempotent per form), then the
// result of the first attempt is shown inside the card.
func (s *Server) notifyForm(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	back := "/merchants/" + itoa(m.ID)
	idem := r.PostFormValue("idem")
	if idem != "" {
		idem = "form-" + idem
	}
	msg, dup, err := s.svc.Notify(r.Context(), m.ID, bind.Notification{Content: strings.TrimSpace(r.PostFormValue("content")),
		URL: strings.TrimSpace(r.PostFormValue("url")), IdemKey: idem}, adminFrom(r.Context()).Username)
	if err != nil {
		_, body, known := notifyError(err)
		if !known {
			s.internal(w, r, err)
			return
		}
		s.redirectTo(w, r, back, flash{Kind: "err", Msg: "未发送 Not sent — " + body.Message, Target: "notify"})
		return
	}
	s.redirectTo(w, r, back, resultFlash(s.await(r.Context(), msg), dup, "notify"))
}

// resendForm is a history row's 重发.
func (s *Server) resendForm(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	back := "/merchants/" + itoa(m.ID)
	nid, ok := parseID(r.PathValue("nid"))
	if !ok {
		s.fail(w, r, http.StatusNotFound, "not_found", "通知不存在 (no such message)")
		return
	}
	msg, err := s.svc.Resend(r.Context(), m.ID, nid, adminFrom(r.Context()).Username)
	if err != nil {
		_, body, known := notifyError(err)
		if !known {
			s.internal(w, r, err)
			return
		}
		s.redirectTo(w, r, back, flash{Kind: "err", Msg: body.Message, Target: "notifications"})
		return
	}
	f := resultFlash(s.await(r.Context(), msg), false, "notifications")
	f.Msg = "重发 Resend #" + itoa(nid) + "：" + f.Msg
	s.redirectTo(w, r, back, f)
}

// notificationView is one message of a merchant's history, for the page and the JSON API.
type notificationView struct {
	ID          int64         `json:"id"`
	Kind        string        `json:"kind"` // welcome, notify
	Content     string        `json:"content"`
	Status      string        `json:"status"`  // pending, sent, failed
	Channel     string        `json:"channel"` // template, custom
	Attempts    int           `json:"attempts"`
	CreatedAt   string        `json:"created_at"` // RFC 3339, Beijing time
	CreatedBy   string        `json:"created_by"`
	FinishedAt  string        `json:"finished_at,omitempty"`
	NextAttempt string        `json:"next_attempt_at,omitempty"`
	MsgID       string        `json:"msgid,omitempty"`
	LastError   string        `json:"last_error,omitempty"`
	History     []attemptView `json:"history"`

	Created, Finished, Next time.Time `json:"-"`
}

type attemptView struct {
	At      string `json:"at"`
	Channel string `json:"channel"`
	Result  string `json:"result"` // ok, error, interrupted, started
	ErrCode int    `json:"errcode,omitempty"`
	Detail  string `json:"detail,omitempty"`

	When time.Time `json:"-"`
}

func (s *Server) rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.loc).Format(time.RFC3339)
}

// notifications returns the merchant's latest messages with their attempts.
func (s *Server) notifications(r *http.Request, merchantID int64, limit int) ([]notificationView, error) {
	msgs, err := s.db.MerchantMessages(r.Context(), merchantID, limit)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	atts, err := s.db.Attempts(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	out := make([]notificationView, len(msgs))
	for i, m := range msgs {
		v := notificationView{ID: m.ID, Kind: m.Kind, Content: m.Summary, Status: m.Status, Channel: m.Channel,
			Attempts: m.Attempts, CreatedAt: s.rfc3339(m.CreatedAt), CreatedBy: m.CreatedBy, FinishedAt: s.rfc3339(m.FinishedAt),
			MsgID: m.MsgID, LastError: m.LastError, History: []attemptView{}, Created: m.CreatedAt, Finished: m.FinishedAt}
		if m.Status == store.MsgPending {
			v.NextAttempt, v.Next = s.rfc3339(m.NextAttemptAt), m.NextAttemptAt
		}
		for _, a := range atts[m.ID] {
			v.History = append(v.History, attemptView{At: s.rfc3339(a.StartedAt), Channel: a.Channel, Result: a.Result,
				ErrCode: a.ErrCode, Detail: a.Detail, When: a.StartedAt})
		}
		out[i] = v
	}
	return out, nil
}

// notificationsJSON serves the history to a signed-in admin (the page refreshes pending rows).
func (s *Server) notificationsJSON(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	list, err := s.notifications(r, m.ID, 100)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"merchant_id": m.ID, "notifications": list})
}
