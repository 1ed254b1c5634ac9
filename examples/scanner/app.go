package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/chat"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/sheetrepo"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/web"
	"github.com/qiwei-go/qiwei/oauth"
	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/redisstore"
)

// deps is what both modes hand to buildApp.
type deps struct {
	cfg    *config
	wc     *wecom.Client
	docID  string
	store  wecom.TokenStore  // tokens, dedupe; shared through Redis when configured
	redis  *redisstore.Store // nil without REDIS_URL
	log    *slog.Logger
	names  map[string]string // userid → display name, when known
	secure bool
}

// app is the assembled application.
type app struct {
	handler  http.Handler
	shop     *shop.Service
	repo     *sheetrepo.Repo
	callback *wecom.CallbackHandler
	chat     *chatQueue // runs the callback's chat messages, in order per member
	aibot    *aiBot     // the AI bot callback, nil when not configured
	notifier *notifier
	docID    string
}

func buildApp(ctx context.Context, d deps) (*app, error) {
	cfg := d.cfg
	ss, err := smartsheet.NewClient(d.wc)
	if err != nil {
		return nil, err
	}
	repo, err := sheetrepo.Open(ctx, ss, d.docID, d.log)
	if err != nil {
		return nil, err
	}
	managers := map[string]bool{}
	for _, m := range cfg.Managers {
		managers[m] = true
	}
	n := &notifier{wc: d.wc, managers: cfg.Managers, publicURL: cfg.PublicURL, log: d.log, dedupe: dedupeOf(d.store)}
	var locker shop.Locker = shop.NewLocalLocker()
	if d.redis != nil {
		locker = shop.ChainLocker{locker, redisLocker{s: d.redis}}
	}
	var codes *shop.CodeGen
	if cfg.CodePattern != "" {
		if codes, err = shop.NewCodeGen(cfg.CodePattern); err != nil {
			return nil, err
		}
	}
	svc := shop.NewService(repo, shop.Options{Locker: locker, Codes: codes, Logger: d.log,
		Hooks: shop.Hooks{LowStockAt: cfg.LowStockAt, LowStock: n.lowStock}})
	if fixed, err := svc.Reconcile(ctx); err != nil {
		d.log.Warn("scanner: reconcile failed", "err", err)
	} else if len(fixed) > 0 {
		d.log.Warn("scanner: repaired stock from the ledger", "codes", fixed)
	}
	n.shop = svc
	signer, err := qrcode.NewSigner(cfg.LabelKey, cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	botToken, botKey := aibotSettings(cfg)
	bot, err := newAIBot(aibotOptions{Token: botToken, AESKey: botKey, Dedupe: dedupeOf(d.store), Log: d.log,
		Send: func(ctx context.Context, user, text string) error {
			_, err := d.wc.Messages().SendText(ctx, &wecom.SendTextRequest{ToUsers: []string{user}, Content: text})
			return err
		}})
	if err != nil {
		return nil, err
	}
	flow := chat.New(svc, bot.download(func(ctx context.Context, mediaID string) ([]byte, error) {
		f, err := d.wc.Media().Download(ctx, mediaID)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, shop.MaxPhotoBytes+1))
	}), func(code string) string { return cfg.PublicURL + "/labels/" + url.PathEscape(code) },
		func(u string) bool { return managers[u] })
	chatQ := newChatQueue(bot.runner(chatRunner(d.wc, flow, d.log)), 256, 2*time.Minute, d.log)
	bot.attach(flow, chatQ)
	cb, err := wecom.NewCallbackHandler(d.wc, cfg.CallbackToken, cfg.CallbackKey, chatQ.handler())
	if err != nil {
		return nil, fmt.Errorf("callback handler: %w", err)
	}
	w, err := web.New(web.Config{Shop: svc, Signer: signer, ShopName: cfg.ShopName, Logger: d.log, Demo: cfg.Demo,
		User: func(r *http.Request) (web.User, bool) {
			id, ok := oauth.IdentityFrom(r.Context())
			if !ok || id.UserID == "" {
				return web.User{}, false
			}
			name := d.names[id.UserID]
			if name == "" {
				name = id.UserID
			}
			return web.User{UserID: id.UserID, Name: name, Manager: managers[id.UserID]}, true
		},
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
	return &app{handler: mux, shop: svc, repo: repo, callback: cb, chat: chatQ, aibot: bot, notifier: n, docID: d.docID}, nil
}

// chatRunner turns app-chat messages into the register-by-chat flow. It runs after the callback has
// been acknowledged (see chatQueue), so results go back with message/send.
func chatRunner(wc *wecom.Client, flow *chat.Flow, log *slog.Logger) func(context.Context, *wecom.Message) {
	return func(ctx context.Context, m *wecom.Message) {
		if m.MsgType != wecom.MsgTypeText && m.MsgType != wecom.MsgTypeImage {
			return
		}
		reply, err := flow.Handle(ctx, chat.Message{MsgID: m.MsgID, From: m.FromUserName, Type: m.MsgType,
			Content: m.Content, MediaID: m.MediaID, At: time.Unix(m.CreateTime, 0)})
		if err != nil {
			log.Warn("scanner: chat registration failed", "user", m.FromUserName, "err", err)
			reply = "入库失败：" + errText(err) + "。请稍后重发 #。"
		}
		if reply == "" {
			return
		}
		if _, err := wc.Messages().SendText(ctx, &wecom.SendTextRequest{ToUsers: []string{m.FromUserName}, Content: reply}); err != nil {
			log.Warn("scanner: chat reply failed", "user", m.FromUserName, "err", err)
		}
	}
}

// shutdown finishes the queued chat messages.
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
	return "企业微信暂时不可用"
}

// redisLocker serialises a bag's changes across replicas with the Redis lock.
type redisLocker struct{ s *redisstore.Store }

func (l redisLocker) Lock(ctx context.Context, key string) (func(), error) {
	t := time.NewTicker(25 * time.Millisecond)
	defer t.Stop()
	for {
		unlock, ok, err := l.s.Lock(ctx, "scanner:lock:"+key, 30*time.Second)
		if err != nil {
			return nil, err
		}
		if ok {
			return func() { _ = unlock(context.Background()) }, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func dedupeOf(s wecom.TokenStore) wecom.Deduper {
	if d, ok := s.(wecom.Deduper); ok {
		return d
	}
	return wecom.NewMemoryStore()
}
