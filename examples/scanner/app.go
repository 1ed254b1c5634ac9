package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/chat"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/imports"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/sheetsync"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/web"
	"github.com/qiwei-go/qiwei/oauth"
	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
)

// deps is what both modes hand to buildApp.
type deps struct {
	cfg    *config
	wc     *wecom.Client
	st     *store.Store     // the store of record
	docID  string           // the smart sheet
	owner  string           // this replica's name in the store's leases
	tokens wecom.TokenStore // tokens and callback dedupe; shared through Redis when configured
	log    *slog.Logger
	names  map[string]string // userid → display name, when known
	secure bool
}

// app is the assembled application.
type app struct {
	handler  http.Handler
	st       *store.Store
	shop     *shop.Service
	sync     *sheetsync.Syncer
	imports  *imports.Runner
	callback *wecom.CallbackHandler
	chat     *chatInbox // stores the callbacks' chat messages and runs them, in order per member
	aibot    *aiBot     // the AI bot callback, nil when not configured
	notifier *notifier
	docID    string
	cfg      *config
	log      *slog.Logger
}

func buildApp(ctx context.Context, d deps) (*app, error) {
	cfg := d.cfg
	// The outbox retries for as long as WeCom needs; the client's own retries are kept short so a
	// failed batch returns to the outbox (and its back-off) quickly.
	ss := smartsheet.New(d.wc, smartsheet.WithRetry(wecom.RetryPolicy{Attempts: 3, Base: time.Second,
		Max: 10 * time.Second, RetryLater: true, AttemptTimeout: 30 * time.Second}))
	if err := ss.Err(); err != nil {
		return nil, err
	}
	managers := map[string]bool{}
	for _, m := range cfg.Managers {
		managers[m] = true
	}
	var codes *shop.CodeGen
	if cfg.CodePattern != "" {
		var err error
		if codes, err = shop.NewCodeGen(cfg.CodePattern); err != nil {
			return nil, err
		}
	}
	svc := shop.NewService(d.st, shop.Options{Codes: codes, Logger: d.log, Now: cfg.Now, Location: cfg.Location,
		Hooks: shop.Hooks{LowStockAt: cfg.LowStockAt}})
	syncer := sheetsync.New(d.st, ss, svc, d.docID, sheetsync.Options{Owner: d.owner, MaxDelay: max(cfg.SyncDelay, time.Millisecond),
		ReconcileEvery: reconcileEvery(cfg), Logger: d.log, Location: cfg.Location})
	runner := imports.NewRunner(d.st, svc, d.owner, d.log)
	n := &notifier{wc: d.wc, st: d.st, shop: svc, managers: cfg.Managers, publicURL: cfg.PublicURL, log: d.log, owner: d.owner,
		loc: cfg.Location}
	signer, err := qrcode.NewSigner(cfg.LabelKey, cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	dedupe := dedupeOf(d.tokens)
	botToken, botKey := aibotSettings(cfg)
	send := func(ctx context.Context, user, text string) error {
		_, err := d.wc.Messages().SendText(ctx, &wecom.SendTextRequest{Recipients: wecom.ToUsers(user), Content: text})
		return err
	}
	bot, err := newAIBot(aibotOptions{Token: botToken, AESKey: botKey, Log: d.log, Send: send})
	if err != nil {
		return nil, err
	}
	flow := chat.New(svc, d.st, bot.download(func(ctx context.Context, mediaID string) ([]byte, error) {
		f, err := d.wc.Media().Download(ctx, mediaID)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, shop.MaxPhotoBytes+1))
	}), func(code string) string { return cfg.PublicURL + "/labels/" + url.PathEscape(code) },
		func(u string) bool { return managers[u] }, chat.WithLogger(d.log))
	chatQ := newChatInbox(d.st, chatRunner(flow, d.log), bot.replier(send),
		inboxOptions{Owner: d.owner, Max: 256, Timeout: 2 * time.Minute, Log: d.log})
	bot.attach(chatQ)
	// The SDK deduplicates messages (MsgId) across replicas through the shared store, and never
	// smart_sheet_change: two edits of a record within a second look like a delivery and its retry,
	// and the sync re-reads the records a change names, so handling one twice costs a read.
	cb, err := wecom.NewCallbackHandler(d.wc, cfg.CallbackToken, cfg.CallbackKey, dispatch(syncer, chatQ),
		wecom.WithDeduper(dedupe))
	if err != nil {
		return nil, fmt.Errorf("callback handler: %w", err)
	}
	mem, err := newMembers(ctx, d.st, d.wc, d.names, d.log)
	if err != nil {
		return nil, err
	}
	w, err := web.New(web.Config{Shop: svc, Store: d.st, Sync: syncer, Imports: runner, Signer: signer,
		ShopName: cfg.ShopName, Logger: d.log, Demo: cfg.Demo, Now: cfg.Now, Location: cfg.Location,
		User: func(r *http.Request) (web.User, bool) {
			id, ok := oauth.IdentityFrom(r.Context())
			if !ok || id.UserID == "" {
				return web.User{}, false
			}
			mem.Learn(id.UserID) // in the background, once
			return web.User{UserID: id.UserID, Name: mem.Display(id.UserID), Manager: managers[id.UserID]}, true
		},
		Names: mem.Display,
		JSSDK: func(ctx context.Context, page string) (*wecom.JSConfig, error) {
			return d.wc.JSSDKConfig(ctx, page, "scanQRCode")
		},
		CorpID: d.wc.ID(), AgentID: d.wc.AgentID(), Callback: cb})
	if err != nil {
		return nil, err
	}
	mo := &oauth.MiddlewareOptions{Client: d.wc, Config: oauth.Config{RedirectURL: cfg.PublicURL + oauth.DefaultCallbackPath},
		SessionKey: cfg.SessionKey, Public: []string{"/healthz", "/static/", "/wecom/callback"}, Logger: d.log, Secure: d.secure}
	if err := mo.Validate(); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/logout", oauth.Logout(&oauth.MiddlewareOptions{Client: d.wc, SessionKey: cfg.SessionKey, LogoutRedirect: "/"}))
	if bot != nil {
		mux.Handle(aibotPath, bot) // WeCom calls it: outside the login middleware, like /wecom/callback
	}
	mux.Handle("/", oauth.Middleware(w, mo))
	return &app{handler: mux, st: d.st, shop: svc, sync: syncer, imports: runner, callback: cb, chat: chatQ, aibot: bot,
		notifier: n, docID: d.docID, cfg: cfg, log: d.log}, nil
}

