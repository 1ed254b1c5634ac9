package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"

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
func startDemo(cfg *config, mux *http.ServeMux, base string, log *slog.Logger) (*wecomtest.Handler, error) {
	cfg.CorpID, cfg.Secret, cfg.AgentID = wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecomtest.DefaultAgentID
	cfg.CallbackToken, cfg.CallbackKey = wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey
	cfg.PublicURL = base
	cfg.Managers = []string{"zhangsan"}
	if cfg.ShopName == "" {
		cfg.ShopName = "演示箱包店"
	}
	opts := []wecomtest.Option{
		wecomtest.WithStateFile(filepath.Join(cfg.DataDir, "fake-wecom.json")),
		wecomtest.WithPublicURL(base + fakePrefix),
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
	if err := fake.SetCurrentUser("zhangsan"); err != nil {
		return nil, err
	}
	mux.Handle(fakePrefix+"/", http.StripPrefix(fakePrefix, fake))
	return fake, nil
}

// demoRoutes adds the demo helpers: sign in as another member, and a chat simulator (demochat.go)
// that sends photos, a price and "#" to the app's callback through the fake, exactly as WeCom would.
func demoRoutes(mux *http.ServeMux, fake *wecomtest.Handler, cfg *config, log *slog.Logger) {
	mux.HandleFunc("GET /demo/login-as", func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		if !isDemoMember(user) {
			http.Error(w, "未知成员 (unknown member)", http.StatusBadRequest)
			return
		}
		if err := fake.SetCurrentUser(user); err != nil {
			http.Error(w, "未知成员 (unknown member)", http.StatusBadRequest)
			return
		}
		// The app's /logout ends the session and sends the browser home, where the fake signs in
		// the new member.
		http.Redirect(w, r, "/logout", http.StatusSeeOther)
	})
	demoChatRoutes(mux, fake, cfg.Location, log)
}

// demoClient is the WeCom client of the demo app, pointed at the fake.
func demoClient(cfg *config, store wecom.TokenStore, log *slog.Logger) (*wecom.Client, error) {
	return wecom.New(cfg.CorpID, cfg.Secret, wecom.WithAgentID(cfg.AgentID), wecom.WithBaseURL(cfg.PublicURL+fakePrefix),
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
