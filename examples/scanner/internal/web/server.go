// Package web is the scanner app's HTTP layer: product pages, the JSON API, labels, stats and the
// WeCom JS-SDK configuration. It holds no business rules: those live in package shop.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/imports"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/wecom"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// User is the signed-in member.
type User struct {
	UserID  string
	Name    string
	Manager bool
}

func (u User) actor() shop.Actor {
	return shop.Actor{UserID: u.UserID, Name: u.Name, Manager: u.Manager}
}

// SyncStatus is the smart-sheet sync as the pages show it.
type SyncStatus interface {
	Pending() int          // outbox rows not yet in the sheet
	Failing() int          // of which the last delivery failed
	Calls() map[string]int // write calls this replica made, by table
	Kick()                 // try now
}

// Config wires the web layer.
type Config struct {
	Shop     *shop.Service
	Store    *store.Store    // photos, import jobs and the sync's backlog
	Sync     SyncStatus      // nil: no sheet sync
	Imports  *imports.Runner // runs uploaded imports; nil: they wait for a runner elsewhere
	Signer   *qrcode.Signer  // signs label URLs (/p/{code}?s=…)
	ShopName string
	// User returns the signed-in member of a request (set by the login middleware).
	User func(r *http.Request) (User, bool)
	// Names returns a member's display name (the userid when unknown); nil shows userids. It must
	// not wait on WeCom: pages call it for every row.
	Names func(userID string) string
	// JSSDK signs a page URL for wx.config / wx.agentConfig; nil disables the WeCom scan button.
	JSSDK func(ctx context.Context, pageURL string) (*wecom.JSConfig, error)
	// CorpID and AgentID are given to the page for ww.register.
	CorpID  string
	AgentID int64
	// Demo shows the demo-mode links (switch member, try chat registration) in the page footer.
	Demo bool
	// Callback, when set, is mounted at /wecom/callback (the app's message callback).
	Callback http.Handler
	Logger   *slog.Logger
	Now      func() time.Time
	// Location is the shop's time zone for what people see (default: the shop service's).
	Location *time.Location
}

// Server serves the app.
type Server struct {
	cfg   Config
	pages *template.Template
	mux   *http.ServeMux
	log   *slog.Logger
}

