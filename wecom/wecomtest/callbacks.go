package wecomtest

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
)

// Errors of callback delivery.
var (
	// ErrNoCallback: no callback is configured for the app or the 公众号.
	ErrNoCallback = errors.New("wecomtest: no callback configured")
	// ErrUnknownTicket: SimulateScan found no valid QR ticket for the ticket or scene (expired QR codes
	// cannot be scanned).
	ErrUnknownTicket = errors.New("wecomtest: no valid QR ticket for this scene")
	// ErrBadReply: the receiver's reply could not be verified or decrypted, or was not encrypted in
	// safe mode.
	ErrBadReply = errors.New("wecomtest: bad callback reply")
)

// DeliveryError is returned when no attempt of a callback delivery got HTTP 200.
type DeliveryError struct {
	Attempts   int
	StatusCode int   // status of the last answer, 0 if none came
	Err        error // last transport error (a timeout if the receiver was slow), if any
}

func (e *DeliveryError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("wecomtest: callback not delivered after %d attempts: %v", e.Attempts, e.Err)
	}
	return fmt.Sprintf("wecomtest: callback not delivered after %d attempts: HTTP %d", e.Attempts, e.StatusCode)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

const callbackAttempts = 3 // WeCom and 公众号: 3 tries in total, 5 s each

type callbackState struct {
	apps map[int64]*CallbackConfig
	mp   *CallbackConfig
	hc   *http.Client
}

