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
	"net/netip"
	"net/url"
	"strconv"
	"strings"
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

// Awaiter waits for a message's next send attempt; *outbox.Worker is one.
type Awaiter interface {
	Await(ctx context.Context, id int64) (*store.Message, error)
}

// Config configures the web handler. Service and CSRFKey are required.
type Config struct {
	Service  *bind.Service
	Callback http.Handler // the 公众号 callback, served at /wx/callback
	Outbox   Awaiter      // lets a form show the send result; nil: "queued" only
	CSRFKey  []byte       // at least 32 bytes; signs CSRF tokens
	// PublicURL is the site's public origin, e.g. https://bind.example.com: the Origin a browser
	// sends on a form behind a reverse proxy, and (https) the reason for Secure cookies. Optional.
	PublicURL string
	// TrustedProxies are the addresses whose X-Forwarded-For and X-Forwarded-Proto are believed:
	// the client address of the login throttle and the audit log, and whether the browser uses HTTPS.
	TrustedProxies []netip.Prefix
	APIToken       string // Bearer token of the JSON API; "" disables it
	PlatformToken  string // Bearer token of the merchant platform's login hook only; optional
	SessionTTL     time.Duration
	// Health reports the app's dependencies for /healthz: an error when the database does not
	// answer (503), otherwise a note such as "redis degraded" (still 200).
	Health      func(ctx context.Context) (string, error)
	Demo        Demo   // demo mode only
	AccountName string // the 公众号's name, shown in the header
	Now         func() time.Time
	Log         *slog.Logger
}

// Server is the web handler.
type Server struct {
	cfg    Config
	svc    *bind.Service
	db     *store.DB
	mux    *http.ServeMux
	pages  map[string]*template.Template
	loc    *time.Location
	origin string // PublicURL's origin ("" : none)
}

// New returns the web handler.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("web: Service is required")
	}
	if len(cfg.CSRFKey) < 32 {
		return nil, errors.New("web: CSRFKey must be at least 32 bytes")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AccountName == "" {
		cfg.AccountName = "公众号"
	}
	s := &Server{cfg: cfg, svc: cfg.Service, db: cfg.Service.Store(), mux: http.NewServeMux(), loc: beijing()}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("web: PublicURL must be an absolute http(s) URL")
		}
		s.origin = u.Scheme + "://" + strings.ToLower(u.Host)
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// beijing is Asia/Shanghai, or UTC+8 when the system has no time zone database.
func beijing() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

func (s *Server) routes() {
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(noDirectories(http.FileServerFS(static)))))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	if s.cfg.Callback != nil {
		s.mux.Handle("/wx/callback", s.cfg.Callback)
	}
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.Handle("POST /login", s.csrf(http.HandlerFunc(s.login)))
	s.mux.Handle("POST /logout", s.csrf(http.HandlerFunc(s.logout)))

	// read: any signed-in admin; write: 管理员 only; self: any signed-in admin, about themselves.
	read := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.requireAdmin(s.csrf(h))) }
	write := func(pattern string, h http.HandlerFunc) {
		s.mux.Handle(pattern, s.requireAdmin(s.csrf(s.requireWriter(h))))
	}
	read("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/merchants", http.StatusSeeOther) })
	read("GET /merchants", s.merchantList)
	read("GET /merchants/export", s.merchantExport)
	write("GET /merchants/new", s.merchantNew)
	write("POST /merchants", s.merchantCreate)
	read("GET /merchants/{id}", s.merchantDetail)
	write("GET /merchants/{id}/edit", s.merchantEdit)
	write("POST /merchants/{id}", s.merchantUpdate)
	write("POST /merchants/{id}/status", s.merchantStatus)
	write("POST /merchants/{id}/unbind", s.merchantUnbind)
	read("GET /merchants/{id}/code", s.codeCurrent)
	write("POST /merchants/{id}/code", s.codeIssue)
	read("GET /merchants/{id}/code.png", s.codePNG)
	write("POST /merchants/{id}/notify", s.notifyForm)
	read("GET /merchants/{id}/notifications", s.notificationsJSON)
	write("POST /merchants/{id}/notifications/{nid}/resend", s.resendForm)
	read("GET /audit", s.auditPage)
	write("GET /admins", s.adminsPage)
	write("POST /admins", s.adminCreate)
	write("POST /admins/{id}/status", s.adminStatus)
	write("POST /admins/{id}/role", s.adminRole)
	write("POST /admins/{id}/password", s.adminResetPassword)
	read("GET /account", s.accountPage)
	read("POST /account/password", s.accountPassword)
	read("POST /account/sessions", s.accountRevokeOthers)
	if s.cfg.Demo != nil {
		write("POST /demo/merchants/{id}/scan", s.demoScan)
		write("POST /demo/merchants/{id}/unsubscribe", s.demoUnsubscribe)
	}
	s.mux.Handle("POST /api/merchants/{id}/notify", s.apiAuth(scopeAdmin, s.apiNotify))
	s.mux.Handle("GET /api/merchants/{id}/notifications", s.apiAuth(scopeAdmin, s.apiNotifications))
	s.mux.Handle("POST /api/merchants/{id}/notifications/{nid}/resend", s.apiAuth(scopeAdmin, s.apiResend))
	s.mux.Handle("POST /api/merchants/{id}/login", s.apiAuth(scopePlatform, s.apiMerchantLogin))
	s.mux.Handle("POST /api/merchants/by-login/{login}/login", s.apiAuth(scopePlatform, s.apiMerchantLogin))
}

