package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/web"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// fakePrefix is where the embedded fake 公众号 is mounted in demo mode.
const fakePrefix = "/_fake"

// demoMaxBody caps request bodies to the embedded fake: QR code and message JSON are small.
const demoMaxBody = 64 << 10

// demoAccountName is the demo 公众号.
const demoAccountName = "演示公众号 Demo OA"

// Demo template ids: the fake accepts any non-empty id.
const (
	demoWelcomeTpl = "demo-welcome-template"
	demoNotifyTpl  = "demo-notify-template"
)

// demoUsers are the demo 公众号's WeChat users; their nicknames match the seeded contacts.
var demoUsers = []web.DemoUser{
	{OpenID: "oWx1Q5m2_wangjianguo_9aBcDeF", Nickname: "王建国"},
	{OpenID: "oWx1Q5m2_lixiuying_0bCdEfGh1", Nickname: "李秀英"},
	{OpenID: "oWx1Q5m2_zhangwei_1cDeFgHi2j", Nickname: "张伟"},
	{OpenID: "oWx1Q5m2_linxiaoyu_2dEfGhIj3", Nickname: "林小雨"},
	{OpenID: "oWx1Q5m2_chenqiang_3eFgHiJk4", Nickname: "陈强"},
	{OpenID: "oWx1Q5m2_zhaolei_4fGhIjKlm5n", Nickname: "赵磊"},
}

// startDemo mounts an embedded fake 公众号 on mux under /_fake, delivering events to base +
// "/wx/callback" in safe mode (encrypted), with its state kept in the data directory. Links the
// browser opens (showqrcode) use PUBLIC_URL when it is set: the demo may run behind a proxy too.
func startDemo(cfg *config, mux *http.ServeMux, base string, log *slog.Logger) (*wecomtest.Handler, error) {
	cfg.AppID, cfg.AppSecret = wecomtest.DefaultAppID, wecomtest.DefaultAppSecret
	cfg.Token, cfg.AESKey = wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey
	cfg.AccountName = demoAccountName
	public := base
	if cfg.PublicURL != "" {
		public = cfg.PublicURL
	}
	if cfg.WelcomeTemplateID == "" {
		cfg.WelcomeTemplateID = demoWelcomeTpl
	}
	if cfg.NotifyTemplateID == "" {
		cfg.NotifyTemplateID = demoNotifyTpl
	}
	pu, err := url.Parse(public)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	opts := []wecomtest.Option{
		wecomtest.WithStateFile(filepath.Join(cfg.DataDir, "fake-wechat.json")),
		wecomtest.WithPublicURL(public + fakePrefix),
		// The fake shares the app's port: its OAuth page redirects only to the app's own origin,
		// and no request body may be larger than this demo ever sends (it uploads nothing).
		wecomtest.WithOfficialAccountDomains(pu.Host),
		wecomtest.WithMaxRequestBody(demoMaxBody),
		wecomtest.WithOfficialAccountCallback(wecomtest.CallbackConfig{URL: base + "/wx/callback", Token: cfg.Token,
			EncodingAESKey: cfg.AESKey, Mode: wecomtest.ModeSafe}),
		wecomtest.WithLogger(log.With("component", "fake-wechat")),
	}
	for _, u := range demoUsers {
		opts = append(opts, wecomtest.WithWeChatUser(wecomtest.WeChatUser{OpenID: u.OpenID, Nickname: u.Nickname}))
	}
	fake, err := wecomtest.NewHandler(opts...)
	if err != nil {
		return nil, fmt.Errorf("demo: fake 公众号: %w", err)
	}
	mux.Handle(fakePrefix+"/", http.StripPrefix(fakePrefix, fake))
	return fake, nil
}

// demoSim implements web.Demo on the fake: it delivers the same signed, encrypted events WeChat
// would send to the app's own callback.
type demoSim struct{ fake *wecomtest.Handler }

func (d demoSim) Users() []web.DemoUser { return demoUsers }

