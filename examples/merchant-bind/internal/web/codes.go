package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/qrcode"
)

// codeView is a binding code as the dialog shows it (JSON) and the detail page renders it.
type codeView struct {
	MerchantID int64  `json:"merchant_id"`
	Merchant   string `json:"merchant"`
	Scene      string `json:"scene"`
	ExpiresAt  string `json:"expires_at"`
	Image      string `json:"image"`      // our locally rendered PNG
	Download   string `json:"download"`   // the same, as an attachment
	ShowQRCode string `json:"showqrcode"` // WeChat's image link, for sharing
}

func (s *Server) codeView(m *store.Merchant, c *store.Code) *codeView {
	img := "/merchants/" + itoa(m.ID) + "/code.png?ticket=" + url.QueryEscape(c.Ticket)
	return &codeView{MerchantID: m.ID, Merchant: m.Name, Scene: c.Scene, ExpiresAt: s.fmtTime(c.ExpiresAt),
		Image: img, Download: img + "&download=1", ShowQRCode: s.svc.ImageURL(c.Ticket)}
}

// codeCurrent answers the merchant's valid code as JSON, or 404 when there is none.
func (s *Server) codeCurrent(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	if m.Bound() {
		writeJSON(w, http.StatusConflict, apiError{Error: "already_bound", Message: "该商户已绑定微信 (merchant already bound)"})
		return
	}
	c, err := s.db.CurrentCode(r.Context(), m.ID, s.svc.Now())
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, apiError{Error: "no_code", Message: "尚无有效绑定码 (no valid code)"})
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.codeView(m, c))
}

// codeIssue generates a new code (生成绑定码), replacing earlier ones.
func (s *Server) codeIssue(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	c, err := s.svc.IssueCode(r.Context(), m.ID, adminFrom(r.Context()).Username)
	if err != nil {
		status, code, msg := issueError(err)
		if status == http.StatusInternalServerError {
			s.cfg.Log.Error("merchant-bind: issue code", "merchant", m.ID, "err", err)
		}
		if wantsJSON(r) {
			writeJSON(w, status, withWeChat(apiError{Error: code, Message: msg}, err))
			return
		}
		s.redirect(w, r, "/merchants/"+itoa(m.ID), "err", msg)
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusCreated, s.codeView(m, c))
		return
	}
	s.redirect(w, r, "/merchants/"+itoa(m.ID)+"#code", "ok", "已生成绑定码 (code generated)")
}

func issueError(err error) (int, string, string) {
	switch {
	case errors.Is(err, bind.ErrDisabled):
		return http.StatusConflict, "disabled", "商户已停用，不能生成绑定码 (merchant disabled)"
	case errors.Is(err, bind.ErrAlreadyBound):
		return http.StatusConflict, "already_bound", "商户已绑定微信，请先解除绑定 (already bound; unbind first)"
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not_found", "商户不存在 (no such merchant)"
	}
	if desc, ok := wechatError(err); ok {
		return http.StatusBadGateway, "wechat_error", "生成二维码失败 (WeChat refused): " + desc
	}
	return http.StatusBadGateway, "issue_failed", "生成二维码失败 (could not create the QR code): " + err.Error()
}

// codePNG renders a code's QR content locally (no call to showqrcode).
func (s *Server) codePNG(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	c, err := s.db.CodeByTicket(r.Context(), r.URL.Query().Get("ticket"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.MerchantID != id) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	size := 430
	if n, err := strconv.Atoi(r.URL.Query().Get("size")); err == nil && n >= 128 && n <= 1024 {
		size = n
	}
	png, err := qrcode.PNG(c.URL, size)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if r.URL.Query().Get("download") == "1" {
		w.Header().Set("Content-Disposition", `attachment; filename="bind-code-`+itoa(id)+`.png"`)
	}
	_, _ = w.Write(png)
}
