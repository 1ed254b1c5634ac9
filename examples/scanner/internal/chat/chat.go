// Package chat registers bags from the app's conversation (应用会话) and from the AI bot
// (智能机器人): a member sends up to nine photos, a price (and optionally a name), then "#" — or
// everything in one message such as "棕色托特包 ¥1,299 #". The app creates the bag with all its
// photos and replies with its code and label link. One parser ([Parse]) reads both paths; a
// message that can be read two ways is asked about, never guessed. Every reply says what the
// draft holds (名称/价格/照片 N 张).
//
// Retried callbacks never create two bags: the finishing message's MsgId is the registration's
// request ID. Drafts and their photos are kept in the store, so a restart keeps them and every
// replica sees the same draft of a member.
package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
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

// Downloader fetches an image message's media (media/get, or an AI bot's image URL).
type Downloader func(ctx context.Context, mediaID string) ([]byte, error)

// Drafts keeps one draft per member and the photos of drafts (package store implements it in the
// database). EditDraft runs f on the member's draft (nil when there is none) in one transaction
// and stores what f returns; nil removes the draft. PutChatImage keeps a photo under a name and
// drops those older than ttl; ChatImage returns one younger than ttl (nil when there is none).
type Drafts interface {
	EditDraft(ctx context.Context, user string, f func(data []byte, updated time.Time) ([]byte, error)) error
	PutChatImage(ctx context.Context, name string, data []byte, ttl time.Duration) error
	ChatImage(ctx context.Context, name string, ttl time.Duration) ([]byte, error)
}

// Flow turns members' messages into registrations.
type Flow struct {
	shop     *shop.Service
	drafts   Drafts
	download Downloader
	links    func(code string) string // URL of a bag's label page
	ttl      time.Duration            // a draft untouched for longer is abandoned
	imageTTL time.Duration            // how long a received photo is kept for its draft
	now      func() time.Time
	manager  func(userID string) bool
	log      *slog.Logger
}

// Option configures a Flow.
type Option func(*Flow)

// WithLogger logs failed photo downloads and the like (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(f *Flow) { f.log = l } }

// DraftTTL is how long an untouched draft is kept; ImageTTL how long a received photo is.
const (
	DraftTTL = 30 * time.Minute
	ImageTTL = 2 * time.Hour
)

// New returns a flow. links builds the label URL sent back to the member.
func New(s *shop.Service, drafts Drafts, download Downloader, links func(code string) string, isManager func(string) bool, opts ...Option) *Flow {
	f := &Flow{shop: s, drafts: drafts, download: download, links: links, ttl: DraftTTL, imageTTL: ImageTTL, now: s.Now,
		manager: isManager, log: slog.Default()}
	for _, o := range opts {
		o(f)
	}
	return f
}

// draft is a member's registration in progress.
type draft struct {
	Legacy  []string     `json:"photos,omitempty"` // media ids, as an earlier version kept them
	Images  []draftPhoto `json:"images,omitempty"` // in the order they were sent
	Price   shop.Money   `json:"price,omitempty"`
	Name    string       `json:"name,omitempty"`
	Pending *pending     `json:"pending,omitempty"` // a reading asked about, not applied yet
}

// draftPhoto is a received photo: kept in the store under Key (the SHA-256 of the scaled photo), and
// downloadable again from Media when the kept copy has expired.
type draftPhoto struct {
	Media string `json:"media"`
	Key   string `json:"key,omitempty"`
}

// pending is a message read with a doubt, waiting for 确认.
type pending struct {
	Name    string     `json:"name,omitempty"`
	Price   shop.Money `json:"price,omitempty"`
	Priced  bool       `json:"priced,omitempty"`
	Finish  bool       `json:"finish,omitempty"`
	Doubt   Doubt      `json:"doubt"`
	Hint    string     `json:"hint,omitempty"`
	Numbers []string   `json:"numbers,omitempty"`
}

func (p *pending) reading() Reading {
	return Reading{Name: p.Name, Price: p.Price, Priced: p.Priced, Finish: p.Finish, Doubt: p.Doubt, Hint: p.Hint, Numbers: p.Numbers}
}