// New returns the app's handler. Everything except /healthz, /static/ and /wecom/callback expects
// cfg.User to find a member (the login middleware runs in front of it).
func New(cfg Config) (*Server, error) {
	if cfg.Shop == nil || cfg.Store == nil || cfg.Signer == nil || cfg.User == nil {
		return nil, errors.New("web: Shop, Store, Signer and User are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = cfg.Shop.Now
	}
	if cfg.Location == nil {
		cfg.Location = cfg.Shop.Location()
	}
	if cfg.ShopName == "" {
		cfg.ShopName = "箱包库存"
	}
	t, err := template.New("").Funcs(funcs(cfg.Location)).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, pages: t, mux: http.NewServeMux(), log: cfg.Logger}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	static, _ := fs.Sub(staticFS, "static")
	m := s.mux
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	m.Handle("GET /static/", http.StripPrefix("/static/", cacheForever(http.FileServerFS(static))))
	if s.cfg.Callback != nil {
		m.Handle("/wecom/callback", s.cfg.Callback)
	}

	m.HandleFunc("GET /{$}", s.page(s.home))
	m.HandleFunc("GET /p/{code}", s.page(s.productPage))
	m.HandleFunc("GET /p/{code}/edit", s.page(s.editPage))
	m.HandleFunc("GET /new", s.page(s.newPage))
	m.HandleFunc("GET /import", s.page(s.importPage))
	m.HandleFunc("GET /import/{id}", s.page(s.importJobPage))
	m.HandleFunc("GET /sync", s.page(s.syncPage))
	m.HandleFunc("GET /stats", s.page(s.statsPage))
	m.HandleFunc("GET /labels", s.page(s.labelsPage))
	m.HandleFunc("GET /labels/{code}", s.page(s.labelPage))
	m.HandleFunc("GET /suppliers", s.page(s.suppliersPage))
	m.HandleFunc("GET /suppliers/{id}", s.page(s.supplierPage))
	m.HandleFunc("GET /customers", s.page(s.customersPage))
	m.HandleFunc("GET /customers/{id}", s.page(s.customerPage))

	m.HandleFunc("GET /qr/{file}", s.auth(s.qrPNG))
	m.HandleFunc("GET /label/{file}", s.auth(s.labelPNG))
	m.HandleFunc("GET /labels.pdf", s.auth(s.labelsPDF))
	m.HandleFunc("GET /labels/preview.png", s.auth(s.labelPreview))
	m.HandleFunc("GET /labels/logo.png", s.auth(s.labelLogo))
	m.HandleFunc("GET /photo/{code}", s.auth(s.photo))
	m.HandleFunc("GET /photo/{code}/{n}", s.auth(s.photo))
	m.HandleFunc("GET /thumb/{code}", s.auth(s.thumb))
	m.HandleFunc("GET /export.xlsx", s.auth(s.export))

	m.HandleFunc("GET /api/me", s.api(s.apiMe))
	m.HandleFunc("GET /api/products", s.api(s.apiList))
	m.HandleFunc("POST /api/products", s.api(s.apiRegister))
	m.HandleFunc("GET /api/products/{code}", s.api(s.apiGet))
	m.HandleFunc("PATCH /api/products/{code}", s.api(s.apiUpdate))
	m.HandleFunc("POST /api/products/{code}/status", s.api(s.apiStatus))
	m.HandleFunc("POST /api/products/{code}/photos", s.api(s.apiAddPhotos))
	m.HandleFunc("DELETE /api/products/{code}/photos/{id}", s.api(s.apiDeletePhoto))
	m.HandleFunc("POST /api/products/{code}/sell", s.api(s.apiSell))
	m.HandleFunc("POST /api/products/{code}/restock", s.api(s.apiRestock))
	m.HandleFunc("POST /api/products/{code}/adjust", s.api(s.apiAdjust))
	m.HandleFunc("GET /api/products/{code}/movements", s.api(s.apiMovements))
	m.HandleFunc("GET /api/products/{code}/sales", s.api(s.apiProductSales))
	m.HandleFunc("GET /api/products/{code}/scans", s.api(s.apiScans))
	m.HandleFunc("POST /api/sales/{id}/return", s.api(s.apiReturn))
	m.HandleFunc("GET /api/suppliers", s.api(s.apiSuppliers))
	m.HandleFunc("POST /api/suppliers", s.api(s.apiCreateSupplier))
	m.HandleFunc("GET /api/suppliers/{id}", s.api(s.apiSupplier))
	m.HandleFunc("PATCH /api/suppliers/{id}", s.api(s.apiUpdateSupplier))
	m.HandleFunc("GET /api/customers", s.api(s.apiCustomers))
	m.HandleFunc("POST /api/customers", s.api(s.apiCreateCustomer))
	m.HandleFunc("GET /api/customers/{id}", s.api(s.apiCustomer))
	m.HandleFunc("PATCH /api/customers/{id}", s.api(s.apiUpdateCustomer))
	m.HandleFunc("GET /api/labels/settings", s.api(s.apiLabelSettings))
	m.HandleFunc("PUT /api/labels/settings", s.api(s.apiSaveLabelSettings))
	m.HandleFunc("POST /api/labels/logo", s.api(s.apiUploadLogo))
	m.HandleFunc("DELETE /api/labels/logo", s.api(s.apiDeleteLogo))
	m.HandleFunc("POST /api/import", s.api(s.apiImport))
	m.HandleFunc("POST /api/import/preview", s.api(s.apiImportPreview))
	m.HandleFunc("GET /api/import/{id}", s.api(s.apiImportJob))
	m.HandleFunc("GET /api/sync", s.api(s.apiSync))
	m.HandleFunc("POST /api/sync/retry", s.api(s.apiSyncRetry))
	m.HandleFunc("GET /api/stats", s.api(s.apiStats))
	m.HandleFunc("GET /api/jssdk", s.api(s.apiJSSDK))
}

// ServeHTTP implements http.Handler with panic recovery and basic security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("web: panic", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			http.Error(w, "服务器内部错误 (internal error)", http.StatusInternalServerError)
		}
	}()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	s.mux.ServeHTTP(w, r)
}

