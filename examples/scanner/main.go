// Command scanner is qiwei's bag-shop inventory app: every bag carries a QR label, staff scan it in
// WeCom (企业微信) and sell, restock or count it; products, the stock ledger and sales live in a
// WeCom smart sheet (智能表格).
//
//	go run ./examples/scanner            # demo mode: embedded fake WeCom, no account needed
//	WECOM_CORP_ID=… go run ./examples/scanner   # real mode, see README.md
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	_ "time/tzdata" // SHOP_TZ works on servers without a zone database

	"github.com/redis/go-redis/v9"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/redisstore"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	data := flag.String("data", "./scanner-data", "directory for local state (the store, keys; the demo's fake WeCom)")
	bags := flag.Int("demo-bags", 30, "demo mode: bags to seed, with a year of sales, on first start")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, options{Addr: *addr, DataDir: *data, DemoBags: *bags}, log, os.Stdout); err != nil {
		log.Error("scanner: " + err.Error())
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	Addr, DataDir string
	DemoBags      int
	Now           func() time.Time // the shop's clock (tests); nil: time.Now
}

// run starts the app and serves until ctx ends, printing its URL to out.
func run(ctx context.Context, o options, log *slog.Logger, out *os.File) error {
	return serve(ctx, o, log, func(in *instance) {
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

// serve runs the app on o.Addr with its state in o.DataDir until ctx ends. ready, when not nil, is
// called once the app answers requests.
func serve(ctx context.Context, o options, log *slog.Logger, ready func(*instance)) error {
	cfg, err := loadConfig(o.Addr, o.DataDir)
	if err != nil {
		return err
	}
	cfg.DemoBags = o.DemoBags
	if o.Now != nil {
		cfg.Now = o.Now
	}
	if cfg.DemoBags <= 0 {
		cfg.DemoBags = 30
	}
	dataDir := o.DataDir
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if cfg.SessionKey, err = secretKey("SESSION_KEY", dataDir, "session.key"); err != nil {
		return err
	}
	if cfg.LabelKey, err = secretKey("LABEL_KEY", dataDir, "label.key"); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
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
	if d.st, err = openStore(ctx, cfg); err != nil {
		return err
	}
	closers = append(closers, func() { _ = d.st.Close() })
	if d.owner, err = replicaID(dataDir); err != nil {
		return err
	}
	d.tokens = wecom.NewMemoryStore()
	if cfg.RedisURL != "" {
		opt, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return errors.New("REDIS_URL is not a valid redis:// URL")
		}
		rdb := redis.NewClient(opt)
		closers = append(closers, func() { _ = rdb.Close() })
		d.tokens = redisstore.New(rdb, "qiwei:scanner:")
	}
	var fake *wecomtest.Handler
	if cfg.Demo {
		if fake, err = startDemo(cfg, mux, base, log); err != nil {
			return err
		}
		closers = append(closers, func() { _ = fake.Close() })
		demoRoutes(mux, fake, cfg, log)
		d.names = demoNames()
		if d.wc, err = demoClient(cfg, d.tokens, log); err != nil {
			return err
		}
	} else {
		d.secure = strings.HasPrefix(cfg.PublicURL, "https://")
		opts := []wecom.Option{wecom.WithAgentID(cfg.AgentID), wecom.WithTokenStore(d.tokens), wecom.WithLogger(log)}
		if cfg.BaseURL != "" {
			opts = append(opts, wecom.WithBaseURL(cfg.BaseURL))
		}
		if d.wc, err = wecom.New(cfg.CorpID, cfg.Secret, opts...); err != nil {
			return err
		}
	}
	if d.docID, err = resolveDoc(ctx, d); err != nil {
		return err
	}
	a, err := buildApp(ctx, d)
	if err != nil {
		return err
	}
	// First start on a document an earlier version wrote: copy it into the store (resumable). Once
	// done, start-up reads nothing from WeCom.
	if err := a.sync.Import(ctx); err != nil {
		return fmt.Errorf("import the existing smart sheet: %w", err)
	}
	if cfg.Demo {
		// The fake's HTML view of the smart sheet, to see (and edit, as a member) what the app wrote.
		sheet := fakePrefix + "/wecomtest/doc/" + url.PathEscape(a.docID)
		mux.Handle("GET /demo/sheet", http.RedirectHandler(sheet, http.StatusFound))
		if err := seedIfNew(ctx, a, cfg.DemoBags, log); err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loops := a.start(sctx)
	appH.Store(&a.handler)
	log.Info("scanner: ready", "url", base, "mode", map[bool]string{true: "demo", false: "real"}[cfg.Demo], "doc", a.docID,
		"store", d.st.Dialect().String())
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
	// Finish the chat messages being handled first (in demo mode their replies go to the fake on
	// this server); waiting ones stay in the store's chat inbox for the next start.
	_ = a.shutdown(shut)
	cancel()
	loops.Wait()
	_ = srv.Shutdown(shut)
	// Scans recorded by the last requests, after the scan loop's own last flush.
	if err := a.shop.FlushScans(shut); err != nil {
		log.Warn("scanner: scan records not written at shutdown", "err", err)
	}
	return nil
}

// openStore opens DATABASE_URL, or the SQLite file in the data directory.
func openStore(ctx context.Context, cfg *config) (*store.Store, error) {
	dsn := cfg.DatabaseURL
	if dsn == "" {
		dsn = filepath.Join(cfg.DataDir, "scanner.db")
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open the store: %w", err)
	}
	return st, nil
}

// replicaID names this replica in the store's leases; it is kept in the data directory, so a
// restarted replica takes its leases back at once.
func replicaID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "replica.id")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 8 {
		return strings.TrimSpace(string(b)), nil
	}
	var k [8]byte
	_, _ = rand.Read(k[:])
	host, _ := os.Hostname()
	id := strings.Trim(host+"-"+hex.EncodeToString(k[:]), "-")
	if len(id) > 60 {
		id = id[len(id)-60:]
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store the replica id: %w", err)
	}
	return id, nil
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
