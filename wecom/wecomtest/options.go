package wecomtest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Defaults used when no option overrides them. They are ordinary constants so that tests and the
// demo apps can configure their SDK clients with the same values.
const (
	DefaultCorpID         = "ww1234567890abcdef"                          // 企业ID (corpid)
	DefaultAgentID        = int64(1000002)                                // 应用 AgentId
	DefaultSecret         = "qiweiDemoAppSecret0123456789abcdefghijklmno" // 应用 Secret
	DefaultAppName        = "演示应用"                                        // app name, shown as creator_name
	DefaultAppID          = "wx1234567890abcdef"                          // 公众号 AppID
	DefaultAppSecret      = "0123456789abcdef0123456789abcdef"            // 公众号 AppSecret
	DefaultOriginalID     = "gh_1234567890ab"                             // 公众号 原始ID (ToUserName of events)
	DefaultUserID         = "zhangsan"                                    // the default member, approved by OAuth
	DefaultUserName       = "张三"                                          // the default member's name
	DefaultOpenID         = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"                // the default WeChat user (公众号 follower)
	DefaultCallbackToken  = "qiweiCallbackToken"                          // callback Token
	DefaultEncodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // callback EncodingAESKey (43 chars)
)

// App is a WeCom self-built app (自建应用) the fake accepts: gettoken succeeds for its Secret, and the token
// it gets is bound to AgentID.
type App struct {
	AgentID  int64
	Secret   string
	Name     string          // shown as creator_name / updater_name of smart-sheet records; default DefaultAppName
	Callback *CallbackConfig // where SendMessage delivers; may also be set later with SetAppCallback

	// TrustedDomains are the app's 可信域名 (and web-login 授权回调域): the hosts the OAuth pages
	// redirect to, "shop.example.com" or "shop.example.com:8443" (a redirect_uri with a port needs
	// the port here). Empty: the fake's own host name, on any port.
	TrustedDomains []string
}

// Member is a member of the fake corp (通讯录成员). OAuth approves members; message/send reports unknown
// userids in invaliduser.
type Member struct {
	UserID  string
	Name    string
	Mobile  string
	Email   string
	BizMail string
	Gender  string // "0" unknown, "1" male, "2" female
	Avatar  string
	Address string
}

// WeChatUser is a WeChat user known to the 公众号 (a follower), identified by OpenID.
type WeChatUser struct {
	OpenID     string
	Nickname   string
	HeadImgURL string
	UnionID    string
}

// CallbackMode is how callbacks are delivered to a 公众号 (消息加解密方式). WeCom app callbacks are always
// encrypted (ModeSafe).
type CallbackMode int

const (
	ModeSafe   CallbackMode = iota // 安全模式: msg_signature + encrypt_type=aes, XML envelope with Encrypt only
	ModePlain                      // 明文模式: plain XML, signature/timestamp/nonce/openid query
	ModeCompat                     // 兼容模式: plain XML elements plus Encrypt, both signatures
)

func (m CallbackMode) String() string {
	switch m {
	case ModeSafe:
		return "safe"
	case ModePlain:
		return "plain"
	case ModeCompat:
		return "compat"
	}
	return fmt.Sprintf("CallbackMode(%d)", int(m))
}

// CallbackConfig says where and how the fake delivers callbacks (接收消息服务器配置).
type CallbackConfig struct {
	URL            string
	Token          string
	EncodingAESKey string       // 43 characters; required unless Mode is ModePlain
	Mode           CallbackMode // 公众号 only; WeCom apps always use ModeSafe
}

func (c *CallbackConfig) validate(wecom bool) error {
	if c == nil {
		return errors.New("callback config is nil")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("callback URL %q is not an absolute http(s) URL", c.URL)
	}
	if c.Token == "" {
		return errors.New("callback token is empty")
	}
	if wecom && c.Mode != ModeSafe {
		return errors.New("WeCom app callbacks are always encrypted: use ModeSafe")
	}
	if c.Mode < ModeSafe || c.Mode > ModeCompat {
		return fmt.Errorf("unknown callback mode %d", int(c.Mode))
	}
	if c.Mode != ModePlain && len(c.EncodingAESKey) != 43 {
		return errors.New("EncodingAESKey must be 43 characters")
	}
	return nil
}

// Option configures a [Handler] or [Server]. Options are applied in order; an invalid value makes
// [NewHandler] fail (and [NewServer] panic).
type Option func(*config) error

