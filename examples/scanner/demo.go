package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/qiwei-go/qiwei/oauth"
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

// demoRoutes adds the demo helpers: sign in as another member, and a chat simulator that sends
// photos, a price and "#" to the app's callback through the fake, exactly as WeCom would.
func demoRoutes(mux *http.ServeMux, fake *wecomtest.Handler, cfg *config, log *slog.Logger) {
	mux.HandleFunc("GET /demo/login-as", func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		if err := fake.SetCurrentUser(user); err != nil {
			http.Error(w, "未知成员 (unknown member)", http.StatusBadRequest)
			return
		}
		oauth.Logout(&oauth.MiddlewareOptions{SessionKey: cfg.SessionKey, LogoutRedirect: "/"}).ServeHTTP(w, r)
	})
	mux.HandleFunc("POST /demo/chat", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		user := r.PostForm.Get("user")
		if user == "" {
			user = "zhangsan"
		}
		ctx := r.Context()
		var err error
		if r.PostForm.Get("photo") == "1" {
			_, err = fake.SendMessage(ctx, wecomtest.Message{From: user, Type: "image", Image: bagPhoto(demoBags[len(r.PostForm.Get("text"))%len(demoBags)].rgb, 0)})
		}
		for _, line := range strings.Split(r.PostForm.Get("text"), "\n") {
			if line = strings.TrimSpace(line); line != "" && err == nil {
				_, err = fake.SendMessage(ctx, wecomtest.Message{From: user, Type: "text", Content: line})
			}
		}
		if err != nil {
			log.Warn("demo chat", "err", err)
			http.Error(w, "发送失败: "+err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
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

var _ = context.Background