func (s *callbackState) init(cfg *config) {
	s.apps = map[int64]*CallbackConfig{}
	for _, a := range cfg.apps {
		if a.Callback != nil {
			cb := *a.Callback
			s.apps[a.AgentID] = &cb
		}
	}
	s.mp = cfg.mpCallback
	s.hc = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// SetAppCallback sets (or replaces) where a WeCom app's callbacks go. cb.Mode must be ModeSafe.
func (h *Handler) SetAppCallback(agentID int64, cb CallbackConfig) error {
	if h.appByAgent(agentID) == nil {
		return fmt.Errorf("wecomtest: unknown agent id %d", agentID)
	}
	if err := cb.validate(true); err != nil {
		return fmt.Errorf("wecomtest: %w", err)
	}
	h.mu.Lock()
	defer h.unlock()
	h.cb.apps[agentID] = &cb
	return nil
}

// SetOfficialAccountCallback sets (or replaces) where 公众号 events go.
func (h *Handler) SetOfficialAccountCallback(cb CallbackConfig) error {
	if err := cb.validate(false); err != nil {
		return fmt.Errorf("wecomtest: %w", err)
	}
	h.mu.Lock()
	defer h.unlock()
	h.cb.mp = &cb
	return nil
}

// Message is a message or event delivered to a callback by [Handler.SendMessage] (member → WeCom app)
// or [Handler.SendOfficialAccountMessage] (WeChat user → 公众号).
type Message struct {
	AgentID    int64     // WeCom: the app; default the first app
	From       string    // FromUserName: userid or openid; default the current user / OpenID
	Type       string    // MsgType: text, image, event, …; default text
	Content    string    // text
	Image      []byte    // image: stored as media, giving MediaId and PicUrl (unless those are set)
	PicURL     string    // image
	MediaID    string    // image, voice, video
	Event      string    // event: subscribe, enter_agent, click, scancode_waitmsg, SCAN, …
	EventKey   string    // event
	Ticket     string    // 公众号 QR events
	ScanType   string    // scancode_push / scancode_waitmsg: ScanCodeInfo.ScanType (qrcode, barcode)
	ScanResult string    // … and ScanCodeInfo.ScanResult
	MsgID      int64     // default: a new id for messages; none for events
	CreateTime time.Time // default now
	Raw        []byte    // a complete plaintext XML to deliver as is; the fields above are then ignored
}

// xmlBuilder writes WeCom-style message XML.
type xmlBuilder struct{ b strings.Builder }

func (x *xmlBuilder) text(name, v string) {
	fmt.Fprintf(&x.b, "<%s><![CDATA[%s]]></%s>", name, strings.ReplaceAll(v, "]]>", "]]]]><![CDATA[>"), name)
}

func (x *xmlBuilder) num(name string, v int64) { fmt.Fprintf(&x.b, "<%s>%d</%s>", name, v, name) }

// plainXML renders a message; to is ToUserName (corpid or gh_ id), agentID 0 for the 公众号.
func (h *Handler) plainXML(m *Message, to string, agentID int64) ([]byte, error) {
	if m.Raw != nil {
		return m.Raw, nil
	}
	if m.Type == "" {
		m.Type = "text"
	}
	if m.CreateTime.IsZero() {
		m.CreateTime = h.now()
	}
	if m.Type == "image" && m.Image != nil && m.MediaID == "" {
		id, err := h.AddMedia("image", "image", m.Image)
		if err != nil {
			return nil, err
		}
		m.MediaID = id
		if m.PicURL == "" {
			if p := h.base.Load(); p != nil {
				m.PicURL = *p + "/wecomtest/files/" + id
			}
		}
	}
	if m.Type != "event" && m.MsgID == 0 {
		h.mu.Lock()
		m.MsgID = h.nextMsgID()*1000 + int64(h.rng.IntN(1000))
		h.unlock()
	}
	var x xmlBuilder
	x.b.WriteString("<xml>")
	x.text("ToUserName", to)
	x.text("FromUserName", m.From)
	x.num("CreateTime", m.CreateTime.Unix())
	x.text("MsgType", m.Type)
	switch m.Type {
	case "text":
		x.text("Content", m.Content)
	case "image":
		x.text("PicUrl", m.PicURL)
		x.text("MediaId", m.MediaID)
	case "voice", "video":
		x.text("MediaId", m.MediaID)
	case "event":
		x.text("Event", m.Event)
		x.text("EventKey", m.EventKey)
		if m.Ticket != "" {
			x.text("Ticket", m.Ticket)
		}
		if m.ScanType != "" || m.ScanResult != "" {
			x.b.WriteString("<ScanCodeInfo>")
			x.text("ScanType", m.ScanType)
			x.text("ScanResult", m.ScanResult)
			x.b.WriteString("</ScanCodeInfo>")
		}
	}
	if m.MsgID != 0 {
		x.num("MsgId", m.MsgID)
	}
	if agentID != 0 {
		x.num("AgentID", agentID)
	}
	x.b.WriteString("</xml>")
	return []byte(x.b.String()), nil
}

// SendMessage delivers a message or event from a member to a WeCom app's callback URL, encrypted and
// signed like WeCom does (msg_signature, timestamp, nonce; envelope ToUserName/AgentID/Encrypt). A
// receiver that does not answer HTTP 200 within the callback timeout (5 s by default) gets the same
// request again, 3 tries in total. It returns the app's decrypted passive reply (empty if none).
func (h *Handler) SendMessage(ctx context.Context, m Message) ([]byte, error) {
	if m.AgentID == 0 {
		m.AgentID = h.cfg.apps[0].AgentID
	}
	if h.appByAgent(m.AgentID) == nil {
		return nil, fmt.Errorf("wecomtest: unknown agent id %d", m.AgentID)
	}
	h.mu.Lock()
	cb := h.cb.apps[m.AgentID]
	if m.From == "" {
		m.From = h.oa.currentUser
	}
	h.unlock()
	if cb == nil {
		return nil, ErrNoCallback
	}
	plain, err := h.plainXML(&m, h.cfg.corpID, m.AgentID)
	if err != nil {
		return nil, err
	}
	return h.deliver(ctx, cb, h.cfg.corpID, m.AgentID, "", plain)
}

// SendOfficialAccountMessage delivers a message or event from a WeChat user to the 公众号 callback, in
// the configured mode (plain, compat or safe), with the same retry rule as [Handler.SendMessage].
func (h *Handler) SendOfficialAccountMessage(ctx context.Context, m Message) ([]byte, error) {
	h.mu.Lock()
	cb := h.cb.mp
	if m.From == "" {
		m.From = h.oa.currentOpen
	}
	h.unlock()
	if cb == nil {
		return nil, ErrNoCallback
	}
	plain, err := h.plainXML(&m, h.cfg.mpOriginalID, 0)
	if err != nil {
		return nil, err
	}
	return h.deliver(ctx, cb, h.cfg.mpAppID, 0, m.From, plain)
}

// SimulateScan delivers the event a 公众号 sends when openid scans a parametric QR code. scene is a
// ticket from qrcode/create or a scene value (scene_id in decimal or scene_str; the newest valid ticket
// with that scene is used). following=false: the user follows now: Event subscribe, EventKey
// qrscene_<scene>, and openid becomes a follower; following=true: Event SCAN, EventKey <scene>. Both
// carry the Ticket. It returns the app's (decrypted) reply.
func (h *Handler) SimulateScan(ctx context.Context, openid, scene string, following bool) ([]byte, error) {
	if openid == "" {
		return nil, errors.New("wecomtest: SimulateScan: empty openid")
	}
	h.mu.Lock()
	now := h.now()
	t := h.st.QRTickets[scene]
	if t == nil {
		for _, c := range h.st.QRTickets {
			if c.Scene == scene && c.valid(now) && (t == nil || c.Created.After(t.Created)) {
				t = c
			}
		}
	}
	if t == nil || !t.valid(now) {
		h.unlock()
		return nil, ErrUnknownTicket
	}
	ticket, value := t.Ticket, t.Scene
	if !following {
		h.st.Followers[openid] = true
		h.markFollower(openid)
	}
	h.unlock()
	m := Message{From: openid, Type: "event", Event: "SCAN", EventKey: value, Ticket: ticket}
	if !following {
		m.Event, m.EventKey = "subscribe", "qrscene_"+value
	}
	return h.SendOfficialAccountMessage(ctx, m)
}

// Follow makes openid a follower of the 公众号 (as a plain follow would) without delivering an event.
func (h *Handler) Follow(openid string) {
	h.mu.Lock()
	defer h.unlock()
	h.st.Followers[openid] = true
	h.markFollower(openid)
}

// newNonce returns a decimal nonce like WeCom's.
func (h *Handler) newNonce() string {
	h.mu.Lock()
	defer h.unlock()
	return strconv.FormatUint(uint64(h.rng.Uint32()), 10)
}

// deliver signs (and encrypts) plain and POSTs it with the retry rule. agentID 0 means 公众号, with
// openid in the query.
func (h *Handler) deliver(ctx context.Context, cb *CallbackConfig, receiverID string, agentID int64, openid string, plain []byte) ([]byte, error) {
	ts := strconv.FormatInt(h.now().Unix(), 10)
	nonce := h.newNonce()
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}}
	body := plain
	var cr *wxcrypto.Cryptor
	if cb.Mode != ModePlain {
		var err error
		if cr, err = wxcrypto.New(cb.Token, cb.EncodingAESKey, receiverID); err != nil {
			return nil, fmt.Errorf("wecomtest: callback crypto: %w", err)
		}
		env, err := cr.EncryptMessage(plain, ts, nonce)
		if err != nil {
			return nil, fmt.Errorf("wecomtest: encrypt callback: %w", err)
		}
		var e replyEnvelope
		if err := xml.Unmarshal(env, &e); err != nil {
			return nil, fmt.Errorf("wecomtest: encrypt callback: %w", err)
		}
		q.Set("msg_signature", e.MsgSignature)
		var x xmlBuilder
		switch {
		case agentID != 0:
			x.b.WriteString("<xml>")
			x.text("ToUserName", receiverID)
			x.text("AgentID", strconv.FormatInt(agentID, 10))
			x.text("Encrypt", e.Encrypt)
			x.b.WriteString("</xml>")
			body = []byte(x.b.String())
		case cb.Mode == ModeSafe:
			x.b.WriteString("<xml>")
			x.text("ToUserName", h.cfg.mpOriginalID)
			x.text("Encrypt", e.Encrypt)
			x.b.WriteString("</xml>")
			body = []byte(x.b.String())
		default: // compat: the plain elements plus Encrypt
			x.text("Encrypt", e.Encrypt)
			body = bytes.Replace(plain, []byte("</xml>"), []byte(x.b.String()+"</xml>"), 1)
		}
	}
	if agentID == 0 {
		q.Set("signature", wxcrypto.Signature(cb.Token, ts, nonce))
		q.Set("openid", openid)
		if cb.Mode != ModePlain {
			q.Set("encrypt_type", "aes")
		}
	}
	target, err := url.Parse(cb.URL)
	if err != nil {
		return nil, fmt.Errorf("wecomtest: callback URL: %w", err)
	}
	target.RawQuery = mergeQuery(target.RawQuery, q)
	reply, err := h.post(ctx, target.String(), body)
	if err != nil {
		return nil, err
	}
	return openReply(cb, cr, reply)
}

