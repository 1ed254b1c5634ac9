package wecomtest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MessageKind says which API a recorded message went through.
type MessageKind string

const (
	MessageApp      MessageKind = "app"      // WeCom message/send (应用消息)
	MessageTemplate MessageKind = "template" // 公众号 message/template/send (模板消息)
	MessageCustom   MessageKind = "custom"   // 公众号 message/custom/send (客服消息)
	MessageWebhook  MessageKind = "webhook"  // group robot webhook/send (群机器人)
)

// SentMessage is a message the fake accepted. Body is the request body exactly as sent; decode it
// for details ([SentMessage.Decode]).
type SentMessage struct {
	Kind       MessageKind     `json:"kind"`
	MsgID      string          `json:"msgid,omitempty"`
	AgentID    int64           `json:"agentid,omitempty"` // app messages
	WebhookKey string          `json:"key,omitempty"`     // webhook messages
	ToUser     string          `json:"touser,omitempty"`  // userids "a|b", or an openid
	MsgType    string          `json:"msgtype,omitempty"` // empty for template messages
	Content    string          `json:"content,omitempty"` // text/markdown content, for convenience
	Body       json.RawMessage `json:"body"`
	Time       time.Time       `json:"time"`
}

// Decode unmarshals the message's request body into v.
func (m *SentMessage) Decode(v any) error { return json.Unmarshal(m.Body, v) }

const maxKeptMessages = 10000

// record keeps a sent message (the oldest are dropped beyond 10,000). h.mu must be held.
func (h *Handler) record(m *SentMessage) {
	m.Time = h.now()
	if len(h.st.Messages) >= maxKeptMessages {
		h.st.Messages = slices.Delete(h.st.Messages, 0, len(h.st.Messages)-maxKeptMessages+1)
	}
	h.st.Messages = append(h.st.Messages, m)
	h.markMessage(m)
}

type content struct {
	Content string `json:"content"`
}

type mediaRef struct {
	MediaID string `json:"media_id"`
}

type appMsgReq struct {
	ToUser                 string          `json:"touser"`
	ToParty                string          `json:"toparty"`
	ToTag                  string          `json:"totag"`
	MsgType                string          `json:"msgtype"`
	AgentID                int64           `json:"agentid"`
	EnableDuplicateCheck   int             `json:"enable_duplicate_check"`
	DuplicateCheckInterval int             `json:"duplicate_check_interval"`
	Text                   *content        `json:"text"`
	Markdown               *content        `json:"markdown"`
	Image                  *mediaRef       `json:"image"`
	Voice                  *mediaRef       `json:"voice"`
	Video                  *mediaRef       `json:"video"`
	File                   *mediaRef       `json:"file"`
	TextCard               *textCard       `json:"textcard"`
	News                   *news           `json:"news"`
	MPNews                 json.RawMessage `json:"mpnews"`
	TemplateCard           json.RawMessage `json:"template_card"`
	MiniprogramNotice      json.RawMessage `json:"miniprogram_notice"`
}

type textCard struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
}

type news struct {
	Articles []struct {
		Title string `json:"title"`
	} `json:"articles"`
}

type dupEntry struct {
	msgID   string
	expires time.Time
}

