package web

import (
	"errors"
	"net/http"

	"golang.org/x/crypto/bcrypt"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

type accountData struct {
	Sessions []store.Session
	Current  string
	Error    string
}

// accountPage is 我的账号: change my password, my signed-in browsers.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, "")
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, msg string) {
	d := accountData{Current: sessionFrom(r.Context()).ID, Error: msg}
	var err error
	if d.Sessions, err = s.db.AdminSessions(r.Context(), adminFrom(r.Context()).ID, s.cfg.Now()); err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, status, "account", "我的账号 My account", d)
}

// accountPassword changes the signed-in admin's password: every session ends (the old cookie
// anywhere is then useless) and this browser gets a new one.
func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) {
	a := adminFrom(r.Context())
	cur, next, again := r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("confirm")
	switch {
	case bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(cur)) != nil:
		s.svc.Audit(r.Context(), a.Username, "admin.password_failed", 0, "wrong current password ip="+s.clientIP(r))
		s.renderAccount(w, r, http.StatusBadRequest, "当前密码不正确 (current password is wrong)")
		return
	case next != again:
		s.renderAccount(w, r, http.StatusBadRequest, "两次输入的新密码不一致 (the new passwords differ)")
		return
	case next == cur:
		s.renderAccount(w, r, http.StatusBadRequest, "新密码不能与当前密码相同 (choose a different password)")
		return
	}
	hash, err := HashPassword(next)
	if errors.Is(err, ErrWeakPassword) {
		s.renderAccount(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if err == nil {
		err = s.db.SetAdminPassword(r.Context(), a.ID, hash, s.cfg.Now())
	}
	if err == nil {
		err = s.startSession(r.Context(), w, r, a)
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.svc.Audit(r.Context(), a.Username, "admin.password", 0, "password changed; every session ended ip="+s.clientIP(r))
	s.redirect(w, r, "/account", "ok", "密码已修改，其他设备上的登录已全部失效 (password changed; signed out everywhere else)")
}

// accountRevokeOthers signs the admin out everywhere but here.
func (s *Server) accountRevokeOthers(w http.ResponseWriter, r *http.Request) {
	a := adminFrom(r.Context())
	if err := s.db.RevokeAdminSessions(r.Context(), a.ID, sessionFrom(r.Context()).ID, s.cfg.Now()); err != nil {
		s.internal(w, r, err)
		return
	}
	s.svc.Audit(r.Context(), a.Username, "admin.signout_others", 0, "ip="+s.clientIP(r))
	s.redirect(w, r, "/account", "ok", "已退出其他设备 (signed out everywhere else)")
}
