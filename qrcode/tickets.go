package qrcode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/qiwei-go/qiwei/wecom"
)

// Limits of 公众号 parametric QR codes (生成带参数的二维码).
const (
	MinTemporaryExpiry = 60 * time.Second
	MaxTemporaryExpiry = 30 * 24 * time.Hour // 2,592,000 s
	MaxPermanentID     = 100_000
	MaxSceneStrLen     = 64 // bytes
)

// Validation errors, checked before any request is sent. Use errors.Is.
var (
	ErrInvalidExpiry  = errors.New("qrcode: temporary code expiry must be between 60 s and 30 days")
	ErrInvalidSceneID = errors.New("qrcode: invalid scene id")
	ErrInvalidScene   = errors.New("qrcode: invalid scene string")
	ErrTicketNotFound = errors.New("qrcode: ticket unknown or expired")
)

// Scene is the parameter a 公众号 QR code carries back in the scan event: an integer scene id or a
// string scene_str. Build one with [IntScene] or [StrScene].
type Scene struct {
	id    uint32
	str   string
	isStr bool
}

// IntScene is an integer scene (scene_id). Temporary codes take any non-zero 32-bit value;
// permanent codes 1–100,000.
func IntScene(id uint32) Scene { return Scene{id: id} }

// StrScene is a string scene (scene_str), 1–64 bytes.
func StrScene(s string) Scene { return Scene{str: s, isStr: true} }

// String returns the scene as it comes back in EventKey (decimal for integer scenes).
func (s Scene) String() string {
	if s.isStr {
		return s.str
	}
	return fmt.Sprint(s.id)
}

func (s Scene) validate(permanent bool) error {
	if s.isStr {
		if n := len(s.str); n == 0 || n > MaxSceneStrLen || !utf8.ValidString(s.str) {
			return fmt.Errorf("%w: scene_str must be 1–%d bytes of UTF-8, got %d bytes", ErrInvalidScene, MaxSceneStrLen, n)
		}
		return nil
	}
	if s.id == 0 {
		return fmt.Errorf("%w: scene_id must be non-zero", ErrInvalidSceneID)
	}
	if permanent && s.id > MaxPermanentID {
		return fmt.Errorf("%w: permanent scene_id must be 1–%d, got %d", ErrInvalidSceneID, MaxPermanentID, s.id)
	}
	return nil
}

// Ticket is a created QR code (qrcode/create's response).
type Ticket struct {
	Ticket        string // pass to showqrcode
	ExpireSeconds int    // 0 for permanent codes
	URL           string // the QR code's content: render it locally with PNG instead of downloading
	imageBase     string
}

// ImageURL returns the showqrcode URL of the code's image, with the ticket URL-escaped (it contains
// + / =). No token is needed to fetch it.
func (t *Ticket) ImageURL() string {
	base := t.imageBase
	if base == "" {
		base = wecom.DefaultMPWebBaseURL
	}
	return base + "/cgi-bin/showqrcode?ticket=" + url.QueryEscape(t.Ticket)
}

// Tickets creates 公众号 parametric QR codes (生成带参数的二维码). Only verified 服务号 may; others get
// errcode 48001.
type Tickets struct {
	c *wecom.Client
}

// NewTickets returns a ticket service on a 公众号 client (see [wecom.NewOfficialAccount]).
//
// It never panics and cannot fail itself: with a nil client every method returns an error matching
// wecom.ErrNilClient, and with a WeCom client (wecom.New) one matching wecom.ErrWrongPlatform, in
// both cases before any request is sent (a WeCom token would only earn errcode 40001 and be dropped
// from the cache). [NewBinder] checks the same at construction.
func NewTickets(c *wecom.Client) *Tickets { return &Tickets{c: c} }

// check refuses a nil Tickets, a nil client or a WeCom client before anything is sent.
func (t *Tickets) check(call string) error {
	if t == nil {
		return fmt.Errorf("qrcode: %s: %w", call, wecom.ErrNilClient)
	}
	return t.c.Require(wecom.PlatformOfficialAccount, "qrcode.Tickets."+call)
}

