package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/wecom"
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

// codeIssue generates a new code (生成绑定码), replacing earlier ones. While a valid code exists
// it asks for replace=1 (the dialog's 生成新码 confirms first): a new code makes the one a merchant
// may be holding useless at once.
func (s *Server) codeIssue(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	if cur, err := s.db.CurrentCode(r.Context(), m.ID, s.svc.Now()); err == nil && !m.Bound() && r.PostFormValue("replace") != "1" {
		msg := "该商户已有有效绑定码（有效期至 " + s.fmtTime(cur.ExpiresAt) + "），生成新码会使旧码立即失效，请确认 (a valid code exists; confirm to replace it)"
		if wantsJSON(r) {
			writeJSON(w, http.StatusConflict, apiError{Error: "code_exists", Message: msg})
			return
		}
		s.redirect(w, r, "/merchants/"+itoa(m.ID), "err", msg)
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

// codePNG renders a code's QR content locally (no call to showqrcode). The download (download=1)
// is a label: the code with the merchant's name and its expiry printed under it, so that a
// printed or forwarded image says whose it is and until when it works.
func (s *Server) codePNG(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	size := 430
	if v := r.URL.Query().Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 128 || n > 1024 {
			s.fail(w, r, http.StatusBadRequest, "bad_size", "图片尺寸须为 128–1024 像素 (size must be 128–1024)")
			return
		}
		size = n
	}
	c, err := s.db.CodeByTicket(r.Context(), r.URL.Query().Get("ticket"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.MerchantID != m.ID) {
		s.fail(w, r, http.StatusNotFound, "not_found", "绑定码不存在 (no such code)")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	download := r.URL.Query().Get("download") == "1"
	var png []byte
	if download {
		png, err = qrcode.Label(qrcode.LabelSpec{Content: c.URL, Code: m.Name, Name: "有效期至 " + s.fmtTime(c.ExpiresAt)},
			&qrcode.LabelOptions{Width: max(size, 480)})
	} else {
		png, err = qrcode.PNG(c.URL, size)
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if download {
		name := "绑定码-" + m.Name + ".png"
		w.Header().Set("Content-Disposition", `attachment; filename="bind-code-`+itoa(m.ID)+`.png"; filename*=UTF-8''`+url.PathEscape(name))
	}
	_, _ = w.Write(png)
}

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
