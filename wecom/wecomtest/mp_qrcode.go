package wecomtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/boombuler/barcode/qr"
)

// QR code limits (生成带参数的二维码).
const (
	maxExpireSeconds  = 2592000 // 30 days
	minExpireSeconds  = 60
	defaultExpireSecs = 60 // older versions of 生成带参数的二维码 said 30 s; the current page says 60 s
	maxPermanentScene = 100000
	maxPermanentCodes = 100000
)

// qrTicket is an issued parametric QR code; SimulateScan finds it by ticket or by scene.
type qrTicket struct {
	Ticket    string    `json:"ticket"`
	Action    string    `json:"action_name"`
	Scene     string    `json:"scene"` // scene_id in decimal, or scene_str
	URL       string    `json:"url"`
	Permanent bool      `json:"permanent"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires,omitzero"` // zero for permanent codes
}

func (t *qrTicket) valid(now time.Time) bool { return t.Permanent || now.Before(t.Expires) }

type qrCreateReq struct {
	ExpireSeconds *int64 `json:"expire_seconds"`
	ActionName    string `json:"action_name"`
	ActionInfo    struct {
		Scene struct {
			SceneID  *int64  `json:"scene_id"`
			SceneStr *string `json:"scene_str"`
		} `json:"scene"`
	} `json:"action_info"`
}

type qrCreateResp struct {
	Ticket        string `json:"ticket"`
	ExpireSeconds int64  `json:"expire_seconds,omitempty"`
	URL           string `json:"url"`
}

// qrCreate serves 公众号 qrcode/create with the four action names and the documented limits:
// expire_seconds 60…2592000 (absent → 60), temporary scene_id a non-zero 32-bit number (1…4294967295),
// permanent scene_id 1…100000, scene_str 1…64 characters, at most 100,000 permanent codes. Errors are
// 40097 (invalid args). The answer has no errcode, like upstream.
func (h *Handler) qrCreate(r *http.Request, _ *caller) (any, error) {
	var req qrCreateReq
	if err := decodeJSON(r, &req, true); err != nil {
		return nil, err
	}
	bad := func(msg string) (any, error) { return nil, errf(codeInvalidArgs, "invalid args: %s", msg) }
	sc := req.ActionInfo.Scene
	var scene string
	permanent := false
	switch req.ActionName {
	case "QR_SCENE", "QR_LIMIT_SCENE":
		permanent = req.ActionName == "QR_LIMIT_SCENE"
		switch {
		case sc.SceneID == nil:
			return bad("scene_id missing")
		case permanent && (*sc.SceneID < 1 || *sc.SceneID > maxPermanentScene):
			return bad("permanent scene_id must be 1…100000")
		case !permanent && (*sc.SceneID < 1 || *sc.SceneID > 1<<32-1):
			return bad("temporary scene_id must be a non-zero 32-bit integer")
		}
		scene = strconv.FormatInt(*sc.SceneID, 10)
	case "QR_STR_SCENE", "QR_LIMIT_STR_SCENE":
		permanent = req.ActionName == "QR_LIMIT_STR_SCENE"
		if sc.SceneStr == nil || *sc.SceneStr == "" || utf8.RuneCountInString(*sc.SceneStr) > 64 {
			return bad("scene_str must be 1…64 characters")
		}
		scene = *sc.SceneStr
	default:
		return bad("action_name must be QR_SCENE, QR_STR_SCENE, QR_LIMIT_SCENE or QR_LIMIT_STR_SCENE")
	}
	expire := int64(defaultExpireSecs)
	if !permanent && req.ExpireSeconds != nil {
		expire = *req.ExpireSeconds
		if expire < minExpireSeconds || expire > maxExpireSeconds {
			return bad("expire_seconds must be 60…2592000")
		}
	}
	h.mu.Lock()
	defer h.unlock()
	now := h.now()
	if permanent {
		n := 0
		for _, t := range h.st.QRTickets {
			if t.Permanent {
				n++
			}
		}
		if n >= maxPermanentCodes {
			return nil, errf(45009, "reach max limit of permanent QR codes")
		}
	}
	// Real tickets are base64 with + / =, so a client that forgets to URL-encode them breaks here too.
	raw := make([]byte, 48)
	for i := range raw {
		raw[i] = byte(h.rng.IntN(256))
	}
	t := &qrTicket{Ticket: base64.StdEncoding.EncodeToString(raw), Action: req.ActionName, Scene: scene,
		URL: "https://weixin.qq.com/q/" + h.randString(idAlphabet, 22), Permanent: permanent, Created: now}
	resp := qrCreateResp{Ticket: t.Ticket, URL: t.URL}
	if !permanent {
		t.Expires = now.Add(time.Duration(expire) * time.Second)
		resp.ExpireSeconds = expire
		h.pruneTickets(now)
	}
	h.st.QRTickets[t.Ticket] = t
	h.markQR(t.Ticket)
	return resp, nil
}

// pruneTickets forgets temporary tickets expired more than a day ago. h.mu must be held.
func (h *Handler) pruneTickets(now time.Time) {
	for k, t := range h.st.QRTickets {
		if !t.Permanent && now.Sub(t.Expires) > 24*time.Hour {
			delete(h.st.QRTickets, k)
			h.markQR(k)
		}
	}
}

// showQRCode serves mp.weixin.qq.com/cgi-bin/showqrcode?ticket=…: a PNG of the ticket's URL (the
// real one is a JPEG), 404 for an unknown or expired ticket. No token needed.
func (h *Handler) showQRCode(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	t := h.st.QRTickets[r.URL.Query().Get("ticket")]
	valid := t != nil && t.valid(h.now())
	h.unlock()
	if !valid {
		http.NotFound(w, r)
		return
	}
	img, err := renderQR(t.URL, 430)
	if err != nil {
		http.Error(w, "render QR code", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(img)))
	_, _ = w.Write(img)
}

// renderQR encodes content as a size×size PNG QR code: whole pixels per module and the 4-module quiet
// zone the QR standard requires around the symbol (without it decoders fail now and then).
func renderQR(content string, size int) ([]byte, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	n := code.Bounds().Dx()
	scale := size / (n + 8)
	if scale < 1 {
		return nil, fmt.Errorf("QR code of %d modules does not fit in %d px", n, size)
	}
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	off := (size - n*scale) / 2
	for y := range n {
		for x := range n {
			if code.At(x, y) == color.Black {
				draw.Draw(img, image.Rect(off+x*scale, off+y*scale, off+(x+1)*scale, off+(y+1)*scale), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	var buf bytes.Buffer
	err = png.Encode(&buf, img)
	return buf.Bytes(), err
}

// QRTicket describes an issued parametric QR code, for inspection.
type QRTicket struct {
	Ticket    string
	Scene     string // scene_id in decimal, or scene_str
	URL       string
	Permanent bool
	Expires   time.Time // zero for permanent codes
}

// QRTickets lists the parametric QR codes issued so far (including expired temporary ones from the
// last day).
func (h *Handler) QRTickets() []QRTicket {
	h.mu.Lock()
	defer h.unlock()
	out := make([]QRTicket, 0, len(h.st.QRTickets))
	for _, t := range h.st.QRTickets {
		out = append(out, QRTicket{t.Ticket, t.Scene, t.URL, t.Permanent, t.Expires})
	}
	return out
}
