package bind

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

// Notification is a message for a bound merchant: a template message, or a 客服消息 text when no
// template is configured or the template fails (within 48 hours of the merchant's last interaction).
type Notification struct {
	// Content is the message text, sent as the template field "content" together with "merchant"
	// and "time" (renamed by Config.FieldMap). Ignored when Data is set.
	Content string
	// Data fills the template's fields verbatim (key → value).
	Data map[string]string
	// URL opens when the message is tapped (optional).
	URL string
	// IdemKey makes the request idempotent: a second Notify with the same key for the same
	// merchant returns the first message instead of sending another (a double-clicked 发送, a
	// retried API call). Optional; at most 100 characters.
	IdemKey string
}

// Limits of a notification.
const (
	MaxContent = 200 // characters
	MaxFields  = 20
	MaxIdemKey = 100
)

// Notify validates n and writes it to the outbox, audited, for the outbox worker to send; it
// returns the message and whether it is an earlier one with the same IdemKey. Errors:
// store.ErrNotFound, ErrDisabled, ErrNotBound, ErrNoChannel, ErrEmpty, ErrTooLong, ErrBadURL,
// ErrBadText.
func (s *Service) Notify(ctx context.Context, merchantID int64, n Notification, who string) (*store.Message, bool, error) {
	if err := checkNotification(n); err != nil {
		return nil, false, err
	}
	idem := ""
	if n.IdemKey != "" {
		idem = "notify:" + strconv.FormatInt(merchantID, 10) + ":" + n.IdemKey
		if m, err := s.db.MessageByIdemKey(ctx, idem); err == nil {
			return m, true, nil
		}
	}
	var msg *store.Message
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.cfg.Now()
		m, err := tx.Merchant(ctx, merchantID)
		switch {
		case err != nil:
			return err
		case !m.Active():
			return ErrDisabled
		case !m.Bound():
			return ErrNotBound
		case s.cfg.NotifyTemplateID == "" && !m.InWindow(now):
			return ErrNoChannel
		}
		data := n.Data
		if len(data) == 0 {
			data = s.fields(map[string]string{"merchant": m.Name, "content": n.Content, "time": s.fmtTime(now)})
		}
		msg = &store.Message{MerchantID: m.ID, Kind: store.KindNotify, OpenID: m.OpenID, TemplateID: s.cfg.NotifyTemplateID,
			Payload: store.Payload{Data: data, URL: n.URL, Text: notifyText(m, n)}, Summary: summary(n),
			ClientMsgID: clientMsgID("n"), IdemKey: idem, NextAttemptAt: now, DeadlineAt: now.Add(s.cfg.GiveUpAfter),
			CreatedAt: now, CreatedBy: who}
		if err := tx.Enqueue(ctx, msg); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Who: who, What: "notify.queued", When: now, MerchantID: m.ID,
			Details: "message #" + strconv.FormatInt(msg.ID, 10) + " " + msg.Summary})
	})
	if errors.Is(err, store.ErrDuplicate) && idem != "" { // the same key, concurrently
		m, err := s.db.MessageByIdemKey(ctx, idem)
		return m, err == nil, err
	}
	if err != nil {
		return nil, false, err
	}
	s.kick()
	return msg, false, nil
}

func checkNotification(n Notification) error {
	switch {
	case len(n.Data) == 0 && strings.TrimSpace(n.Content) == "":
		return ErrEmpty
	case utf8.RuneCountInString(n.Content) > MaxContent || len(n.Data) > MaxFields:
		return fmt.Errorf("%w: content over %d characters or more than %d fields", ErrTooLong, MaxContent, MaxFields)
	case n.URL != "" && !validURL(n.URL):
		return ErrBadURL
	case !store.ValidText(n.Content, true) || !store.ValidText(n.IdemKey, false) || !store.ValidText(n.URL, false):
		return ErrBadText
	case utf8.RuneCountInString(n.IdemKey) > MaxIdemKey:
		return fmt.Errorf("%w: idempotency key over %d characters", ErrTooLong, MaxIdemKey)
	}
	for k, v := range n.Data {
		if k == "" || !store.ValidText(k, false) || !store.ValidText(v, true) {
			return ErrBadText
		}
		if utf8.RuneCountInString(v) > MaxContent {
			return fmt.Errorf("%w: field %q over %d characters", ErrTooLong, k, MaxContent)
		}
	}
	return nil
}

// Resend puts a failed message of the merchant back in the outbox (重发), starting again with the
// template when one is configured. Errors: store.ErrNotFound (also for another merchant's
// message), ErrNotFailed.
func (s *Service) Resend(ctx context.Context, merchantID, messageID int64, who string) (*store.Message, error) {
	m, err := s.db.Message(ctx, messageID)
	if err != nil {
		return nil, err
	}
	if m.MerchantID != merchantID {
		return nil, store.ErrNotFound
	}
	channel := store.ChannelTemplate
	if m.TemplateID == "" {
		channel = store.ChannelCustom
	}
	now := s.cfg.Now()
	err = s.db.ResendMessage(ctx, messageID, channel, now, now.Add(s.cfg.GiveUpAfter), &store.AuditEntry{Who: who,
		What: m.Kind + ".resend", When: now, MerchantID: merchantID, Details: "message #" + strconv.FormatInt(m.ID, 10) + " " + m.Summary})
	if errors.Is(err, store.ErrConflict) {
		return nil, ErrNotFailed
	}
	if err != nil {
		return nil, err
	}
	s.kick()
	return s.db.Message(ctx, messageID)
}

// enqueueWelcome writes the welcome message of a new binding in the binding's transaction.
func (s *Service) enqueueWelcome(ctx context.Context, tx *store.Tx, m *store.Merchant, now time.Time) error {
	data := s.fields(map[string]string{"merchant": m.Name, "login": m.Login, "time": s.fmtTime(now)})
	text := fmt.Sprintf("绑定成功！您的微信已绑定商户「%s」（登录名 %s），今后的通知将通过本公众号发送。", m.Name, m.Login)
	return tx.Enqueue(ctx, &store.Message{MerchantID: m.ID, Kind: store.KindWelcome, OpenID: m.OpenID,
		TemplateID: s.cfg.WelcomeTemplateID, Payload: store.Payload{Data: data, Text: text},
		Summary: "欢迎消息：已绑定商户「" + m.Name + "」", ClientMsgID: clientMsgID("w"),
		NextAttemptAt: now, DeadlineAt: now.Add(s.cfg.GiveUpAfter), CreatedAt: now, CreatedBy: "system"})
}

// notifyText is the 客服消息 version of a notification.
func notifyText(m *store.Merchant, n Notification) string {
	var b strings.Builder
	fmt.Fprintf(&b, "【%s】", m.Name)
	if len(n.Data) == 0 {
		b.WriteString(n.Content)
	} else {
		keys := make([]string, 0, len(n.Data))
		for k := range n.Data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.WriteString("\n" + n.Data[k])
		}
	}
	if n.URL != "" {
		b.WriteString("\n" + n.URL)
	}
	return b.String()
}

// clientMsgID is a new client_msg_id (at most 64 bytes): unique across databases, so that a fresh
// database's message 1 is not taken for another's within WeChat's ten-minute memory.
func clientMsgID(kind string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "mb-" + kind + "-" + hex.EncodeToString(b[:])
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= 1024
}

func summary(n Notification) string {
	if len(n.Data) == 0 {
		return n.Content
	}
	keys := make([]string, 0, len(n.Data))
	for k := range n.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + n.Data[k]
	}
	return strings.Join(parts, " ")
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
