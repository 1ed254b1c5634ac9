package web

import (
	"net/http"
	"slices"
)

// demoUser reads the chosen demo WeChat user; only configured demo users may be simulated.
func (s *Server) demoUser(r *http.Request) (DemoUser, bool) {
	openid := r.PostFormValue("openid")
	i := slices.IndexFunc(s.cfg.Demo.Users(), func(u DemoUser) bool { return u.OpenID == openid })
	if i < 0 {
		return DemoUser{}, false
	}
	return s.cfg.Demo.Users()[i], true
}

// demoScan (模拟扫码) makes the embedded fake 公众号 deliver the real signed subscribe/SCAN event of
// the merchant's current code to /wx/callback, and answers the app's passive reply.
func (s *Server) demoScan(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	u, ok := s.demoUser(r)
	if !ok {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "bad_user", Message: "未知的演示微信用户 (unknown demo user)"})
		return
	}
	c, err := s.db.CurrentCode(r.Context(), m.ID, s.svc.Now())
	var scene string
	switch {
	case err == nil:
		scene = c.Ticket // the fake finds the code by ticket
	case m.Bound():
		// Rescanning a used code still shows the rules at work: find the newest code.
		codes, err := s.db.Codes(r.Context(), m.ID, 1)
		if err != nil || len(codes) == 0 {
			writeJSON(w, http.StatusConflict, apiError{Error: "no_code", Message: "请先生成绑定码 (generate a code first)"})
			return
		}
		scene = codes[0].Ticket
	default:
		writeJSON(w, http.StatusConflict, apiError{Error: "no_code", Message: "请先生成绑定码 (generate a code first)"})
		return
	}
	following := r.PostFormValue("following") == "1"
	s.svc.Audit(r.Context(), adminFrom(r.Context()).Username, "demo.simulate_scan", m.ID,
		"user="+u.Nickname+" following="+map[bool]string{true: "yes", false: "no"}[following])
	reply, err := s.cfg.Demo.SimulateScan(r.Context(), u.OpenID, scene, following)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, apiError{Error: "simulate_failed", Message: "模拟扫码失败 (simulation failed): " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"reply": reply, "user": u.Nickname})
}

// demoUnsubscribe (模拟取消关注) delivers an unsubscribe event from the merchant's bound openid.
func (s *Server) demoUnsubscribe(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	if !m.Bound() {
		s.redirect(w, r, "/merchants/"+itoa(m.ID), "err", "该商户未绑定微信 (not bound)")
		return
	}
	s.svc.Audit(r.Context(), adminFrom(r.Context()).Username, "demo.simulate_unsubscribe", m.ID, "")
	if err := s.cfg.Demo.Unsubscribe(r.Context(), m.OpenID); err != nil {
		s.redirect(w, r, "/merchants/"+itoa(m.ID), "err", "模拟失败 (simulation failed): "+err.Error())
		return
	}
	s.redirect(w, r, "/merchants/"+itoa(m.ID), "ok", "已模拟取消关注：绑定已失效，历史保留 (unsubscribed: binding inactive, history kept)")
}