// ServeHTTP implements http.Handler: security headers, then input that no handler should see
// (NUL bytes, invalid UTF-8) is refused with 400.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "+
		"frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	if !strings.HasPrefix(r.URL.Path, "/wx/") {
		if msg := badInput(w, r); msg != "" {
			s.fail(w, r, http.StatusBadRequest, "bad_input", msg)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// badInput parses the query and a posted form and returns why they are refused ("" : fine).
func badInput(w http.ResponseWriter, r *http.Request) string {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "请求参数格式错误 (malformed query string)"
	}
	if !validValues(q) {
		return "请求参数包含无效字符（空字符或非 UTF-8 编码）(invalid characters in the query)"
	}
	if r.Method != http.MethodPost || !isForm(r) {
		return ""
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return "表单格式错误或过大 (malformed or oversized form)"
	}
	if !validValues(r.PostForm) {
		return "表单包含无效字符（空字符或非 UTF-8 编码）(invalid characters in the form)"
	}
	return ""
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded")
}

func validValues(v url.Values) bool {
	for k, vs := range v {
		if !store.ValidText(k, false) {
			return false
		}
		for _, x := range vs {
			if !store.ValidText(x, true) {
				return false
			}
		}
	}
	return true
}

// healthz answers 200 when the database answers a query within 2 s, 503 otherwise.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.cfg.Health == nil {
		_, _ = w.Write([]byte("ok"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	note, err := s.cfg.Health(ctx)
	if err != nil {
		s.cfg.Log.Error("merchant-bind: health check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable"))
		return
	}
	if note != "" {
		_, _ = w.Write([]byte("ok (" + note + ")"))
		return
	}
	_, _ = w.Write([]byte("ok"))
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// noDirectories answers 404 for directories: /static/ lists nothing.
func noDirectories(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if f, err := fs.Stat(staticFS, "static/"+r.URL.Path); err != nil || f.IsDir() {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// pathID parses the {id} path value.
func pathID(r *http.Request) (int64, bool) {
	return parseID(r.PathValue("id"))
}

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
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

// apiError is the JSON error body: a stable code, a human message (Chinese with English), and
// WeChat's errcode/errmsg when WeChat refused.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	ErrCode int    `json:"errcode,omitempty"`
	ErrMsg  string `json:"errmsg,omitempty"`
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

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
	s.fail(w, r, http.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试 (internal error)")
}

// badRequest answers a store ValidationError (or any refused input) with 400.
func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, err error) bool {
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	s.fail(w, r, http.StatusBadRequest, "bad_input", ve.Msg)
	return true
}

// fmtTime renders a time for people: Beijing time, with seconds.
func (s *Server) fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(s.loc).Format("2006-01-02 15:04:05")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
