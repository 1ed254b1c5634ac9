// Command merchant-bind binds merchants to a 公众号 (WeChat Official Account) by scanning a
// parametric QR code, then notifies them with template messages. It is built only on qiwei
// packages: wecom.NewOfficialAccount, qrcode.Tickets/Binder/ParseScanEvent, wecom.CallbackHandler
// and 公众号 messages.
//
//	go run ./examples/merchant-bind                          # demo mode: embedded fake 公众号, nothing to set up
//	WECHAT_APP_ID=… go run ./examples/merchant-bind          # real mode, see README.md
//	go run ./examples/merchant-bind -reset-password admin    # a new password for an admin, printed
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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/outbox"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	data := flag.String("data", "./merchant-bind-data", "directory for local state (SQLite database, demo state)")
	demo := flag.Bool("demo", false, "demo mode even with WECHAT_* set, on DATABASE_URL when set (never a real-mode database)")
	reset := flag.String("reset-password", "", "give the admin `USER` a new random password (printed), end their sessions, and exit")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := loadConfig(os.Getenv, *addr, *data, *demo)
	if err == nil {
		if *reset != "" {
			err = resetCommand(ctx, cfg, *reset, os.Stdout)
		} else {
			err = serve(ctx, cfg, log, os.Stdout, nil)
		}
	}
	if err != nil {
		log.Error("merchant-bind: " + err.Error())
		os.Exit(1)
	}
}

// resetCommand runs -reset-password on the database the server would use.
func resetCommand(ctx context.Context, cfg *config, user string, out io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkMode(ctx, db, cfg.Demo); err != nil {
		return err
	}
	pw, err := resetPassword(ctx, db, user, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "新密码 New password for %s: %s\n(数据库 database: %s; every session of %s has ended)\n", user, pw, db, user)
	return nil
}

// shutdownTimeout bounds the graceful stop: requests in flight, then sends in flight.
const shutdownTimeout = 20 * time.Second

// serveHooks let tests watch and steer serve; nil in production.
type serveHooks struct {
	Ready       func(base string, a *app)         // the app answers requests
	WrapHandler func(http.Handler) http.Handler   // around the app's handler
	WrapSender  func(outbox.Sender) outbox.Sender // around the 公众号 message sender
	Now         func() time.Time                  // the app's clock
	OutboxLease time.Duration                     // default: the outbox's
}

// serve runs the app until ctx ends, then stops gracefully: the HTTP server stops accepting and
// finishes the requests in flight (callbacks commit their transactions) while the outbox worker
// finishes and records the sends in flight; only then is the database closed.
func serve(ctx context.Context, cfg *config, log *slog.Logger, out io.Writer, hooks *serveHooks) error {
	if hooks == nil {
		hooks = &serveHooks{}
	}
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
	var a *app
	stopAll := func() error {
		shut, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		// HTTP and the outbox drain side by side; the database closes after both.
		httpDone := make(chan error, 1)
		go func() { httpDone <- srv.Shutdown(shut) }()
		var err error
		if a != nil {
			err = a.outbox.Stop(shut)
		}
		err = errors.Join(err, <-httpDone)
		if a != nil {
			a.close()
		}
		return err
	}

	o := appOptions{DSN: cfg.DatabaseURL, Demo: cfg.Demo, AppID: cfg.AppID, AppSecret: cfg.AppSecret, Token: cfg.Token,
		AESKey: cfg.AESKey, RedisURL: cfg.RedisURL, FieldMap: cfg.FieldMap, CodeTTL: cfg.CodeTTL, APIToken: cfg.APIToken,
		PlatformToken: cfg.PlatformToken, SessionKey: cfg.SessionKey, PublicURL: cfg.PublicURL,
		TrustedProxies: cfg.TrustedProxies, APIBase: cfg.APIBase, Log: log,
		WrapSender: hooks.WrapSender, OutboxLease: hooks.OutboxLease, Now: hooks.Now}
	if cfg.Demo {
		fake, err := startDemo(cfg, mux, base, log)
		if err != nil {
			return errors.Join(err, stopAll())
		}
		defer fake.Close()
		o.AppID, o.AppSecret, o.Token, o.AESKey = cfg.AppID, cfg.AppSecret, cfg.Token, cfg.AESKey
		o.APIBase, o.DemoSim = base+fakePrefix, demoSim{fake}
		if o.APIToken == "" {
			o.APIToken = randomHex(16)
		}
	}
	o.WelcomeTpl, o.NotifyTpl, o.AccountName = cfg.WelcomeTemplateID, cfg.NotifyTemplateID, cfg.AccountName
	a, err = newApp(ctx, o)
	if err != nil {
		return errors.Join(err, stopAll())
	}
	if sim, ok := o.DemoSim.(demoSim); ok {
		a.fake = sim.fake
	}

	// The demo resets the admin password at every start; in real mode the first admin gets
	// ADMIN_PASSWORD, or a random password that is printed once.
	password := cfg.AdminPW
	generated := cfg.Demo || password == ""
	if generated {
		password = randomHex(6)
	}
	created, err := ensureAdmin(ctx, a.db, cfg.AdminUser, password, cfg.Demo, a.now())
	if err != nil {
		return errors.Join(fmt.Errorf("admin account: %w", err), stopAll())
	}
	a.start()
	h := a.handler
	if hooks.WrapHandler != nil {
		h = hooks.WrapHandler(h)
	}
	appH.Store(&h)
	if cfg.Demo {
		if err := seedDemo(ctx, a, o.DemoSim.(demoSim), log); err != nil {
			return errors.Join(fmt.Errorf("demo seed: %w", err), stopAll())
		}
	}
	printBanner(out, cfg, base, a.db.String(), password, cfg.Demo || (created && generated), o.APIToken)
	if hooks.Ready != nil {
		hooks.Ready(base, a)
	}
	select {
	case <-ctx.Done():
		log.Info("merchant-bind: stopping: finishing requests and sends in flight")
		return stopAll()
	case err := <-serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		return errors.Join(err, stopAll())
	}
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
