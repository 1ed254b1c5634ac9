package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// config is the app's configuration: flags plus environment. Real mode needs WECOM_*; without
// them the app runs in demo mode on an embedded fake WeCom.
type config struct {
	Addr     string
	DataDir  string
	DemoBags int // demo mode: bags seeded on first start (-demo-bags)

	Demo          bool
	CorpID        string
	Secret        string
	AgentID       int64
	PublicURL     string // how browsers and WeCom reach this app, e.g. https://bags.example.com
	demoBase      string // demo: the listener's own address, where the app reaches the embedded fake
	CallbackToken string
	CallbackKey   string // EncodingAESKey
	AIBotToken    string // AI bot (智能机器人) callback, optional; demo mode uses the callback's
	AIBotKey      string
	RedisURL      string // tokens and callback dedupe, shared by replicas
	DatabaseURL   string // the store: postgres://… for several replicas; default SQLite under DataDir
	BaseURL       string // WeCom API host (WECOM_BASE_URL), e.g. a wecomfake in staging; "" = the real one
	DocID         string
	SyncDelay     time.Duration // how long a change may wait to be batched into the sheet
	Reconcile     time.Duration // reconcile period; 0 = off
	Managers      []string
	CodePattern   string
	SessionKey    []byte
	LabelKey      []byte
	ShopName      string
	LowStockAt    int
	SummaryHour   int            // daily summary hour in the shop's zone, -1 = off
	Location      *time.Location // the shop's time zone (SHOP_TZ, default Asia/Shanghai)
	Now           func() time.Time
}

func envList(k string) []string {
	var out []string
	for _, s := range strings.Split(os.Getenv(k), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// loadConfig reads the environment. Secrets are never printed.
func loadConfig(addr, dataDir string) (*config, error) {
	c := &config{Addr: addr, DataDir: dataDir, CorpID: os.Getenv("WECOM_CORP_ID"), Secret: os.Getenv("WECOM_SECRET"),
		PublicURL: strings.TrimRight(os.Getenv("PUBLIC_URL"), "/"), CallbackToken: os.Getenv("WECOM_CALLBACK_TOKEN"),
		CallbackKey: os.Getenv("WECOM_CALLBACK_AES_KEY"), RedisURL: os.Getenv("REDIS_URL"), DocID: os.Getenv("WECOM_DOC_ID"),
		Managers: envList("WECOM_MANAGERS"), CodePattern: os.Getenv("CODE_PATTERN"), ShopName: os.Getenv("SHOP_NAME"),
		LowStockAt: 1, SummaryHour: 21, AIBotToken: os.Getenv("WECOM_AIBOT_TOKEN"), AIBotKey: os.Getenv("WECOM_AIBOT_AES_KEY"),
		DatabaseURL: os.Getenv("DATABASE_URL"), BaseURL: strings.TrimRight(os.Getenv("WECOM_BASE_URL"), "/"),
		SyncDelay: 8 * time.Second, Reconcile: 10 * time.Minute}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return nil, errors.New("DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite database)")
	}
	for _, d := range []struct {
		env string
		dst *time.Duration
		min time.Duration
	}{{"SYNC_MAX_DELAY", &c.SyncDelay, 0}, {"RECONCILE_EVERY", &c.Reconcile, time.Minute}} {
		v := os.Getenv(d.env)
		if v == "" {
			continue
		}
		if v == "0" || v == "off" {
			*d.dst = 0
			continue
		}
		n, err := time.ParseDuration(v)
		if err != nil || n < d.min {
			return nil, fmt.Errorf("%s must be a duration such as 10m (at least %v), or off", d.env, d.min)
		}
		*d.dst = n
	}
	c.Location = shop.DefaultLocation()
	if v := strings.TrimSpace(os.Getenv("SHOP_TZ")); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil || v == "Local" {
			return nil, errors.New("SHOP_TZ must be a time zone name such as Asia/Shanghai")
		}
		c.Location = loc
	}
	c.Now = time.Now
	if (c.AIBotToken == "") != (c.AIBotKey == "") {
		return nil, errors.New("set both WECOM_AIBOT_TOKEN and WECOM_AIBOT_AES_KEY, or neither")
	}
	if v := os.Getenv("LOW_STOCK_AT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errors.New("LOW_STOCK_AT must be a non-negative integer")
		}
		c.LowStockAt = n
	}
	if v := os.Getenv("SUMMARY_HOUR"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 || n > 23 {
			return nil, errors.New("SUMMARY_HOUR must be 0–23, or -1 for off")
		}
		c.SummaryHour = n
	}
	if c.CorpID == "" && c.Secret == "" && os.Getenv("WECOM_AGENT_ID") == "" {
		c.Demo = true
		return c, nil
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, errors.New("WECOM_BASE_URL must be an absolute URL such as https://qyapi.weixin.qq.com")
		}
	}
	var missing []string
	for k, v := range map[string]string{"WECOM_CORP_ID": c.CorpID, "WECOM_SECRET": c.Secret, "WECOM_AGENT_ID": os.Getenv("WECOM_AGENT_ID"),
		"PUBLIC_URL": c.PublicURL, "WECOM_CALLBACK_TOKEN": c.CallbackToken, "WECOM_CALLBACK_AES_KEY": c.CallbackKey} {
		if v == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("real mode needs %s (unset every WECOM_* variable for demo mode)", strings.Join(missing, ", "))
	}
	n, err := strconv.ParseInt(os.Getenv("WECOM_AGENT_ID"), 10, 64)
	if err != nil || n <= 0 {
		return nil, errors.New("WECOM_AGENT_ID must be a positive integer")
	}
	c.AgentID = n
	if u, err := url.Parse(c.PublicURL); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, errors.New("PUBLIC_URL must be an absolute URL such as https://bags.example.com")
	}
	if len(c.Managers) == 0 {
		return nil, errors.New("WECOM_MANAGERS must list at least one manager userid")
	}
	return c, nil
}

// secretKey returns the key in env k, or one kept in the data directory (created on first use).
// Several replicas must share SESSION_KEY and LABEL_KEY through the environment.
func secretKey(env, dataDir, file string) ([]byte, error) {
	if v := os.Getenv(env); v != "" {
		if len(v) < 32 {
			return nil, fmt.Errorf("%s must be at least 32 characters", env)
		}
		return []byte(v), nil
	}
	path := filepath.Join(dataDir, file)
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	var k [32]byte
	_, _ = rand.Read(k[:])
	key := []byte(hex.EncodeToString(k[:]))
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("store %s: %w", file, err)
	}
	return key, nil
}