func mergeQuery(raw string, q url.Values) string {
	if raw == "" {
		return q.Encode()
	}
	return raw + "&" + q.Encode()
}

// post sends body with up to 3 attempts of cbTimeout each; the first HTTP 200 wins.
func (h *Handler) post(ctx context.Context, target string, body []byte) ([]byte, error) {
	de := &DeliveryError{}
	for de.Attempts < callbackAttempts && ctx.Err() == nil {
		de.Attempts++
		actx, cancel := context.WithTimeout(ctx, h.cfg.cbTimeout)
		req, err := http.NewRequestWithContext(actx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			cancel()
			return nil, fmt.Errorf("wecomtest: callback request: %w", err)
		}
		req.Header.Set("Content-Type", "text/xml")
		req.Header.Set("User-Agent", "Mozilla/4.0 (wecomtest callback)")
		resp, err := h.cb.hc.Do(req)
		if err == nil {
			var data []byte
			data, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			de.StatusCode = resp.StatusCode
			if err == nil && resp.StatusCode == http.StatusOK {
				cancel()
				return data, nil
			}
		}
		cancel()
		de.Err = err
		h.cfg.log.Info("wecomtest: callback attempt failed", "attempt", de.Attempts, "status", de.StatusCode, "err", err)
	}
	if de.Err == nil && de.StatusCode == 0 {
		de.Err = ctx.Err()
	}
	return nil, de
}

