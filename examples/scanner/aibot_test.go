package main

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/chat"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

const (
	botToken = "botTokenForTests"
	botKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // 43 characters
)

// botEnv is the bot wired to a chat flow and inbox as buildApp does, with a shop on SQLite, a
// response_url endpoint and a fallback sender that record what they receive.
type botEnv struct {
	bot     *aiBot
	srv     *httptest.Server // the bot's callback
	st      *store.Store
	queue   *chatInbox
	wecom   *wxcrypto.Cryptor // WeCom's side
	replies chan string       // markdown posted to response_url
	sent    chan string       // fallback message/send
	files   *httptest.Server  // response_url and image files
	images  map[string][]byte
}

func newBotEnv(t *testing.T) *botEnv {
	t.Helper()
	e := &botEnv{st: storetest.Open(t, store.SQLite), replies: make(chan string, 16), sent: make(chan string, 16),
		images: map[string][]byte{}}
	e.files = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/respond" {
			var m struct {
				MsgType  string `json:"msgtype"`
				Markdown struct {
					Content string `json:"content"`
				} `json:"markdown"`
			}
			if json.NewDecoder(r.Body).Decode(&m) != nil || m.MsgType != "markdown" {
				http.Error(w, "bad reply", http.StatusBadRequest)
				return
			}
			e.replies <- m.Markdown.Content
			_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
			return
		}
		if img, ok := e.images[r.URL.Path]; ok {
			_, _ = w.Write(img)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(e.files.Close)
	log := testLogger(t)
	var err error
	send := func(ctx context.Context, user, text string) error {
		e.sent <- user + ": " + text
		return nil
	}
	e.bot, err = newAIBot(aibotOptions{Token: botToken, AESKey: botKey, Log: log, Client: e.files.Client(), Send: send})
	require.NoError(t, err)
	svc := shop.NewService(e.st, shop.Options{Logger: log})
	flow := chat.New(svc, e.st, e.bot.download(func(context.Context, string) ([]byte, error) {
		return nil, io.ErrUnexpectedEOF // no app media in these tests
	}), func(code string) string { return "https://shop.test/labels/" + code }, nil)
	e.queue = newChatInbox(e.st, chatRunner(flow, log), e.bot.replier(send),
		inboxOptions{Owner: "test", Max: 64, Timeout: time.Minute, Log: log})
	e.bot.attach(e.queue)
	e.queue.start(t.Context())
	t.Cleanup(func() { _ = e.queue.shutdown(context.Background()) })
	e.srv = httptest.NewServer(e.bot)
	t.Cleanup(e.srv.Close)
	e.wecom, err = wxcrypto.New(botToken, botKey, "")
	require.NoError(t, err)
	return e
}

// post delivers msg as WeCom does: the JSON encrypted into {"encrypt": ...}, msg_signature over
// (token, timestamp, nonce, encrypt) in the query. It returns the status and body.
func (e *botEnv) post(t *testing.T, msg any) (int, []byte) {
	t.Helper()
	plain, err := json.Marshal(msg)
	require.NoError(t, err)
	enc, sig := e.seal(t, plain, "1700000000", "nonce1")
	body, _ := json.Marshal(map[string]string{"encrypt": enc})
	return e.send(t, http.MethodPost, url.Values{"msg_signature": {sig}, "timestamp": {"1700000000"}, "nonce": {"nonce1"}}, body)
}

func (e *botEnv) seal(t *testing.T, plain []byte, ts, nonce string) (enc, sig string) {
	t.Helper()
	out, err := e.wecom.EncryptJSON(plain, ts, nonce)
	require.NoError(t, err)
	var env struct{ Encrypt, MsgSignature string }
	require.NoError(t, json.Unmarshal(out, &env))
	require.Equal(t, wxcrypto.Signature(botToken, ts, nonce, env.Encrypt), env.MsgSignature)
	return env.Encrypt, env.MsgSignature
}

func (e *botEnv) send(t *testing.T, method string, q url.Values, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+aibotPath+"?"+q.Encode(), bytes.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

func next(t *testing.T, ch chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(20 * time.Second): // a guard against a hang, not a timing assertion
		t.Fatal("no reply")
		return ""
	}
}