// messageSend serves message/send (发送应用消息). Unknown userids are listed in invaliduser (errcode 0);
// when nobody valid is left the answer is 81013. Departments and tags are not modelled: any toparty or
// totag counts as valid. Text longer than 2048 bytes is truncated, as documented. The duplicate check
// (enable_duplicate_check) answers a repeated body within the interval with the first msgid.
func (h *Handler) messageSend(r *http.Request, c *caller) (any, error) {
	var req appMsgReq
	body, err := readJSON(r, &req, false)
	if err != nil {
		return nil, err
	}
	if req.AgentID != c.app.AgentID {
		return nil, errf(codeInvalidAgentID, "invalid agentid %d for this access_token", req.AgentID)
	}
	text, err := checkAppMessage(h, &req)
	if err != nil {
		return nil, err
	}
	var valid, invalidUsers []string
	for _, u := range strings.Split(req.ToUser, "|") {
		switch {
		case u == "":
		case u == "@all" || h.member(u) != nil:
			valid = append(valid, u)
		default:
			invalidUsers = append(invalidUsers, u)
		}
	}
	switch {
	case req.ToUser == "" && req.ToParty == "" && req.ToTag == "":
		return nil, invalid("touser, toparty and totag are all empty")
	case len(valid) == 0 && req.ToParty == "" && req.ToTag == "":
		return nil, errf(codeAllRecipientsBad, "user & party & tag all invalid")
	}
	h.mu.Lock()
	defer h.unlock()
	now := h.now()
	var dupKey string
	if req.EnableDuplicateCheck == 1 {
		sum := sha256.Sum256(body)
		dupKey = hex.EncodeToString(sum[:])
		if d, seen := h.dup[dupKey]; seen && now.Before(d.expires) {
			return appSendResp{base: ok, InvalidUser: strings.Join(invalidUsers, "|"), MsgID: d.msgID}, nil
		}
	}
	msgID := h.randString(idAlphabet, 32)
	if dupKey != "" {
		interval := req.DuplicateCheckInterval
		if interval <= 0 || interval > 4*3600 {
			interval = 1800
		}
		for k, d := range h.dup {
			if !now.Before(d.expires) {
				delete(h.dup, k)
			}
		}
		h.dup[dupKey] = dupEntry{msgID, now.Add(time.Duration(interval) * time.Second)}
	}
	h.record(&SentMessage{Kind: MessageApp, MsgID: msgID, AgentID: req.AgentID, ToUser: req.ToUser,
		MsgType: req.MsgType, Content: text, Body: body})
	return appSendResp{base: ok, InvalidUser: strings.Join(invalidUsers, "|"), MsgID: msgID}, nil
}

type appSendResp struct {
	base
	InvalidUser string `json:"invaliduser,omitempty"`
	MsgID       string `json:"msgid"`
}

// checkAppMessage validates the msgtype's payload and returns the text content, if any.
func checkAppMessage(h *Handler, req *appMsgReq) (string, error) {
	switch req.MsgType {
	case "text", "markdown":
		c := req.Text
		if req.MsgType == "markdown" {
			c = req.Markdown
		}
		if c == nil || c.Content == "" {
			return "", errf(codeEmptyContent, "empty content")
		}
		return truncateBytes(c.Content, 2048), nil
	case "image", "voice", "video", "file":
		ref := map[string]*mediaRef{"image": req.Image, "voice": req.Voice, "video": req.Video, "file": req.File}[req.MsgType]
		if ref == nil || ref.MediaID == "" {
			return "", errf(codeMissingMediaID, "media_id missing")
		}
		if !h.mediaExists(ref.MediaID) {
			return "", errf(codeInvalidMediaID, "invalid media_id")
		}
	case "textcard":
		if req.TextCard == nil || req.TextCard.Title == "" {
			return "", errf(41016, "title missing")
		}
		if req.TextCard.Description == "" || req.TextCard.URL == "" {
			return "", invalid("textcard needs description and url")
		}
	case "news":
		if req.News == nil || len(req.News.Articles) < 1 || len(req.News.Articles) > 8 {
			return "", invalid("news needs 1…8 articles")
		}
		for _, a := range req.News.Articles {
			if a.Title == "" {
				return "", errf(41016, "title missing")
			}
		}
	case "mpnews", "template_card", "miniprogram_notice":
		raw := map[string]json.RawMessage{"mpnews": req.MPNews, "template_card": req.TemplateCard,
			"miniprogram_notice": req.MiniprogramNotice}[req.MsgType]
		if len(raw) == 0 {
			return "", invalid("%s missing", req.MsgType)
		}
	default:
		return "", errf(codeInvalidMsgType, "invalid msgtype %q", req.MsgType)
	}
	return "", nil
}

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// knownOpenID reports whether openID is a configured WeChat user or a follower. h.mu must be held.
func (h *Handler) knownOpenID(openID string) bool {
	return h.wechatUser(openID) != nil || h.st.Followers[openID]
}

