package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/qiwei-go/qiwei/wecom"
)

// permanentCodes are WeChat refusals that the same message will meet again: retrying is useless.
var permanentCodes = map[wecom.ErrCode]string{
	40003: "openid 无效 (invalid openid)",
	40037: "模板 ID 无效 (invalid template_id)",
	43004: "用户未关注公众号 (the user does not follow the account)",
	43101: "用户拒收该模板消息 (the user refused this template)",
	45002: "内容超过长度限制 (content too long)",
	45015: "超过 48 小时客服消息窗口 (outside the 48-hour customer-service window)",
	45047: "客服消息条数超限 (customer-service message limit reached)",
	47003: "模板参数不正确 (template data invalid)",
}

// Permanent reports whether err is a refusal that a retry of the same message cannot overcome: a
// permanent WeChat errcode, or an invalid request refused before sending.
func Permanent(err error) bool {
	var ae *wecom.APIError
	if errors.As(err, &ae) {
		_, ok := permanentCodes[ae.Code]
		return ok
	}
	var ve *wecom.ValidationError
	return errors.As(err, &ve) || errors.Is(err, wecom.ErrOfficialAccountOnly)
}

// Describe renders a send error for the history and the audit log, with WeChat's errcode (0 when
// the error is not WeChat's refusal). It never holds a token: the SDK's errors carry none.
func Describe(err error) (string, int) {
	var ae *wecom.APIError
	if errors.As(err, &ae) {
		s := fmt.Sprintf("errcode=%d errmsg=%s", int(ae.Code), ae.Msg)
		if zh, ok := permanentCodes[ae.Code]; ok {
			s += " · " + zh
		}
		return s, int(ae.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "发送超时 (timed out; WeChat may have received it — the retry carries the same client_msg_id)", 0
	}
	return err.Error(), 0
}
