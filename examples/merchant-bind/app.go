package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/outbox"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/web"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// appOptions assemble an app; tests fill them directly.
type appOptions struct {
	DSN                   string
	Demo                  bool // the database must be (or become) a demo database
	AppID, AppSecret      string
	Token, AESKey         string
	APIBase               string       // "" for WeChat itself; the fake's URL in demo mode and tests
	HTTPClient            *http.Client // nil: default
	RedisURL              string
	WelcomeTpl, NotifyTpl string
	FieldMap              map[string]string
	CodeTTL               time.Duration
	APIToken              string
	PlatformToken         string
	SessionKey            string // SESSION_KEY; "" : a key generated once and kept in the settings table
	PublicURL             string
	TrustedProxies        []netip.Prefix
	DemoSim               web.Demo
	AccountName           string
	Now                   func() time.Time
	Log                   *slog.Logger

	// Tests only.
	WrapSender  func(outbox.Sender) outbox.Sender // e.g. a sender that blocks, so a test can kill the process mid-send
	OutboxLease time.Duration                     // default: the outbox's
}

// app is an assembled merchant-binding app.
type app struct {
	handler  http.Handler // admin UI, API, /wx/callback
	db       *store.DB
	svc      *bind.Service
	outbox   *outbox.Worker
	client   *wecom.Client
	callback *wecom.CallbackHandler
	redis    *degradingStore    // nil without REDIS_URL
	fake     *wecomtest.Handler // demo mode: the embedded fake 公众号
	now      func() time.Time
	closers  []func()
}

// newApp opens the database (running migrations, checking its mode), builds the 公众号 client,
// the binding service, the outbox worker (not started: see start), the callback handler and the
// web handler.
func newApp(ctx context.Context, o appOptions) (_ *app, err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &app{now: o.Now}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.db, err = store.Open(ctx, o.DSN); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { _ = a.db.Close() })
	if err := checkMode(ctx, a.db, o.Demo); err != nil {
		return nil, err
	}

	var tokens wecom.TokenStore = wecom.NewMemoryStore()
	if o.RedisURL != "" {
		rdb, err := newRedis(o.RedisURL)
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, func() { _ = rdb.Close() })
		a.redis = newDegradingStore(rdb, "merchant-bind:", o.Log)
		if err := rdb.Ping(ctx).Err(); err != nil {
			o.Log.Warn("merchant-bind: Redis does not answer; starting without it (degraded)", "err", err)
			a.redis.failed("ping", err)
		}
		tokens = a.redis
	}
	copts := []wecom.Option{wecom.WithTokenStore(tokens), wecom.WithLogger(o.Log)}
	if o.APIBase != "" {
		copts = append(copts, wecom.WithBaseURL(o.APIBase))
	}
	if o.HTTPClient != nil {
		copts = append(copts, wecom.WithHTTPClient(o.HTTPClient))
	}
	if a.client, err = wecom.NewOfficialAccount(o.AppID, o.AppSecret, copts...); err != nil {
		return nil, err
	}
	issuer, err := bind.NewBinderIssuer(a.client, tokens, o.Now)
	if err != nil {
		return nil, err
	}
	var sender outbox.Sender = a.client.MPMessages()
	if o.WrapSender != nil {
		sender = o.WrapSender(sender)
	}
	if a.outbox, err = outbox.New(outbox.Config{Store: a.db, Sender: sender, Lease: o.OutboxLease, Now: o.Now, Log: o.Log}); err != nil {
		return nil, err
	}
	if a.svc, err = bind.New(bind.Config{Store: a.db, Issuer: issuer, Outbox: a.outbox,
		WelcomeTemplateID: o.WelcomeTpl, NotifyTemplateID: o.NotifyTpl, FieldMap: o.FieldMap, CodeTTL: o.CodeTTL,
		Now: o.Now, Log: o.Log}); err != nil {
		return nil, err
	}
	if a.callback, err = wecom.NewCallbackHandler(a.client, o.Token, o.AESKey, a.svc.HandleMessage,
		wecom.WithMaxClockSkew(10*time.Minute)); err != nil {
		return nil, err
	}
	key, err := csrfKey(ctx, a.db, o.SessionKey)
	if err != nil {
		return nil, err
	}
	if a.handler, err = web.New(web.Config{Service: a.svc, Callback: a.callback, Outbox: a.outbox, CSRFKey: key,
		PublicURL: o.PublicURL, TrustedProxies: o.TrustedProxies, APIToken: o.APIToken, PlatformToken: o.PlatformToken,
		Health: a.health, Demo: o.DemoSim, AccountName: o.AccountName, Now: o.Now, Log: o.Log}); err != nil {
		return nil, err
	}
	return a, nil
}