type config struct {
	corpID       string
	apps         []App
	appsSet      bool
	members      []Member
	membersSet   bool
	mpAppID      string
	mpSecret     string
	mpOriginalID string
	wxUsers      []WeChatUser
	wxUsersSet   bool
	mpCallback   *CallbackConfig
	appDomains   map[int64][]domain // App.TrustedDomains, parsed
	mpDomains    []domain           // WithOfficialAccountDomains
	maxBody      int64              // WithMaxRequestBody

	now         func() time.Time
	tokenTTL    time.Duration
	tokenGrace  time.Duration
	cbTimeout   time.Duration
	latency     time.Duration
	failRate    float64
	failSeed    uint64
	seed        uint64
	seedSet     bool
	stateFile   string
	publicURL   string
	log         *slog.Logger
	hangLimit   time.Duration
	strictState bool
}

func defaultConfig() *config {
	return &config{
		corpID:       DefaultCorpID,
		apps:         []App{{AgentID: DefaultAgentID, Secret: DefaultSecret, Name: DefaultAppName}},
		members:      []Member{{UserID: DefaultUserID, Name: DefaultUserName, Mobile: "13800000000", Gender: "1", Email: "zhangsan@example.com"}},
		mpAppID:      DefaultAppID,
		mpSecret:     DefaultAppSecret,
		mpOriginalID: DefaultOriginalID,
		wxUsers:      []WeChatUser{{OpenID: DefaultOpenID, Nickname: "微信用户"}},
		now:          time.Now,
		tokenTTL:     7200 * time.Second,
		tokenGrace:   5 * time.Minute,
		cbTimeout:    5 * time.Second,
		log:          slog.New(slog.DiscardHandler),
		hangLimit:    time.Minute,
		strictState:  true,
		appDomains:   map[int64][]domain{},
		maxBody:      defaultMaxBody,
	}
}

// WithCorpID sets the corp id (企业ID) gettoken accepts. Default [DefaultCorpID].
func WithCorpID(id string) Option {
	return func(c *config) error {
		if id == "" {
			return errors.New("corp id is empty")
		}
		c.corpID = id
		return nil
	}
}

// WithApp adds a WeCom app. The first WithApp replaces the default app ([DefaultAgentID],
// [DefaultSecret]); later ones add more apps.
func WithApp(a App) Option {
	return func(c *config) error {
		if a.AgentID <= 0 || a.Secret == "" {
			return errors.New("app needs a positive AgentID and a Secret")
		}
		if a.Name == "" {
			a.Name = DefaultAppName
		}
		if a.Callback != nil {
			if err := a.Callback.validate(true); err != nil {
				return fmt.Errorf("app %d: %w", a.AgentID, err)
			}
		}
		domains, err := parseDomains(a.TrustedDomains)
		if err != nil {
			return fmt.Errorf("app %d: %w", a.AgentID, err)
		}
		if !c.appsSet {
			c.apps, c.appsSet = nil, true
		}
		for _, o := range c.apps {
			if o.AgentID == a.AgentID || o.Secret == a.Secret {
				return fmt.Errorf("app %d: duplicate agent id or secret", a.AgentID)
			}
		}
		c.apps = append(c.apps, a)
		c.appDomains[a.AgentID] = domains
		return nil
	}
}

// WithOfficialAccountDomains sets the 公众号's 网页授权域名: the hosts ("m.example.com", or with :port)
// its OAuth page redirects to. By default the fake's own host name, on any port.
func WithOfficialAccountDomains(domains ...string) Option {
	return func(c *config) error {
		d, err := parseDomains(domains)
		if err != nil {
			return err
		}
		c.mpDomains = d
		return nil
	}
}

// defaultMaxBody fits the largest upload WeCom accepts (a 20 MB file for media/upload) and a 10 MB
// image as base64 in image_upload's JSON.
const defaultMaxBody = 24 << 20

// WithMaxRequestBody caps the body of every request (JSON and uploads) at n bytes; default 24 MiB.
// A larger body is cut off at n+1 bytes and answered with the endpoint's size errcode (40006 for
// media, 40009 for images, 40058 or 47001 for JSON) or, on the /test endpoints, HTTP 413. The
// per-type limits of the platforms (image 10 MB, voice 2 MB, …, uploadimg 2 MB / 1 MB) apply below
// it. An app that mounts the fake on a port others can reach should lower it.
func WithMaxRequestBody(n int64) Option {
	return func(c *config) error {
		if n < 1<<10 {
			return errors.New("max request body must be at least 1 KiB")
		}
		c.maxBody = n
		return nil
	}
}

// WithMember adds a corp member. The first WithMember replaces the default member ([DefaultUserID]).
func WithMember(m Member) Option {
	return func(c *config) error {
		if m.UserID == "" {
			return errors.New("member needs a UserID")
		}
		if !c.membersSet {
			c.members, c.membersSet = nil, true
		}
		c.members = append(c.members, m)
		return nil
	}
}