// templateSend serves 公众号 message/template/send (发送模板消息): touser must be a known openid (40003),
// template_id non-empty (40037). A repeated client_msg_id for the same openid answers the first msgid
// and sends nothing.
func (h *Handler) templateSend(r *http.Request, _ *caller) (any, error) {
	var req struct {
		ToUser      string                     `json:"touser"`
		TemplateID  string                     `json:"template_id"`
		ClientMsgID string                     `json:"client_msg_id"`
		Data        map[string]json.RawMessage `json:"data"`
	}
	body, err := readJSON(r, &req, true)
	if err != nil {
		return nil, err
	}
	if req.TemplateID == "" {
		return nil, errf(codeInvalidTemplateID, "invalid template_id")
	}
	h.mu.Lock()
	defer h.unlock()
	if !h.knownOpenID(req.ToUser) {
		return nil, errf(codeInvalidOpenID, "invalid openid")
	}
	type resp struct {
		base
		MsgID int64 `json:"msgid"`
	}
	if req.ClientMsgID != "" {
		for _, m := range h.st.Messages {
			var prev struct {
				ClientMsgID string `json:"client_msg_id"`
			}
			if m.Kind == MessageTemplate && m.ToUser == req.ToUser && m.Decode(&prev) == nil && prev.ClientMsgID == req.ClientMsgID {
				id, _ := strconv.ParseInt(m.MsgID, 10, 64)
				return resp{ok, id}, nil
			}
		}
	}
	id := h.nextMsgID()
	h.record(&SentMessage{Kind: MessageTemplate, MsgID: strconv.FormatInt(id, 10), ToUser: req.ToUser, Body: body})
	return resp{ok, id}, nil
}

var customTypes = []string{"text", "image", "voice", "video", "music", "news", "mpnews", "mpnewsarticle", "msgmenu",
	"wxcard", "miniprogrampage"}

// customSend serves 公众号 message/custom/send (客服消息). The 48-hour interaction window is not modelled.
func (h *Handler) customSend(r *http.Request, _ *caller) (any, error) {
	var req struct {
		ToUser  string   `json:"touser"`
		MsgType string   `json:"msgtype"`
		Text    *content `json:"text"`
	}
	body, err := readJSON(r, &req, true)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(customTypes, req.MsgType) {
		return nil, errf(codeInvalidMsgType, "invalid message type")
	}
	if req.MsgType == "text" && (req.Text == nil || req.Text.Content == "") {
		return nil, errf(codeEmptyContent, "empty content")
	}
	h.mu.Lock()
	defer h.unlock()
	if !h.knownOpenID(req.ToUser) {
		return nil, errf(codeInvalidOpenID, "invalid openid")
	}
	var text string
	if req.Text != nil {
		text = req.Text.Content
	}
	h.record(&SentMessage{Kind: MessageCustom, ToUser: req.ToUser, MsgType: req.MsgType, Content: text, Body: body})
	return ok, nil
}

const webhookPerMinute = 20

