package oauth

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/wecom"
)

// Middleware defaults.
const (
	DefaultCallbackPath   = "/oauth/callback"
	DefaultMPCallbackPath = "/oauth/callback/mp"
	DefaultCookieName     = "qiwei_session"
	DefaultSessionTTL     = 12 * time.Hour
)

// MiddlewareOptions configures [Middleware] and [Logout]. Give the same options to both.
type MiddlewareOptions struct {
	// Client is the WeCom app client used to exchange codes (wecom.New with WithAgentID). Required
	// unless MPClient is set.
	Client *wecom.Client
	// Config builds the WeCom URLs. Empty CorpID, AgentID and base URLs are taken from Client; an
	// empty RedirectURL is built per request from the Host header and CallbackPath (fine for local
	// demos; set it in production, where it must lie under the app's 可信域名).
	Config Config

	// MPClient, when set (wecom.NewOfficialAccount), enables the 公众号 flow for WeChat browsers, or
	// for all browsers when Client is nil.
	MPClient *wecom.Client
	// MPConfig builds the 公众号 URL; empty fields are filled like Config's.
	MPConfig MPConfig

	// SessionKey signs session cookies (and states, unless Signer is set): at least MinKeyLen bytes,
	// ideally 32 random bytes, the same on every replica. Required.
	SessionKey []byte
	// SessionTTL is how long a login lasts (default 12 hours). Sessions are not extended: when one
	// expires the user goes through OAuth again, which inside WeCom is silent.
	SessionTTL time.Duration
	// Signer issues the OAuth state; default: a signer with a key derived from SessionKey and a
	// 10-minute TTL.
	Signer *StateSigner

	// CallbackPath is where WeCom sends the browser back; default: the path of Config.RedirectURL,
	// else "/oauth/callback".
	CallbackPath string
	// MPCallbackPath is the 公众号 callback; default: the path of MPConfig.RedirectURL, else
	// "/oauth/callback/mp".
	MPCallbackPath string

	// Public lists paths served without a login (an identity is still attached when the request has
	// a session). An entry ending in "/" is a prefix ("/static/"); any other entry matches exactly.
	Public []string
	// IsAPI tells API requests, which get 401 {"error":"unauthorized"} instead of a redirect to the
	// login page. Default: the path starts with /api/, or the request prefers JSON, or it was sent by
	// XMLHttpRequest. Requests other than GET and HEAD always get 401.
	IsAPI func(*http.Request) bool

	// CookieName is the session cookie's name (default "qiwei_session").
	CookieName string
	// Secure forces the cookie's Secure attribute. Otherwise it is set when the request came over TLS
	// or a configured RedirectURL is https. Do not force it on a plain-http site: the browser would
	// drop the cookie and go round the login forever.
	Secure bool

	// AllowNonMembers lets WeCom non-members (an openid, no userid) sign in. Default: members only.
	// 公众号 users are always allowed (they have no userid).
	AllowNonMembers bool
	// Allow, when set, decides after a successful exchange whether id may use the app.
	Allow func(id *Identity) bool

	// LogoutRedirect, when set, is where [Logout] sends the browser (303) after clearing the cookie.
	LogoutRedirect string

	// Logger receives sign-in events and failures (default: discard). Codes, tokens, states and
	// cookies are never logged.
	Logger *slog.Logger
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
}

// Validate reports what would make the middleware unusable. [Middleware] and [Logout] panic with this
// error when built with invalid options, so call Validate first when the options come from
// configuration, and report its error as you see fit.
func (o *MiddlewareOptions) Validate() error {
	_, err := newAuthenticator(o)
	return err
}

// Middleware puts a WeCom (or 公众号) login in front of next.
//
// A request with a valid session cookie reaches next with its [Identity] in the context (see
// [IdentityFrom]). Without one, an API request (see IsAPI) gets 401 with {"error":"unauthorized"},
// and a browser is redirected to the login that fits it:
//
//   - inside the WeCom app (user agent contains "wxwork"): the in-app authorize URL, silent with
//     snsapi_base;
//   - inside WeChat ("MicroMessenger" without "wxwork"), when MPClient is set: the 公众号 authorize URL;
//   - anywhere else: the WeCom web login page (QR code or account login).
//
// The callback verifies the signed state, exchanges the code, sets a signed HttpOnly SameSite=Lax
// cookie carrying the identity and its expiry (nothing is stored on the server), and redirects to
// the page first asked for.
//
// Invalid options are a programming or configuration error caught when the handler is built:
// Middleware panics with the error [MiddlewareOptions.Validate] returns (never a secret), like
// http.ServeMux.Handle with a bad pattern, instead of answering 500 to every request later.
func Middleware(next http.Handler, o *MiddlewareOptions) http.Handler {
	a, err := newAuthenticator(o)
	if err != nil {
		panic(fmt.Errorf("oauth.Middleware: %w", err))
	}
	a.next = next
	return a
}

