package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MessageService sends WeCom application messages (发送应用消息) as the client's app.
// Get one with [Client.Messages]; it is cheap and safe for concurrent use. On a 公众号 client every
// method fails with [ErrWrongPlatform] before sending anything.
type MessageService struct{ c *Client }

// Messages returns the application-message service. Sending needs [WithAgentID].
func (c *Client) Messages() *MessageService { return &MessageService{c: c} }

// Errors returned before anything is sent.
var (
	// ErrInvalidRequest is matched (errors.Is) by every [*ValidationError].
	ErrInvalidRequest = errors.New("wecom: invalid request")
	// ErrNoAgentID: the call needs the app's AgentId; create the client with [WithAgentID].
	ErrNoAgentID = errNoAgent
	// ErrWeComOnly: the call exists only for WeCom clients ([New]), not for a 公众号. Errors
	// matching it also match [ErrWrongPlatform].
	ErrWeComOnly = errors.New("wecom: this call needs a WeCom client (New), not a 公众号 one")
	// ErrOfficialAccountOnly: the call exists only for 公众号 clients ([NewOfficialAccount]).
	// Errors matching it also match [ErrWrongPlatform].
	ErrOfficialAccountOnly = errors.New("wecom: this call needs a 公众号 client (NewOfficialAccount)")
)

// ValidationError reports a request rejected before sending because a field is missing or breaks a
// documented limit. It matches [ErrInvalidRequest] with errors.Is. It never quotes the field's value.
type ValidationError struct {
	Call    string // e.g. "SendText"
	Field   string // e.g. "Content"
	Problem string // e.g. "longer than 2048 bytes (2051)"
}

func (e *ValidationError) Error() string {
	return "wecom: " + e.Call + ": " + e.Field + ": " + e.Problem
}

// Unwrap makes errors.Is(err, ErrInvalidRequest) true.
func (e *ValidationError) Unwrap() error { return ErrInvalidRequest }