// drain waits for the inbox's work, then reports whether anything else was replied.
func (e *botEnv) drain(t *testing.T) {
	t.Helper()
	waitInbox(t, e.st)
	require.NoError(t, e.queue.shutdown(t.Context()))
	assert.Empty(t, e.replies, "unexpected response_url reply")
	assert.Empty(t, e.sent, "unexpected message/send reply")
}

func textMsg(id, user, chatType, text, responseURL string) map[string]any {
	m := map[string]any{"msgid": id, "aibotid": "AIBOT1", "chattype": chatType, "from": map[string]string{"userid": user},
		"msgtype": "text", "text": map[string]string{"content": text}}
	if chatType == "group" {
		m["chatid"] = "CHAT1"
	}
	if responseURL != "" {
		m["response_url"] = responseURL
	}
	return m
}

// encryptFile encrypts as the AI bot docs describe for files: AES-256-CBC, IV = key[:16],
// PKCS#7 padding to a multiple of 32 bytes.
func encryptFile(t *testing.T, data []byte) []byte {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(botKey + "=")
	require.NoError(t, err)
	pad := 32 - len(data)%32
	p := append(append([]byte(nil), data...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(p, p)
	return p
}

func TestAIBotURLVerification(t *testing.T) {
	e := newBotEnv(t)
	echo, sig := e.seal(t, []byte("echo-4711"), "1700000001", "n2")
	st, body := e.send(t, http.MethodGet, url.Values{"msg_signature": {sig}, "timestamp": {"1700000001"}, "nonce": {"n2"}, "echostr": {echo}}, nil)
	assert.Equal(t, http.StatusOK, st)
	assert.Equal(t, "echo-4711", string(body))

	st, _ = e.send(t, http.MethodGet, url.Values{"msg_signature": {strings.Repeat("0", 40)}, "timestamp": {"1700000001"}, "nonce": {"n2"}, "echostr": {echo}}, nil)
	assert.Equal(t, http.StatusForbidden, st)
	st, _ = e.send(t, http.MethodGet, url.Values{"msg_signature": {sig}}, nil)
	assert.Equal(t, http.StatusBadRequest, st)
}

func TestAIBotRegistration(t *testing.T) {
	e := newBotEnv(t)
	photo, err := qrcode.PNG("bag", 64)
	require.NoError(t, err)
	e.images["/plain.png"] = photo
	respond := e.files.URL + "/respond"

	st, body := e.post(t, map[string]any{"msgid": "m1", "aibotid": "AIBOT1", "chattype": "single", "response_url": respond,
		"from": map[string]string{"userid": "lisi"}, "msgtype": "image", "image": map[string]string{"url": e.files.URL + "/plain.png"}})
	assert.Equal(t, http.StatusOK, st)
	assert.Empty(t, body, "answered at once, the reply goes to response_url")
	assert.Contains(t, next(t, e.replies), "已收到第 1 张照片")

	e.post(t, textMsg("m2", "lisi", "group", "@店铺助手 1299", respond))
	assert.Contains(t, next(t, e.replies), "价格 ¥1,299.00 已记录")
	e.post(t, textMsg("m3", "lisi", "group", "@店铺助手\u2005焦糖色托特包", respond))
	assert.Contains(t, next(t, e.replies), "名称「焦糖色托特包」已记录")
	e.post(t, textMsg("m4", "lisi", "group", "@店铺助手 #", respond))
	reply := next(t, e.replies)
	assert.Contains(t, reply, "已入库：焦糖色托特包")
	assert.Contains(t, reply, "https://shop.test/labels/BAG")

	// WeCom retries the "#" delivery: the retry has no effect and no reply.
	st, _ = e.post(t, textMsg("m4", "lisi", "group", "@店铺助手 #", respond))
	assert.Equal(t, http.StatusOK, st)
	e.drain(t)
	ps := e.products(t)
	require.Len(t, ps, 1)
	assert.Equal(t, shop.Yuan(1299), ps[0].Price)
	moves, err := e.st.Movements(t.Context(), ps[0].Code, 10)
	require.NoError(t, err)
	require.Len(t, moves, 1)
	assert.Equal(t, "lisi", moves[0].Actor)
	e.photoIs(t, ps[0], photo)
}

// TestAIBotThreePhotosAndPrice: three pictures in a single chat, then "@店铺助手 ¥1,299 #" in a
// group → one bag at ¥1299 with the three pictures.
func TestAIBotThreePhotosAndPrice(t *testing.T) {
	e := newBotEnv(t)
	respond := e.files.URL + "/respond"
	var photos [][]byte
	for i := range 3 {
		p, err := qrcode.PNG("bag "+strconv.Itoa(i), 64)
		require.NoError(t, err)
		photos = append(photos, p)
		path := "/p" + strconv.Itoa(i)
		if i == 1 {
			e.images[path] = encryptFile(t, p) // bot files usually come encrypted
		} else {
			e.images[path] = p
		}
		e.post(t, map[string]any{"msgid": "img" + strconv.Itoa(i), "chattype": "single", "response_url": respond,
			"from": map[string]string{"userid": "lisi"}, "msgtype": "image", "image": map[string]string{"url": e.files.URL + path}})
		reply := next(t, e.replies)
		assert.Contains(t, reply, "已收到第 "+strconv.Itoa(i+1)+" 张照片")
		assert.Contains(t, reply, "照片 "+strconv.Itoa(i+1)+" 张")
	}
	e.post(t, textMsg("t1", "lisi", "group", "@店铺助手 ¥1,299 #", respond))
	reply := next(t, e.replies)
	assert.Contains(t, reply, "售价 ¥1,299.00，照片 3 张")
	e.drain(t)
	ps := e.products(t)
	require.Len(t, ps, 1)
	assert.Equal(t, shop.Yuan(1299), ps[0].Price)
	require.Len(t, ps[0].Photos, 3)
	for i, id := range ps[0].Photos {
		e.photoIs(t, shop.Product{PhotoID: id}, photos[i])
	}
}

// TestAIBotMixedPriceAboveThePictures: a group @-mention whose text ("¥1,299 #") comes before its
// three pictures registers the bag with the pictures, in one reply.
func TestAIBotMixedPriceAboveThePictures(t *testing.T) {
	e := newBotEnv(t)
	items := []any{map[string]any{"msgtype": "text", "text": map[string]string{"content": "@店铺助手 棕色托特包 ¥1,299 #"}}}
	for i := range 3 {
		p, err := qrcode.PNG("mixed "+strconv.Itoa(i), 64)
		require.NoError(t, err)
		e.images["/m"+strconv.Itoa(i)] = p
		items = append(items, map[string]any{"msgtype": "image", "image": map[string]string{"url": e.files.URL + "/m" + strconv.Itoa(i)}})
	}
	e.post(t, map[string]any{"msgid": "mx", "chattype": "group", "chatid": "C", "response_url": e.files.URL + "/respond",
		"from": map[string]string{"userid": "wangwu"}, "msgtype": "mixed", "mixed": map[string]any{"msg_item": items}})
	reply := next(t, e.replies)
	assert.Contains(t, reply, "已收到第 3 张照片")
	assert.Contains(t, reply, "已入库：棕色托特包")
	assert.Contains(t, reply, "照片 3 张")
	e.drain(t)
	ps := e.products(t)
	require.Len(t, ps, 1)
	assert.Len(t, ps[0].Photos, 3)
}

// TestAIBotAsksBeforeSaving: the bot path uses the same parser, and asks the same questions.
func TestAIBotAsksBeforeSaving(t *testing.T) {
	e := newBotEnv(t)
	respond := e.files.URL + "/respond"
	e.post(t, textMsg("q1", "lisi", "group", "@店铺助手 2个 1299#", respond))
	reply := next(t, e.replies)
	assert.Contains(t, reply, "「2个」像是数量")
	assert.Contains(t, reply, "我的理解：名称 未填｜价格 ¥1,299.00｜照片 0 张")
	e.post(t, textMsg("q2", "lisi", "group", "@店铺助手 确认", respond))
	assert.Contains(t, next(t, e.replies), "已入库")
	e.drain(t)
	assert.Len(t, e.products(t), 1)
}

func (e *botEnv) products(t *testing.T) []shop.Product {
	ps, _, err := e.st.Search(t.Context(), shop.Query{Limit: 100})
	require.NoError(t, err)
	return ps
}

// photoIs checks the product's photo, kept in the store.
func (e *botEnv) photoIs(t *testing.T, p shop.Product, want []byte) {
	t.Helper()
	require.NotEmpty(t, p.PhotoID)
	got, _, err := e.st.Photo(t.Context(), p.PhotoID)
	require.NoError(t, err)
	// Stored photos are JPEGs (see package photo): compare what they show.
	wi, _, err := image.Decode(bytes.NewReader(want))
	require.NoError(t, err)
	gi, _, err := image.Decode(bytes.NewReader(got))
	require.NoError(t, err)
	require.Equal(t, wi.Bounds(), gi.Bounds())
	for _, pt := range []image.Point{{0, 0}, {gi.Bounds().Dx() / 2, gi.Bounds().Dy() / 2}, {5, 30}} {
		wr, _, _, _ := wi.At(pt.X, pt.Y).RGBA()
		gr, _, _, _ := gi.At(pt.X, pt.Y).RGBA()
		assert.InDelta(t, float64(wr), float64(gr), 0x3000, "pixel %v", pt)
	}
}

func TestAIBotMixedEncryptedImageAndFallback(t *testing.T) {
	e := newBotEnv(t)
	photo, err := qrcode.PNG("enc", 64)
	require.NoError(t, err)
	e.images["/enc"] = encryptFile(t, photo)

	// A group @-mention with text and an (encrypted) image, one reply for both; then "#" without a
	// response_url: the reply goes with message/send.
	e.post(t, map[string]any{"msgid": "x1", "chattype": "group", "chatid": "C", "response_url": e.files.URL + "/respond",
		"from": map[string]string{"userid": "wangwu"}, "msgtype": "mixed", "mixed": map[string]any{"msg_item": []any{
			map[string]any{"msgtype": "text", "text": map[string]string{"content": "@店铺助手 ¥899"}},
			map[string]any{"msgtype": "image", "image": map[string]string{"url": e.files.URL + "/enc"}},
		}}})
	reply := next(t, e.replies)
	assert.Contains(t, reply, "价格 ¥899.00 已记录")
	assert.Contains(t, reply, "已收到第 1 张照片")
	e.post(t, textMsg("x2", "wangwu", "group", "@店铺助手 #", ""))
	assert.Contains(t, next(t, e.sent), "wangwu: 已入库")
	e.drain(t)
	ps := e.products(t)
	require.Len(t, ps, 1)
	e.photoIs(t, ps[0], photo) // the decrypted image
}

func TestAIBotImageFailures(t *testing.T) {
	e := newBotEnv(t)
	e.images["/junk"] = bytes.Repeat([]byte{7}, 64)
	for i, u := range []string{e.files.URL + "/junk", e.files.URL + "/missing", "file:///etc/passwd"} {
		e.post(t, map[string]any{"msgid": "i" + string(rune('0'+i)), "chattype": "single", "response_url": e.files.URL + "/respond",
			"from": map[string]string{"userid": "lisi"}, "msgtype": "image", "image": map[string]string{"url": u}})
		assert.Contains(t, next(t, e.replies), "图片下载失败", u)
	}
	e.drain(t)
}

func TestAIBotBadRequests(t *testing.T) {
	e := newBotEnv(t)
	enc, sig := e.seal(t, []byte(`{"msgid":"z"`), "1700000000", "n") // not JSON inside
	q := url.Values{"msg_signature": {sig}, "timestamp": {"1700000000"}, "nonce": {"n"}}
	good, goodSig := e.seal(t, []byte(`{"msgid":"z","msgtype":"text","from":{"userid":"u"},"text":{"content":"1"}}`), "1700000000", "n")
	tests := []struct {
		name   string
		method string
		q      url.Values
		body   string
		want   int
	}{
		{"bad signature", "POST", url.Values{"msg_signature": {strings.Repeat("a", 40)}, "timestamp": {"1700000000"}, "nonce": {"n"}}, `{"encrypt":"` + good + `"}`, http.StatusForbidden},
		{"signature of another nonce", "POST", url.Values{"msg_signature": {goodSig}, "timestamp": {"1700000000"}, "nonce": {"other"}}, `{"encrypt":"` + good + `"}`, http.StatusForbidden},
		{"not JSON", "POST", q, `<xml/>`, http.StatusBadRequest},
		{"no encrypt", "POST", q, `{"x":1}`, http.StatusBadRequest},
		{"empty body", "POST", q, ``, http.StatusBadRequest},
		{"plaintext not JSON", "POST", q, `{"encrypt":"` + enc + `"}`, http.StatusBadRequest},
		{"too large", "POST", q, `{"encrypt":"` + strings.Repeat("A", aibotMaxBody) + `"}`, http.StatusRequestEntityTooLarge},
		{"wrong method", "PUT", q, ``, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := e.send(t, tt.method, tt.q, []byte(tt.body))
			assert.Equal(t, tt.want, st)
		})
	}
	e.drain(t)
	assert.Empty(t, e.products(t))
}

func TestAIBotEnterChatWelcome(t *testing.T) {
	e := newBotEnv(t)
	st, body := e.post(t, map[string]any{"msgid": "ev1", "chattype": "single", "from": map[string]string{"userid": "lisi"},
		"msgtype": "event", "event": map[string]string{"eventtype": "enter_chat"}})
	require.Equal(t, http.StatusOK, st)
	var env struct{ Encrypt, MsgSignature, TimeStamp, Nonce string }
	require.NoError(t, json.Unmarshal(body, &env), "%s", body)
	plain, err := e.wecom.DecryptJSON(env.MsgSignature, env.TimeStamp, env.Nonce, body)
	require.NoError(t, err)
	var m struct {
		MsgType string `json:"msgtype"`
		Text    struct{ Content string }
	}
	require.NoError(t, json.Unmarshal(plain, &m))
	assert.Equal(t, "text", m.MsgType)
	assert.Contains(t, m.Text.Content, "拍照入库")
	e.drain(t)
}

func TestStripMention(t *testing.T) {
	for in, want := range map[string]string{
		"@店铺助手 1299":         "1299",
		"  @店铺助手\u2005#":     "#",
		"@店铺助手 @张三  取消 ":     "取消",
		"@店铺助手":              "",
		"1299":               "1299",
		"价格 1299 @店铺助手":      "价格 1299",
		"1299 #\u2005@店铺助手 ": "1299 #",
		"邮箱a@b.cn 1299":      "邮箱a@b.cn 1299",
		"@店铺助手\n焦糖色 托特包 ":    "焦糖色 托特包",
	} {
		assert.Equal(t, want, stripMention(in), "%q", in)
	}
}

func TestDecryptFile(t *testing.T) {
	c, err := wxcrypto.New(botToken, botKey, "")
	require.NoError(t, err)
	photo, err := qrcode.PNG("x", 32)
	require.NoError(t, err)
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"bare file", encryptFile(t, photo), photo},
		{"not an image inside", encryptFile(t, []byte("hello")), nil},
		{"not block aligned", []byte("abc"), nil},
		{"empty", nil, nil},
		{"garbage", bytes.Repeat([]byte{1}, 64), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, decryptFile(c, tt.in)) })
	}
}

