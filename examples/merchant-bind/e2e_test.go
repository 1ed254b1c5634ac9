package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/bind"
	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/internal/testsvc"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// The whole chain, in every 公众号 callback mode: code → signed scan event → binding → passive
// reply → welcome template message; then a second merchant with the same openid is refused.
func TestBindFlow(t *testing.T) {
	t.Parallel()
	for _, mode := range []wecomtest.CallbackMode{wecomtest.ModePlain, wecomtest.ModeSafe, wecomtest.ModeCompat} {
		t.Run(mode.String(), func(t *testing.T) {
			h := newHarness(t, harnessOpts{mode: mode})
			h.login()
			ctx := t.Context()
			a := h.createMerchant("老王面馆", "laowang")
			ticket := h.issueCode(a)

			reply := h.scan("oNewFollower1", ticket, false)
			assert.Contains(t, reply, "绑定成功")
			assert.Contains(t, reply, "老王面馆")
			m, err := h.app.db.Merchant(ctx, a)
			require.NoError(t, err)
			assert.Equal(t, "oNewFollower1", m.OpenID)
			welcome := h.templates("oNewFollower1", welcomeTpl)
			require.Len(t, welcome, 1)
			assert.Regexp(t, `^mb-w-[0-9a-f]{24}$`, welcome[0]["client_msg_id"], "one client_msg_id per message, ≤ 64 bytes")
			assert.Contains(t, fmt.Sprint(welcome[0]["data"]), "老王面馆")

			_, body := h.page("/merchants?bound=bound")
			assert.Contains(t, body, "老王面馆")
			_, body = h.page("/merchants?bound=unbound")
			assert.NotContains(t, body, "老王面馆")

			b := h.createMerchant("鲜果时光", "fresh-fruit")
			reply = h.scan("oNewFollower1", h.issueCode(b), true)
			assert.Contains(t, reply, "绑定失败")
			assert.Contains(t, reply, "您的微信已绑定商户「老王面馆」")
			m, err = h.app.db.Merchant(ctx, b)
			require.NoError(t, err)
			assert.False(t, m.Bound())
			assert.Len(t, h.templates("oNewFollower1", welcomeTpl), 1, "no second welcome")
			log, _, err := h.app.db.AuditLog(ctx, store.AuditQuery{MerchantID: b, Prefix: "bind."})
			require.NoError(t, err)
			require.Len(t, log, 1)
			assert.Equal(t, "bind.refused", log[0].What)
			assert.Contains(t, log[0].Details, string(bind.RefusedOpenIDTaken))
		})
	}
}

func TestExpiredCodeIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	id := h.createMerchant("悦读书店", "yuedu")
	ticket := h.issueCode(id)
	h.clock.Advance(bind.DefaultCodeTTL + time.Second) // the app's clock only: WeChat still delivers
	reply := h.scan("oLate", ticket, false)
	assert.Contains(t, reply, "已过期")
	m, err := h.app.db.Merchant(t.Context(), id)
	require.NoError(t, err)
	assert.False(t, m.Bound())
	assert.Empty(t, h.templates("oLate", welcomeTpl))
}

func TestUsedAndReplacedCodesAreRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	id := h.createMerchant("小林咖啡", "xiaolin")
	old := h.issueCode(id)
	current := h.issueCode(id) // replaces old
	assert.Contains(t, h.scan("oA", old, false), "已失效")
	assert.Contains(t, h.scan("oA", current, false), "绑定成功")
	assert.Contains(t, h.scan("oB", current, false), "已被使用")
	assert.Contains(t, h.scan("oA", current, true), "无需重复绑定")
}

