// Command wecomfake serves the wecomtest fake WeCom + 公众号 API standalone, for manual testing and for
// apps written in other languages:
//
//	go run ./wecom/wecomtest/cmd/wecomfake -addr 127.0.0.1:9000 -state /tmp/wecomfake.json
//
// It prints the base URL and the credentials it accepts, then serves until interrupted. With -state,
// every acknowledged write is in the state file's journal before it is answered, so it survives even
// kill -9; on exit the journal is folded into a snapshot. Point a client's base URL at it; every WeCom
// and 公众号 host is served on the one address.
//
// OAuth redirects go only to -trusted-domains (the app) and -mp-domains (the 公众号); by default to
// the fake's own host name. -max-body caps every request body.
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
	"syscall"
	"time"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "wecomfake:", err)
		os.Exit(1)
	}
}

// run parses flags, serves until ctx is done, and reports what it serves on stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wecomfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr      = fs.String("addr", "127.0.0.1:9000", "listen address")
		corpID    = fs.String("corpid", wecomtest.DefaultCorpID, "WeCom corp id (企业ID)")
		agentID   = fs.Int64("agentid", wecomtest.DefaultAgentID, "WeCom app AgentId")
		secret    = fs.String("secret", wecomtest.DefaultSecret, "WeCom app secret")
		appID     = fs.String("appid", wecomtest.DefaultAppID, "公众号 AppID")
		appSecret = fs.String("appsecret", wecomtest.DefaultAppSecret, "公众号 AppSecret")
		state     = fs.String("state", "", "JSON file (plus its journal) keeping smart sheets, media, tickets and messages across restarts")
		publicURL = fs.String("public-url", "", "base URL clients reach the fake at (default: from each request's Host)")
		appCB     = fs.String("app-callback", "", "callback URL of the WeCom app (token and EncodingAESKey: the defaults)")
		mpCB      = fs.String("mp-callback", "", "callback URL of the 公众号")
		mpMode    = fs.String("mp-mode", "safe", "公众号 callback mode: plain, compat or safe")
		latency   = fs.Duration("latency", 0, "delay every call by this much")
		failRate  = fs.Float64("failure-rate", 0, "fraction of calls that fail at random (5xx, -1, applied-but-dropped)")
		trusted   = fs.String("trusted-domains", "", "comma-separated trusted domains (可信域名) of the WeCom app's OAuth redirects, host or host:port (default: the fake's own host)")
		mpDomains = fs.String("mp-domains", "", "comma-separated 网页授权域名 of the 公众号 (default: the fake's own host)")
		maxBody   = fs.Int64("max-body", 24<<20, "largest request body in bytes (JSON and uploads)")
		verbose   = fs.Bool("v", false, "log every call")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	app := wecomtest.App{AgentID: *agentID, Secret: *secret, TrustedDomains: splitList(*trusted)}
	if *appCB != "" {
		app.Callback = &wecomtest.CallbackConfig{URL: *appCB, Token: wecomtest.DefaultCallbackToken,
			EncodingAESKey: wecomtest.DefaultEncodingAESKey}
	}
	opts := []wecomtest.Option{
		wecomtest.WithCorpID(*corpID),
		wecomtest.WithApp(app),
		wecomtest.WithOfficialAccount(*appID, *appSecret, ""),
		wecomtest.WithLatency(*latency),
		wecomtest.WithFailureRate(*failRate, uint64(time.Now().UnixNano())),
		wecomtest.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))),
		wecomtest.WithOfficialAccountDomains(splitList(*mpDomains)...),
		wecomtest.WithMaxRequestBody(*maxBody),
	}
	if *state != "" {
		opts = append(opts, wecomtest.WithStateFile(*state))
	}
	if *publicURL != "" {
		opts = append(opts, wecomtest.WithPublicURL(*publicURL))
	}
	if *mpCB != "" {
		mode, ok := map[string]wecomtest.CallbackMode{"plain": wecomtest.ModePlain, "compat": wecomtest.ModeCompat,
			"safe": wecomtest.ModeSafe}[*mpMode]
		if !ok {
			return fmt.Errorf("-mp-mode %q: want plain, compat or safe", *mpMode)
		}
		opts = append(opts, wecomtest.WithOfficialAccountCallback(wecomtest.CallbackConfig{URL: *mpCB,
			Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey, Mode: mode}))
	}
	h, err := wecomtest.NewHandler(opts...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		_ = h.Close()
		return err
	}
	base := "http://" + ln.Addr().String()
	if *publicURL != "" {
		base = *publicURL
	}
	fmt.Fprintf(stdout, `wecomfake serving %s
  WeCom:   corpid=%s agentid=%d secret=%s
  公众号:  appid=%s secret=%s original_id=%s
  callback token=%s EncodingAESKey=%s
  member:  %s   WeChat user: %s
`, base, *corpID, *agentID, *secret, *appID, *appSecret, wecomtest.DefaultOriginalID,
		wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey, wecomtest.DefaultUserID, wecomtest.DefaultOpenID)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	_ = h.Close() // releases held requests before Shutdown waits for them
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := srv.Shutdown(sctx); err == nil {
		err = serr
	}
	if serr := h.Save(); err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
