// Package chat registers bags from the app's conversation (应用会话): a member sends one or more
// photos, then a price (and optionally a name), then "#". The app creates the bag and replies with
// its code and label link. Retried callbacks never create two bags: the "#" message's MsgId is the
// registration's request ID.
package chat

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// Message is one incoming chat message, already decrypted and parsed.
type Message struct {
	MsgID   string
	From    string // member userid
	Type    string // "text" or "image"
	Content string // text
	MediaID string // image
	At      time.Time
}

// Downloader fetches an image message's media (media/get).
type Downloader func(ctx context.Context, mediaID string) ([]byte, error)

// Flow keeps one draft per member.
type Flow struct {
	shop     *shop.Service
	download Downloader
	links    func(code string) string // URL of a bag's label page
	ttl      time.Duration
	now      func() time.Time
	manager  func(userID string) bool

	mu     sync.Mutex
	drafts map[string]*draft
}

type draft struct {
	photos []string // media ids, in order
	price  shop.Money
	name   string
	at     time.Time
}

// New returns a flow. links builds the label URL sent back to the member.
func New(s *shop.Service, download Downloader, links func(code string) string, isManager func(string) bool) *Flow {
	return &Flow{shop: s, download: download, links: links, ttl: 30 * time.Minute, now: time.Now,
		manager: isManager, drafts: map[string]*draft{}}
}

const maxPhotos = 9

// cst is the shop's clock (China Standard Time) for default names.
var cst = time.FixedZone("CST", 8*3600)

var priceRE = regexp.MustCompile(`^(?:价格|售价|price)?\s*[:：]?\s*[¥￥]?\s*(\d{1,8}(?:\.\d{1,2})?)\s*(?:元)?$`)

// Handle applies one message and returns the reply text ("" for none).
func (f *Flow) Handle(ctx context.Context, m Message) (string, error) {
	if m.From == "" {
		return "", nil
	}
	switch m.Type {
	case "image":
		d := f.draft(m.From)
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(d.photos) >= maxPhotos {
			return fmt.Sprintf("最多 %d 张照片；发送价格，再发送 # 完成入库。", maxPhotos), nil
		}
		d.photos = append(d.photos, m.MediaID)
		return fmt.Sprintf("已收到第 %d 张照片。请发送价格（如 1299），再发送 # 完成入库。", len(d.photos)), nil
	case "text":
	default:
		return "", nil
	}
	text := strings.TrimSpace(m.Content)
	switch {
	case text == "#" || text == "＃":
		return f.commit(ctx, m)
	case text == "取消" || strings.EqualFold(text, "cancel"):
		f.mu.Lock()
		delete(f.drafts, m.From)
		f.mu.Unlock()
		return "已取消本次入库。", nil
	case text == "帮助" || text == "?" || text == "？" || strings.EqualFold(text, "help"):
		return help, nil
	}
	if mm := priceRE.FindStringSubmatch(text); mm != nil {
		y, _ := strconv.ParseFloat(mm[1], 64)
		d := f.draft(m.From)
		f.mu.Lock()
		d.price = shop.Yuan(y)
		n := len(d.photos)
		f.mu.Unlock()
		if n == 0 {
			return fmt.Sprintf("价格 ¥%s 已记录。请发送照片，再发送 # 完成入库。", shop.Yuan(y)), nil
		}
		return fmt.Sprintf("价格 ¥%s 已记录。发送 # 完成入库（可先发送名称）。", shop.Yuan(y)), nil
	}
	if utf8.RuneCountInString(text) <= 100 {
		d := f.draft(m.From)
		f.mu.Lock()
		d.name = text
		priced := d.price > 0
		f.mu.Unlock()
		if priced {
			return "名称「" + text + "」已记录。发送 # 完成入库。", nil
		}
		return "名称「" + text + "」已记录。发送价格和 # 完成入库。", nil
	}
	return help, nil
}

const help = "拍照入库：1) 发送包的照片；2) 发送价格，如 1299；3) 可选：发送名称；4) 发送 # 完成入库。发送“取消”放弃。"

func (f *Flow) draft(user string) *draft {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for k, d := range f.drafts { // drop abandoned drafts
		if now.Sub(d.at) > f.ttl {
			delete(f.drafts, k)
		}
	}
	d := f.drafts[user]
	if d == nil {
		d = &draft{}
		f.drafts[user] = d
	}
	d.at = now
	return d
}

func (f *Flow) commit(ctx context.Context, m Message) (string, error) {
	f.mu.Lock()
	d := f.drafts[m.From]
	var cp draft
	if d != nil {
		cp = *d
		cp.photos = append([]string(nil), d.photos...)
	}
	f.mu.Unlock()
	if d == nil || cp.price <= 0 {
		return "还没有价格。请先发送照片和价格（如 1299），再发送 #。", nil
	}
	in := shop.NewProduct{Name: cp.name, Price: cp.price, Stock: 1, RequestID: "chat-" + safeID(m.MsgID)}
	if in.Name == "" {
		in.Name = "新品 " + f.now().In(cst).Format("0102-1504")
	}
	if len(cp.photos) > 0 && f.download != nil {
		img, err := f.download(ctx, cp.photos[0])
		if err != nil {
			return "", fmt.Errorf("chat: download photo: %w", err)
		}
		in.Photo, in.PhotoName = img, "chat-"+safeID(m.MsgID)+".jpg"
	}
	actor := shop.Actor{UserID: m.From, Manager: f.manager != nil && f.manager(m.From)}
	p, err := f.shop.Register(ctx, actor, in)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	if f.drafts[m.From] == d {
		delete(f.drafts, m.From)
	}
	f.mu.Unlock()
	return fmt.Sprintf("已入库：%s\n编码 %s，售价 ¥%s\n标签：%s", p.Name, p.Code, p.Price, f.links(p.Code)), nil
}

func safeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}
