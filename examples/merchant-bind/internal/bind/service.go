package bind

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/wecom"
)

// Errors of admin actions. Use errors.Is; store.ErrNotFound means an unknown merchant.
var (
	ErrDisabled     = errors.New("bind: merchant is disabled")
	ErrAlreadyBound = errors.New("bind: merchant is already bound; unbind first")
	ErrNotBound     = errors.New("bind: merchant is not bound to a WeChat user")
	ErrNoChannel    = errors.New("bind: no template configured and the merchant has not interacted within 48 hours")
	ErrEmpty        = errors.New("bind: nothing to send")
	ErrTooLong      = errors.New("bind: notification too long")
	ErrBadURL       = errors.New("bind: notification link must be an absolute http(s) URL")
	ErrBadText      = errors.New("bind: notification holds invalid characters")
	ErrNotFailed    = errors.New("bind: only a failed message can be resent")
)

// Kicker wakes the outbox worker after a message is enqueued; *outbox.Worker is one.
type Kicker interface{ Kick() }

// DefaultCodeTTL is how long a binding code lives: 30 days, the 公众号 maximum for temporary codes.
const DefaultCodeTTL = 30 * 24 * time.Hour

// Config configures a [Service]. Store and Issuer are required.
type Config struct {
	Store  *store.DB
	Issuer Issuer
	// Outbox is woken after a message is written to the outbox (nil: messages wait for its next
	// poll). Messages are written whatever it is: the outbox worker sends them.
	Outbox Kicker
	// WelcomeTemplateID and NotifyTemplateID are the template messages' ids; "" sends the message
	// as a 客服消息 text instead (only within 48 hours of the merchant's last interaction).
	WelcomeTemplateID string
	NotifyTemplateID  string
	// FieldMap renames template data keys (merchant, login, time, content) to the keys of the
	// account's own templates, e.g. {"merchant": "thing1", "time": "time2"}.
	FieldMap    map[string]string
	CodeTTL     time.Duration  // default DefaultCodeTTL
	GiveUpAfter time.Duration  // a message not sent by then is 发送失败; default 4 h
	Location    *time.Location // for times in messages; default China Standard Time
	Now         func() time.Time
	Log         *slog.Logger
}

// Service applies the binding rules. It is safe for concurrent use.
type Service struct {
	cfg Config
	db  *store.DB
}

// New returns a service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Issuer == nil {
		return nil, errors.New("bind: Store and Issuer are required")
	}
	if cfg.CodeTTL == 0 {
		cfg.CodeTTL = DefaultCodeTTL
	}
	if cfg.CodeTTL < time.Minute || cfg.CodeTTL > DefaultCodeTTL {
		return nil, fmt.Errorf("bind: code TTL %v must be between 1 minute and 30 days", cfg.CodeTTL)
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = 4 * time.Hour
	}
	if cfg.Location == nil {
		cfg.Location = time.FixedZone("CST", 8*3600)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, db: cfg.Store}, nil
}

// Store returns the service's database.
func (s *Service) Store() *store.DB { return s.db }

// Now returns the service clock's current time.
func (s *Service) Now() time.Time { return s.cfg.Now() }

// NotifyTemplateID returns the notifications' template id ("" : 客服消息 only).
func (s *Service) NotifyTemplateID() string { return s.cfg.NotifyTemplateID }

// CodeTTL returns how long new codes live.
func (s *Service) CodeTTL() time.Duration { return s.cfg.CodeTTL }

// ImageURL returns the showqrcode link of a ticket.
func (s *Service) ImageURL(ticket string) string { return s.cfg.Issuer.ImageURL(ticket) }

// kick wakes the outbox worker.
func (s *Service) kick() {
	if s.cfg.Outbox != nil {
		s.cfg.Outbox.Kick()
	}
}

// IssueCode creates a binding code for an active, unbound merchant and replaces its earlier codes.
func (s *Service) IssueCode(ctx context.Context, merchantID int64, who string) (*store.Code, error) {
	m, err := s.db.Merchant(ctx, merchantID)
	switch {
	case err != nil:
		return nil, err
	case !m.Active():
		return nil, ErrDisabled
	case m.Bound():
		return nil, ErrAlreadyBound
	}
	iss, err := s.cfg.Issuer.Issue(ctx, merchantID, s.cfg.CodeTTL)
	if err != nil {
		s.audit(ctx, store.AuditEntry{Who: who, What: "code.failed", MerchantID: merchantID, Details: describeErr(err)})
		return nil, err
	}
	now := s.cfg.Now()
	c := &store.Code{Ticket: iss.Ticket, Scene: iss.Scene, MerchantID: merchantID, URL: iss.URL, CreatedAt: now, ExpiresAt: iss.ExpiresAt}
	if err := s.db.AddCode(ctx, c); err != nil {
		return nil, err
	}
	s.audit(ctx, store.AuditEntry{Who: who, What: "code.issue", MerchantID: merchantID,
		Details: fmt.Sprintf("scene=%s ticket=%s… expires=%s", c.Scene, shortTicket(c.Ticket), s.fmtTime(c.ExpiresAt))})
	return c, nil
}

// Unbind ends a merchant's binding on an admin's request; the history is kept.
func (s *Service) Unbind(ctx context.Context, merchantID int64, who string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		b, err := tx.Unbind(ctx, merchantID, store.ReasonAdmin, who, s.cfg.Now())
		if errors.Is(err, store.ErrNotFound) {
			if _, err := tx.Merchant(ctx, merchantID); err != nil {
				return err
			}
			return ErrNotBound
		}
		if err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Who: who, What: "bind.unbind", When: s.cfg.Now(), MerchantID: merchantID,
			Details: "openid=" + b.OpenID})
	})
}

// Unsubscribe marks the binding of openid inactive (取消关注), keeping the history. An openid that is
// not bound is ignored.
func (s *Service) Unsubscribe(ctx context.Context, openid string) error {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		m, err := tx.MerchantByOpenID(ctx, openid)
		if err != nil {
			return err
		}
		if _, err := tx.Unbind(ctx, m.ID, store.ReasonUnsubscribe, who(openid), s.cfg.Now()); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Who: who(openid), What: "bind.unsubscribe", When: s.cfg.Now(), MerchantID: m.ID,
			Details: "取消关注 unsubscribed: binding inactive, history kept"})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// audit records an entry; a failure is logged, never returned (the action itself succeeded).
func (s *Service) audit(ctx context.Context, e store.AuditEntry) {
	if e.When.IsZero() {
		e.When = s.cfg.Now()
	}
	if err := s.db.Audit(context.WithoutCancel(ctx), e); err != nil {
		s.cfg.Log.Error("merchant-bind: audit log write failed", "what", e.What, "err", err)
	}
}

// Audit records an admin action (used by the web layer).
func (s *Service) Audit(ctx context.Context, who, what string, merchantID int64, details string) {
	s.audit(ctx, store.AuditEntry{Who: who, What: what, MerchantID: merchantID, Details: details})
}

func (s *Service) fmtTime(t time.Time) string {
	return t.In(s.cfg.Location).Format("2006-01-02 15:04:05")
}

func who(openid string) string { return "wechat:" + openid }

// shortTicket keeps tickets out of the audit log: 8 characters identify one for a human.
func shortTicket(t string) string {
	if len(t) > 8 {
		return t[:8]
	}
	return t
}

// describeErr renders an error for the audit log and the UI: errcode and errmsg for WeChat errors.
func describeErr(err error) string {
	var ae *wecom.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("errcode=%d errmsg=%s", int(ae.Code), ae.Msg)
	}
	return err.Error()
}
