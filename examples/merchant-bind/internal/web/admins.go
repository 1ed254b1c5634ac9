package web

import (
	"crypto/rand"
	"errors"
	"math/big"
	"net/http"
	"strings"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

type adminsData struct {
	Admins []store.Admin
	Self   int64
	Error  string
	Input  struct{ Username, Role string }
}

// adminsPage lists the admins with their role and status, and the form to add one (管理员 only).
func (s *Server) adminsPage(w http.ResponseWriter, r *http.Request) {
	s.renderAdmins(w, r, http.StatusOK, adminsData{})
}

func (s *Server) renderAdmins(w http.ResponseWriter, r *http.Request, status int, d adminsData) {
	var err error
	if d.Admins, err = s.db.Admins(r.Context()); err != nil {
		s.internal(w, r, err)
		return
	}
	d.Self = adminFrom(r.Context()).ID
	if d.Input.Role == "" {
		d.Input.Role = store.RoleReadOnly
	}
	s.render(w, r, status, "admins", "管理员 Admins", d)
}

// GeneratePassword returns a random password people can type: 16 characters without look-alikes.
func GeneratePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}

type createdData struct {
	Username, Password, Note string
}

// adminCreate adds an admin with a generated password, shown once on the answer page.
func (s *Server) adminCreate(w http.ResponseWriter, r *http.Request) {
	var d adminsData
	d.Input.Username, d.Input.Role = strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("role")
	pw := GeneratePassword()
	hash, err := HashPassword(pw)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	a, err := s.db.CreateAdmin(r.Context(), d.Input.Username, hash, d.Input.Role, s.cfg.Now())
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		d.Error = ve.Msg
	case errors.Is(err, store.ErrDuplicate):
		d.Error = "用户名已存在（不区分大小写）(username taken)"
	case err != nil:
		s.internal(w, r, err)
		return
	}
	if d.Error != "" {
		d.Input.Username = store.SafeText(d.Input.Username, 64)
		s.renderAdmins(w, r, http.StatusBadRequest, d)
		return
	}
	s.svc.Audit(r.Context(), adminFrom(r.Context()).Username, "admin.create", 0, "username="+a.Username+" role="+a.Role)
	s.render(w, r, http.StatusOK, "created", "管理员已添加 Admin added", createdData{Username: a.Username, Password: pw,
		Note: "请把初始密码安全地交给对方，并请其登录后在「我的账号」修改 (hand the password over safely; they should change it in 我的账号)"})
}

// loadAdmin reads the {id} admin or answers 404.
func (s *Server) loadAdmin(w http.ResponseWriter, r *http.Request) (*store.Admin, bool) {
	id, ok := pathID(r)
	var a *store.Admin
	err := store.ErrNotFound
	if ok {
		a, err = s.db.AdminByID(r.Context(), id)
	}
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "not_found", "管理员不存在 (no such admin)")
		return nil, false
	}
	if err != nil {
		s.internal(w, r, err)
		return nil, false
	}
	return a, true
}

// adminStatus disables (ending the admin's sessions at once) or enables an admin.
func (s *Server) adminStatus(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadAdmin(w, r)
	if !ok {
		return
	}
	disable := r.PostFormValue("status") == "disabled"
	if !disable && r.PostFormValue("status") != "active" {
		s.fail(w, r, http.StatusBadRequest, "bad_status", "未知状态 (unknown status)")
		return
	}
	me := adminFrom(r.Context())
	if disable && a.ID == me.ID {
		s.redirect(w, r, "/admins", "err", "不能禁用自己 (you cannot disable yourself)")
		return
	}
	err := s.db.SetAdminDisabled(r.Context(), a.ID, disable, s.cfg.Now())
	if errors.Is(err, store.ErrLastAdmin) {
		s.redirect(w, r, "/admins", "err", "至少要保留一个正常的管理员 (the last enabled admin cannot be disabled)")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	what, msg := "admin.enable", "已启用 "+a.Username+" (enabled)"
	if disable {
		what, msg = "admin.disable", "已禁用 "+a.Username+"，其登录已全部失效 (disabled; signed out everywhere)"
	}
	s.svc.Audit(r.Context(), me.Username, what, 0, "username="+a.Username)
	s.redirect(w, r, "/admins", "ok", msg)
}

// adminRole changes an admin's role.
func (s *Server) adminRole(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadAdmin(w, r)
	if !ok {
		return
	}
	role := r.PostFormValue("role")
	err := s.db.SetAdminRole(r.Context(), a.ID, role)
	if s.badRequest(w, r, err) {
		return
	}
	if errors.Is(err, store.ErrLastAdmin) {
		s.redirect(w, r, "/admins", "err", "至少要保留一个正常的管理员 (the last enabled admin must stay an admin)")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.svc.Audit(r.Context(), adminFrom(r.Context()).Username, "admin.role", 0, "username="+a.Username+" role="+role)
	s.redirect(w, r, "/admins", "ok", a.Username+" 的角色已改为 "+roleName(role)+" (role changed)")
}

// adminResetPassword gives another admin a new generated password (shown once) and ends their
// sessions.
func (s *Server) adminResetPassword(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadAdmin(w, r)
	if !ok {
		return
	}
	pw := GeneratePassword()
	hash, err := HashPassword(pw)
	if err == nil {
		err = s.db.SetAdminPassword(r.Context(), a.ID, hash, s.cfg.Now())
	}
	if err == nil {
		err = s.db.ClearLoginFailures(r.Context(), AccountKey(a.Username))
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.svc.Audit(r.Context(), adminFrom(r.Context()).Username, "admin.reset_password", 0, "username="+a.Username)
	s.render(w, r, http.StatusOK, "created", "密码已重置 Password reset", createdData{Username: a.Username, Password: pw,
		Note: "该管理员的所有登录已失效 (their sessions have ended)"})
}