// webhookSend serves the group robot webhook/send?key= (群机器人): any non-empty key is a robot (93000
// otherwise); at most 20 messages a minute per robot (45009); text ≤ 2048 bytes and markdown ≤ 4096
// bytes (45002); image base64 must match its md5.
func (h *Handler) webhookSend(r *http.Request, _ *caller) (any, error) {
	key := r.URL.Query().Get("key")
	if key == "" {
		return nil, errf(codeInvalidWebhookKey, "invalid webhook url")
	}
	var req struct {
		MsgType    string   `json:"msgtype"`
		Text       *content `json:"text"`
		Markdown   *content `json:"markdown"`
		MarkdownV2 *content `json:"markdown_v2"`
		Image      *struct {
			Base64 string `json:"base64"`
			MD5    string `json:"md5"`
		} `json:"image"`
		News         *news           `json:"news"`
		File         *mediaRef       `json:"file"`
		Voice        *mediaRef       `json:"voice"`
		TemplateCard json.RawMessage `json:"template_card"`
	}
	body, err := readJSON(r, &req, false)
	if err != nil {
		return nil, err
	}
	var text string
	switch req.MsgType {
	case "text", "markdown", "markdown_v2":
		c, limit := req.Text, 2048
		if req.MsgType != "text" {
			c, limit = req.Markdown, 4096
			if req.MsgType == "markdown_v2" {
				c = req.MarkdownV2
			}
		}
		if c == nil || c.Content == "" {
			return nil, errf(codeEmptyContent, "empty content")
		}
		if len(c.Content) > limit {
			return nil, errf(45002, "content exceed max length %d", limit)
		}
		text = c.Content
	case "image":
		if req.Image == nil {
			return nil, invalid("image missing")
		}
		data, err := base64.StdEncoding.DecodeString(req.Image.Base64)
		sum := md5.Sum(data)
		if err != nil || len(data) == 0 || !strings.EqualFold(hex.EncodeToString(sum[:]), req.Image.MD5) {
			return nil, invalid("image base64 is invalid or does not match md5")
		}
	case "news":
		if req.News == nil || len(req.News.Articles) < 1 || len(req.News.Articles) > 8 {
			return nil, invalid("news needs 1…8 articles")
		}
	case "file", "voice":
		ref := req.File
		if req.MsgType == "voice" {
			ref = req.Voice
		}
		if ref == nil || ref.MediaID == "" {
			return nil, errf(codeMissingMediaID, "media_id missing")
		}
	case "template_card":
		if len(req.TemplateCard) == 0 {
			return nil, invalid("template_card missing")
		}
	default:
		return nil, errf(codeInvalidMsgType, "invalid msgtype %q", req.MsgType)
	}
	h.mu.Lock()
	defer h.unlock()
	now := h.now()
	n := 0
	for _, m := range h.st.Messages {
		if m.Kind == MessageWebhook && m.WebhookKey == key && now.Sub(m.Time) < time.Minute {
			n++
		}
	}
	if n >= webhookPerMinute {
		return nil, errf(45009, "api freq out of limit: 20 messages a minute per robot")
	}
	h.record(&SentMessage{Kind: MessageWebhook, WebhookKey: key, MsgType: req.MsgType, Content: text, Body: body})
	return ok, nil
}

// menuKey is where a menu is kept: per WeCom app (agentid query) or for the 公众号.
func menuKey(r *http.Request, c *caller) (string, error) {
	if c.mp {
		return "mp", nil
	}
	id, err := strconv.ParseInt(r.URL.Query().Get("agentid"), 10, 64)
	if err != nil || id != c.app.AgentID {
		return "", errf(codeInvalidAgentID, "invalid agentid")
	}
	return "agent:" + strconv.FormatInt(id, 10), nil
}

// menuCreate serves menu/create (创建菜单): 1…3 top-level buttons (40016).
func (h *Handler) menuCreate(r *http.Request, c *caller) (any, error) {
	key, err := menuKey(r, c)
	if err != nil {
		return nil, err
	}
	var req struct {
		Button []json.RawMessage `json:"button"`
	}
	body, err := readJSON(r, &req, c.mp)
	if err != nil {
		return nil, err
	}
	if len(req.Button) < 1 || len(req.Button) > 3 {
		return nil, errf(40016, "invalid button size")
	}
	h.mu.Lock()
	defer h.unlock()
	h.st.Menus[key] = body
	h.markMenu(key)
	return ok, nil
}

// menuGet serves menu/get: WeCom answers {errcode, errmsg, button}, the 公众号 {menu:{button}}; 46003 if
// no menu exists.
func (h *Handler) menuGet(r *http.Request, c *caller) (any, error) {
	key, err := menuKey(r, c)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	menu, found := h.st.Menus[key]
	h.unlock()
	if !found {
		return nil, errf(codeMenuNotExist, "menu no exist")
	}
	var m struct {
		Button json.RawMessage `json:"button"`
	}
	_ = json.Unmarshal(menu, &m)
	if c.mp {
		return struct {
			Menu any `json:"menu"`
		}{m}, nil
	}
	return struct {
		base
		Button json.RawMessage `json:"button"`
	}{ok, m.Button}, nil
}

// menuDelete serves menu/delete (删除菜单).
func (h *Handler) menuDelete(r *http.Request, c *caller) (any, error) {
	key, err := menuKey(r, c)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	delete(h.st.Menus, key)
	h.markMenu(key)
	return ok, nil
}