// WeChat delivers again when the answer is late: three deliveries of one event, one effect.
func TestRetriedCallbackHasOneEffect(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	slow := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/wx/callback" || r.Method != http.MethodPost {
				next.ServeHTTP(w, r)
				return
			}
			if attempts.Add(1) < 3 {
				// Process the delivery, then answer too late: WeChat gives up and delivers again.
				next.ServeHTTP(discardWriter{http.Header{}}, r)
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe, cbTimeout: 300 * time.Millisecond, wrap: slow})
	h.login()
	id := h.createMerchant("阿强五金", "aqiang")
	reply, err := h.fake.SimulateScan(t.Context(), "oRetry", h.issueCode(id), false)
	require.NoError(t, err)
	assert.Equal(t, int32(3), attempts.Load())
	assert.Equal(t, "success", string(reply), "the retry is acknowledged without a second effect")

	hist, err := h.app.db.Bindings(t.Context(), id)
	require.NoError(t, err)
	assert.Len(t, hist, 1)
	assert.Len(t, h.templates("oRetry", welcomeTpl), 1)
	log, _, err := h.app.db.AuditLog(t.Context(), store.AuditQuery{Prefix: "bind.success"})
	require.NoError(t, err)
	assert.Len(t, log, 1)

	// The identical event delivered again later (say after a restart lost the dedupe memory) is
	// judged "already bound": still no second binding and no second welcome message.
	h.deliver()
	out, err := h.fake.SendOfficialAccountMessage(t.Context(), wecomtest.Message{From: "oRetry", Type: "event",
		Event: "SCAN", EventKey: bind.Scene(id), Ticket: hist[0].Ticket, CreateTime: time.Now().Add(time.Minute)})
	require.NoError(t, err)
	assert.Contains(t, replyText(out), "无需重复绑定")
	assert.Len(t, h.templates("oRetry", welcomeTpl), 1)
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

func TestConcurrentScansOfTwentyCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	const n = 20
	tickets := make([]string, n)
	for i := range n {
		tickets[i] = h.issueCode(h.createMerchant(fmt.Sprintf("商户%02d", i), fmt.Sprintf("shop-%02d", i)))
	}
	var wg sync.WaitGroup
	replies := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			openid := fmt.Sprintf("oConcurrent%02d", i)
			following := i%2 == 1
			if following {
				h.fake.Follow(openid)
			}
			r, err := h.fake.SimulateScan(context.Background(), openid, tickets[i], following)
			replies[i], errs[i] = replyText(r), err
		}()
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		assert.Contains(t, replies[i], "绑定成功", "scan %d", i)
	}
	all, bound, err := h.app.db.CountMerchants(t.Context())
	require.NoError(t, err)
	assert.Equal(t, [2]int{n, n}, [2]int{all, bound})
	h.deliver()
	assert.Len(t, h.fake.Messages(wecomtest.MessageTemplate), n, "one welcome each")
}

func TestUnsubscribeKeepsHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	id := h.createMerchant("川味小厨", "chuanwei")
	assert.Contains(t, h.scan("oLeaver", h.issueCode(id), false), "绑定成功")

	h.wx.Advance(time.Second)
	_, err := h.fake.SendOfficialAccountMessage(t.Context(), wecomtest.Message{From: "oLeaver", Type: "event", Event: "unsubscribe"})
	require.NoError(t, err)
	m, err := h.app.db.Merchant(t.Context(), id)
	require.NoError(t, err)
	assert.False(t, m.Bound(), "binding inactive")
	hist, err := h.app.db.Bindings(t.Context(), id)
	require.NoError(t, err)
	require.Len(t, hist, 1, "history kept")
	assert.False(t, hist[0].Active())
	assert.Equal(t, store.ReasonUnsubscribe, hist[0].UnbindReason)
	_, body := h.page("/merchants/" + itoa(id))
	assert.Contains(t, body, "取消关注")
	assert.Contains(t, body, "oLeaver")

	// Following again with a new code binds again; the history now has both.
	assert.Contains(t, h.scan("oLeaver", h.issueCode(id), false), "绑定成功")
	hist, err = h.app.db.Bindings(t.Context(), id)
	require.NoError(t, err)
	assert.Len(t, hist, 2)
}

func TestNotifyAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe})
	h.login()
	bound := h.createMerchant("老王面馆", "laowang")
	unbound := h.createMerchant("鲜果时光", "fresh")
	h.scan("oBoss", h.issueCode(bound), false)
	h.deliver() // the welcome message

	status, body := h.apiNotify(bound, testAPIToken, `{"content":"您的 5 月结算单已生成","url":"https://example.com/s/5","client_msg_id":"bill-5"}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, true, body["ok"])
	assert.Equal(t, "sent", body["status"])
	assert.Equal(t, "template", body["channel"])
	assert.NotZero(t, body["msgid"])
	sent := h.templates("oBoss", notifyTpl)
	require.Len(t, sent, 1)
	assert.Contains(t, fmt.Sprint(sent[0]["data"]), "您的 5 月结算单已生成")
	assert.Equal(t, "https://example.com/s/5", sent[0]["url"])
	assert.NotEmpty(t, sent[0]["client_msg_id"])

	// The same client_msg_id again (a retried call): the first message, not a second one.
	status, again := h.apiNotify(bound, testAPIToken, `{"content":"您的 5 月结算单已生成","client_msg_id":"bill-5"}`)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, again["duplicate"])
	assert.Equal(t, body["id"], again["id"])
	assert.Len(t, h.templates("oBoss", notifyTpl), 1)

	tests := []struct {
		name       string
		id         int64
		token      string
		body       string
		wantStatus int
		wantError  string
	}{
		{"not bound", unbound, testAPIToken, `{"content":"x"}`, http.StatusConflict, "not_bound"},
		{"bad token", bound, "wrong-token-0123456789", `{"content":"x"}`, http.StatusUnauthorized, "unauthorized"},
		{"platform token may not notify", bound, testPlatformToken, `{"content":"x"}`, http.StatusUnauthorized, "unauthorized"},
		{"no token", bound, "", `{"content":"x"}`, http.StatusUnauthorized, "unauthorized"},
		{"unknown merchant", 999, testAPIToken, `{"content":"x"}`, http.StatusNotFound, "not_found"},
		{"empty", bound, testAPIToken, `{}`, http.StatusBadRequest, "empty"},
		{"bad link", bound, testAPIToken, `{"content":"x","url":"ftp://x"}`, http.StatusBadRequest, "bad_url"},
		{"unknown field", bound, testAPIToken, `{"contents":"x"}`, http.StatusBadRequest, "bad_json"},
		{"not JSON", bound, testAPIToken, `content=x`, http.StatusBadRequest, "bad_json"},
		{"NUL byte", bound, testAPIToken, `{"content":"a\u0000b"}`, http.StatusBadRequest, "bad_input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := h.apiNotify(tt.id, tt.token, tt.body)
			assert.Equal(t, tt.wantStatus, status, body)
			assert.Equal(t, tt.wantError, body["error"])
			assert.Regexp(t, `\p{Han}`, body["message"], "a Chinese message")
		})
	}

	// WeChat refuses the template (43004) while the merchant is inside the 48-hour window: the
	// message goes out as a 客服消息 text instead.
	require.NoError(t, h.fake.InjectFault("POST /cgi-bin/message/template/send", 1, wecomtest.ErrCodeFault(43004)))
	status, body = h.apiNotify(bound, testAPIToken, `{"content":"窗口内"}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "custom", body["channel"])
	custom := h.fake.Messages(wecomtest.MessageCustom)
	require.Len(t, custom, 1)
	assert.Contains(t, custom[0].Content, "窗口内")

	// Two days later the window is closed: the refusal is final, 发送失败 with WeChat's errcode,
	// in the history; 重发 sends it once WeChat accepts again.
	h.clock.Advance(49 * time.Hour)
	require.NoError(t, h.fake.InjectFault("POST /cgi-bin/message/template/send", 1, wecomtest.ErrCodeFault(43004)))
	status, body = h.apiNotify(bound, testAPIToken, `{"content":"窗口外"}`)
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Equal(t, "failed", body["status"])
	assert.EqualValues(t, 43004, body["errcode"])
	assert.Contains(t, body["last_error"], "errcode=43004")
	failedID := int64(body["id"].(float64))

	var hist struct {
		Notifications []struct {
			ID      int64  `json:"id"`
			Kind    string `json:"kind"`
			Status  string `json:"status"`
			Content string `json:"content"`
			History []struct {
				Result  string `json:"result"`
				ErrCode int    `json:"errcode"`
				Channel string `json:"channel"`
			} `json:"history"`
		} `json:"notifications"`
	}
	h.apiGet("/api/merchants/"+itoa(bound)+"/notifications", testAPIToken, &hist)
	require.Len(t, hist.Notifications, 4, "welcome + 3 notifications")
	assert.Equal(t, failedID, hist.Notifications[0].ID, "newest first")
	assert.Equal(t, "failed", hist.Notifications[0].Status)
	require.Len(t, hist.Notifications[0].History, 1)
	assert.Equal(t, 43004, hist.Notifications[0].History[0].ErrCode)
	assert.Equal(t, "welcome", hist.Notifications[3].Kind)
	require.Len(t, hist.Notifications[1].History, 2, "template refused, then 客服消息")
	assert.Equal(t, "custom", hist.Notifications[1].History[1].Channel)

	status, body = h.apiPost("/api/merchants/"+itoa(bound)+"/notifications/"+itoa(failedID)+"/resend", testAPIToken)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "sent", body["status"])
	status, body = h.apiPost("/api/merchants/"+itoa(bound)+"/notifications/"+itoa(failedID)+"/resend", testAPIToken)
	assert.Equal(t, http.StatusConflict, status)
	assert.Equal(t, "not_failed", body["error"])
	status, _ = h.apiPost("/api/merchants/"+itoa(unbound)+"/notifications/"+itoa(failedID)+"/resend", testAPIToken)
	assert.Equal(t, http.StatusNotFound, status, "a message only under its own merchant")

	log, _, err := h.app.db.AuditLog(t.Context(), store.AuditQuery{MerchantID: bound, Prefix: "notify."})
	require.NoError(t, err)
	var whats []string
	for _, e := range log {
		whats = append(whats, e.What)
	}
	assert.Contains(t, whats, "notify.failed")
	assert.Contains(t, whats, "notify.fallback")
	assert.Contains(t, whats, "notify.resend")
}

