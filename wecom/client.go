package wecom

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Default hosts. [WithBaseURL] replaces all of them at once (a fake server serves every path on one host).
const (
	DefaultWeComBaseURL = "https://qyapi.weixin.qq.com"      // WeCom server API
	DefaultMPBaseURL    = "https://api.weixin.qq.com"        // 公众号 server API
	DefaultMPWebBaseURL = "https://mp.weixin.qq.com"         // 公众号 showqrcode
	DefaultOpenBaseURL  = "https://open.weixin.qq.com"       // OAuth authorize pages
	DefaultLoginBaseURL = "https://login.work.weixin.qq.com" // WeCom web login (wwlogin)
)

// Host names one of the servers a client talks to. See [Client.BaseURL].
type Host int

const (
	HostAPI   Host = iota // qyapi.weixin.qq.com (WeCom) or api.weixin.qq.com (公众号)
	HostMPWeb             // mp.weixin.qq.com: showqrcode
	HostOpen              // open.weixin.qq.com: OAuth authorize
	HostLogin             // login.work.weixin.qq.com: web login
	hostCount
)

type kind uint8

const (
	kindWeCom kind = iota
	kindOfficialAccount
)

// Client is a WeCom app (one corp id + one app secret) or a 公众号 (app id + secret) client.
// It is safe for concurrent use and immutable after construction: create one per app and reuse it.
type Client struct {
	kind    kind
	id      string // corpid or appid
	secret  string
	agentID int64
	hosts   [hostCount]string
	hc      *http.Client
	log     *slog.Logger
	retry   RetryPolicy
	early   time.Duration
	store   TokenStore
	maxResp int64
	health  *storeHealth
	now     func() time.Time

	tokens  TokenSource
	jsapi   *cachedSource // 企业/公众号 jsapi_ticket
	agentTk *cachedSource // 应用 jsapi_ticket (agent_config), WeCom only
}

// Option configures a [Client]. Options are applied in order; an invalid value makes New fail.
type Option func(*options) error

type options struct {
	agentID int64
	hosts   [hostCount]string
	hc      *http.Client
	store   TokenStore
	ts      TokenSource
	log     *slog.Logger
	retry   RetryPolicy
	early   time.Duration
	maxResp int64
	now     func() time.Time
	baseSet bool
}

// WithAgentID sets the WeCom app's AgentId (应用ID). Required for app messages, agentConfig and OAuth.
func WithAgentID(id int64) Option {
	return func(o *options) error {
		if id <= 0 {
			return fmt.Errorf("wecom: WithAgentID: agent id must be positive, got %d", id)
		}
		o.agentID = id
		return nil
	}
}

// WithBaseURL points every host (API, showqrcode, OAuth pages) at rawURL: a fake server such as
// wecomtest, or a gateway. It must be an absolute http(s) URL without query or fragment.
func WithBaseURL(rawURL string) Option {
	return func(o *options) error {
		u, err := parseBase(rawURL)
		if err != nil {
			return err
		}
		for i := range o.hosts {
			o.hosts[i] = u
		}
		o.baseSet = true
		return nil
	}
}

// WithHostURL points one host at rawURL, e.g. a 公众号 API gateway, leaving the others unchanged.
func WithHostURL(h Host, rawURL string) Option {
	return func(o *options) error {
		if h < 0 || h >= hostCount {
			return fmt.Errorf("wecom: WithHostURL: unknown host %d", h)
		}
		u, err := parseBase(rawURL)
		if err != nil {
			return err
		}
		o.hosts[h] = u
		return nil
	}
}

func parseBase(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("wecom: base URL %q must be an absolute http(s) URL without query", rawURL)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// WithHTTPClient sets the HTTP client (timeouts, proxies, test transports). Default: a client with a
// 30-second timeout. The client is copied (a shallow copy: the Transport is shared), so changing hc
// afterwards does not change this client.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return errors.New("wecom: WithHTTPClient: nil client")
		}
		cp := *hc
		o.hc = &cp
		return nil
	}
}

// DefaultMaxResponseBytes is the largest response body [Client.Do] reads: 8 MiB, far more than any
// JSON answer of WeCom or WeChat. Downloads go through [Client.Stream], which is not limited.
const DefaultMaxResponseBytes = 8 << 20

// WithMaxResponseBytes sets the largest response body [Client.Do] reads (default
// [DefaultMaxResponseBytes]); a larger one fails with [*ResponseTooLargeError].
func WithMaxResponseBytes(n int64) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("wecom: WithMaxResponseBytes: limit must be positive, got %d", n)
		}
		o.maxResp = n
		return nil
	}
}

// WithTokenStore sets where access tokens and tickets are cached. Default: [NewMemoryStore]().
// Use wecom/redisstore to share tokens between replicas.
func WithTokenStore(s TokenStore) Option {
	return func(o *options) error {
		if s == nil {
			return errors.New("wecom: WithTokenStore: nil store")
		}
		o.store = s
		return nil
	}
}

// WithTokenSource replaces token fetching entirely, e.g. with a central token service (中控服务).
// The client then never calls gettoken/stable_token itself.
func WithTokenSource(ts TokenSource) Option {
	return func(o *options) error {
		if ts == nil {
			return errors.New("wecom: WithTokenSource: nil source")
		}
		o.ts = ts
		return nil
	}
}