func invalidf(call, field, format string, args ...any) error {
	return &ValidationError{Call: call, Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Limits documented for application messages (发送应用消息).
const (
	MaxTextBytes          = 2048 // text content
	MaxTextCardTitle      = 128  // textcard title, bytes (UTF-8): a Chinese character takes 3
	MaxTextCardDesc       = 512  // textcard description, bytes (UTF-8)
	MaxTextCardURLBytes   = 2048 // textcard url
	MaxTextCardButtonText = 4    // textcard btntxt, characters
	MaxNewsArticles       = 8    // news articles per message
)

// SendOptions are the optional switches shared by every application message.
type SendOptions struct {
	// Safe marks the message confidential (保密消息, safe=1): it cannot be forwarded and carries a
	// watermark. WeCom honours it for text, image, voice, video, file, textcard and mpnews.
	Safe bool
	// EnableIDTrans turns on id translation (enable_id_trans) of $userName=…$ / $departmentName=…$.
	EnableIDTrans bool
	// DuplicateCheck makes WeCom drop a message identical to one sent within DuplicateCheckInterval
	// (enable_duplicate_check). Use it to make a retried send harmless.
	DuplicateCheck bool
	// DuplicateCheckInterval is the duplicate-check window, in whole seconds on the wire
	// (duplicate_check_interval). Zero leaves WeCom's default (1800 s).
	DuplicateCheckInterval time.Duration
}

// SendResult is WeCom's answer to a send. errcode is 0 even when some recipients were invalid:
// check InvalidUsers and friends (or [SendResult.AllDelivered]).
type SendResult struct {
	MsgID           string   // msgid, for [MessageService.Recall]
	ResponseCode    string   // response_code of a template card, for updating it later
	InvalidUsers    []string // invaliduser
	InvalidParties  []string // invalidparty
	InvalidTags     []string // invalidtag
	UnlicensedUsers []string // unlicenseduser: members without an interworking licence
}

// AllDelivered reports whether WeCom accepted every recipient.
func (r *SendResult) AllDelivered() bool {
	return len(r.InvalidUsers)+len(r.InvalidParties)+len(r.InvalidTags)+len(r.UnlicensedUsers) == 0
}

// Recipients are who an application message goes to (touser, toparty, totag). At least one list
// must be non-empty; each is joined "a|b" on the wire, so no id may contain "|". WeCom delivers to
// the union and reports the ids it could not use in [SendResult].
type Recipients struct {
	ToUsers   []string // member UserIDs, or []string{"@all"} for everyone in the app's visible range
	ToParties []string // department ids
	ToTags    []string // tag ids
}

// ToUsers returns the Recipients for members by UserID, the common case:
//
//	&wecom.SendTextRequest{Recipients: wecom.ToUsers("zhangsan", "lisi"), Content: "到货了"}
func ToUsers(userIDs ...string) Recipients { return Recipients{ToUsers: userIDs} }

// SendTextRequest is the input of [MessageService.SendText].
type SendTextRequest struct {
	Recipients
	Content string // ≤ 2048 bytes; may contain <a href="…"> links
	SendOptions
}

// SendMarkdownRequest is the input of [MessageService.SendMarkdown].
type SendMarkdownRequest struct {
	Recipients
	// Content uses WeCom's markdown subset (headings, bold, links, <font color="info|comment|warning">).
	// Its length is left to WeCom to check.
	Content string
	SendOptions
}

// SendTextCardRequest is the input of [MessageService.SendTextCard].
type SendTextCardRequest struct {
	Recipients
	Title       string // ≤ 128 bytes of UTF-8, else truncated (see RejectTooLong)
	Description string // ≤ 512 bytes of UTF-8, else truncated; simple HTML: <div class="gray|normal|highlight">
	URL         string // opened on tap; ≤ 2048 bytes
	ButtonText  string // btntxt, ≤ 4 characters; WeCom shows 详情 when empty
	// RejectTooLong makes a Title over [MaxTextCardTitle] or a Description over [MaxTextCardDesc]
	// bytes a [*ValidationError]. By default they are shortened, as WeCom itself would, but on a
	// character boundary (WeCom cuts bytes, which can leave half a character), outside any HTML
	// tag, and ending with "…".
	RejectTooLong bool
	SendOptions
}

// NewsArticle is one article of a news message (图文消息), for apps and group robots.
type NewsArticle struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	PicURL      string `json:"picurl,omitempty"`
	AppID       string `json:"appid,omitempty"`    // mini program to open instead of URL (apps only)
	PagePath    string `json:"pagepath,omitempty"` // mini program page (apps only)
}

// SendNewsRequest is the input of [MessageService.SendNews].
type SendNewsRequest struct {
	Recipients
	Articles []NewsArticle // 1–8
	SendOptions
}

// SendTemplateCardRequest is the input of [MessageService.SendTemplateCard].
type SendTemplateCardRequest struct {
	Recipients
	Card TemplateCard
	SendOptions
}

// SendMediaRequest is the input of [MessageService.SendMedia]: an image, voice or file message
// whose media was uploaded with [MediaService.Upload].
type SendMediaRequest struct {
	Recipients
	Type    MediaType // MediaImage, MediaVoice or MediaFile
	MediaID string
	SendOptions
}

// messageBody is the wire form of message/send.
type messageBody struct {
	ToUser       string        `json:"touser,omitempty"`
	ToParty      string        `json:"toparty,omitempty"`
	ToTag        string        `json:"totag,omitempty"`
	MsgType      string        `json:"msgtype"`
	AgentID      int64         `json:"agentid"`
	Text         *textContent  `json:"text,omitempty"`
	Markdown     *textContent  `json:"markdown,omitempty"`
	TextCard     *textCard     `json:"textcard,omitempty"`
	News         *newsContent  `json:"news,omitempty"`
	TemplateCard *TemplateCard `json:"template_card,omitempty"`
	Image        *mediaContent `json:"image,omitempty"`
	Voice        *mediaContent `json:"voice,omitempty"`
	File         *mediaContent `json:"file,omitempty"`

	Safe                   int   `json:"safe,omitempty"`
	EnableIDTrans          int   `json:"enable_id_trans,omitempty"`
	EnableDuplicateCheck   int   `json:"enable_duplicate_check,omitempty"`
	DuplicateCheckInterval int64 `json:"duplicate_check_interval,omitempty"`
}

type textContent struct {
	Content string `json:"content"`
}

type textCard struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	BtnTxt      string `json:"btntxt,omitempty"`
}

type newsContent struct {
	Articles []NewsArticle `json:"articles"`
}

type mediaContent struct {
	MediaID string `json:"media_id"`
}

// SendText sends a text application message (发送应用消息, msgtype text).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90236
func (s *MessageService) SendText(ctx context.Context, req *SendTextRequest) (*SendResult, error) {
	const call = "SendText"
	if err := s.c.Require(PlatformWeCom, "Messages."+call); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, invalidf(call, "request", "nil")
	}
	if err := checkBytes(call, "Content", req.Content, MaxTextBytes, true); err != nil {
		return nil, err
	}
	return s.send(ctx, call, req.Recipients, req.SendOptions,
		&messageBody{MsgType: "text", Text: &textContent{Content: req.Content}})
}

// SendMarkdown sends a markdown application message (msgtype markdown), shown only in the WeCom client.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90236
func (s *MessageService) SendMarkdown(ctx context.Context, req *SendMarkdownRequest) (*SendResult, error) {
	const call = "SendMarkdown"
	if err := s.c.Require(PlatformWeCom, "Messages."+call); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, invalidf(call, "request", "nil")
	}
	if req.Content == "" {
		return nil, invalidf(call, "Content", "empty")
	}
	return s.send(ctx, call, req.Recipients, req.SendOptions,
		&messageBody{MsgType: "markdown", Markdown: &textContent{Content: req.Content}})
}

