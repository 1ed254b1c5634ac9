package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Demo is the demo mode's simulator: it makes the embedded fake 公众号 deliver real, signed events
// to the app's own callback. Nil in real mode.
type Demo interface {
	Users() []DemoUser
	// SimulateScan delivers the subscribe (following=false) or SCAN event of scanning the code with
	// scene and returns the text of the app's passive reply.
	SimulateScan(ctx context.Context, openid, scene string, following bool) (reply string, err error)
	// Unsubscribe delivers an unsubscribe event from openid.
	Unsubscribe(ctx context.Context, openid string) error
}

// DemoUser is a WeChat user of the demo 公众号.
type DemoUser struct {
	OpenID   string
	Nickname string
}

// Config configures the web handler. Service and SessionKey are required.
type Config struct {
	Service       *bind.Service
	Callback      http.Handler // the 公众号 callback, served at /wx/callback
	SessionKey    []byte       // at least 32 bytes; signs session and CSRF cookies
	APIToken      string       // Bearer token of the JSON API; "" disables the API
	SecureCookies bool         // set when served over HTTPS
	SessionTTL    time.Duration
	Demo          Demo   // demo mode only
	AccountName   string // the 公众号's name, shown in the header
	Log           *slog.Logger
}

// Server is the web handler.
type Server struct {
	cfg     Config
	svc     *bind.Service
	db      *store.DB
	mux     *http.ServeMux
	pages   map[string]*template.Template
	limiter *loginLimiter
	loc     *time.Location
}

// New returns the web handler.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("web: Service is required")
	}
	if len(cfg.SessionKey) < 32 {
		return nil, errors.New("web: SessionKey must be at least 32 bytes")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.AccountName == "" {
		cfg.AccountName = "公众号"
	}
	s := &Server{cfg: cfg, svc: cfg.Service, db: cfg.Service.Store(), mux: http.NewServeMux(),
		limiter: newLoginLimiter(), loc: time.FixedZone("CST", 8*3600)}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	if s.cfg.Callback != nil {
		s.mux.Handle("/wx/callback", s.cfg.Callback)
	}
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.Handle("POST /login", s.csrf(http.HandlerFunc(s.login)))
	s.mux.Handle("POST /logout", s.csrf(http.HandlerFunc(s.logout)))

	admin := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.requireAdmin(s.csrf(h))) }
	admin("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/merchants", http.StatusSeeOther) })
	admin("GET /merchants", s.merchantList)
	admin("GET /merchants/new", s.merchantNew)
	admin("POST /merchants", s.merchantCreate)
	admin("GET /merchants/{id}", s.merchantDetail)
	admin("GET /merchants/{id}/edit", s.merchantEdit)
	admin("POST /merchants/{id}", s.merchantUpdate)
	admin("POST /merchants/{id}/status", s.merchantStatus)
	admin("POST /merchants/{id}/unbind", s.merchantUnbind)
	admin("GET /merchants/{id}/code", s.codeCurrent)
	admin("POST /merchants/{id}/code", s.codeIssue)
	admin("GET /merchants/{id}/code.png", s.codePNG)
	admin("POST /merchants/{id}/notify", s.notifyForm)
	admin("GET /audit", s.auditPage)
	if s.cfg.Demo != nil {
		admin("POST /demo/merchants/{id}/scan", s.demoScan)
		admin("POST /demo/merchants/{id}/unsubscribe", s.demoUnsubscribe)
	}
	s.mux.HandleFunc("POST /api/merchants/{id}/notify", s.apiNotify)
}

// ServeHTTP implements http.Handler, adding security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "+
		"frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	s.mux.ServeHTTP(w, r)
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// pathID parses the {id} path value.
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// wantsJSON reports whether the client asked for JSON (the dialog's fetch calls do).
func wantsJSON(r *http.Request) bool {
	return r.Header.Get("Accept") == "application/json"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError is the JSON error body: a stable code, a human message, and WeChat's errcode/errmsg
// when WeChat refused.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	ErrCode int    `json:"errcode,omitempty"`
	ErrMsg  string `json:"errmsg,omitempty"`
}

// fail answers an error as JSON or as a page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if wantsJSON(r) || isAPI(r) {
		writeJSON(w, status, apiError{Error: code, Message: msg})
		return
	}
	s.render(w, r, status, "error", "出错了 Error", map[string]any{"Status": status, "Message": msg})
}

// internal logs err and answers 500 without details.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Log.Error("merchant-bind: request failed", "path", r.URL.Path, "err", err)
	s.fail(w, r, http.StatusInternalServerError, "internal", "服务器内部错误 (internal error)")
}

func (s *Server) fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(s.loc).Format("2006-01-02 15:04")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