func cacheForever(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

type handler func(w http.ResponseWriter, r *http.Request, u User) error

// auth resolves the user; without one the request is refused (the login middleware normally
// redirects before this point).
func (s *Server) auth(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.cfg.User(r)
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "message": "请先登录"})
			return
		}
		if err := h(w, r, u); err != nil {
			s.fail(w, r, err, false)
		}
	}
}

func (s *Server) api(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.cfg.User(r)
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "message": "请先登录"})
			return
		}
		if r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut {
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if mt != "application/json" && !(mt == "multipart/form-data" && multipartPath(r.URL.Path)) {
				writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "unsupported_media_type",
					"message": "请求须为 Content-Type: application/json"})
				return
			}
		}
		if err := h(w, r, u); err != nil {
			s.fail(w, r, err, true)
		}
	}
}

// multipartPath reports whether a POST to path takes a form with files (photos, a logo, a
// spreadsheet).
func multipartPath(path string) bool {
	switch path {
	case "/api/products", "/api/import", "/api/import/preview", "/api/labels/logo":
		return true
	}
	return strings.HasPrefix(path, "/api/products/") && strings.HasSuffix(path, "/photos")
}

func (s *Server) page(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.cfg.User(r)
		if !ok {
			http.Error(w, "请先登录 (sign in first)", http.StatusUnauthorized)
			return
		}
		if err := h(w, r, u); err != nil {
			s.fail(w, r, err, false)
		}
	}
}

// httpError carries a status for errors that are not domain errors.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error { return &httpError{http.StatusBadRequest, "bad_request", msg} }

func statusOf(err error) (int, string) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status, he.code
	case errors.Is(err, shop.ErrNotFound):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, shop.ErrSoldOut):
		return http.StatusConflict, "sold_out"
	case errors.Is(err, shop.ErrInactive):
		return http.StatusConflict, "inactive"
	case errors.Is(err, shop.ErrDeleted):
		return http.StatusConflict, "deleted"
	case errors.Is(err, shop.ErrRequestReused):
		return http.StatusConflict, "request_reused"
	case errors.Is(err, shop.ErrCodeTaken):
		return http.StatusConflict, "code_taken"
	case errors.Is(err, shop.ErrCodesFull):
		return http.StatusUnprocessableEntity, "codes_full"
	case errors.Is(err, shop.ErrBelowFloor):
		return http.StatusUnprocessableEntity, "below_floor"
	case errors.Is(err, shop.ErrConfirmPrice):
		return http.StatusUnprocessableEntity, "confirm_price"
	case errors.Is(err, shop.ErrPriceLimit):
		return http.StatusUnprocessableEntity, "price_limit"
	case errors.Is(err, shop.ErrReversed):
		return http.StatusConflict, "reversed"
	case errors.Is(err, shop.ErrNotASale):
		return http.StatusConflict, "not_a_sale"
	case errors.Is(err, shop.ErrTooOldSale):
		return http.StatusForbidden, "too_old"
	case errors.Is(err, shop.ErrNameTaken):
		return http.StatusConflict, "name_taken"
	case errors.Is(err, shop.ErrInvalid):
		return http.StatusBadRequest, "invalid"
	case errors.Is(err, shop.ErrForbidden):
		return http.StatusForbidden, "forbidden"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "timeout"
	}
	return http.StatusInternalServerError, "internal"
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error, asJSON bool) {
	status, code := statusOf(err)
	msg := err.Error()
	if status >= 500 {
		s.log.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "服务暂时不可用，请稍后重试 (temporarily unavailable, try again)"
	}
	if asJSON {
		out := map[string]any{"error": code, "message": msg}
		var pe *shop.PriceError
		if errors.As(err, &pe) && pe.Confirmable {
			out["confirm"] = true // sending it again with "confirm": true goes through
		}
		writeJSON(w, status, out)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = s.pages.ExecuteTemplate(w, "error.html", map[string]any{"Status": status, "Message": msg, "Shop": s.cfg.ShopName})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// decodeJSON reads a bounded JSON body, rejecting unknown fields and trailing data.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("请求格式错误 (invalid JSON): " + err.Error())
	}
	if dec.More() {
		return badRequest("请求格式错误 (trailing data)")
	}
	return nil
}