func reconcileEvery(cfg *config) time.Duration {
	if cfg.Reconcile <= 0 {
		return -1
	}
	return cfg.Reconcile
}

// dispatch routes callbacks: smart_sheet_change to the sheet sync (stored, applied in the
// background), messages to the chat inbox (stored, handled in the background). A message the inbox
// cannot take is an error: the SDK then forgets its delivery, so that WeCom's retry is handled.
func dispatch(s *sheetsync.Syncer, q *chatInbox) wecom.MessageHandler {
	chatH := q.handler()
	return func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
		if m.MsgType == wecom.MsgTypeEvent && m.Event == wecom.EventSmartSheetChange {
			return nil, s.HandleCallback(ctx, m)
		}
		return chatH(ctx, m)
	}
}

// start runs the background loops (chat inbox, sheet sync, import jobs, notices, scan records) until
// ctx ends.
func (a *app) start(ctx context.Context) *sync.WaitGroup {
	a.chat.start(ctx)
	var wg sync.WaitGroup
	for _, f := range []func(context.Context){a.sync.Run, a.imports.Run, a.notifier.run,
		func(ctx context.Context) { a.notifier.summaryLoop(ctx, a.cfg.SummaryHour) },
		func(ctx context.Context) { a.shop.RunScanLog(ctx, shop.ScanFlushEvery) }} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}
	return &wg
}

// chatRunner turns stored chat messages (the app conversation's and the AI bot's) into the
// register-by-chat flow. It runs after the callback has been acknowledged (see chatInbox), so the
// reply goes back with message/send or the bot's response_url. A failure of the shop's or the
// store's is returned, to be tried again; input the shop refuses is the member's reply.
func chatRunner(flow *chat.Flow, log *slog.Logger) chatHandler {
	return func(ctx context.Context, m *store.InboxMessage) (string, error) {
		reply, err := flow.Handle(ctx, chat.Message{MsgID: m.MsgID, From: m.Member, Type: m.Type,
			Content: m.Content, MediaID: m.MediaID, At: m.SentAt})
		if err == nil {
			return reply, nil
		}
		if text := errText(err); text != errTextSystem {
			log.Info("scanner: chat registration refused", "user", m.Member, "err", err)
			return "入库失败：" + text + "。请稍后重发 #。", nil
		}
		return "", err
	}
}

// shutdown stops the chat workers after the messages at hand; waiting ones stay in the store.
func (a *app) shutdown(ctx context.Context) error {
	return a.chat.shutdown(ctx)
}

func errText(err error) string {
	var ie *shop.InputError
	if errors.As(err, &ie) {
		return ie.Msg
	}
	if errors.Is(err, shop.ErrInvalid) || errors.Is(err, shop.ErrCodeTaken) {
		return err.Error()
	}
	return errTextSystem
}

// errTextSystem is errText for a failure that is not the member's input.
const errTextSystem = "系统暂时不可用"

func dedupeOf(s wecom.TokenStore) wecom.Deduper {
	if d, ok := s.(wecom.Deduper); ok {
		return d
	}
	return wecom.NewMemoryStore()
}
