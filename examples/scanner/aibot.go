package main

// The WeCom AI bot (智能机器人, API mode) callback. A member @-mentions the bot in a group chat, or
// talks to it in a single chat, and the message feeds the same register-by-chat flow as the app
// conversation: photos, a price, then "#". The callback is JSON: {"encrypt": "..."} in, signed
// with msg_signature over (token, timestamp, nonce, encrypt) and encrypted with ReceiveId "".
// The handler stores the delivery's messages in the chat inbox (see chatInbox) and answers; the
// work runs from the store, in order per member, and the replies go back through the delivery's
// response_url (or message/send when there is none, or it failed).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/chat"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

const (
	aibotPath      = "/wecom/aibot"
	aibotMaxBody   = 1 << 20
	aibotMaxItems  = 20     // mixed message items handled per delivery
	aibotImagePfx  = "url:" // chat.Message.MediaID of a bot image: "url:" + its download URL
	aibotReplyWait = 10 * time.Second
	aibotImageWait = 30 * time.Second
)

// aibotOptions configures an aiBot.
type aibotOptions struct {
	Token, AESKey string
	Client        *http.Client                                       // response_url and image downloads
	Send          func(ctx context.Context, user, text string) error // fallback reply (message/send)
	Log           *slog.Logger
}

// aiBot is the AI bot callback handler.
type aiBot struct {
	crypt *wxcrypto.Cryptor // callbacks, replies and encrypted image files
	hc    *http.Client
	send  func(ctx context.Context, user, text string) error
	log   *slog.Logger
	inbox *chatInbox
}

// newAIBot returns the handler, or nil when no bot is configured (token and key both empty).
func newAIBot(o aibotOptions) (*aiBot, error) {
	if o.Token == "" && o.AESKey == "" {
		return nil, nil
	}
	c, err := wxcrypto.New(o.Token, o.AESKey, "") // the bot's ReceiveId is empty: not checked
	if err != nil {
		return nil, fmt.Errorf("aibot: %w", err)
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: aibotImageWait}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &aiBot{crypt: c, hc: o.Client, send: o.Send, log: o.Log}, nil
}

// attach connects the bot to the chat inbox that stores and runs its messages. Nil-safe.
func (b *aiBot) attach(q *chatInbox) {
	if b != nil {
		b.inbox = q
	}
}

// replier sends the chat inbox's replies: to a bot delivery's response_url (valid for an hour, for
// one reply, see 智能机器人「主动回复消息」), else, or when that fails (a message handled after a
// restart may find it expired), with send (message/send to the member). Nil-safe: without a bot,
// every reply goes with send.
func (b *aiBot) replier(send func(ctx context.Context, user, text string) error) chatReplier {
	var log *slog.Logger
	if b != nil {
		log = b.log
	}
	return func(ctx context.Context, member, responseURL, text string) {
		if responseURL != "" && b != nil {
			err := b.respond(ctx, responseURL, text)
			if err == nil {
				return
			}
			b.log.Warn("scanner: aibot response_url failed", "user", member, "err", err)
		}
		if send == nil {
			return
		}
		if err := send(ctx, member, text); err != nil {
			if log == nil {
				log = slog.Default()
			}
			log.Warn("scanner: chat reply failed", "user", member, "err", err)
		}
	}
}

// download wraps the flow's downloader: "url:" media are bot images. Nil-safe.
func (b *aiBot) download(next chat.Downloader) chat.Downloader {
	if b == nil {
		return next
	}
	return func(ctx context.Context, mediaID string) ([]byte, error) {
		if u, ok := strings.CutPrefix(mediaID, aibotImagePfx); ok {
			return b.image(ctx, u)
		}
		return next(ctx, mediaID)
	}
}

// botMessage is the decrypted callback (JSON fields as documented; unknown ones are ignored).
type botMessage struct {
	MsgID       string `json:"msgid"`
	AIBotID     string `json:"aibotid"`
	ChatID      string `json:"chatid"`
	ChatType    string `json:"chattype"` // "single" or "group"
	ResponseURL string `json:"response_url"`
	MsgType     string `json:"msgtype"`
	From        struct {
		UserID string `json:"userid"`
	} `json:"from"`
	Text  *botText  `json:"text"`
	Image *botImage `json:"image"`
	Mixed *struct {
		MsgItem []struct {
			MsgType string    `json:"msgtype"`
			Text    *botText  `json:"text"`
			Image   *botImage `json:"image"`
		} `json:"msg_item"`
	} `json:"mixed"`
	Event *struct {
		EventType string `json:"eventtype"`
	} `json:"event"`
}

