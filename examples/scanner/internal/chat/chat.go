// Package chat registers bags from the app's conversation (应用会话): a member sends one or more
// photos, then a price (and optionally a name), then "#". The app creates the bag and replies with
// its code and label link. Retried callbacks never create two bags: the "#" message's MsgId is the
// registration's request ID. Drafts are kept in the store, so a restart keeps them and every
// replica sees the same draft of a member.
package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
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

// Drafts keeps one draft per member (package store implements it in the database). EditDraft runs
// f on the member's draft (nil when there is none) in one transaction and stores what f returns;
// nil removes the draft.
type Drafts interface {
	EditDraft(ctx context.Context, user string, f func(data []byte, updated time.Time) ([]byte, error)) error
}

// Flow turns members' messages into registrations.
type Flow struct {
	shop     *shop.Service
	drafts   Drafts
	download Downloader
	links    func(code string) string // URL of a bag's label page
	ttl      time.Duration
	now      func() time.Time
	manager  func(userID string) bool
}

// draft is a member's registration in progress.
type draft struct {
	Photos []string   `json:"photos,omitempty"` // media ids, in order
	Price  shop.Money `json:"price,omitempty"`
	Name   string     `json:"name,omitempty"`
}

// New returns a flow. links builds the label URL sent back to the member.
func New(s *shop.Service, drafts Drafts, download Downloader, links func(code string) string, isManager func(string) bool) *Flow {
	return &Flow{shop: s, drafts: drafts, download: download, links: links, ttl: 30 * time.Minute, now: s.Now,
		manager: isManager}
}

const maxPhotos = 9

var priceRE = regexp.MustCompile(`^(?:价格|售价|price)?\s*[:：]?\s*[¥￥]?\s*(\d{1,8}(?:\.\d{1,2})?)\s*(?:元)?$`)

// Handle applies one message and returns the reply text ("" for none).
func (f *Flow) Handle(ctx context.Context, m Message) (string, error) {
	if m.From == "" {
		return "", nil
	}
	switch m.Type {
	case "image":
		var reply string
		err := f.edit(ctx, m.From, func(d *draft) bool {
			if len(d.Photos) >= maxPhotos {
				reply = fmt.Sprintf("最多 %d 张照片；发送价格，再发送 # 完成入库。", maxPhotos)
				return false
			}
			d.Photos = append(d.Photos, m.MediaID)
			reply = fmt.Sprintf("已收到第 %d 张照片。请发送价格（如 1299），再发送 # 完成入库。", len(d.Photos))
			return true
		})
		return reply, err
	case "text":
	default:
		return "", nil
	}
	text := strings.TrimSpace(m.Content)
	switch {
	case text == "#" || text == "＃":
		return f.commit(ctx, m)
	case text == "取消" || strings.EqualFold(text, "cancel"):
		err := f.drafts.EditDraft(ctx, m.From, func([]byte, time.Time) ([]byte, error) { return nil, nil })
		return "已取消本次入库。", err
	case text == "帮助" || text == "?" || text == "？" || strings.EqualFold(text, "help"):
		return help, nil
	}
	if mm := priceRE.FindStringSubmatch(text); mm != nil {
		y, _ := strconv.ParseFloat(mm[1], 64)
		var n int
		err := f.edit(ctx, m.From, func(d *draft) bool { d.Price, n = shop.Yuan(y), len(d.Photos); return true })
		if n == 0 {
			return fmt.Sprintf("价格 ¥%s 已记录。请发送照片，再发送 # 完成入库。", shop.Yuan(y)), err
		}
		return fmt.Sprintf("价格 ¥%s 已记录。发送 # 完成入库（可先发送名称）。", shop.Yuan(y)), err
	}
	if utf8.RuneCountInString(text) <= 100 {
		priced := false
		err := f.edit(ctx, m.From, func(d *draft) bool { d.Name, priced = text, d.Price > 0; return true })
		if priced {
			return "名称「" + text + "」已记录。发送 # 完成入库。", err
		}
		return "名称「" + text + "」已记录。发送价格和 # 完成入库。", err
	}
	return help, nil
}

const help = "拍照入库：1) 发送包的照片；2) 发送价格，如 1299；3) 可选：发送名称；4) 发送 # 完成入库。发送“取消”放弃。"

// edit changes user's draft (a new one when there is none or it was abandoned); f reports whether
// to save.
func (f *Flow) edit(ctx context.Context, user string, change func(d *draft) bool) error {
	return f.drafts.EditDraft(ctx, user, func(data []byte, updated time.Time) ([]byte, error) {
		d := f.decode(data, updated)
		if !change(&d) {
			return data, nil
		}
		return json.Marshal(d)
	})
}

// decode reads a stored draft; an abandoned one (older than the TTL) is empty.
func (f *Flow) decode(data []byte, updated time.Time) draft {
	var d draft
	if data != nil && f.now().Sub(updated) <= f.ttl {
		_ = json.Unmarshal(data, &d)
	}
	return d
}

func (f *Flow) commit(ctx context.Context, m Message) (string, error) {
	var d draft
	var raw []byte
	if err := f.drafts.EditDraft(ctx, m.From, func(data []byte, updated time.Time) ([]byte, error) {
		d, raw = f.decode(data, updated), data
		return data, nil
	}); err != nil {
		return "", err
	}
	if d.Price <= 0 {
		return "还没有价格。请先发送照片和价格（如 1299），再发送 #。", nil
	}
	in := shop.NewProduct{Name: d.Name, Price: d.Price, Stock: 1, RequestID: "chat-" + safeID(m.MsgID)}
	if in.Name == "" {
		in.Name = "新品 " + f.now().Format("0102-1504")
	}
	if len(d.Photos) > 0 && f.download != nil {
		img, err := f.download(ctx, d.Photos[0])
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
	// The draft is done, unless the member started another one meanwhile.
	if err := f.drafts.EditDraft(ctx, m.From, func(data []byte, _ time.Time) ([]byte, error) {
		if string(data) == string(raw) {
			return nil, nil
		}
		return data, nil
	}); err != nil {
		return "", err
	}
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
