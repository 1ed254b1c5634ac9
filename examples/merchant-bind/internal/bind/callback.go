package bind

import (
	"context"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/wecom"
)

// handleTimeout bounds the handling of one callback message.
const handleTimeout = 30 * time.Second

// FollowReply answers a plain follow (subscribe without a binding code).
const FollowReply = "欢迎关注！商户请扫描管理员提供的绑定二维码，完成微信绑定后即可接收通知。"

// HandleMessage is the [wecom.MessageHandler] of the 公众号 callback: subscribe with qrscene_ and
// SCAN bind (with a passive text reply), unsubscribe unbinds, everything else is acknowledged
// without a reply. A database failure returns an error, so the delivery is answered 500 and
// WeChat's retry is processed again.
func (s *Service) HandleMessage(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
	// WeChat hangs up after 5 seconds and delivers again. A delivery it gave up on is still
	// processed to the end — its retry then finds the work done — rather than cancelled halfway
	// with the request.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handleTimeout)
	defer cancel()
	if opensWindow(m) {
		if err := s.db.TouchInteraction(ctx, m.FromUserName, s.cfg.Now()); err != nil {
			s.cfg.Log.Warn("merchant-bind: interaction not recorded", "err", err)
		}
	}
	if !m.IsEvent() {
		return nil, nil
	}
	switch m.Event {
	case wecom.EventSubscribe, wecom.EventScan:
		ev, err := qrcode.ParseScanEvent(m.Raw)
		if err != nil {
			s.cfg.Log.Info("merchant-bind: unreadable scan event", "event", m.Event, "err", err)
			return nil, nil
		}
		if !ev.IsScan() {
			return wecom.TextReply{Content: FollowReply}, nil
		}
		res, err := s.Scan(ctx, ev)
		if err != nil {
			return nil, err
		}
		if res.Outcome == NotOurs {
			if ev.NewFollower {
				return wecom.TextReply{Content: FollowReply}, nil
			}
			return nil, nil
		}
		return wecom.TextReply{Content: res.Reply()}, nil
	case wecom.EventUnsubscribe:
		return nil, s.Unsubscribe(ctx, m.FromUserName)
	}
	return nil, nil
}

// opensWindow reports whether a message opens WeChat's 48-hour window for 客服消息: a message from
// the user, following, a scan, or a click on a menu of the click or scan-code kinds.
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
func opensWindow(m *wecom.Message) bool {
	if !m.IsEvent() {
		return m.FromUserName != ""
	}
	switch strings.ToLower(m.Event) {
	case "subscribe", "scan", "click", "scancode_push", "scancode_waitmsg":
		return true
	}
	return false
}
