package main

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/web"
)

// config is the app's configuration: flags plus environment.
type config struct {
	Addr, DataDir string
	Demo          bool
	DemoExplicit  bool // -demo: demo mode on DATABASE_URL (if set) instead of its own SQLite file

	AppID, AppSecret   string         // WECHAT_APP_ID, WECHAT_APP_SECRET
	APIBase            string         // WECHAT_API_BASE: an API gateway (or a test server) instead of api.weixin.qq.com
	Token, AESKey      string         // WECHAT_TOKEN, WECHAT_AES_KEY (optional: safe mode)
	PublicURL          string         // PUBLIC_URL, e.g. https://bind.example.com (optional in demo mode)
	TrustedProxies     []netip.Prefix // TRUSTED_PROXIES: whose X-Forwarded-For/-Proto are believed
	RedisURL           string         // REDIS_URL (optional)
	DatabaseURL        string         // DATABASE_URL (optional; default SQLite under DataDir)
	IgnoredDatabaseURL string         // demo mode without -demo: the DATABASE_URL it does not touch
	WelcomeTemplateID  string         // WELCOME_TEMPLATE_ID (optional)
	NotifyTemplateID   string         // NOTIFY_TEMPLATE_ID (optional)
	FieldMap           map[string]string
	CodeTTL            time.Duration // BIND_CODE_TTL (optional, default 720h)
	APIToken           string        // ADMIN_API_TOKEN (optional)
	PlatformToken      string        // PLATFORM_API_TOKEN: the merchant platform's login hook (optional)
	SessionKey         string        // SESSION_KEY (optional; default generated and kept in the database)
	AdminUser, AdminPW string        // ADMIN_USERNAME, ADMIN_PASSWORD: the first admin in real mode
	AccountName        string        // WECHAT_ACCOUNT_NAME, shown in the header
}

// loadConfig reads the environment through getenv. Demo mode is on when none of WECHAT_APP_ID,
// WECHAT_APP_SECRET and WECHAT_TOKEN is set, or when demo (-demo) asks for it. The demo never
// touches a real database: without -demo it keeps its own SQLite file under dataDir whatever
// DATABASE_URL says; with -demo it uses DATABASE_URL, which must not hold real-mode data (checked
// when the database is opened).
func loadConfig(getenv func(string) string, addr, dataDir string, demo bool) (*config, error) {
	c := &config{Addr: addr, DataDir: dataDir, DemoExplicit: demo,
		AppID: getenv("WECHAT_APP_ID"), AppSecret: getenv("WECHAT_APP_SECRET"), Token: getenv("WECHAT_TOKEN"),
		APIBase: strings.TrimRight(getenv("WECHAT_API_BASE"), "/"),
		AESKey:  getenv("WECHAT_AES_KEY"), PublicURL: strings.TrimRight(getenv("PUBLIC_URL"), "/"),
		RedisURL: getenv("REDIS_URL"), DatabaseURL: getenv("DATABASE_URL"),
		WelcomeTemplateID: getenv("WELCOME_TEMPLATE_ID"), NotifyTemplateID: getenv("NOTIFY_TEMPLATE_ID"),
		APIToken: getenv("ADMIN_API_TOKEN"), PlatformToken: getenv("PLATFORM_API_TOKEN"), SessionKey: getenv("SESSION_KEY"),
		AdminUser: getenv("ADMIN_USERNAME"), AdminPW: getenv("ADMIN_PASSWORD"), AccountName: getenv("WECHAT_ACCOUNT_NAME")}
	c.Demo = demo || (c.AppID == "" && c.AppSecret == "" && c.Token == "")
	if c.AdminUser == "" {
		c.AdminUser = "admin"
	}
	switch {
	case c.Demo && !demo:
		c.IgnoredDatabaseURL, c.DatabaseURL = c.DatabaseURL, filepath.Join(dataDir, "demo.db")
	case c.Demo && c.DatabaseURL == "":
		c.DatabaseURL = filepath.Join(dataDir, "demo.db")
	case c.DatabaseURL == "":
		c.DatabaseURL = filepath.Join(dataDir, "merchant-bind.db")
	}
	var err error
	if c.TrustedProxies, err = web.ParseTrustedProxies(getenv("TRUSTED_PROXIES")); err != nil {
		return nil, fmt.Errorf("TRUSTED_PROXIES: %w (want CIDRs or addresses, e.g. 127.0.0.1,10.0.0.0/8)", err)
	}
	if c.PublicURL != "" && !absoluteURL(c.PublicURL) {
		return nil, errors.New("PUBLIC_URL must be an absolute http(s) URL, e.g. https://bind.example.com")
	}
	if c.APIBase != "" && !absoluteURL(c.APIBase) {
		return nil, errors.New("WECHAT_API_BASE must be an absolute http(s) URL")
	}
	if c.FieldMap, err = parseFieldMap(getenv("TEMPLATE_FIELDS")); err != nil {
		return nil, err
	}
	if v := getenv("BIND_CODE_TTL"); v != "" {
		if c.CodeTTL, err = time.ParseDuration(v); err != nil || c.CodeTTL < time.Minute || c.CodeTTL > 720*time.Hour {
			return nil, errors.New("BIND_CODE_TTL must be a duration between 1m and 720h (30 days)")
		}
	}
	if c.APIToken != "" && len(c.APIToken) < 16 {
		return nil, errors.New("ADMIN_API_TOKEN must be at least 16 characters")
	}
	if c.PlatformToken != "" && (len(c.PlatformToken) < 16 || c.PlatformToken == c.APIToken) {
		return nil, errors.New("PLATFORM_API_TOKEN must be at least 16 characters and differ from ADMIN_API_TOKEN")
	}
	if c.AdminPW != "" && (len(c.AdminPW) < web.MinPassword || len(c.AdminPW) > web.MaxPassword) {
		return nil, fmt.Errorf("ADMIN_PASSWORD must be %d–%d bytes", web.MinPassword, web.MaxPassword)
	}
	if c.SessionKey != "" && len(c.SessionKey) < 32 {
		return nil, errors.New("SESSION_KEY must be at least 32 characters")
	}
	if c.Demo {
		return c, nil
	}
	var missing []string
	for _, kv := range [][2]string{{"WECHAT_APP_ID", c.AppID}, {"WECHAT_APP_SECRET", c.AppSecret}, {"WECHAT_TOKEN", c.Token}, {"PUBLIC_URL", c.PublicURL}} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("real mode needs %s (unset every WECHAT_* variable for the demo)", strings.Join(missing, ", "))
	}
	if c.AESKey != "" && len(c.AESKey) != 43 {
		return nil, errors.New("WECHAT_AES_KEY (EncodingAESKey) must be 43 characters")
	}
	if c.AccountName == "" {
		c.AccountName = c.AppID
	}
	return c, nil
}

// parseFieldMap reads TEMPLATE_FIELDS, e.g. "merchant=thing1,time=time2,content=thing3".
func parseFieldMap(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	m := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("TEMPLATE_FIELDS: %q is not key=field", part)
		}
		m[k] = v
	}
	return m, nil
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