func TestCallbackURLVerification(t *testing.T) {
	t.Parallel()
	for _, mode := range []wecomtest.CallbackMode{wecomtest.ModePlain, wecomtest.ModeSafe} {
		h := newHarness(t, harnessOpts{mode: mode})
		assert.NoError(t, h.fake.VerifyOfficialAccountCallback(t.Context()), mode.String())
	}
}

// With REDIS_URL the access token, callback dedupe and the Binder's code mirror live in Redis; the
// database still decides.
func TestRedisMode(t *testing.T) {
	t.Parallel()
	addr := testsvc.Redis(t)
	h := newHarness(t, harnessOpts{mode: wecomtest.ModeSafe, redisURL: "redis://" + addr + "/0"})
	h.login()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := t.Context()
	id := h.createMerchant("老王面馆", "laowang")
	ticket := h.issueCode(id)
	mirror := "merchant-bind:code:" + bind.Scene(id)
	v, err := rdb.Get(ctx, mirror).Result()
	require.NoError(t, err)
	assert.Contains(t, v, ticket, "the issued code is mirrored in Redis")
	ttl, err := rdb.PTTL(ctx, mirror).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 29*24*time.Hour, "with the code's lifetime")

	assert.Contains(t, h.scan("oRedis", ticket, false), "绑定成功")
	assert.Zero(t, rdb.Exists(ctx, mirror).Val(), "the mirror is consumed after the database commit")
	keys, err := rdb.Keys(ctx, "merchant-bind:wecom:callback:*").Result()
	require.NoError(t, err)
	assert.NotEmpty(t, keys, "callback dedupe is shared through Redis")
	assert.Len(t, h.templates("oRedis", welcomeTpl), 1)
}
