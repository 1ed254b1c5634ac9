package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

// API scopes: ADMIN_API_TOKEN may call everything; PLATFORM_API_TOKEN (given to the merchant
// platform) only reports merchants' logins.
type scope int

const (
	scopeAdmin scope = iota
	scopePlatform
)

// apiAuth checks the Bearer token in constant time. Who is "api" for ADMIN_API_TOKEN and
// "platform" for PLATFORM_API_TOKEN.
func (s *Server) apiAuth(sc scope, h func(w http.ResponseWriter, r *http.Request, who string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok = strings.TrimSpace(tok)
		who := ""
		switch {
		case !ok || tok == "":
		case s.cfg.APIToken != "" && constantTimeEqual(tok, s.cfg.APIToken):
			who = "api"
		case sc == scopePlatform && s.cfg.PlatformToken != "" && constantTimeEqual(tok, s.cfg.PlatformToken):
			who = "platform"
		}
		if who == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="merchant-bind"`)
			writeJSON(w, http.StatusUnauthorized, apiError{Error: "unauthorized", Message: "API 令牌无效或缺失 (invalid or missing API token)"})
			return
		}
		h(w, r, who)
	})
}

// decodeJSON reads one JSON object of at most 64 KiB into v; it answers 415 or 400 itself.
// An empty body is an empty object when allowEmpty.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) bool {
	if r.ContentLength == 0 && allowEmpty {
		return true
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, apiError{Error: "content_type", Message: "Content-Type 须为 application/json (Content-Type must be application/json)"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) && allowEmpty {
		return true
	}
	if err != nil || dec.Decode(&struct{}{}) != io.EOF {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "bad_json", Message: "请求体须为一个 JSON 对象，字段见文档 (body must be one JSON object with the documented fields)"})
		return false
	}
	return true
}

// notifyRequest is the body of POST /api/merchants/{id}/notify.
type notifyRequest struct {
	Content string            `json:"content"`
	Data    map[string]string `json:"data"`
	URL     string            `json:"url"`
	// ClientMsgID (or the Idempotency-Key header) makes a retried call return the first message
	// instead of sending another.
	ClientMsgID string `json:"client_msg_id"`
}

// notifyResponse answers the notify API: the message, as far as it got within a few seconds.
type notifyResponse struct {
	OK        bool   `json:"ok"`
	ID        int64  `json:"id"`
	Status    string `json:"status"`  // sent, pending, failed
	Channel   string `json:"channel"` // template, custom
	MsgID     int64  `json:"msgid,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	LastError string `json:"last_error,omitempty"`
	ErrCode   int    `json:"errcode,omitempty"`
}

func (s *Server) messageResponse(w http.ResponseWriter, r *http.Request, m *store.Message, dup bool) {
	resp := notifyResponse{OK: m.Status != store.MsgFailed, ID: m.ID, Status: m.Status, Channel: m.Channel, Duplicate: dup,
		LastError: m.LastError}
	resp.MsgID, _ = strconv.ParseInt(m.MsgID, 10, 64)
	status := http.StatusAccepted
	switch m.Status {
	case store.MsgSent:
		status = http.StatusOK
	case store.MsgFailed:
		status = http.StatusBadGateway
	}
	if atts, err := s.db.Attempts(r.Context(), []int64{m.ID}); err == nil {
		if list := atts[m.ID]; len(list) > 0 {
			resp.ErrCode = list[len(list)-1].ErrCode
		}
	}
	writeJSON(w, status, resp)
}

// apiNotify serves POST /api/merchants/{id}/notify.
func (s *Server) apiNotify(w http.ResponseWriter, r *http.Request, who string) {
	id, ok := pathID(r)
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "商户不存在 (no such merchant)"})
		return
	}
	var req notifyRequest
	if !decodeJSON(w, r, &req, false) {
		return
	}
	key := req.ClientMsgID
	if h := r.Header.Get("Idempotency-Key"); h != "" {
		key = h
	}
	if key != "" {
		key = "api-" + key
	}
	m, dup, err := s.svc.Notify(r.Context(), id, bind.Notification{Content: strings.TrimSpace(req.Content), Data: req.Data,
		URL: req.URL, IdemKey: key}, who)
	if err != nil {
		status, body, known := notifyError(err)
		if !known {
			s.internal(w, r, err)
			return
		}
		writeJSON(w, status, body)
		return
	}
	s.messageResponse(w, r, s.await(r.Context(), m), dup)
}

// apiNotifications serves GET /api/merchants/{id}/notifications: the latest 100 messages, newest
// first, each with every attempt.
func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request, _ string) {
	s.notificationsJSON(w, r)
}

// apiResend serves POST /api/merchants/{id}/notifications/{nid}/resend (重发 of a failed message).
func (s *Server) apiResend(w http.ResponseWriter, r *http.Request, who string) {
	id, ok1 := pathID(r)
	nid, ok2 := parseID(r.PathValue("nid"))
	if !ok1 || !ok2 {
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "商户或通知不存在 (no such merchant or message)"})
		return
	}
	m, err := s.svc.Resend(r.Context(), id, nid, who)
	if err != nil {
		status, body, known := notifyError(err)
		if !known {
			s.internal(w, r, err)
			return
		}
		writeJSON(w, status, body)
		return
	}
	s.messageResponse(w, r, s.await(r.Context(), m), false)
}

// loginReport is the optional body of the login hook.
type loginReport struct {
	At string `json:"at"` // RFC 3339; default now
}

// apiMerchantLogin serves the merchant platform's login hook (最后登录): POST
// /api/merchants/{id}/login or /api/merchants/by-login/{login}/login, with PLATFORM_API_TOKEN
// (or ADMIN_API_TOKEN), body {} or {"at": "2025-05-31T09:30:00+08:00"}.
func (s *Server) apiMerchantLogin(w http.ResponseWriter, r *http.Request, who string) {
	var req loginReport
	if !decodeJSON(w, r, &req, true) {
		return
	}
	now := s.cfg.Now()
	at := now
	if req.At != "" {
		t, err := time.Parse(time.RFC3339, req.At)
		if err != nil || t.After(now.Add(5*time.Minute)) || t.Before(now.AddDate(-1, 0, 0)) {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "bad_time", Message: "at 须为一年内的 RFC 3339 时间，不能晚于现在 (at must be an RFC 3339 time within the last year, not in the future)"})
			return
		}
		at = t
	}
	var m *store.Merchant
	var err error
	if login := r.PathValue("login"); login != "" {
		m, err = s.db.MerchantByLogin(r.Context(), login)
	} else if id, ok := pathID(r); ok {
		m, err = s.db.Merchant(r.Context(), id)
	} else {
		err = store.ErrNotFound
	}
	if err == nil {
		err = s.db.SetMerchantLastLogin(r.Context(), m.ID, at)
	}
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "商户不存在 (no such merchant)"})
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.cfg.Log.Debug("merchant-bind: merchant login reported", "merchant", m.ID, "by", who)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": m.ID, "last_login_at": s.rfc3339(maxTime(m.LastLoginAt, at))})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
