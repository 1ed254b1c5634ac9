package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/web"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/redisstore"
)

// appOptions assemble an app; tests fill them directly.
type appOptions struct {
	DSN                   string
	AppID, AppSecret      string
	Token, AESKey         string
	APIBase               string       // "" for WeChat itself; the fake's URL in demo mode and tests
	HTTPClient            *http.Client // nil: default
	RedisURL              string
	WelcomeTpl, NotifyTpl string
	FieldMap              map[string]string
	CodeTTL               time.Duration
	APIToken              string
	SessionKey            string // "" : generated once and kept in the settings table
	SecureCookies         bool
	Demo                  web.Demo
	AccountName           string
	Now                   func() time.Time
	Log                   *slog.Logger
}

// app is an assembled merchant-binding app.
type app struct {
	handler  http.Handler // admin UI, API, /wx/callback
	db       *store.DB
	svc      *bind.Service
	client   *wecom.Client
	callback *wecom.CallbackHandler
	closers  []func()
}

// newApp opens the database (running migrations), builds the 公众号 client, the binding service,
// the callback handler and the web handler.
func newApp(ctx context.Context, o appOptions) (a *app, err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a = &app{}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.db, err = store.Open(ctx, o.DSN); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { _ = a.db.Close() })

	var tokens wecom.TokenStore = wecom.NewMemoryStore()
	if o.RedisURL != "" {
		opt, err := redis.ParseURL(o.RedisURL)
		if err != nil {
			return nil, errors.New("REDIS_URL is not a valid redis:// URL")
		}
		rdb := redis.NewClient(opt)
		a.closers = append(a.closers, func() { _ = rdb.Close() })
		if err := rdb.Ping(ctx).Err(); err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		// Shared by replicas: access token, callback dedupe and the Binder's code mirror.
		tokens = redisstore.New(rdb, "merchant-bind:")
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
	if a.svc, err = bind.New(bind.Config{Store: a.db, Issuer: issuer, Sender: a.client.MPMessages(),
		WelcomeTemplateID: o.WelcomeTpl, NotifyTemplateID: o.NotifyTpl, FieldMap: o.FieldMap, CodeTTL: o.CodeTTL,
		Now: o.Now, Log: o.Log}); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.svc.Wait)
	if a.callback, err = wecom.NewCallbackHandler(a.client, o.Token, o.AESKey, a.svc.HandleMessage,
		wecom.WithMaxClockSkew(10*time.Minute)); err != nil {
		return nil, err
	}
	key := o.SessionKey
	if key == "" {
		if key, err = a.db.SettingOrInit(ctx, "session_key", randomHex(32)); err != nil {
			return nil, err
		}
	}
	if a.handler, err = web.New(web.Config{Service: a.svc, Callback: a.callback, SessionKey: []byte(key),
		APIToken: o.APIToken, SecureCookies: o.SecureCookies, Demo: o.Demo, AccountName: o.AccountName, Log: o.Log}); err != nil {
		return nil, err
	}
	return a, nil
}

// Close waits for background sends and closes the database and Redis.
func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// ensureAdmin creates the admin account if it is missing and reports whether it did. With reset, an
// existing account gets the password (the demo prints a new random one at every start).
func ensureAdmin(ctx context.Context, db *store.DB, user, password string, reset bool) (bool, error) {
	hash, err := web.HashPassword(password)
	if err != nil {
		return false, err
	}
	a, err := db.AdminByUsername(ctx, user)
	switch {
	case errors.Is(err, store.ErrNotFound):
		_, err = db.CreateAdmin(ctx, user, hash, store.RoleAdmin, time.Now())
		return err == nil, err
	case err != nil:
		return false, err
	case reset:
		return false, db.SetAdminPassword(ctx, a.ID, hash, time.Now())
	}
	return false, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
