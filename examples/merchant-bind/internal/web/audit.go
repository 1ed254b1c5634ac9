package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

const auditPerPage = 50

// auditKinds are the audit page's kinds.
var auditKinds = []struct{ Prefix, Label string }{
	{"", "全部 All"},
	{"bind.", "绑定 Binding"},
	{"code.", "绑定码 Codes"},
	{"notify.", "通知 Notifications"},
	{"welcome.", "欢迎消息 Welcome"},
	{"merchant.", "商户 Merchants"},
	{"admin.", "登录与管理员 Sign-in & admins"},
	{"demo.", "演示 Demo"},
}

type auditData struct {
	Entries     []store.AuditEntry
	Total       int
	Page, Pages int
	Kind        string
	Kinds       []struct{ Prefix, Label string }
	Who         string
	Actors      []string
	Merchant    string
	From, To    string // YYYY-MM-DD, Beijing time
	Params      url.Values
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := auditData{Page: 1, Kinds: auditKinds, Who: q.Get("who"), Merchant: q.Get("merchant"), From: q.Get("from"), To: q.Get("to"),
		Params: url.Values{}}
	aq := store.AuditQuery{Who: d.Who}
	bad := func(msg string) { s.fail(w, r, http.StatusBadRequest, "bad_filter", msg) }
	known := false
	for _, k := range auditKinds {
		known = known || q.Get("kind") == k.Prefix
	}
	if !known {
		bad("未知的操作类型 (unknown kind)")
		return
	}
	d.Kind, aq.Prefix = q.Get("kind"), q.Get("kind")
	if d.Merchant != "" {
		id, ok := parseID(d.Merchant)
		if !ok {
			bad("商户编号须为正整数 (merchant must be a positive number)")
			return
		}
		aq.MerchantID = id
	}
	for _, f := range []struct {
		v   string
		dst *time.Time
		add int
	}{{d.From, &aq.From, 0}, {d.To, &aq.To, 1}} {
		if f.v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", f.v, s.loc)
		if err != nil {
			bad("日期格式须为 YYYY-MM-DD (date must be YYYY-MM-DD)")
			return
		}
		*f.dst = t.AddDate(0, 0, f.add) // "to" includes that whole day
	}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			bad("页码无效 (invalid page number)")
			return
		}
		d.Page = n
	}
	aq.Offset, aq.Limit = (d.Page-1)*auditPerPage, auditPerPage
	var err error
	d.Entries, d.Total, err = s.db.AuditLog(r.Context(), aq)
	if s.badRequest(w, r, err) {
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	admins, err := s.db.Admins(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for _, a := range admins {
		d.Actors = append(d.Actors, a.Username)
	}
	d.Actors = append(d.Actors, "api", "platform", "system", "shell")
	d.Pages = max(1, (d.Total+auditPerPage-1)/auditPerPage)
	for k, v := range map[string]string{"kind": d.Kind, "who": d.Who, "merchant": d.Merchant, "from": d.From, "to": d.To} {
		if v != "" {
			d.Params.Set(k, v)
		}
	}
	s.render(w, r, http.StatusOK, "audit", "审计日志 Audit log", d)
}
