// Command scanner is qiwei's bag-shop inventory app: every bag carries a QR label, staff scan it in
// WeCom (企业微信) and sell, restock or count it; products, the stock ledger and sales live in a
// WeCom smart sheet (智能表格).
//
//	go run ./examples/scanner            # demo mode: embedded fake WeCom, no account needed
//	WECOM_CORP_ID=… go run ./examples/scanner   # real mode, see README.md
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/sheetrepo"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/redisstore"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	data := flag.String("data", "./scanner-data", "directory for local state (demo data, keys, doc id)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *data, log, os.Stdout); err != nil {
		log.Error("scanner: " + err.Error())
		os.Exit(1)
	}
}

// run starts the app and serves until ctx ends, printing its URL to out.
func run(ctx context.Context, addr, dataDir string, log *slog.Logger, out *os.File) error {
	return serve(ctx, addr, dataDir, log, func(in *instance) {
		if out != nil {
			fmt.Fprintf(out, "\n箱包库存已启动 · scanner is running: %s\n", in.base)
		}
	})
}

// instance is a running app, handed to serve's ready callback (the tests drive it).
type instance struct {
	base string             // e.g. http://127.0.0.1:8080
	app  *app               // the assembled app
	fake *wecomtest.Handler // the embedded fake WeCom (demo mode only)
}

// serve runs the app on addr with its state in dataDir until ctx ends. ready, when not nil, is
// called once the app answers requests.
func serve(ctx context.Context, addr, dataDir string, log *slog.Logger, ready func(*instance)) error {
	cfg, err := loadConfig(addr, dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if cfg.SessionKey, err = secretKey("SESSION_KEY", dataDir, "session.key"); err != nil {
		return err
	}
	if cfg.LabelKey, err = secretKey("LABEL_KEY", dataDir, "label.key"); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + loopbackHost(ln.Addr().String())

	// Serve at once (the demo's fake WeCom lives on this listener); the app answers 503 until ready.
	var appH atomic.Pointer[http.Handler]
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if appH.Load() == nil {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if serveDomainVerify(w, r, dataDir) {
			return
		}
		h := appH.Load()
		if h == nil {
			http.Error(w, "正在启动，请稍候 (starting)", http.StatusServiceUnavailable)
			return
		}
		(*h).ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer srv.Close() // on a start-up error too

	d := deps{cfg: cfg, log: log, names: map[string]string{}}
	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}()
	d.store = wecom.NewMemoryStore()
	if cfg.RedisURL != "" {
		opt, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return errors.New("REDIS_URL is not a valid redis:// URL")
		}
		rdb := redis.NewClient(opt)
		closers = append(closers, func() { _ = rdb.Close() })
		d.redis = redisstore.New(rdb, "qiwei:scanner:")
		d.store = d.redis
	}
	newDoc := false
	var fake *wecomtest.Handler
	if cfg.Demo {
		if fake, err = startDemo(cfg, mux, base, log); err != nil {
			return err
		}
		closers = append(closers, func() { _ = fake.Close() })
		demoRoutes(mux, fake, cfg, log)
		d.names = demoNames()
		if d.wc, err = demoClient(cfg, d.store, log); err != nil {
			return err
		}
	} else {
		d.secure = strings.HasPrefix(cfg.PublicURL, "https://")
		if d.wc, err = wecom.New(cfg.CorpID, cfg.Secret, wecom.WithAgentID(cfg.AgentID), wecom.WithTokenStore(d.store),
			wecom.WithLogger(log)); err != nil {
			return err
		}
	}
	if d.docID, newDoc, err = docID(ctx, cfg, d.wc); err != nil {
		return err
	}
	a, err := buildApp(ctx, d)
	if err != nil {
		return err
	}
	if cfg.Demo {
		// The fake's HTML view of the smart sheet, to see what the app wrote.
		sheet := fakePrefix + "/wecomtest/doc/" + url.PathEscape(a.docID)
		mux.Handle("GET /demo/sheet", http.RedirectHandler(sheet, http.StatusFound))
	}
	if cfg.Demo && newDoc {
		log.Info("scanner: seeding demo data (first start)")
		bags, sales, err := seedDemo(ctx, a.repo, time.Now().In(cst))
		if err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
		if _, err := a.shop.Reconcile(ctx); err != nil {
			return err
		}
		log.Info("scanner: demo data ready", "bags", bags, "sales", sales)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.notifier.summaryLoop(sctx, cfg.SummaryHour)
	appH.Store(&a.handler)
	log.Info("scanner: ready", "url", base, "mode", map[bool]string{true: "demo", false: "real"}[cfg.Demo], "doc", a.docID)
	if ready != nil {
		ready(&instance{base: base, app: a, fake: fake})
	}
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return err
	}
	shut, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	// Finish queued chat messages first: in demo mode their replies go to the fake on this server.
	_ = a.shutdown(shut)
	_ = srv.Shutdown(shut)
	return nil
}

// docID returns the smart-sheet document: WECOM_DOC_ID, the one recorded in the data directory, or
// a new one (an app may only use smart sheets it created, so the id is stored).
func docID(ctx context.Context, cfg *config, wc *wecom.Client) (string, bool, error) {
	if cfg.DocID != "" {
		return cfg.DocID, false, nil
	}
	path := filepath.Join(cfg.DataDir, "docid")
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), false, nil
	}
	ss, err := smartsheet.NewClient(wc)
	if err != nil {
		return "", false, err
	}
	id, err := sheetrepo.CreateDoc(ctx, ss, cfg.Managers)
	if err != nil {
		return "", false, err
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("store doc id %s (set WECOM_DOC_ID=%s): %w", path, id, err)
	}
	return id, true, nil
}

// loopbackHost turns a listen address into one a browser on this machine can open.
func loopbackHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