type replyEnvelope struct {
	Encrypt      string `xml:"Encrypt"`
	MsgSignature string `xml:"MsgSignature"`
	TimeStamp    string `xml:"TimeStamp"`
	Nonce        string `xml:"Nonce"`
}

// openReply verifies and decrypts an encrypted passive reply. Empty bodies and "success" are returned
// as they are; plain mode and compat mode (unencrypted) replies too.
func openReply(cb *CallbackConfig, cr *wxcrypto.Cryptor, reply []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(reply)
	if cr == nil || len(trimmed) == 0 || string(trimmed) == "success" {
		return reply, nil
	}
	var e replyEnvelope
	if err := xml.Unmarshal(trimmed, &e); err != nil || e.Encrypt == "" {
		if cb.Mode == ModeCompat {
			return reply, nil
		}
		return nil, fmt.Errorf("%w: not an encrypted envelope", ErrBadReply)
	}
	plain, err := cr.DecryptMessage(e.MsgSignature, e.TimeStamp, e.Nonce, trimmed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	return plain, nil
}

// VerifyAppCallback performs the URL verification a WeCom admin triggers when saving the callback URL
// (验证URL有效性): a GET with msg_signature, timestamp, nonce and an encrypted echostr; the receiver must
// answer the decrypted echostr exactly.
func (h *Handler) VerifyAppCallback(ctx context.Context, agentID int64) error {
	h.mu.Lock()
	cb := h.cb.apps[agentID]
	h.unlock()
	if cb == nil {
		return ErrNoCallback
	}
	cr, err := wxcrypto.New(cb.Token, cb.EncodingAESKey, h.cfg.corpID)
	if err != nil {
		return fmt.Errorf("wecomtest: callback crypto: %w", err)
	}
	ts, nonce, echo := strconv.FormatInt(h.now().Unix(), 10), h.newNonce(), h.newNonce()+h.newNonce()
	env, err := cr.EncryptMessage([]byte(echo), ts, nonce)
	if err != nil {
		return err
	}
	var e replyEnvelope
	if err := xml.Unmarshal(env, &e); err != nil {
		return err
	}
	q := url.Values{"msg_signature": {e.MsgSignature}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {e.Encrypt}}
	return h.verifyGET(ctx, cb.URL, q, echo)
}

// VerifyOfficialAccountCallback performs the 公众号 URL verification: a GET with signature, timestamp,
// nonce and echostr; the receiver must answer echostr unchanged.
func (h *Handler) VerifyOfficialAccountCallback(ctx context.Context) error {
	h.mu.Lock()
	cb := h.cb.mp
	h.unlock()
	if cb == nil {
		return ErrNoCallback
	}
	ts, nonce, echo := strconv.FormatInt(h.now().Unix(), 10), h.newNonce(), h.newNonce()+h.newNonce()
	q := url.Values{"signature": {wxcrypto.Signature(cb.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echo}}
	return h.verifyGET(ctx, cb.URL, q, echo)
}

func (h *Handler) verifyGET(ctx context.Context, rawURL string, q url.Values, want string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	u.RawQuery = mergeQuery(u.RawQuery, q)
	ctx, cancel := context.WithTimeout(ctx, h.cfg.cbTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := h.cb.hc.Do(req)
	if err != nil {
		return fmt.Errorf("wecomtest: URL verification: %w", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return fmt.Errorf("wecomtest: URL verification: %w", err)
	}
	if resp.StatusCode != http.StatusOK || string(got) != want {
		return fmt.Errorf("%w: URL verification: HTTP %d, body %q, want the echostr %q", ErrBadReply, resp.StatusCode, got, want)
	}
	return nil
}