// apply writes what a reading says into the draft.
func (d *draft) apply(r Reading) {
	if r.Name != "" {
		d.Name = r.Name
	}
	if r.Priced {
		d.Price = r.Price
	}
	d.Pending = nil
}

// Handle applies one message and returns the reply text ("" for none).
func (f *Flow) Handle(ctx context.Context, m Message) (string, error) {
	if m.From == "" {
		return "", nil
	}
	switch m.Type {
	case "image":
		return f.photo(ctx, m)
	case "text":
		return f.text(ctx, m)
	}
	return "", nil
}

// maxName is the longest name a product may have (see shop.NewProduct).
const maxName = 100

func (f *Flow) text(ctx context.Context, m Message) (string, error) {
	r := Parse(m.Content, f.shop.MaxPrice())
	switch {
	case r.TooLong:
		return f.withStatus(ctx, m.From, "消息太长（最多 2048 字节），未保存。请只发送名称和价格，如「棕色托特包 1299 #」。")
	case r.Command == CmdCancel:
		err := f.drafts.EditDraft(ctx, m.From, func([]byte, time.Time) ([]byte, error) { return nil, nil })
		return "已取消本次入库，照片和价格都已清空。\n" + status(&draft{}), err
	case r.Command == CmdHelp:
		return f.withStatus(ctx, m.From, help)
	case r.Command == CmdStatus:
		return f.withStatus(ctx, m.From, "")
	case r.Command == CmdConfirm:
		return f.confirm(ctx, m)
	case r.Command == CmdReject:
		return f.reject(ctx, m)
	case r.Empty():
		return f.withStatus(ctx, m.From, "没看懂这条消息。\n"+help)
	case utf8.RuneCountInString(r.Name) > maxName:
		return f.withStatus(ctx, m.From, fmt.Sprintf("名称最多 %d 字，未保存，请缩短后重新发送。", maxName))
	}
	var reply string
	finish := false
	err := f.edit(ctx, m.From, func(d *draft) bool {
		r := r
		if r.Doubt == DoubtModel && d.Price > 0 {
			// The price is known: "LV 2023 款" is the name.
			r.Doubt, r.Priced, r.Price = DoubtNone, false, 0
		}
		switch {
		case r.Doubt != DoubtNone && !r.Doubt.Confirmable():
			reply = question(r, f.shop.MaxPrice()) + "\n" + status(d) + "\n" + nextStep(d)
			return false
		case r.Doubt != DoubtNone:
			d.Pending = &pending{Name: r.Name, Price: r.Price, Priced: r.Priced, Finish: r.Finish, Doubt: r.Doubt,
				Hint: r.Hint, Numbers: r.Numbers}
			reply = ask(d)
			return true
		}
		if r.Name == "" && !r.Priced { // "#" alone: a pending question still stands
			finish = true
			return false
		}
		d.apply(r)
		if r.Finish {
			finish = true
			return true
		}
		reply = recorded(r) + "\n" + status(d) + "\n" + nextStep(d)
		return true
	})
	if err != nil || !finish {
		return reply, err
	}
	return f.commit(ctx, m)
}

// confirm applies the reading that was asked about; with its "#" it registers the bag.
func (f *Flow) confirm(ctx context.Context, m Message) (string, error) {
	var reply string
	finish, confirmed := false, false
	err := f.edit(ctx, m.From, func(d *draft) bool {
		if d.Pending == nil {
			reply = "没有需要确认的内容。\n" + status(d) + "\n" + nextStep(d)
			return false
		}
		confirmed = true
		r := d.Pending.reading()
		d.apply(r)
		finish = r.Finish
		reply = "已确认：" + recorded(r) + "\n" + status(d) + "\n" + nextStep(d)
		return true
	})
	if err == nil && !confirmed {
		if again, ok, err := f.replayed(ctx, m); err != nil || ok {
			return again, err
		}
	}
	if err != nil || !finish {
		return reply, err
	}
	return f.commit(ctx, m)
}