// csrfKey is the key signing CSRF tokens. With SESSION_KEY it is derived from it and nothing is
// kept in the database (a key stored by an earlier start without SESSION_KEY is deleted); without,
// a random key is generated once and kept in the settings table.
func csrfKey(ctx context.Context, db *store.DB, sessionKey string) ([]byte, error) {
	if sessionKey != "" {
		if err := db.DeleteSetting(ctx, "session_key"); err != nil {
			return nil, err
		}
		m := hmac.New(sha256.New, []byte(sessionKey))
		m.Write([]byte("merchant-bind csrf v1"))
		return m.Sum(nil), nil
	}
	key, err := db.SettingOrInit(ctx, "session_key", randomHex(32))
	return []byte(key), err
}

// health serves /healthz: the database must answer; Redis may be degraded.
func (a *app) health(ctx context.Context) (string, error) {
	if err := a.db.Ping(ctx); err != nil {
		return "", err
	}
	if a.redis != nil && a.redis.Degraded() {
		return "redis degraded", nil
	}
	return "", nil
}

// start runs the outbox worker: pending messages — also those a crash left behind — go out.
func (a *app) start() { a.outbox.Start() }

// shutdown drains the outbox worker (sends in flight are finished and recorded) and closes the
// database and Redis. Call it after the HTTP server stopped taking requests.
func (a *app) shutdown(ctx context.Context) error {
	err := a.outbox.Stop(ctx)
	a.close()
	return err
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// ensureAdmin prepares the admin account. Real mode: when there is no admin at all, user is
// created with password and reported created. Demo mode (reset): user exists, is an enabled 管理员
// and gets password (the demo prints a new one at every start).
func ensureAdmin(ctx context.Context, db *store.DB, user, password string, reset bool, now time.Time) (bool, error) {
	hash, err := web.HashPassword(password)
	if err != nil {
		return false, err
	}
	a, err := db.AdminByUsername(ctx, user)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if n, err := db.CountAdmins(ctx); err != nil || (n > 0 && !reset) {
			return false, err
		}
		_, err = db.CreateAdmin(ctx, user, hash, store.RoleAdmin, now)
		return err == nil, err
	case err != nil:
		return false, err
	case reset:
		if err := db.SetAdminRole(ctx, a.ID, store.RoleAdmin); err != nil {
			return false, err
		}
		if err := db.SetAdminDisabled(ctx, a.ID, false, now); err != nil {
			return false, err
		}
		return false, db.SetAdminPassword(ctx, a.ID, hash, now)
	}
	return false, nil
}

// resetPassword is -reset-password: a new generated password for user, every session ended, the
// login lock lifted, audited. It prints the password.
func resetPassword(ctx context.Context, db *store.DB, user string, now time.Time) (string, error) {
	a, err := db.AdminByUsername(ctx, user)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("no admin %q (usernames are matched in any letter case)", user)
	}
	if err != nil {
		return "", err
	}
	pw := web.GeneratePassword()
	hash, err := web.HashPassword(pw)
	if err != nil {
		return "", err
	}
	if err := db.SetAdminPassword(ctx, a.ID, hash, now); err != nil {
		return "", err
	}
	if err := db.ClearLoginFailures(ctx, web.AccountKey(a.Username)); err != nil {
		return "", err
	}
	details := "username=" + a.Username + " (command line)"
	if a.Disabled() {
		details += "; the account stays disabled"
	}
	return pw, db.Audit(ctx, store.AuditEntry{Who: "shell", What: "admin.reset_password", When: now, Details: details})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