// WithOfficialAccount sets the 公众号 credentials cgi-bin/token and stable_token accept.
// Defaults [DefaultAppID], [DefaultAppSecret]; originalID (原始ID, gh_…) defaults to [DefaultOriginalID].
func WithOfficialAccount(appID, secret, originalID string) Option {
	return func(c *config) error {
		if appID == "" || secret == "" {
			return errors.New("official account needs an app id and a secret")
		}
		c.mpAppID, c.mpSecret = appID, secret
		if originalID != "" {
			c.mpOriginalID = originalID
		}
		return nil
	}
}

// WithWeChatUser adds a WeChat user (a 公众号 follower). The first one replaces the default
// ([DefaultOpenID]).
func WithWeChatUser(u WeChatUser) Option {
	return func(c *config) error {
		if u.OpenID == "" {
			return errors.New("WeChat user needs an OpenID")
		}
		if !c.wxUsersSet {
			c.wxUsers, c.wxUsersSet = nil, true
		}
		c.wxUsers = append(c.wxUsers, u)
		return nil
	}
}

// WithOfficialAccountCallback sets where 公众号 events (SimulateScan) are delivered.
func WithOfficialAccountCallback(cb CallbackConfig) Option {
	return func(c *config) error {
		if err := cb.validate(false); err != nil {
			return err
		}
		c.mpCallback = &cb
		return nil
	}
}

// WithClock replaces time.Now, e.g. with a fake clock to expire tokens, codes and tickets in tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("clock is nil")
		}
		c.now = now
		return nil
	}
}

// WithTokenTTL sets the lifetime of access tokens and JS-SDK tickets (expires_in). Default 7200 s.
func WithTokenTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return errors.New("token TTL must be at least 1s")
		}
		c.tokenTTL = d
		return nil
	}
}

// WithTokenGrace sets how long a superseded 公众号 token stays valid after a new one is issued
// (about 5 minutes on the real service, the default).
func WithTokenGrace(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return errors.New("token grace must not be negative")
		}
		c.tokenGrace = d
		return nil
	}
}

// WithCallbackTimeout sets how long a callback delivery waits for the receiver before retrying
// (5 s on the real service, the default). Tests use a short value.
func WithCallbackTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("callback timeout must be positive")
		}
		c.cbTimeout = d
		return nil
	}
}

// WithLatency delays every API call by d, to make batching and concurrency visible in tests.
func WithLatency(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return errors.New("latency must not be negative")
		}
		c.latency = d
		return nil
	}
}

// WithFailureRate makes a fraction rate (0…1) of API calls fail at random, drawn from an RNG seeded
// with seed: an HTTP 502 or 503, errcode -1 (系统繁忙), or a write that is applied but whose response
// never arrives (the connection is dropped). See [Handler.SetFailureRate].
func WithFailureRate(rate float64, seed uint64) Option {
	return func(c *config) error {
		if rate < 0 || rate > 1 {
			return errors.New("failure rate must be within 0…1")
		}
		c.failRate, c.failSeed = rate, seed
		return nil
	}
}

// WithSeed makes generated ids (docid, sheet, field, view and record ids, tokens, tickets) deterministic.
func WithSeed(seed uint64) Option {
	return func(c *config) error {
		c.seed, c.seedSet = seed, true
		return nil
	}
}

// WithStateFile keeps smart sheets, uploaded images and media, QR tickets, followers and recorded
// messages across restarts: a JSON snapshot at path plus an append-only journal next to it
// (path.journal.N). Every change is appended to the journal before the call is answered, so an
// acknowledged write survives kill -9 (the data is in the operating system's page cache once the
// write returns; no fsync per call, so a power cut may still lose the last writes). The journal is
// folded into the snapshot (temporary file, fsync, rename) when it passes 64 MiB, on Save and on
// Close. Tokens, OAuth codes and call counts are not kept.
func WithStateFile(path string) Option {
	return func(c *config) error {
		if path == "" {
			return errors.New("state file path is empty")
		}
		c.stateFile = path
		return nil
	}
}

// WithPublicURL sets the base URL at which clients and browsers reach the fake, used in the URLs it
// hands out (image_upload, uploadimg, create_doc, PicUrl). By default the request's Host is used
// (and [NewServer] sets its own URL). Needed when the handler is mounted under a path prefix.
func WithPublicURL(rawURL string) Option {
	return func(c *config) error {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public URL %q is not an absolute http(s) URL", rawURL)
		}
		c.publicURL = strings.TrimSuffix(rawURL, "/")
		return nil
	}
}

// WithLogger logs every call (method, path, errcode; never a query string) at debug level and
// problems at warn level. Default: no logging.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("logger is nil")
		}
		c.log = l
		return nil
	}
}

// WithLenientState accepts any OAuth state up to 128 bytes. By default the fake also enforces the
// documented character set a-zA-Z0-9, as the authorize page documentation demands.
func WithLenientState() Option {
	return func(c *config) error {
		c.strictState = false
		return nil
	}
}