// WithLogger sets the logger for refresh failures and retries. Default: discard, except that token
// store failures (e.g. Redis unreachable) are logged through slog.Default() as warnings. Secrets
// and tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("wecom: WithLogger: nil logger")
		}
		o.log = l
		return nil
	}
}

// WithRefreshEarly sets how long before expiry a token or ticket is refreshed (default 5 minutes;
// never more than half the token's lifetime).
func WithRefreshEarly(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("wecom: WithRefreshEarly: negative duration %v", d)
		}
		o.early = d
		return nil
	}
}

// WithClock sets the clock the client reads (default time.Now): token and ticket lifetimes, JS-SDK
// signature timestamps, the time of a token store failure, and the default clock of callback
// handlers built on the client ([WithCallbackClock] overrides it). Tests use it to expire tokens
// without waiting, as wecomtest.WithClock does for the fake server. Retry backoff and the
// [MemoryStore]'s own expiry still run on real time; a token past its expiry by the client's clock
// is never used, whatever the store says.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("wecom: WithClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// New returns a client for a WeCom self-built app (企业微信自建应用): corpID and the app's secret.
// Tokens come from gettoken.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/91039
func New(corpID, secret string, opts ...Option) (*Client, error) {
	if corpID == "" {
		return nil, errors.New("wecom: New: empty corp id")
	}
	if secret == "" {
		return nil, errors.New("wecom: New: empty secret")
	}
	return newClient(kindWeCom, corpID, secret, DefaultWeComBaseURL, opts)
}

// NewOfficialAccount returns a client for a 公众号 (WeChat Official Account): appID and AppSecret.
// Tokens come from stable_token (normal mode); force_refresh is used only when the token that just
// failed comes back again.
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
func NewOfficialAccount(appID, secret string, opts ...Option) (*Client, error) {
	if appID == "" {
		return nil, errors.New("wecom: NewOfficialAccount: empty app id")
	}
	if secret == "" {
		return nil, errors.New("wecom: NewOfficialAccount: empty secret")
	}
	return newClient(kindOfficialAccount, appID, secret, DefaultMPBaseURL, opts)
}

func newClient(k kind, id, secret, apiBase string, opts []Option) (*Client, error) {
	o := options{
		hosts:   [hostCount]string{apiBase, DefaultMPWebBaseURL, DefaultOpenBaseURL, DefaultLoginBaseURL},
		retry:   DefaultRetryPolicy(),
		early:   5 * time.Minute,
		maxResp: DefaultMaxResponseBytes,
		now:     time.Now,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.hc == nil {
		o.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if o.store == nil {
		o.store = NewMemoryStore()
	}
	health := &storeHealth{log: o.log, now: o.now}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		kind: k, id: id, secret: secret, agentID: o.agentID, hosts: o.hosts,
		hc: o.hc, log: o.log, retry: o.retry, early: o.early, store: o.store, maxResp: o.maxResp, health: health,
		now: o.now,
	}
	app := c.keySuffix()
	if o.ts != nil {
		c.tokens = o.ts
	} else {
		prefix := "wecom:token:"
		fetch := c.fetchWeComToken
		if k == kindOfficialAccount {
			prefix, fetch = "wecom:mptoken:", c.fetchStableToken
		}
		c.tokens = c.newCachedSource(prefix+app, fetch)
	}
	c.jsapi = c.newCachedSource("wecom:jsapi:"+app, c.fetchJSAPITicket)
	if k == kindWeCom {
		c.agentTk = c.newCachedSource("wecom:agentticket:"+app, c.fetchAgentTicket)
	}
	return c, nil
}

// keySuffix identifies the app in cache keys: id, agent id and a hash of the secret, so that two apps
// of one corp (or a rotated secret) never share a token.
func (c *Client) keySuffix() string {
	h := sha256.Sum256([]byte(c.secret))
	return c.id + ":" + strconv.FormatInt(c.agentID, 10) + ":" + hex.EncodeToString(h[:6])
}

// The accessors below return zero values for a nil client; calls that do I/O return [ErrNilClient].

// ID returns the corp id (WeCom) or app id (公众号) the client was created with.
func (c *Client) ID() string {
	if c == nil {
		return ""
	}
	return c.id
}

// AgentID returns the WeCom app's AgentId, or 0 when none was set.
func (c *Client) AgentID() int64 {
	if c == nil {
		return 0
	}
	return c.agentID
}

// IsOfficialAccount reports whether c was created by [NewOfficialAccount].
func (c *Client) IsOfficialAccount() bool { return c.Platform() == PlatformOfficialAccount }

// BaseURL returns the base URL (no trailing slash) the client uses for host h.
func (c *Client) BaseURL(h Host) string {
	if c == nil || h < 0 || h >= hostCount {
		return ""
	}
	return c.hosts[h]
}

// HTTPClient returns a copy of the HTTP client the client sends requests with (for downloads of
// URLs that WeCom returns, such as image links). Changing the copy does not change c.
func (c *Client) HTTPClient() *http.Client {
	if c == nil {
		return &http.Client{}
	}
	cp := *c.hc
	return &cp
}

// Logger returns the client's logger (a discarding one unless [WithLogger] was given).
func (c *Client) Logger() *slog.Logger {
	if c == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.log
}

// TokenStore returns the store tokens are cached in, so that packages built on the client (e.g.
// callback dedupe, scene binders) can share it.
func (c *Client) TokenStore() TokenStore {
	if c == nil {
		return nil
	}
	return c.store
}