func (d demoSim) SimulateScan(ctx context.Context, openid, scene string, following bool) (string, error) {
	reply, err := d.fake.SimulateScan(ctx, openid, scene, following)
	if err != nil {
		return "", err
	}
	return replyText(reply), nil
}

func (d demoSim) Unsubscribe(ctx context.Context, openid string) error {
	_, err := d.fake.SendOfficialAccountMessage(ctx, wecomtest.Message{From: openid, Type: "event", Event: "unsubscribe"})
	return err
}

// replyText extracts the Content of a passive text reply.
func replyText(reply []byte) string {
	var x struct {
		Content string `xml:"Content"`
	}
	s := strings.TrimSpace(string(reply))
	if s == "" || s == "success" {
		return "（无回复 no reply）"
	}
	if err := xml.Unmarshal(reply, &x); err != nil || x.Content == "" {
		return s
	}
	return x.Content
}

// demoMerchants are seeded on the first demo start.
var demoMerchants = []struct {
	in        store.MerchantInput
	lastLogin time.Duration // ago; 0: never
	disabled  bool
}{
	{store.MerchantInput{Name: "老王面馆", Login: "laowang-noodles", Contact: "王建国", Phone: "138 0013 8001"}, 2 * time.Hour, false},
	{store.MerchantInput{Name: "鲜果时光水果店", Login: "fresh-fruit", Contact: "李秀英", Phone: "139 1234 5678"}, 26 * time.Hour, false},
	{store.MerchantInput{Name: "悦读书店", Login: "yuedu-books", Contact: "张伟", Phone: "136 2020 3030"}, 0, false},
	{store.MerchantInput{Name: "小林咖啡", Login: "xiaolin-coffee", Contact: "林小雨", Phone: "137 8888 6666"}, 5 * 24 * time.Hour, false},
	{store.MerchantInput{Name: "阿强五金", Login: "aqiang-hardware", Contact: "陈强", Phone: "135 0101 0202"}, 0, false},
	{store.MerchantInput{Name: "花语花店", Login: "huayu-florist", Contact: "刘芳", Phone: "158 6666 1234"}, 40 * 24 * time.Hour, true},
	{store.MerchantInput{Name: "川味小厨", Login: "chuanwei-kitchen", Contact: "赵磊", Phone: "186 1357 2468"}, 3 * time.Hour, false},
}

// seedDemo adds the demo merchants when the database has none, then binds 老王面馆 through the whole
// chain (code → signed subscribe event → callback → welcome message) so that the list shows both
// states.
func seedDemo(ctx context.Context, a *app, sim demoSim, log *slog.Logger) error {
	if all, _, err := a.db.CountMerchants(ctx); err != nil || all > 0 {
		return err
	}
	now := time.Now()
	var first *store.Merchant
	for _, dm := range demoMerchants {
		m, err := a.db.CreateMerchant(ctx, dm.in, now.Add(-60*24*time.Hour))
		if err != nil {
			return err
		}
		if dm.lastLogin > 0 {
			if err := a.db.SetMerchantLastLogin(ctx, m.ID, now.Add(-dm.lastLogin)); err != nil {
				return err
			}
		}
		if dm.disabled {
			if _, err := a.db.SetMerchantStatus(ctx, m.ID, store.StatusDisabled); err != nil {
				return err
			}
		}
		a.svc.Audit(ctx, "system", "merchant.create", m.ID, "demo seed: "+m.Name)
		if first == nil {
			first = m
		}
	}
	c, err := a.svc.IssueCode(ctx, first.ID, "system")
	if err == nil {
		var reply string
		reply, err = sim.SimulateScan(ctx, demoUsers[0].OpenID, c.Ticket, false)
		log.Info("merchant-bind: demo seed bound a merchant", "merchant", first.Name, "reply", reply)
	}
	if err != nil {
		log.Warn("merchant-bind: demo seed could not bind", "err", err)
	}
	return nil
}