type botText struct {
	Content string `json:"content"`
}

type botImage struct {
	URL string `json:"url"`
}

// ServeHTTP answers the URL check (GET) and message callbacks (POST).
func (b *aiBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
	switch r.Method {
	case http.MethodGet:
		if sig == "" || q.Get("echostr") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		echo, err := b.crypt.VerifyURL(sig, ts, nonce, q.Get("echostr"))
		if err != nil {
			b.reject(w, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(echo)
	case http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, aibotMaxBody))
		if err != nil {
			http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		plain, err := b.crypt.DecryptJSON(sig, ts, nonce, body)
		if err != nil {
			b.reject(w, err)
			return
		}
		var m botMessage
		if err := json.Unmarshal(plain, &m); err != nil {
			http.Error(w, "bad message", http.StatusBadRequest)
			return
		}
		b.accept(r.Context(), w, &m, ts, nonce)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// reject answers a request that failed verification: 403 for a bad signature, 400 otherwise.
func (b *aiBot) reject(w http.ResponseWriter, err error) {
	b.log.Warn("scanner: aibot callback rejected", "err", err, "code", wxcrypto.Code(err))
	if errors.Is(err, wxcrypto.ErrInvalidSignature) || errors.Is(err, wxcrypto.ErrTimestampSkew) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	http.Error(w, "bad request", http.StatusBadRequest)
}

const aibotWelcome = "你好！拍照入库：发送包的照片，再发送价格（如 1299），最后发送 # 完成入库。群聊中请 @我 并发送价格或 #。"

// accept stores the delivery's messages and answers at once.
func (b *aiBot) accept(ctx context.Context, w http.ResponseWriter, m *botMessage, ts, nonce string) {
	if m.MsgType == "event" {
		if m.Event != nil && m.Event.EventType == "enter_chat" {
			b.passive(w, ts, nonce, aibotWelcome)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	items := botItems(m)
	if len(items) == 0 {
		w.WriteHeader(http.StatusOK) // voice, file, stream refresh, …: nothing to do
		return
	}
	// The delivery's messages are stored together (all or none), each item under its own id; the
	// last one's handling sends the delivery's single reply. A stored MsgId makes WeCom's retry a
	// duplicate, for every replica sharing the store.
	delivery := "aibot:" + m.MsgID
	msgs := make([]store.InboxMessage, len(items))
	for i, cm := range items {
		msgs[i] = store.InboxMessage{MsgID: cm.MsgID, Member: cm.From, Type: cm.Type, Content: cm.Content, MediaID: cm.MediaID,
			SentAt: cm.At, Delivery: delivery, Last: i == len(items)-1, ResponseURL: m.ResponseURL}
	}
	_, err := b.inbox.add(ctx, msgs...)
	switch {
	case errors.Is(err, errChatBusy):
		// Whether WeCom delivers a bot message again after an error is not documented: tell the
		// member instead, without holding up the answer.
		user, respURL := m.From.UserID, m.ResponseURL
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*aibotReplyWait)
			defer cancel()
			b.inbox.reply(ctx, user, respURL, "系统繁忙，这条消息未处理，请稍后重发。")
		}()
	case err != nil:
		b.log.Warn("scanner: aibot message not stored", "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// passive answers with an encrypted reply (被动回复). The plaintext format
// {"msgtype":"text","text":{"content":...}} for the enter_chat welcome is UNCONFIRMED.
func (b *aiBot) passive(w http.ResponseWriter, ts, nonce, text string) {
	plain, _ := json.Marshal(map[string]any{"msgtype": "text", "text": map[string]string{"content": text}})
	if _, err := strconv.ParseUint(ts, 10, 64); err != nil {
		ts = "" // EncryptJSON then uses the current time
	}
	out, err := b.crypt.EncryptJSON(plain, ts, nonce)
	if err != nil {
		b.log.Warn("scanner: aibot reply failed", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// botItems maps a delivery to chat messages: text, a single-chat image, or the items of a mixed
// message, its images first: "@店铺助手 ¥1,299 #" typed above three pictures registers the bag
// with the three pictures.
func botItems(m *botMessage) []chat.Message {
	user := m.From.UserID
	if user == "" {
		return nil
	}
	now := time.Now()
	mk := func(id, typ string, t *botText, img *botImage) (chat.Message, bool) {
		cm := chat.Message{MsgID: id, From: user, Type: typ, At: now}
		switch {
		case typ == "text" && t != nil:
			cm.Content = stripMention(t.Content)
			return cm, cm.Content != ""
		case typ == "image" && img != nil && img.URL != "":
			cm.MediaID = aibotImagePfx + img.URL
			return cm, true
		}
		return cm, false
	}
	if m.MsgID == "" {
		m.MsgID = localMsgID() // no id: it cannot be deduplicated
	}
	id := "aibot:" + m.MsgID
	var out []chat.Message
	switch m.MsgType {
	case "text", "image":
		if cm, ok := mk(id, m.MsgType, m.Text, m.Image); ok {
			out = append(out, cm)
		}
	case "mixed":
		if m.Mixed == nil {
			return nil
		}
		var texts []chat.Message
		for i, it := range m.Mixed.MsgItem {
			if i == aibotMaxItems {
				break
			}
			if cm, ok := mk(id+"-"+strconv.Itoa(i), it.MsgType, it.Text, it.Image); ok && cm.Type == "image" {
				out = append(out, cm)
			} else if ok {
				texts = append(texts, cm)
			}
		}
		out = append(out, texts...)
	}
	return out
}

// stripMention removes the @-mentions at the start and at the end ("@店铺助手 1299" and
// "1299 # @店铺助手" → the price). WeCom may separate a mention with a Unicode space such as
// U+2005, hence unicode.IsSpace rather than a regexp's \s.
func stripMention(s string) string {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	for strings.HasPrefix(s, "@") {
		i := strings.IndexFunc(s, unicode.IsSpace)
		if i < 0 {
			return ""
		}
		s = strings.TrimLeftFunc(s[i:], unicode.IsSpace)
	}
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	for {
		i := strings.LastIndexFunc(s, unicode.IsSpace)
		if i < 0 {
			break
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		if !strings.HasPrefix(s[i+size:], "@") {
			break
		}
		s = strings.TrimRightFunc(s[:i], unicode.IsSpace)
	}
	return s
}

// respond posts a markdown reply to a response_url (plain JSON; a response_url takes one reply).
func (b *aiBot) respond(ctx context.Context, u, text string) error {
	ctx, cancel := context.WithTimeout(ctx, aibotReplyWait)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": text}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return errors.New("bad response_url")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.hc.Do(req)
	if err != nil {
		return fmt.Errorf("response_url: %w", errors.Unwrap(err)) // the URL itself is not logged
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("response_url: HTTP %d", resp.StatusCode)
	}
	var e struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal(data, &e) == nil && e.ErrCode != 0 {
		return fmt.Errorf("response_url: errcode %d %s", e.ErrCode, e.ErrMsg)
	}
	return nil
}

// image downloads a bot image (≤ shop.MaxPhotoBytes) and, when the bytes are not an image,
// decrypts them.
func (b *aiBot) image(ctx context.Context, u string) ([]byte, error) {
	if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return nil, errors.New("aibot: bad image URL")
	}
	ctx, cancel := context.WithTimeout(ctx, aibotImageWait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, errors.New("aibot: bad image URL")
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("aibot: image download: %w", errors.Unwrap(err)) // the URL may carry a token: not logged
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("aibot: image download: HTTP %d", resp.StatusCode)
	}
	limit := int64(shop.MaxPhotoBytes + 32) // + the encryption's padding
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("aibot: image download: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("aibot: image larger than %d MB", shop.MaxPhotoBytes>>20)
	}
	if !isImage(data) {
		dec := decryptFile(b.crypt, data)
		if dec == nil {
			return nil, errors.New("aibot: downloaded file is not an image")
		}
		data = dec
	}
	return data, nil
}

func isImage(p []byte) bool {
	switch http.DetectContentType(p) {
	case "image/jpeg", "image/png", "image/gif", "image/webp": // what shop.Register accepts
		return true
	}
	return false
}

// decryptFile decrypts a bot image file and returns it if it is an image, else nil. Files are
// encrypted with the bot's EncodingAESKey (AES-256-CBC, IV = key[:16], PKCS#7 padding); package
// crypto checks the length and the padding.
func decryptFile(c *wxcrypto.Cryptor, data []byte) []byte {
	out, err := c.DecryptFile(data)
	if err != nil || !isImage(out) {
		return nil
	}
	return out
}

// aibotSettings returns the bot's token and key: the configured ones, or in demo mode the demo
// callback's, so that the endpoint can be tried without an account.
func aibotSettings(cfg *config) (token, key string) {
	if cfg.AIBotToken == "" && cfg.AIBotKey == "" && cfg.Demo {
		return cfg.CallbackToken, cfg.CallbackKey
	}
	return cfg.AIBotToken, cfg.AIBotKey
}
