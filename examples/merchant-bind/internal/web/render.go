package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

var pageNames = []string{"login", "error", "merchants", "merchant", "form", "audit", "admins", "account", "created"}

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"time": s.fmtTime,
		"minute": func(t time.Time) string { // lists: to the minute; the title holds the seconds
			if t.IsZero() {
				return "—"
			}
			return t.In(s.loc).Format("2006-01-02 15:04")
		},
		"state": func(c store.Code) string { return c.State(s.svc.Now()) },
		"pageURL": func(base string, q url.Values, page int) string {
			v := url.Values{}
			for k, vs := range q {
				v[k] = vs
			}
			v.Set("page", strconv.Itoa(page))
			return base + "?" + v.Encode()
		},
		"withParam": func(base string, q url.Values, k, val string) string {
			v := url.Values{}
			for k, vs := range q {
				v[k] = vs
			}
			v.Set(k, val)
			return base + "?" + v.Encode()
		},
		"add":         func(a, b int) int { return a + b },
		"msgStatus":   msgStatus,
		"channelName": channelName,
		"kindName":    kindName,
		"attemptName": attemptName,
		"roleName":    roleName,
	}
	s.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		s.pages[name] = t
	}
	return nil
}

// page is what every template gets.
type page struct {
	Title    string
	Nav      string
	Admin    *store.Admin
	CanWrite bool
	CSRF     string
	Flash    *flash
	Demo     bool
	Account  string
	Data     any
}

// render writes a full page. The CSRF cookie is issued here when missing.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	a := adminFrom(r.Context())
	p := page{Title: title, Nav: name, Admin: a, CanWrite: a != nil && a.CanWrite(), CSRF: s.csrfToken(w, r),
		Flash: s.takeFlash(w, r), Demo: s.cfg.Demo != nil, Account: s.cfg.AccountName, Data: data}
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, p); err != nil {
		s.cfg.Log.Error("merchant-bind: render", "page", name, "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// flash is a one-time message shown on the next page: at the top, or inside the section named
// Target (where the admin is looking, e.g. the notify form).
type flash struct {
	Kind   string `json:"k"` // ok, err, warn
	Msg    string `json:"m"`
	Target string `json:"t,omitempty"`
}

const flashCookie = "mb_flash"

// redirect sends the browser to target with a flash message shown at the top.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, target, kind, msg string) {
	s.redirectTo(w, r, target, flash{Kind: kind, Msg: msg})
}

// redirectTo sends the browser to target with f; a Target section is scrolled to.
func (s *Server) redirectTo(w http.ResponseWriter, r *http.Request, target string, f flash) {
	if f.Msg != "" {
		b, _ := json.Marshal(f)
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r), MaxAge: 60})
	}
	if f.Target != "" {
		target += "#" + f.Target
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, Expires: time.Unix(1, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil || f.Msg == "" || !store.ValidText(f.Msg, true) {
		return nil
	}
	return &f
}

// Names people read.

func msgStatus(st string) string {
	switch st {
	case store.MsgSent:
		return "已发送 Sent"
	case store.MsgFailed:
		return "发送失败 Failed"
	}
	return "待发送 Pending"
}

func channelName(c string) string {
	if c == store.ChannelCustom {
		return "客服消息 Customer-service text"
	}
	return "模板消息 Template"
}

func kindName(k string) string {
	if k == store.KindWelcome {
		return "欢迎消息 Welcome"
	}
	return "通知 Notification"
}

func attemptName(r string) string {
	switch r {
	case store.AttemptOK:
		return "成功 OK"
	case store.AttemptError:
		return "失败 Error"
	case store.AttemptInterrupted:
		return "中断 Interrupted"
	}
	return "进行中 In progress"
}

func roleName(r string) string {
	if r == store.RoleReadOnly {
		return "只读 Read-only"
	}
	return "管理员 Admin"
}
