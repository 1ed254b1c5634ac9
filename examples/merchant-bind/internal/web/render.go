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

var pageNames = []string{"login", "error", "merchants", "merchant", "form", "audit"}

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"time":  s.fmtTime,
		"state": func(c store.Code) string { return c.State(s.svc.Now()) },
		"pageURL": func(base string, q url.Values, page int) string {
			v := url.Values{}
			for k, vs := range q {
				v[k] = vs
			}
			v.Set("page", strconv.Itoa(page))
			return base + "?" + v.Encode()
		},
		"add": func(a, b int) int { return a + b },
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
	Title   string
	Nav     string
	Admin   *store.Admin
	CSRF    string
	Flash   *flash
	Demo    bool
	Account string
	Data    any
}

// render writes a full page. The CSRF cookie is issued here when missing.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	p := page{Title: title, Nav: name, Admin: adminFrom(r.Context()), CSRF: s.csrfToken(w, r),
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

// flash is a one-time message shown on the next page.
type flash struct {
	Kind string `json:"k"` // ok, err
	Msg  string `json:"m"`
}

const flashCookie = "mb_flash"

// redirect sends the browser to target with a flash message.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, target, kind, msg string) {
	if msg != "" {
		b, _ := json.Marshal(flash{kind, msg})
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies, MaxAge: 60})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, Expires: time.Unix(1, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil || f.Msg == "" {
		return nil
	}
	return &f
}
