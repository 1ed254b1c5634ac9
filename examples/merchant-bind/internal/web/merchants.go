package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

const perPage = 20

type listData struct {
	Query, Bound, Status string
	Merchants            []store.Merchant
	Total                int
	All, BoundN          int
	Page, Pages          int
	Params               url.Values // the filter, without the page
	DemoUsers            []DemoUser
}

// listFilter reads the list's filter from the query; bad values are a ValidationError.
func listFilter(q url.Values) (store.Filter, url.Values) {
	f := store.Filter{Query: q.Get("q"), Bound: q.Get("bound"), Status: q.Get("status")}
	params := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "bound": f.Bound, "status": f.Status} {
		if v != "" {
			params.Set(k, v)
		}
	}
	return f, params
}

func (s *Server) merchantList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, params := listFilter(q)
	d := listData{Query: f.Query, Bound: f.Bound, Status: f.Status, Page: 1, Params: params}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			s.fail(w, r, http.StatusBadRequest, "bad_page", "页码无效 (invalid page number)")
			return
		}
		d.Page = n
	}
	f.Offset, f.Limit = (d.Page-1)*perPage, perPage
	var err error
	d.Merchants, d.Total, err = s.db.ListMerchants(r.Context(), f)
	if s.badRequest(w, r, err) {
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if d.All, d.BoundN, err = s.db.CountMerchants(r.Context()); err != nil {
		s.internal(w, r, err)
		return
	}
	d.Pages = max(1, (d.Total+perPage-1)/perPage)
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

// formError re-renders the form (400) with a Chinese message for a validation or duplicate error.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, d formData, err error) bool {
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		d.Field = ve.Field
		d.Error = fieldLabel(ve.Field) + "：" + ve.Msg
	case errors.Is(err, store.ErrDuplicate):
		d.Field, d.Error = "login", "登录名已被使用（不区分大小写）(login already taken)"
	default:
		return false
	}
	title := "新建商户 New merchant"
	if d.Merchant != nil {
		title = "编辑商户 Edit merchant"
	}
	d.Input.Name, d.Input.Contact = store.SafeText(d.Input.Name, 200), store.SafeText(d.Input.Contact, 200)
	s.render(w, r, http.StatusBadRequest, "form", title, d)
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
	s.svc.Audit(r.Context(), adminFrom(r.Context()).Username, "merchant.create", m.ID, "name="+m.Name+" login="+m.Login)
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
	if s.badRequest(w, r, err) {
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	msg, what := "商户已恢复正常 (merchant enabled)", "merchant.enable"
	if status == store.StatusDisabled {
		msg, what = "商户已禁用 (merchant disabled)", "merchant.disable"
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
	M             *store.Merchant
	Code          *codeView
	Bindings      []store.Binding
	Codes         []store.Code
	Audit         []store.AuditEntry
	Notifications []notificationView
	IdemKey       string // of the notify form: a double-clicked 发送 sends once
	WindowOpen    bool   // 客服消息 possible (48 hours after the last interaction)
	HasTemplate   bool
	DemoUsers     []DemoUser
}

func (s *Server) merchantDetail(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMerchant(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d := detailData{M: m, IdemKey: newIdemKey(), HasTemplate: s.svc.NotifyTemplateID() != "",
		WindowOpen: m.InWindow(s.svc.Now())}
	var err error
	if c, err := s.db.CurrentCode(ctx, m.ID, s.svc.Now()); err == nil && !m.Bound() {
		d.Code = s.codeView(m, c)
	}
	if d.Bindings, err = s.db.Bindings(ctx, m.ID); err == nil {
		if d.Codes, err = s.db.Codes(ctx, m.ID, 10); err == nil {
			if d.Audit, _, err = s.db.AuditLog(ctx, store.AuditQuery{MerchantID: m.ID, Limit: 20}); err == nil {
				d.Notifications, err = s.notifications(r, m.ID, 20)
			}
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

func newIdemKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
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