// TestAIBotDemoApp checks the mounting: in demo mode the bot answers at /wecom/aibot with the
// demo callback's token and key, without a login, and replies with message/send.
func TestAIBotDemoApp(t *testing.T) {
	t.Setenv("WECOM_AIBOT_TOKEN", "")
	t.Setenv("WECOM_AIBOT_AES_KEY", "")
	in := startDemoApp(t)
	require.NotNil(t, in.app.aibot)
	c, err := wxcrypto.New(wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey, "")
	require.NoError(t, err)
	seal := func(plain string) (string, string) {
		out, err := c.EncryptJSON([]byte(plain), "1700000000", "n")
		require.NoError(t, err)
		var env struct{ Encrypt, MsgSignature string }
		require.NoError(t, json.Unmarshal(out, &env))
		return env.Encrypt, env.MsgSignature
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	echo, sig := seal("demo-echo")
	resp, err := hc.Get(in.base + aibotPath + "?" + url.Values{"msg_signature": {sig}, "timestamp": {"1700000000"}, "nonce": {"n"}, "echostr": {echo}}.Encode())
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "no login redirect")
	assert.Equal(t, "demo-echo", string(body))

	in.fake.ClearMessages()
	enc, sig := seal(`{"msgid":"d1","chattype":"single","from":{"userid":"lisi"},"msgtype":"text","text":{"content":"帮助"}}`)
	resp, err = hc.Post(in.base+aibotPath+"?"+url.Values{"msg_signature": {sig}, "timestamp": {"1700000000"}, "nonce": {"n"}}.Encode(),
		"application/json", strings.NewReader(`{"encrypt":"`+enc+`"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Eventually(t, func() bool { return len(in.fake.Messages(wecomtest.MessageApp)) > 0 }, 20*time.Second, 20*time.Millisecond)
	m := in.fake.Messages(wecomtest.MessageApp)[0]
	assert.Equal(t, "lisi", m.ToUser)
	assert.Contains(t, m.Content, "拍照入库")
}