// SendTextCard sends a text card (文本卡片消息, msgtype textcard).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90236
func (s *MessageService) SendTextCard(ctx context.Context, req *SendTextCardRequest) (*SendResult, error) {
	const call = "SendTextCard"
	if err := s.c.Require(PlatformWeCom, "Messages."+call); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, invalidf(call, "request", "nil")
	}
	title, desc := req.Title, req.Description
	switch {
	case title == "":
		return nil, invalidf(call, "Title", "empty")
	case desc == "":
		return nil, invalidf(call, "Description", "empty")
	case req.RejectTooLong:
		if err := checkBytes(call, "Title", title, MaxTextCardTitle, true); err != nil {
			return nil, err
		}
		if err := checkBytes(call, "Description", desc, MaxTextCardDesc, true); err != nil {
			return nil, err
		}
	default:
		title, desc = shorten(title, MaxTextCardTitle), shorten(desc, MaxTextCardDesc)
	}
	if err := checkBytes(call, "URL", req.URL, MaxTextCardURLBytes, true); err != nil {
		return nil, err
	}
	if err := checkChars(call, "ButtonText", req.ButtonText, MaxTextCardButtonText, false); err != nil {
		return nil, err
	}
	return s.send(ctx, call, req.Recipients, req.SendOptions,
		&messageBody{MsgType: "textcard", TextCard: &textCard{
			Title: title, Description: desc, URL: req.URL, BtnTxt: req.ButtonText}})
}

// SendNews sends a news message (图文消息, msgtype news) of 1–8 articles.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90236
func (s *MessageService) SendNews(ctx context.Context, req *SendNewsRequest) (*SendResult, error) {
	const call = "SendNews"
	if err := s.c.Require(PlatformWeCom, "Messages."+call); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, invalidf(call, "request", "nil")
	}
	if err := checkArticles(call, req.Articles, false); err != nil {
		return nil, err
	}
	return s.send(ctx, call, req.Recipients, req.SendOptions,
		&messageBody{MsgType: "news", News: &newsContent{Articles: req.Articles}})
}

// SendTemplateCard sends a template card (模板卡片消息, msgtype template_card). Button clicks of a
// button_interaction card arrive as template_card_event callbacks ([EventTemplateCard]).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90236
func (s *MessageService) SendTemplateCard(ctx context.Context, req *SendTemplateCardRequest) (*SendResult, error) {
	const call = "SendTemplateCard"
	if err := s.c.Require(PlatformWeCom, "Messages."+call); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, invalidf(call, "request", "nil")
	}
	if err := req.Card.validate(call); err != nil {
		return nil, err
	}
	card := req.Card
	return s.send(ctx, call, req.Recipients, req.SendOptions,
		&messageBody{MsgType: "template_card", TemplateCard: &card})
}

// SendMedia sends an image, voice or file message by media_id (from [MediaService.Upload]).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90236
func (s *MessageService) SendMedia(ctx context.Context, req *SendMediaRequest) (*SendResult, error) {
	const call = "SendMedia"
	if err := s.c.Require(PlatformWeCom, "Messages."+call); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, invalidf(call, "request", "nil")
	}
	if req.MediaID == "" {
		return nil, invalidf(call, "MediaID", "empty")
	}
	body := &messageBody{MsgType: string(req.Type)}
	m := &mediaContent{MediaID: req.MediaID}
	switch req.Type {
	case MediaImage:
		body.Image = m
	case MediaVoice:
		body.Voice = m
	case MediaFile:
		body.File = m
	default:
		return nil, invalidf(call, "Type", "must be image, voice or file, got %q", req.Type)
	}
	return s.send(ctx, call, req.Recipients, req.SendOptions, body)
}