type sceneBody struct {
	SceneID  uint32 `json:"scene_id,omitempty"`
	SceneStr string `json:"scene_str,omitempty"`
}

type createBody struct {
	ExpireSeconds int64  `json:"expire_seconds,omitempty"`
	ActionName    string `json:"action_name"`
	ActionInfo    struct {
		Scene sceneBody `json:"scene"`
	} `json:"action_info"`
}

type createResp struct {
	Ticket        string `json:"ticket"`
	ExpireSeconds int    `json:"expire_seconds"`
	URL           string `json:"url"`
}

// Temporary creates a temporary code (QR_SCENE or QR_STR_SCENE) valid for ttl (60 s – 30 days,
// whole seconds). The expiry is always sent: the upstream default is disputed (30 s or 60 s).
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
func (t *Tickets) Temporary(ctx context.Context, s Scene, ttl time.Duration) (*Ticket, error) {
	if err := t.check("Temporary"); err != nil {
		return nil, err
	}
	if ttl < MinTemporaryExpiry || ttl > MaxTemporaryExpiry {
		return nil, fmt.Errorf("%w: got %v", ErrInvalidExpiry, ttl)
	}
	if err := s.validate(false); err != nil {
		return nil, err
	}
	b := createBody{ExpireSeconds: int64(ttl / time.Second), ActionName: "QR_SCENE"}
	if s.isStr {
		b.ActionName = "QR_STR_SCENE"
	}
	return t.create(ctx, s, b)
}

// Permanent creates a permanent code (QR_LIMIT_SCENE or QR_LIMIT_STR_SCENE). An account may hold at
// most 100,000 of them.
func (t *Tickets) Permanent(ctx context.Context, s Scene) (*Ticket, error) {
	if err := t.check("Permanent"); err != nil {
		return nil, err
	}
	if err := s.validate(true); err != nil {
		return nil, err
	}
	b := createBody{ActionName: "QR_LIMIT_SCENE"}
	if s.isStr {
		b.ActionName = "QR_LIMIT_STR_SCENE"
	}
	return t.create(ctx, s, b)
}

func (t *Tickets) create(ctx context.Context, s Scene, b createBody) (*Ticket, error) {
	if s.isStr {
		b.ActionInfo.Scene.SceneStr = s.str
	} else {
		b.ActionInfo.Scene.SceneID = s.id
	}
	var r createResp
	if err := t.c.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/qrcode/create", Body: b}, &r); err != nil {
		return nil, err
	}
	if r.Ticket == "" {
		return nil, errors.New("qrcode: qrcode/create returned no ticket")
	}
	return &Ticket{Ticket: r.Ticket, ExpireSeconds: r.ExpireSeconds, URL: r.URL, imageBase: t.c.BaseURL(wecom.HostMPWeb)}, nil
}

// maxImage bounds a downloaded code image.
const maxImage = 4 << 20

// Image downloads the code's image from showqrcode (JPEG upstream; PNG from wecomtest) and returns
// its bytes and content type. An unknown or expired ticket is [ErrTicketNotFound].
func (t *Tickets) Image(ctx context.Context, ticket string) ([]byte, string, error) {
	if err := t.check("Image"); err != nil {
		return nil, "", err
	}
	if ticket == "" {
		return nil, "", fmt.Errorf("%w: empty ticket", ErrTicketNotFound)
	}
	rc, h, err := t.c.Stream(ctx, &wecom.Request{Method: http.MethodGet, Path: "/cgi-bin/showqrcode",
		Host: wecom.HostMPWeb, Auth: wecom.AuthNone, Query: url.Values{"ticket": {ticket}}})
	var he *wecom.HTTPError
	if errors.As(err, &he) && he.StatusCode == http.StatusNotFound {
		return nil, "", ErrTicketNotFound
	}
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxImage+1))
	if err != nil {
		return nil, "", fmt.Errorf("qrcode: showqrcode: %w", err)
	}
	if len(data) > maxImage {
		return nil, "", errors.New("qrcode: showqrcode: image larger than 4 MiB")
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = http.DetectContentType(data)
	}
	return data, ct, nil
}
