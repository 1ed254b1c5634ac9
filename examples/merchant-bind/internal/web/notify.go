package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/wecom"
)

// wechatError describes a WeChat refusal as "errcode N: errmsg".
func wechatError(err error) (string, bool) {
	var ae *wecom.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("errcode %d: %s", int(ae.Code), ae.Msg), true
	}
	return "", false
}

// withWeChat adds errcode and errmsg to a JSON error when WeChat refused.
func withWeChat(e apiError, err error) apiError {
	var ae *wecom.APIError
	if errors.As(err, &ae) {
		e.ErrCode, e.ErrMsg = int(ae.Code), ae.Msg
	}
	return e
}

// notifyError maps Notify's errors to a status, a code and a message. Nothing is swallowed: a
// WeChat refusal keeps its errcode and errmsg.
func notifyError(err error) (int, apiError) {
	e := func(status int, code, msg string) (int, apiError) { return status, apiError{Error: code, Message: msg} }
	switch {
	case errors.Is(err, store.ErrNotFound):
		return e(http.StatusNotFound, "not_found", "商户不存在 (no such merchant)")
	case errors.Is(err, bind.ErrNotBound):
		return e(http.StatusConflict, "not_bound", "商户未绑定微信，无法发送 (merchant is not bound to WeChat)")
	case errors.Is(err, bind.ErrDisabled):
		return e(http.StatusConflict, "disabled", "商户已停用 (merchant is disabled)")
	case errors.Is(err, bind.ErrNoTemplate):
		return e(http.StatusServiceUnavailable, "no_template", "未配置通知模板 (NOTIFY_TEMPLATE_ID is not set)")
	case errors.Is(err, bind.ErrEmpty):
		return e(http.StatusBadRequest, "empty", "请填写通知内容 (content or data is required)")
	case errors.Is(err, bind.ErrBadURL):
		return e(http.StatusBadRequest, "bad_url", "链接须为 http(s) 地址 (url must be an absolute http(s) URL)")
	case errors.Is(err, bind.ErrTooLong):
		return e(http.StatusBadRequest, "too_long", fmt.Sprintf("内容过长 (content at most %d characters, %d fields)", bind.MaxContent, bind.MaxFields))
	}
	if desc, ok := wechatError(err); ok {
		status, body := e(http.StatusBadGateway, "wechat_error", "微信拒绝了该消息 (WeChat refused the message): "+desc)
		return status, withWeChat(body, err)
	}
	return e(http.StatusBadGateway, "send_failed", "发送失败 (send failed): "+err.Error())
}

// notifyForm is the admin action on the detail page.
func (s *Server) notifyForm(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	msgID, err := s.svc.Notify(r.Context(), m.ID, bind.Notification{Content: strings.TrimSpace(r.PostFormValue("content")),
		URL: strings.TrimSpace(r.PostFormValue("url"))}, adminFrom(r.Context()).Username)
	target := "/merchants/" + itoa(m.ID) + "#notify"
	if err != nil {
		_, body := notifyError(err)
		s.redirect(w, r, target, "err", "发送失败 Failed — "+body.Message)
		return
	}
	s.redirect(w, r, target, "ok", "通知已发送 (sent), msgid "+strconv.FormatInt(msgID, 10))
}

// notifyRequest is the body of POST /api/merchants/{id}/notify.
type notifyRequest struct {
	Content     string            `json:"content"`
	Data        map[string]string `json:"data"`
	URL         string            `json:"url"`
	ClientMsgID string            `json:"client_msg_id"`
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// apiNotify serves POST /api/merchants/{id}/notify with Authorization: Bearer <ADMIN_API_TOKEN>.
func (s *Server) apiNotify(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if s.cfg.APIToken == "" || !ok || !constantTimeEqual(strings.TrimSpace(tok), s.cfg.APIToken) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="merchant-bind"`)
		writeJSON(w, http.StatusUnauthorized, apiError{Error: "unauthorized", Message: "invalid or missing admin API token"})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, apiError{Error: "content_type", Message: "Content-Type must be application/json"})
		return
	}
	id, ok := pathID(r)
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "no such merchant"})
		return
	}
	var req notifyRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.Decode(&struct{}{}) != io.EOF {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "bad_json", Message: "body must be one JSON object with content, data, url, client_msg_id"})
		return
	}
	msgID, err := s.svc.Notify(r.Context(), id, bind.Notification{Content: strings.TrimSpace(req.Content), Data: req.Data,
		URL: req.URL, ClientMsgID: req.ClientMsgID}, "api")
	if err != nil {
		status, body := notifyError(err)
		writeJSON(w, status, body)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "msgid": msgID})
}
