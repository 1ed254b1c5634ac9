package bind

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/qrcode"
)

// Outcome is the result of a scan.
type Outcome string

// Outcomes. Every Refused* leaves the database unchanged.
const (
	NotOurs              Outcome = "not_ours"       // not a binding scene
	Bound                Outcome = "bound"          // the binding was made now
	AlreadyBound         Outcome = "already_bound"  // this openid is this merchant's binding already
	RefusedUnknown       Outcome = "unknown_code"   // no such code (or scene and ticket disagree)
	RefusedExpired       Outcome = "expired"        // the code has expired
	RefusedUsed          Outcome = "used"           // the code bound someone already
	RefusedReplaced      Outcome = "replaced"       // a newer code was issued for the merchant
	RefusedDisabled      Outcome = "disabled"       // the merchant is disabled
	RefusedMerchantTaken Outcome = "merchant_taken" // the merchant is bound to another openid
	RefusedOpenIDTaken   Outcome = "openid_taken"   // the openid is bound to another merchant
)

// Result describes what a scan did.
type Result struct {
	Outcome   Outcome
	Merchant  *store.Merchant // the code's merchant, when known
	Other     *store.Merchant // RefusedOpenIDTaken: the merchant the openid is bound to
	BindingID int64           // Bound
}

// OK reports whether the scan left the openid bound to the code's merchant.
func (r *Result) OK() bool { return r.Outcome == Bound || r.Outcome == AlreadyBound }

// Reply is the passive text reply shown to the WeChat user.
func (r *Result) Reply() string {
	name := ""
	if r.Merchant != nil {
		name = r.Merchant.Name
	}
	switch r.Outcome {
	case Bound:
		return fmt.Sprintf("绑定成功！您的微信已绑定商户「%s」，今后的通知将通过本公众号发送。", name)
	case AlreadyBound:
		return fmt.Sprintf("您的微信已绑定商户「%s」，无需重复绑定。", name)
	case RefusedExpired:
		return "绑定失败：二维码已过期，请联系管理员重新生成绑定码。"
	case RefusedUsed:
		return "绑定失败：该二维码已被使用，请联系管理员重新生成绑定码。"
	case RefusedReplaced:
		return "绑定失败：该二维码已失效（已生成新的绑定码），请扫描最新的二维码。"
	case RefusedDisabled:
		return fmt.Sprintf("绑定失败：商户「%s」已停用，请联系管理员。", name)
	case RefusedMerchantTaken:
		return fmt.Sprintf("绑定失败：商户「%s」已绑定其他微信。一个商户只能绑定一个微信，如需更换请联系管理员解除绑定。", name)
	case RefusedOpenIDTaken:
		other := ""
		if r.Other != nil {
			other = r.Other.Name
		}
		return fmt.Sprintf("绑定失败：您的微信已绑定商户「%s」。一个微信只能绑定一个商户，如需更换请联系管理员解除绑定。", other)
	case RefusedUnknown:
		return "绑定失败：无法识别该绑定码，请联系管理员。"
	}
	return ""
}

// refusal rolls the transaction back and carries the outcome out of it.
type refusal struct{ res *Result }

func (*refusal) Error() string { return "bind: refused" }

// Scan applies the binding rules to a subscribe/SCAN event (see the package doc). An error means
// the database failed; the caller should let WeChat retry.
func (s *Service) Scan(ctx context.Context, ev *qrcode.ScanEvent) (*Result, error) {
	merchantID, ok := ParseScene(ev.Scene)
	if !ok {
		return &Result{Outcome: NotOurs}, nil
	}
	var res *Result
	var err error
	// A conflicting concurrent change is judged again: the second pass sees it and names it.
	for attempt := 0; attempt < 3; attempt++ {
		res, err = s.tryScan(ctx, ev, merchantID)
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	if err != nil { // a database failure, or conflicts that kept coming: WeChat will retry
		s.cfg.Log.Error("merchant-bind: scan failed", "scene", ev.Scene, "err", err)
		return nil, err
	}
	if res.Outcome == Bound {
		s.kick() // the welcome message was written with the binding
		if c, ok := s.cfg.Issuer.(Consumer); ok {
			if err := c.Consume(ctx, ev); err != nil {
				s.cfg.Log.Debug("merchant-bind: code mirror not consumed", "scene", ev.Scene, "err", err)
			}
		}
		return res, nil
	}
	what := "bind.refused"
	if res.Outcome == AlreadyBound {
		what = "bind.repeat"
	}
	s.audit(ctx, store.AuditEntry{Who: who(ev.OpenID), What: what, MerchantID: merchantID,
		Details: fmt.Sprintf("%s: %s (event=%s scene=%s ticket=%s…)", res.Outcome, res.Reply(), ev.Event, ev.Scene, shortTicket(ev.Ticket))})
	return res, nil
}

func (s *Service) tryScan(ctx context.Context, ev *qrcode.ScanEvent, merchantID int64) (*Result, error) {
	var res *Result
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.cfg.Now()
		r, err := s.judge(ctx, tx, ev, merchantID, now)
		if err != nil {
			return err
		}
		if r.Outcome != Bound {
			return &refusal{r}
		}
		res = r
		if err := s.enqueueWelcome(ctx, tx, r.Merchant, now); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Who: who(ev.OpenID), What: "bind.success", When: now, MerchantID: merchantID,
			Details: fmt.Sprintf("绑定成功 bound (event=%s scene=%s ticket=%s… new_follower=%t)", ev.Event, ev.Scene, shortTicket(ev.Ticket), ev.NewFollower)})
	})
	var rf *refusal
	if errors.As(err, &rf) {
		return rf.res, nil
	}
	return res, err
}

// judge checks the rules in order and, when they pass, writes the binding.
func (s *Service) judge(ctx context.Context, tx *store.Tx, ev *qrcode.ScanEvent, merchantID int64, now time.Time) (*Result, error) {
	var code *store.Code
	var err error
	if ev.Ticket != "" {
		code, err = tx.CodeByTicket(ctx, ev.Ticket)
	} else {
		code, err = tx.LatestCodeForScene(ctx, ev.Scene)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && (code.Scene != ev.Scene || code.MerchantID != merchantID)) {
		return &Result{Outcome: RefusedUnknown}, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := tx.Merchant(ctx, merchantID)
	if errors.Is(err, store.ErrNotFound) {
		return &Result{Outcome: RefusedUnknown}, nil
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Merchant: m}
	switch {
	case m.OpenID == ev.OpenID:
		res.Outcome = AlreadyBound
	case !m.Active():
		res.Outcome = RefusedDisabled
	case code.State(now) == store.CodeUsed:
		res.Outcome = RefusedUsed
	case code.State(now) == store.CodeRevoked:
		res.Outcome = RefusedReplaced
	case code.State(now) == store.CodeExpired:
		res.Outcome = RefusedExpired
	case m.Bound():
		res.Outcome = RefusedMerchantTaken
	}
	if res.Outcome != "" {
		return res, nil
	}
	other, err := tx.MerchantByOpenID(ctx, ev.OpenID)
	if err == nil {
		res.Outcome, res.Other = RefusedOpenIDTaken, other
		return res, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	used, err := tx.UseCode(ctx, code.Ticket, ev.OpenID, now)
	if err != nil {
		return nil, err
	}
	if !used {
		return nil, store.ErrConflict
	}
	if res.BindingID, err = tx.Bind(ctx, merchantID, ev.OpenID, code.Ticket, now); err != nil {
		return nil, err
	}
	res.Outcome = Bound
	m.OpenID, m.BoundAt, m.LastInteractionAt = ev.OpenID, now, now
	return res, nil
}
