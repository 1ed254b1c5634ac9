package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

const auditPerPage = 50

// auditKinds are the filters of the audit page.
var auditKinds = []struct{ Prefix, Label string }{
	{"", "全部 All"},
	{"bind.", "绑定 Binding"},
	{"code.", "绑定码 Codes"},
	{"notify.", "通知 Notifications"},
	{"welcome.", "欢迎消息 Welcome"},
	{"merchant.", "商户 Merchants"},
	{"admin.", "登录 Sign-in"},
	{"demo.", "演示 Demo"},
}

type auditData struct {
	Entries     []store.AuditEntry
	Total       int
	Page, Pages int
	Kind        string
	Kinds       []struct{ Prefix, Label string }
	Params      url.Values
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := auditData{Page: 1, Kinds: auditKinds}
	for _, k := range auditKinds {
		if q.Get("kind") == k.Prefix {
			d.Kind = k.Prefix
		}
	}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 {
		d.Page = p
	}
	var err error
	d.Entries, d.Total, err = s.db.AuditLog(r.Context(), store.AuditQuery{Prefix: d.Kind,
		Offset: (d.Page - 1) * auditPerPage, Limit: auditPerPage})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d.Pages = max(1, (d.Total+auditPerPage-1)/auditPerPage)
	d.Params = url.Values{}
	if d.Kind != "" {
		d.Params.Set("kind", d.Kind)
	}
	s.render(w, r, http.StatusOK, "audit", "审计日志 Audit log", d)
}
