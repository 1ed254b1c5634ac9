package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

const perPage = 20

type listData struct {
	Query, Bound string
	Merchants    []store.Merchant
	Total        int
	All, BoundN  int
	Page, Pages  int
	Params       url.Values
	DemoUsers    []DemoUser
}

func (s *Server) merchantList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := listData{Query: q.Get("q"), Bound: q.Get("bound"), Page: 1}
	if d.Bound != store.BoundYes && d.Bound != store.BoundNo {
		d.Bound = store.BoundAny
	}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 {
		d.Page = p
	}
	var err error
	d.Merchants, d.Total, err = s.db.ListMerchants(r.Context(), store.Filter{Query: d.Query, Bound: d.Bound,
		Offset: (d.Page - 1) * perPage, Limit: perPage})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if d.All, d.BoundN, err = s.db.CountMerchants(r.Context()); err != nil {
		s.internal(w, r, err)
		return
	}
	d.Pages = max(1, (d.Total+perPage-1)/perPage)
	d.Params = url.Values{}
	if d.Query != "" {
		d.Params.Set("q", d.Query)
	}
	if d.Bound != "" {
		d.Params.Set("bound", d.Bound)
	}
	if s.cfg.Demo != nil {
		d.DemoUsers = s.cfg.Demo.Users()
	}
	s.render(w, r, http.StatusOK, "merchants", "商户 Merchants", d)
}

type formData struct {
	Merchant *store.Merchant // nil: new
	Input    store.MerchantInput
	Error    string
	Field    string
}

func (s *Server) merchantNew(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "form", "新建商户 New merchant", formData{})
}

func (s *Server) merchantEdit(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "form", "编辑商户 Edit merchant",
		formData{Merchant: m, Input: store.MerchantInput{Name: m.Name, Login: m.Login, Contact: m.Contact, Phone: m.Phone}})
}

func formInput(r *http.Request) store.MerchantInput {
	return store.MerchantInput{Name: r.PostFormValue("name"), Login: r.PostFormValue("login"),
		Contact: r.PostFormValue("contact"), Phone: r.PostFormValue("phone")}
}

// formError re-renders the form with a message for a validation or duplicate error.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, d formData, err error) bool {
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		d.Field = ve.Field
		d.Error = fieldLabel(ve.Field) + "：" + ve.Msg
	case errors.Is(err, store.ErrDuplicate):
		d.Field, d.Error = "login", "登录名已被使用 (login already taken)"
	default:
		return false
	}
	title := "新建商户 New merchant"
	if d.Merchant != nil {
		title = "编辑商户 Edit merchant"
	}
	s.render(w, r, http.StatusUnprocessableEntity, "form", title, d)
	return true
}

func fieldLabel(f string) string {
	switch f {
	case "name":
		return "商户名称 Name"
	case "login":
		return "登录名 Login"
	case "contact":
		return "联系人 Contact"
	case "phone":
		return "电话 Phone"
	}
	return f
}

func (s *Server) merchantCreate(w http.ResponseWriter, r *http.Request) {
	in := formInput(r)
	m, err := s.db.CreateMerchant(r.Context(), in, s.svc.Now())
	if err != nil {
		if !s.formError(w, r, formData{Input: in}, err) {
			s.internal(w, r, err)
		}
		return
	}
	a := adminFrom(r.Context())
	s.svc.Audit(r.Context(), a.Username, "merchant.create", m.ID, "name="+m.Name+" login="+m.Login)
	s.redirect(w, r, "/merchants/"+itoa(m.ID), "ok", "商户已创建 (merchant created)")
}

func (s *Server) merchantUpdate(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	in := formInput(r)
	if err := s.db.UpdateMerchant(r.Context(), m.ID, in); err != nil {
		if !s.formError(w, r, formData{Merchant: m, Input: in}, err) {
			s.internal(w, r, err)
		}
		return
	}
	s.svc.Audit(r.Context(), adminFrom(r.Context()).Username, "merchant.update", m.ID,
		"name="+in.Name+" login="+in.Login+" contact="+in.Contact+" phone="+in.Phone)
	s.redirect(w, r, "/merchants/"+itoa(m.ID), "ok", "已保存 (saved)")
}

func (s *Server) merchantStatus(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	status := r.PostFormValue("status")
	changed, err := s.db.SetMerchantStatus(r.Context(), m.ID, status)
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		s.fail(w, r, http.StatusBadRequest, "bad_status", "未知状态 (unknown status)")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	msg := "商户已启用 (merchant enabled)"
	what := "merchant.enable"
	if status == store.StatusDisabled {
		msg, what = "商户已停用 (merchant disabled)", "merchant.disable"
	}
	if changed {
		s.svc.Audit(r.Context(), adminFrom(r.Context()).Username, what, m.ID, "")
	}
	s.redirect(w, r, "/merchants/"+itoa(m.ID), "ok", msg)
}

func (s *Server) merchantUnbind(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	err := s.svc.Unbind(r.Context(), m.ID, adminFrom(r.Context()).Username)
	switch {
	case errors.Is(err, bind.ErrNotBound):
		s.redirect(w, r, "/merchants/"+itoa(m.ID), "err", "该商户未绑定微信 (merchant is not bound)")
	case err != nil:
		s.internal(w, r, err)
	default:
		s.redirect(w, r, "/merchants/"+itoa(m.ID), "ok", "已解除绑定，绑定历史已保留 (unbound; history kept)")
	}
}

type detailData struct {
	M         *store.Merchant
	Code      *codeView
	Bindings  []store.Binding
	Codes     []store.Code
	Audit     []store.AuditEntry
	DemoUsers []DemoUser
}

func (s *Server) merchantDetail(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d := detailData{M: m}
	var err error
	if c, err := s.db.CurrentCode(ctx, m.ID, s.svc.Now()); err == nil && !m.Bound() {
		d.Code = s.codeView(m, c)
	}
	if d.Bindings, err = s.db.Bindings(ctx, m.ID); err == nil {
		if d.Codes, err = s.db.Codes(ctx, m.ID, 10); err == nil {
			d.Audit, _, err = s.db.AuditLog(ctx, store.AuditQuery{MerchantID: m.ID, Limit: 20})
		}
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if s.cfg.Demo != nil {
		d.DemoUsers = s.cfg.Demo.Users()
	}
	s.render(w, r, http.StatusOK, "merchant", m.Name, d)
}

// loadMerchant reads the {id} merchant or answers 404.
func (s *Server) loadMerchant(w http.ResponseWriter, r *http.Request) (*store.Merchant, bool) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, "not_found", "商户不存在 (no such merchant)")
		return nil, false
	}
	m, err := s.db.Merchant(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "not_found", "商户不存在 (no such merchant)")
		return nil, false
	}
	if err != nil {
		s.internal(w, r, err)
		return nil, false
	}
	return m, true
}