// Logout returns a handler that clears the session cookie. It then redirects to LogoutRedirect when
// set, answers 204 to API requests, and otherwise shows a short "signed out" page with a link to sign
// in again (redirecting straight to "/" would sign a WeCom user in again at once). Like [Middleware]
// it panics when built with invalid options.
func Logout(o *MiddlewareOptions) http.Handler {
	a, err := newAuthenticator(o)
	if err != nil {
		panic(fmt.Errorf("oauth.Logout: %w", err))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.clearCookie(w, r)
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case a.o.LogoutRedirect != "":
			http.Redirect(w, r, a.o.LogoutRedirect, http.StatusSeeOther)
		case a.isAPI(r):
			w.WriteHeader(http.StatusNoContent)
		default:
			a.page(w, http.StatusOK, "已退出登录 · Signed out", "重新登录 · Sign in again", "/")
		}
	})
}

type authenticator struct {
	o        MiddlewareOptions
	next     http.Handler
	cfg      Config
	mpCfg    MPConfig
	signer   *StateSigner
	codec    sessionCodec
	log      *slog.Logger
	cookie   string
	cbPath   string
	mpCbPath string
	ttl      time.Duration
}

func newAuthenticator(in *MiddlewareOptions) (*authenticator, error) {
	if in == nil {
		return nil, errors.New("oauth: nil MiddlewareOptions")
	}
	o := *in
	o.Public = append([]string(nil), in.Public...)
	a := &authenticator{o: o, log: o.Logger, cookie: orDefault(o.CookieName, DefaultCookieName), ttl: o.SessionTTL}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.o.Now == nil {
		a.o.Now = time.Now
	}
	if a.ttl <= 0 {
		a.ttl = DefaultSessionTTL
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(o.SessionKey) < MinKeyLen {
		add(fmt.Errorf("oauth: SessionKey must be at least %d bytes (use 32 random bytes)", MinKeyLen))
	}
	switch {
	case o.Client == nil && o.MPClient == nil:
		add(errors.New("oauth: set Client (WeCom) or MPClient (公众号)"))
	case o.Client != nil && o.Client.IsOfficialAccount():
		add(fmt.Errorf("oauth: Client is a 公众号 client; put it in MPClient: %w", wecom.ErrWrongPlatform))
	case o.MPClient != nil && !o.MPClient.IsOfficialAccount():
		add(fmt.Errorf("oauth: MPClient must come from wecom.NewOfficialAccount: %w", wecom.ErrWrongPlatform))
	}
	if o.Client != nil {
		a.cfg = fillConfig(o.Config, o.Client)
		add(a.cfg.validateOptionalRedirect())
		a.cbPath = callbackPath(o.CallbackPath, a.cfg.RedirectURL, DefaultCallbackPath)
	}
	if o.MPClient != nil {
		a.mpCfg = fillMPConfig(o.MPConfig, o.MPClient)
		add(a.mpCfg.validateOptionalRedirect())
		a.mpCbPath = callbackPath(o.MPCallbackPath, a.mpCfg.RedirectURL, DefaultMPCallbackPath)
	}
	for _, p := range []string{a.cbPath, a.mpCbPath} {
		if p != "" && !SafeReturnTo(p) {
			add(fmt.Errorf("oauth: callback path %q must be an absolute path", p))
		}
	}
	if a.cbPath != "" && a.cbPath == a.mpCbPath {
		add(fmt.Errorf("oauth: WeCom and 公众号 callbacks share the path %q; give them different paths", a.cbPath))
	}
	for _, p := range o.Public {
		if !strings.HasPrefix(p, "/") {
			add(fmt.Errorf("oauth: public path %q must start with /", p))
		}
	}
	if lr := o.LogoutRedirect; lr != "" && !SafeReturnTo(lr) && checkRedirect("LogoutRedirect", lr) != nil {
		add(fmt.Errorf("oauth: LogoutRedirect %q must be a local path or an absolute http(s) URL", lr))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	a.signer = o.Signer
	if a.signer == nil {
		a.signer = NewStateSigner(deriveKey(o.SessionKey, "state"), DefaultStateTTL).WithClock(a.o.Now)
	} else if err := ValidateStateKey(a.signer.key); err != nil {
		return nil, fmt.Errorf("oauth: Signer: %w", err)
	}
	a.codec = sessionCodec{key: deriveKey(o.SessionKey, "session"), now: a.o.Now}
	return a, nil
}

func fillConfig(c Config, cl *wecom.Client) Config {
	d := NewConfig(cl, c.RedirectURL)
	c.CorpID = orDefault(c.CorpID, d.CorpID)
	if c.AgentID == 0 {
		c.AgentID = d.AgentID
	}
	c.AuthBaseURL = orDefault(c.AuthBaseURL, d.AuthBaseURL)
	c.LoginBaseURL = orDefault(c.LoginBaseURL, d.LoginBaseURL)
	return c
}

func fillMPConfig(c MPConfig, cl *wecom.Client) MPConfig {
	d := NewMPConfig(cl, c.RedirectURL)
	c.AppID = orDefault(c.AppID, d.AppID)
	c.AuthBaseURL = orDefault(c.AuthBaseURL, d.AuthBaseURL)
	return c
}

// placeholderRedirect stands in for a RedirectURL the middleware builds per request, so that the
// rest of a config can be validated.
const placeholderRedirect = "http://placeholder.invalid/"

func (c Config) validateOptionalRedirect() error {
	c.RedirectURL = orDefault(c.RedirectURL, placeholderRedirect)
	return c.Validate()
}

func (c MPConfig) validateOptionalRedirect() error {
	c.RedirectURL = orDefault(c.RedirectURL, placeholderRedirect)
	return c.Validate()
}

func callbackPath(explicit, redirectURL, def string) string {
	if explicit != "" {
		return explicit
	}
	if u, err := url.Parse(redirectURL); err == nil && redirectURL != "" && u.Path != "" {
		return u.Path
	}
	return def
}

func (a *authenticator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case a.cbPath != "" && p == a.cbPath:
		a.callback(w, r, false)
		return
	case a.mpCbPath != "" && p == a.mpCbPath:
		a.callback(w, r, true)
		return
	}
	id, had, err := a.session(r)
	if id != nil {
		a.next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
		return
	}
	if had {
		a.log.LogAttrs(r.Context(), slog.LevelDebug, "oauth: session cookie rejected", slog.String("reason", err.Error()))
	}
	if a.public(r.URL.Path) {
		a.next.ServeHTTP(w, r)
		return
	}
	if had {
		a.clearCookie(w, r)
	}
	if a.isAPI(r) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"unauthorized"}` + "\n"))
		return
	}
	state := a.signer.Issue(returnPath(r))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, a.loginURL(r, state), http.StatusFound)
}

// returnPath is where the browser goes back after login: the request URI, or its path alone when the
// query makes it too long for the state (the signer itself falls back to "/").
func returnPath(r *http.Request) string {
	if p := r.URL.RequestURI(); len(p) <= MaxReturnToLen {
		return p
	}
	return r.URL.EscapedPath()
}

// loginURL picks the login that fits the browser.
func (a *authenticator) loginURL(r *http.Request, state string) string {
	ua := strings.ToLower(r.UserAgent())
	inWeCom := strings.Contains(ua, "wxwork")
	inWeChat := strings.Contains(ua, "micromessenger")
	switch {
	case a.o.Client == nil || (inWeChat && !inWeCom && a.o.MPClient != nil):
		c := a.mpCfg
		if c.RedirectURL == "" {
			c.RedirectURL = requestBase(r) + a.mpCbPath
		}
		return c.AuthCodeURL(state)
	default:
		c := a.cfg
		if c.RedirectURL == "" {
			c.RedirectURL = requestBase(r) + a.cbPath
		}
		if inWeCom {
			return c.AuthCodeURL(state)
		}
		return c.WebLoginURL(state)
	}
}

func requestBase(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// session returns the identity in r's session cookie; had reports whether a cookie was sent.
func (a *authenticator) session(r *http.Request) (id *Identity, had bool, err error) {
	ck, err := r.Cookie(a.cookie)
	if err != nil {
		return nil, false, err
	}
	id, _, err = a.codec.decode(ck.Value)
	return id, true, err
}

func (a *authenticator) public(p string) bool {
	for _, e := range a.o.Public {
		if p == e || (strings.HasSuffix(e, "/") && strings.HasPrefix(p, e)) {
			return true
		}
	}
	return false
}

func (a *authenticator) isAPI(r *http.Request) bool {
	if a.o.IsAPI != nil {
		return a.o.IsAPI(r)
	}
	return DefaultIsAPI(r)
}

// DefaultIsAPI is the default MiddlewareOptions.IsAPI: the path starts with /api/, the request was
// sent by XMLHttpRequest, or its Accept header names JSON but not HTML.
func DefaultIsAPI(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") || r.Header.Get("X-Requested-With") == "XMLHttpRequest" {
		return true
	}
	wantsJSON, wantsHTML := false, false
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch {
		case mt == "text/html":
			wantsHTML = true
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
			wantsJSON = true
		}
	}
	return wantsJSON && !wantsHTML
}

func (a *authenticator) secure(r *http.Request) bool {
	return a.o.Secure || r.TLS != nil || strings.HasPrefix(a.cfg.RedirectURL, "https://") ||
		strings.HasPrefix(a.mpCfg.RedirectURL, "https://")
}

func (a *authenticator) setCookie(w http.ResponseWriter, r *http.Request, value string, exp time.Time) {
	http.SetCookie(w, &http.Cookie{Name: a.cookie, Value: value, Path: "/", Expires: exp.UTC(),
		MaxAge: max(1, int(exp.Sub(a.o.Now()).Seconds())), HttpOnly: true, Secure: a.secure(r),
		SameSite: http.SameSiteLaxMode})
}

func (a *authenticator) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: a.cookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: a.secure(r), SameSite: http.SameSiteLaxMode})
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;margin:3em 1.5em;text-align:center;color:#222}a{color:#07c160}</style>
</head><body><p>{{.Title}}</p><p><a href="{{.Href}}">{{.Link}}</a></p></body></html>
`))

// page writes a small HTML page with one link (errors of the login flow, the sign-out page).
func (a *authenticator) page(w http.ResponseWriter, status int, title, link, href string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, struct{ Title, Link, Href string }{title, link, href})
}
