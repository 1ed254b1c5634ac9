package bind

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/wecom"
)

// Notification is a template message for a bound merchant.
type Notification struct {
	// Content is the message text, sent as the template field "content" together with "merchant"
	// and "time" (renamed by Config.FieldMap). Ignored when Data is set.
	Content string
	// Data fills the template's fields verbatim (key → value).
	Data map[string]string
	// URL opens when the message is tapped (optional).
	URL string
	// ClientMsgID makes a retried send safe: WeChat delivers one message per id (optional).
	ClientMsgID string
}

// Limits of a notification.
const (
	MaxContent = 200 // characters
	MaxFields  = 20
)

// Notify sends a template message to a bound merchant and audits the result. Errors:
// store.ErrNotFound, ErrDisabled, ErrNotBound, ErrNoTemplate, ErrEmpty, ErrTooLong, ErrBadURL, or the send's error —
// a *wecom.APIError carries WeChat's errcode and errmsg.
func (s *Service) Notify(ctx context.Context, merchantID int64, n Notification, who string) (int64, error) {
	m, err := s.db.Merchant(ctx, merchantID)
	if err != nil {
		return 0, err
	}
	switch {
	case !m.Active():
		return 0, ErrDisabled
	case !m.Bound():
		return 0, ErrNotBound
	case s.cfg.Sender == nil || s.cfg.NotifyTemplateID == "":
		return 0, ErrNoTemplate
	case len(n.Data) == 0 && n.Content == "":
		return 0, ErrEmpty
	case utf8.RuneCountInString(n.Content) > MaxContent || len(n.Data) > MaxFields:
		return 0, fmt.Errorf("%w: content over %d characters or more than %d fields", ErrTooLong, MaxContent, MaxFields)
	case n.URL != "" && !validURL(n.URL):
		return 0, ErrBadURL
	}
	data := n.Data
	if len(data) == 0 {
		data = s.fields(map[string]string{"merchant": m.Name, "content": n.Content, "time": s.fmtTime(s.cfg.Now())})
	}
	msg := &wecom.TemplateMessage{ToUser: m.OpenID, TemplateID: s.cfg.NotifyTemplateID, URL: n.URL, ClientMsgID: n.ClientMsgID, Data: data}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	msgID, err := s.cfg.Sender.SendTemplate(sctx, msg)
	if err != nil {
		s.audit(ctx, store.AuditEntry{Who: who, What: "notify.failed", MerchantID: m.ID, Details: describeErr(err)})
		return 0, err
	}
	s.audit(ctx, store.AuditEntry{Who: who, What: "notify.sent", MerchantID: m.ID,
		Details: "msgid=" + strconv.FormatInt(msgID, 10) + " " + summary(n)})
	return msgID, nil
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= 1024
}

func summary(n Notification) string {
	if n.Content != "" && len(n.Data) == 0 {
		return "content=" + n.Content
	}
	return fmt.Sprintf("data=%d fields", len(n.Data))
}

// fields applies Config.FieldMap to template data keys.
func (s *Service) fields(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		if to := s.cfg.FieldMap[k]; to != "" {
			k = to
		}
		out[k] = v
	}
	return out
}

// sendWelcome sends the welcome template message in the background; the result goes to the audit
// log. client_msg_id welcome-<binding id> makes WeChat deliver it once even if sent twice.
func (s *Service) sendWelcome(m *store.Merchant, openid string, bindingID int64) {
	if s.cfg.Sender == nil || s.cfg.WelcomeTemplateID == "" {
		return
	}
	msg := &wecom.TemplateMessage{ToUser: openid, TemplateID: s.cfg.WelcomeTemplateID,
		ClientMsgID: "welcome-" + strconv.FormatInt(bindingID, 10),
		Data:        s.fields(map[string]string{"merchant": m.Name, "login": m.Login, "time": s.fmtTime(m.BoundAt)})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.SendTimeout)
		defer cancel()
		msgID, err := s.cfg.Sender.SendTemplate(ctx, msg)
		if err != nil {
			s.cfg.Log.Warn("merchant-bind: welcome message failed", "merchant", m.ID, "err", err)
			s.audit(ctx, store.AuditEntry{Who: "system", What: "welcome.failed", MerchantID: m.ID, Details: describeErr(err)})
			return
		}
		s.audit(ctx, store.AuditEntry{Who: "system", What: "welcome.sent", MerchantID: m.ID, Details: "msgid=" + strconv.FormatInt(msgID, 10)})
	}()
}