func (s *MessageService) send(ctx context.Context, call string, to Recipients, o SendOptions, body *messageBody) (*SendResult, error) {
	if err := s.c.Require(PlatformWeCom, "Messages."+call); err != nil {
		return nil, err
	}
	if s.c.agentID == 0 {
		return nil, ErrNoAgentID
	}
	var err error
	if body.ToUser, err = joinIDs(call, "ToUsers", to.ToUsers); err != nil {
		return nil, err
	}
	if body.ToParty, err = joinIDs(call, "ToParties", to.ToParties); err != nil {
		return nil, err
	}
	if body.ToTag, err = joinIDs(call, "ToTags", to.ToTags); err != nil {
		return nil, err
	}
	if body.ToUser == "" && body.ToParty == "" && body.ToTag == "" {
		return nil, invalidf(call, "ToUsers", "no recipients (set ToUsers, ToParties or ToTags)")
	}
	if o.DuplicateCheckInterval < 0 {
		return nil, invalidf(call, "DuplicateCheckInterval", "negative")
	}
	body.AgentID = s.c.agentID
	body.Safe = boolInt(o.Safe)
	body.EnableIDTrans = boolInt(o.EnableIDTrans)
	body.EnableDuplicateCheck = boolInt(o.DuplicateCheck)
	if o.DuplicateCheck && o.DuplicateCheckInterval > 0 {
		body.DuplicateCheckInterval = int64((o.DuplicateCheckInterval + time.Second - 1) / time.Second)
	}
	var raw sendResp
	if err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/message/send", Body: body}, &raw); err != nil {
		return nil, err
	}
	return &SendResult{
		MsgID:           string(raw.MsgID),
		ResponseCode:    raw.ResponseCode,
		InvalidUsers:    raw.InvalidUser,
		InvalidParties:  raw.InvalidParty,
		InvalidTags:     raw.InvalidTag,
		UnlicensedUsers: raw.UnlicensedUser,
	}, nil
}

type sendResp struct {
	InvalidUser    pipeList   `json:"invaliduser"`
	InvalidParty   pipeList   `json:"invalidparty"`
	InvalidTag     pipeList   `json:"invalidtag"`
	UnlicensedUser pipeList   `json:"unlicenseduser"`
	MsgID          flexString `json:"msgid"`
	ResponseCode   string     `json:"response_code"`
}

// Recall recalls an application message sent within the last 24 hours (撤回应用消息).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/94867
func (s *MessageService) Recall(ctx context.Context, msgID string) error {
	if err := s.c.Require(PlatformWeCom, "Messages.Recall"); err != nil {
		return err
	}
	if msgID == "" {
		return invalidf("Recall", "msgID", "empty")
	}
	return s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/message/recall",
		Body: struct {
			MsgID string `json:"msgid"`
		}{msgID}}, nil)
}

// joinIDs joins ids with "|", rejecting empty ids and ids that contain the separator.
func joinIDs(call, field string, ids []string) (string, error) {
	for i, id := range ids {
		if id == "" || strings.ContainsAny(id, "|") {
			return "", invalidf(call, field, "entry %d is empty or contains '|'", i)
		}
	}
	return strings.Join(ids, "|"), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func checkBytes(call, field, s string, limit int, required bool) error {
	switch {
	case s == "" && required:
		return invalidf(call, field, "empty")
	case len(s) > limit:
		return invalidf(call, field, "longer than %d bytes (%d)", limit, len(s))
	}
	return nil
}

// shorten returns s if it fits in limit bytes, else its longest prefix that ends on a UTF-8
// character boundary and outside an HTML tag, followed by "…", in limit bytes at most.
func shorten(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const ellipsis = "…"
	cut := limit - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if lt := strings.LastIndexByte(s[:cut], '<'); lt > strings.LastIndexByte(s[:cut], '>') {
		cut = lt // do not leave half a tag
	}
	return s[:cut] + ellipsis
}

func checkChars(call, field, s string, limit int, required bool) error {
	switch n := utf8.RuneCountInString(s); {
	case s == "" && required:
		return invalidf(call, field, "empty")
	case n > limit:
		return invalidf(call, field, "longer than %d characters (%d)", limit, n)
	}
	return nil
}

// checkArticles checks a news article list: 1–8 articles, each with a title; robots also need a URL.
func checkArticles(call string, as []NewsArticle, needURL bool) error {
	if len(as) == 0 || len(as) > MaxNewsArticles {
		return invalidf(call, "Articles", "need 1–%d articles, got %d", MaxNewsArticles, len(as))
	}
	for i, a := range as {
		if a.Title == "" {
			return invalidf(call, "Articles", "article %d has no title", i)
		}
		if needURL && a.URL == "" {
			return invalidf(call, "Articles", "article %d has no URL", i)
		}
		if !needURL && a.URL == "" && a.AppID == "" {
			return invalidf(call, "Articles", "article %d needs a URL or a mini program AppID", i)
		}
	}
	return nil
}

// pipeList decodes "a|b" (or, leniently, a JSON array of strings or numbers) into a slice.
type pipeList []string

func (p *pipeList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*p = nil
		return nil
	case b[0] == '[':
		var items []flexString
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			if it != "" {
				out = append(out, string(it))
			}
		}
		*p = nilIfEmpty(out)
		return nil
	}
	var s flexString
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*p = splitIDs(string(s))
	return nil
}

func splitIDs(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, "|") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// flexString decodes a JSON string or number (WeCom is not consistent about ids) as text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexString(n.String())
	}
	return nil
}

// flexInt decodes a JSON number or a decimal string as an int64 ("" and null are 0).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64)
	if err != nil {
		return fmt.Errorf("wecom: not an integer: %w", err)
	}
	*f = flexInt(n)
	return nil
}