// reject drops the reading that was asked about.
func (f *Flow) reject(ctx context.Context, m Message) (string, error) {
	var reply string
	err := f.edit(ctx, m.From, func(d *draft) bool {
		if d.Pending == nil {
			reply = "没有需要确认的内容。\n" + status(d) + "\n" + nextStep(d)
			return false
		}
		d.Pending = nil
		reply = "好的，上一条未保存。请重新发送，价格前加 ¥ 更明确，如「棕色托特包 ¥1299 #」。\n" + status(d)
		return true
	})
	return reply, err
}

// withStatus is text followed by what the member's draft holds and what to send next.
func (f *Flow) withStatus(ctx context.Context, user, text string) (string, error) {
	d, _, err := f.read(ctx, user)
	if text != "" {
		text += "\n"
	}
	return text + status(&d) + "\n" + nextStep(&d), err
}

// read returns the member's current draft and its stored form.
func (f *Flow) read(ctx context.Context, user string) (draft, []byte, error) {
	var d draft
	var raw []byte
	err := f.drafts.EditDraft(ctx, user, func(data []byte, updated time.Time) ([]byte, error) {
		d, raw = f.decode(data, updated), data
		return data, nil
	})
	return d, raw, err
}

// edit changes user's draft (a new one when there is none or it was abandoned); change reports
// whether to save.
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
	for _, id := range d.Legacy {
		d.Images = append(d.Images, draftPhoto{Media: id})
	}
	d.Legacy = nil
	return d
}

// commit registers the draft.
func (f *Flow) commit(ctx context.Context, m Message) (string, error) {
	d, raw, err := f.read(ctx, m.From)
	if err != nil {
		return "", err
	}
	if d.Pending != nil {
		return "还有一处待确认：\n" + ask(&d), nil
	}
	if d.Price <= 0 {
		if again, ok, err := f.replayed(ctx, m); err != nil || ok {
			return again, err
		}
		return "还没有价格。\n" + status(&d) + "\n请发送价格（如 1299），再发送 #。", nil
	}
	photos, missing, err := f.loadPhotos(ctx, d.Images)
	if err != nil {
		return "", err
	}
	if len(missing) > 0 {
		return f.dropMissing(ctx, m.From, raw, missing)
	}
	in := shop.NewProduct{Name: d.Name, Price: d.Price, Stock: 1, Photos: photos, RequestID: requestID(m)}
	if in.Name == "" {
		in.Name = "新品 " + f.now().Format("0102-1504")
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
	return f.registered(p), nil
}

func (f *Flow) registered(p *shop.Product) string {
	return fmt.Sprintf("已入库：%s\n编码 %s，售价 %s，照片 %d 张\n标签：%s", p.Name, p.Code, p.Price.Display(), len(p.Photos),
		f.links(p.Code))
}

// requestID is the registration's idempotency key: the finishing message's MsgId.
func requestID(m Message) string { return "chat-" + safeID(m.MsgID) }

// replayed answers a finishing message handled a second time after its registration went through
// and its draft was cleared (a crash before the message was marked done): the same 已入库 reply,
// not "no price yet". ok is false when m registered nothing. The request is read in a write
// transaction (shop.Tx has the read), on this rare path only.
func (f *Flow) replayed(ctx context.Context, m Message) (reply string, ok bool, err error) {
	if m.MsgID == "" {
		return "", false, nil
	}
	var code string
	err = f.shop.Store().Write(ctx, func(tx shop.Tx) error {
		r, found, err := tx.Request(ctx, requestID(m))
		if found && r.Op == "register" {
			code = r.Code
		}
		return err
	})
	if err != nil || code == "" {
		return "", false, err
	}
	p, err := f.shop.Product(ctx, code)
	if err != nil {
		return "", false, err
	}
	return f.registered(p), true, nil
}

// safeID makes a message id usable in a request ID (letters and digits, at most 58).
func safeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	switch {
	case b.Len() == 0:
		return "x"
	case b.Len() > 58:
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:16])
	}
	return b.String()
}
