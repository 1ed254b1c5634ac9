package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"

	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// fakePrefix is where the embedded fake WeCom is mounted in demo mode.
const fakePrefix = "/_fake"

// demoMembers are the fake corp's members: 张三 is the manager.
var demoMembers = []wecomtest.Member{
	{UserID: "zhangsan", Name: "张三", Mobile: "13800000001"},
	{UserID: "lisi", Name: "李四", Mobile: "13800000002"},
	{UserID: "wangwu", Name: "王五", Mobile: "13800000003"},
}

// startDemo starts the embedded fake WeCom, mounted on mux under /_fake, with its state kept in the
// data directory, and fills cfg with its credentials.
//
// base is the listener's own address, for the app's calls to the fake and the fake's callbacks.
// Browsers use PUBLIC_URL when it is set (e.g. http://192.168.1.5:8080 with -addr 0.0.0.0:8080, so
// that a phone on the same network can scan the labels and sign in), else base.
func startDemo(cfg *config, mux *http.ServeMux, base string, log *slog.Logger) (*wecomtest.Handler, error) {
	cfg.CorpID, cfg.Secret, cfg.AgentID = wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecomtest.DefaultAgentID
	cfg.CallbackToken, cfg.CallbackKey = wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey
	if cfg.PublicURL == "" {
		cfg.PublicURL = base
	} else if u, err := url.Parse(cfg.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("PUBLIC_URL must be an absolute URL such as http://192.168.1.5:8080")
	}
	cfg.demoBase = base
	cfg.Managers = []string{"zhangsan"}
	if cfg.ShopName == "" {
		cfg.ShopName = "演示箱包店"
	}
	opts := []wecomtest.Option{
		wecomtest.WithStateFile(filepath.Join(cfg.DataDir, "fake-wecom.json")),
		wecomtest.WithPublicURL(cfg.PublicURL + fakePrefix),
		wecomtest.WithApp(wecomtest.App{AgentID: cfg.AgentID, Secret: cfg.Secret, Name: "箱包库存",
			Callback: &wecomtest.CallbackConfig{URL: base + "/wecom/callback", Token: cfg.CallbackToken, EncodingAESKey: cfg.CallbackKey}}),
		wecomtest.WithLogger(log.With("component", "fake-wecom")),
	}
	for _, m := range demoMembers {
		opts = append(opts, wecomtest.WithMember(m))
	}
	fake, err := wecomtest.NewHandler(opts...)
	if err != nil {
		return nil, fmt.Errorf("demo: fake WeCom: %w", err)
	}
	if err := fake.SetCurrentUser(demoDefaultUser); err != nil {
		return nil, err
	}
	mux.Handle(fakePrefix+"/", http.StripPrefix(fakePrefix, fake))
	// The fake approves its "current user" at its sign-in pages; the member is chosen per browser
	// (the demo_user cookie set by /demo/login-as), so two browsers can be two members at once.
	var signIn sync.Mutex
	asBrowserMember := func(w http.ResponseWriter, r *http.Request) {
		user := demoDefaultUser
		if c, err := r.Cookie(demoUserCookie); err == nil && isDemoMember(c.Value) {
			user = c.Value
		}
		signIn.Lock()
		defer signIn.Unlock()
		if err := fake.SetCurrentUser(user); err != nil {
			http.Error(w, "未知成员 (unknown member)", http.StatusBadRequest)
			return
		}
		http.StripPrefix(fakePrefix, fake).ServeHTTP(w, r)
	}
	mux.HandleFunc("GET "+fakePrefix+"/connect/oauth2/authorize", asBrowserMember)
	mux.HandleFunc("GET "+fakePrefix+"/wwlogin/sso/login", asBrowserMember)
	return fake, nil
}

// demoDefaultUser is the member a browser signs in as until it switches (张三, a manager).
const demoDefaultUser = "zhangsan"

// demoUserCookie remembers the demo member a browser switched to.
const demoUserCookie = "demo_user"

// demoRoutes adds the demo helpers: sign in as another member, and a chat simulator (demochat.go)
// that sends photos, a price and "#" to the app's callback through the fake, exactly as WeCom would.
func demoRoutes(mux *http.ServeMux, fake *wecomtest.Handler, cfg *config, log *slog.Logger) {
	mux.HandleFunc("GET /demo/login-as", func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		if !isDemoMember(user) {
			http.Error(w, "未知成员 (unknown member)", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: demoUserCookie, Value: user, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteLaxMode, MaxAge: 30 * 24 * 3600})
		// The app's /logout ends the session and sends the browser home, where the fake signs in
		// the new member.
		http.Redirect(w, r, "/logout", http.StatusSeeOther)
	})
	demoChatRoutes(mux, fake, cfg.Location, log)
}

// demoClient is the WeCom client of the demo app, pointed at the fake.
func demoClient(cfg *config, store wecom.TokenStore, log *slog.Logger) (*wecom.Client, error) {
	return wecom.New(cfg.CorpID, cfg.Secret, wecom.WithAgentID(cfg.AgentID), wecom.WithBaseURL(cfg.demoBase+fakePrefix),
		wecom.WithTokenStore(store), wecom.WithLogger(log))
}

func demoNames() map[string]string {
	m := map[string]string{}
	for _, mem := range demoMembers {
		m[mem.UserID] = mem.Name
	}
	return m
}

func isDemoMember(userID string) bool {
	for _, m := range demoMembers {
		if m.UserID == userID {
			return true
		}
	}
	return false
}
