// Command merchant-bind binds merchants to a 公众号 (WeChat Official Account) by scanning a
// parametric QR code, then notifies them with template messages. It is built only on qiwei
// packages: wecom.NewOfficialAccount, qrcode.Tickets/Binder/ParseScanEvent, wecom.CallbackHandler
// and template messages.
//
//	go run ./examples/merchant-bind                  # demo mode: embedded fake 公众号, nothing to set up
//	WECHAT_APP_ID=… go run ./examples/merchant-bind  # real mode, see README.md
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	data := flag.String("data", "./merchant-bind-data", "directory for local state (SQLite database, demo state)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := loadConfig(os.Getenv, *addr, *data)
	if err == nil {
		err = serve(ctx, cfg, log, os.Stdout, nil)
	}
	if err != nil {
		log.Error("merchant-bind: " + err.Error())
		os.Exit(1)
	}
}

// serve runs the app until ctx ends. ready, when not nil, gets the base URL and the app once it
// answers requests (tests use it).
func serve(ctx context.Context, cfg *config, log *slog.Logger, out io.Writer, ready func(base string, a *app)) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	base := "http://" + loopbackHost(ln.Addr().String())

	// Serve at once (the demo's fake 公众号 lives on this listener); the app answers 503 until ready.
	var appH atomic.Pointer[http.Handler]
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if h := appH.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "正在启动，请稍候 (starting)", http.StatusServiceUnavailable)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer func() {
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()

	o := appOptions{DSN: cfg.DatabaseURL, AppID: cfg.AppID, AppSecret: cfg.AppSecret, Token: cfg.Token, AESKey: cfg.AESKey,
		RedisURL: cfg.RedisURL, FieldMap: cfg.FieldMap, CodeTTL: cfg.CodeTTL, APIToken: cfg.APIToken,
		SessionKey: cfg.SessionKey, SecureCookies: strings.HasPrefix(cfg.PublicURL, "https://"), Log: log}
	var sim demoSim
	if cfg.Demo {
		fake, err := startDemo(cfg, mux, base, log)
		if err != nil {
			return err
		}
		defer fake.Close()
		sim = demoSim{fake}
		o.AppID, o.AppSecret, o.Token, o.AESKey = cfg.AppID, cfg.AppSecret, cfg.Token, cfg.AESKey
		o.APIBase, o.Demo = base+fakePrefix, sim
		if o.APIToken == "" {
			o.APIToken = randomHex(16)
		}
	}
	o.WelcomeTpl, o.NotifyTpl, o.AccountName = cfg.WelcomeTemplateID, cfg.NotifyTemplateID, cfg.AccountName
	a, err := newApp(ctx, o)
	if err != nil {
		return err
	}
	defer a.Close()

	// The demo resets the admin password at every start; in real mode the first admin gets
	// ADMIN_PASSWORD, or a random password that is printed once.
	password := cfg.AdminPW
	generated := cfg.Demo || password == ""
	if generated {
		password = randomHex(6)
	}
	created, err := ensureAdmin(ctx, a.db, cfg.AdminUser, password, cfg.Demo)
	if err != nil {
		return fmt.Errorf("admin account: %w", err)
	}
	appH.Store(&a.handler)
	if cfg.Demo {
		if err := seedDemo(ctx, a, sim, log); err != nil {
			return fmt.Errorf("demo seed: %w", err)
		}
	}
	printBanner(out, cfg, base, password, cfg.Demo || (created && generated), o.APIToken)
	if ready != nil {
		ready(base, a)
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

func printBanner(out io.Writer, cfg *config, base, password string, showPassword bool, apiToken string) {
	if out == nil {
		return
	}
	mode := "真实模式 real mode"
	if cfg.Demo {
		mode = "演示模式 demo mode (embedded fake 公众号)"
	}
	fmt.Fprintf(out, "\n商户绑定已启动 · merchant-bind is running — %s\n", mode)
	fmt.Fprintf(out, "  管理后台 Admin:     %s/\n", base)
	if showPassword {
		fmt.Fprintf(out, "  管理员 Admin login: %s / %s\n", cfg.AdminUser, password)
	}
	if cfg.Demo {
		fmt.Fprintf(out, "  API token:          %s\n", apiToken)
		fmt.Fprintf(out, "  Try: curl -X POST -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n"+
			"         -d '{\"content\":\"您的结算单已生成\"}' %s/api/merchants/1/notify\n", apiToken, base)
	} else {
		fmt.Fprintf(out, "  公众号服务器地址 Server URL: %s/wx/callback\n", cfg.PublicURL)
	}
	fmt.Fprintln(out)
}

// loopbackHost turns a wildcard listen address into one a browser can open.
func loopbackHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
