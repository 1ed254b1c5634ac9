package wecom

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Robot sends messages through a group robot webhook (群机器人). The webhook key is its only
// credential: it is sent in the query string and never appears in an error, a log line or the
// output of fmt's %v. Robots are send-only and limited to 20 messages a minute.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/91770
type Robot struct {
	key string
	c   *Client
}

// Group-robot limits.
const (
	MaxRobotTextBytes     = 2048
	MaxRobotMarkdownBytes = 4096
	MaxRobotImageBytes    = 2 << 20 // before base64
	MaxRobotVoiceBytes    = 2 << 20
)

// NewRobot returns a robot for a webhook key; it is the only way to get one. key may also be the
// whole webhook URL copied from the group's robot settings (…/cgi-bin/webhook/send?key=KEY). A robot
// needs no corp id, secret or access token. Client options apply: [WithHTTPClient], [WithBaseURL]
// (tests), [WithLogger], [WithRetry]; the others are ignored. To share an app client's transport
// and logger:
//
//	r, err := wecom.NewRobot(key, wecom.WithHTTPClient(c.HTTPClient()), wecom.WithLogger(c.Logger()))
func NewRobot(key string, opts ...Option) (*Robot, error) {
	k, err := robotKey(key)
	if err != nil {
		return nil, err
	}
	// The robot needs no token: a client without a secret is only used for its transport.
	c, err := newClient(kindWeCom, "robot", "-", DefaultWeComBaseURL, opts)
	if err != nil {
		return nil, err
	}
	return &Robot{key: k, c: c}, nil
}

func robotKey(key string) (string, error) {
	key = strings.TrimSpace(key)
	if strings.Contains(key, "key=") {
		if u, err := url.Parse(key); err == nil {
			key = u.Query().Get("key")
		}
	}
	if key == "" || strings.ContainsAny(key, " \t\r\n&?#/") {
		return "", invalidf("NewRobot", "key", "empty or malformed webhook key")
	}
	return key, nil
}

// String hides the key.
func (r *Robot) String() string { return "wecom.Robot{key:REDACTED}" }

// GoString hides the key from %#v.
func (r *Robot) GoString() string { return r.String() }

// RobotText is a text message for [Robot.SendText].
type RobotText struct {
	Content string // ≤ 2048 bytes
	// MentionedList are UserIDs to @-mention; "@all" mentions everyone.
	MentionedList []string `json:"mentioned_list,omitempty"`
	// MentionedMobileList are mobile numbers to @-mention; "@all" mentions everyone.
	MentionedMobileList []string `json:"mentioned_mobile_list,omitempty"`
}

type robotMsg struct {
	MsgType      string        `json:"msgtype"`
	Text         *robotText    `json:"text,omitempty"`
	Markdown     *textContent  `json:"markdown,omitempty"`
	Image        *robotImage   `json:"image,omitempty"`
	News         *newsContent  `json:"news,omitempty"`
	File         *mediaContent `json:"file,omitempty"`
	Voice        *mediaContent `json:"voice,omitempty"`
	TemplateCard *TemplateCard `json:"template_card,omitempty"`
}

type robotText struct {
	Content             string   `json:"content"`
	MentionedList       []string `json:"mentioned_list,omitempty"`
	MentionedMobileList []string `json:"mentioned_mobile_list,omitempty"`
}

type robotImage struct {
	Base64 string `json:"base64"`
	MD5    string `json:"md5"`
}

// SendText sends a text message, optionally @-mentioning members.
func (r *Robot) SendText(ctx context.Context, msg *RobotText) error {
	const call = "Robot.SendText"
	if msg == nil {
		return invalidf(call, "msg", "nil")
	}
	if err := checkBytes(call, "Content", msg.Content, MaxRobotTextBytes, true); err != nil {
		return err
	}
	return r.send(ctx, &robotMsg{MsgType: "text", Text: &robotText{Content: msg.Content,
		MentionedList: msg.MentionedList, MentionedMobileList: msg.MentionedMobileList}})
}

// SendMarkdown sends a markdown message (≤ 4096 bytes).
func (r *Robot) SendMarkdown(ctx context.Context, content string) error {
	if err := checkBytes("Robot.SendMarkdown", "content", content, MaxRobotMarkdownBytes, true); err != nil {
		return err
	}
	return r.send(ctx, &robotMsg{MsgType: "markdown", Markdown: &textContent{Content: content}})
}

// SendImage sends a JPG or PNG image (≤ 2 MB). The base64 text and MD5 WeCom wants are computed here.
func (r *Robot) SendImage(ctx context.Context, image []byte) error {
	const call = "Robot.SendImage"
	switch {
	case len(image) == 0:
		return invalidf(call, "image", "empty")
	case len(image) > MaxRobotImageBytes:
		return invalidf(call, "image", "larger than %d bytes (%d)", MaxRobotImageBytes, len(image))
	case sniffImage(image) == "":
		return invalidf(call, "image", "not a JPG or PNG image")
	}
	sum := md5.Sum(image)
	return r.send(ctx, &robotMsg{MsgType: "image", Image: &robotImage{
		Base64: base64.StdEncoding.EncodeToString(image), MD5: hex.EncodeToString(sum[:])}})
}

// SendNews sends 1–8 articles; each needs a title and a URL.
func (r *Robot) SendNews(ctx context.Context, articles ...NewsArticle) error {
	const call = "Robot.SendNews"
	if err := checkArticles(call, articles, true); err != nil {
		return err
	}
	for i, a := range articles {
		if a.AppID != "" || a.PagePath != "" {
			return invalidf(call, "Articles", "article %d: robots cannot open mini programs", i)
		}
	}
	return r.send(ctx, &robotMsg{MsgType: "news", News: &newsContent{Articles: articles}})
}

// SendFile sends a file uploaded with [Robot.UploadFile].
func (r *Robot) SendFile(ctx context.Context, mediaID string) error {
	if mediaID == "" {
		return invalidf("Robot.SendFile", "mediaID", "empty")
	}
	return r.send(ctx, &robotMsg{MsgType: "file", File: &mediaContent{MediaID: mediaID}})
}

// SendVoice sends a voice message uploaded with [Robot.UploadVoice].
func (r *Robot) SendVoice(ctx context.Context, mediaID string) error {
	if mediaID == "" {
		return invalidf("Robot.SendVoice", "mediaID", "empty")
	}
	return r.send(ctx, &robotMsg{MsgType: "voice", Voice: &mediaContent{MediaID: mediaID}})
}

// SendTemplateCard sends a text_notice or news_notice template card.
func (r *Robot) SendTemplateCard(ctx context.Context, card *TemplateCard) error {
	const call = "Robot.SendTemplateCard"
	if card == nil {
		return invalidf(call, "card", "nil")
	}
	if card.CardType != CardTextNotice && card.CardType != CardNewsNotice {
		return invalidf(call, "Card.CardType", "robots send text_notice or news_notice cards, got %q", card.CardType)
	}
	if err := card.validate(call); err != nil {
		return err
	}
	return r.send(ctx, &robotMsg{MsgType: "template_card", TemplateCard: card})
}

// UploadFile uploads a file (> 5 bytes, ≤ 20 MB) for [Robot.SendFile]; the media_id lasts 3 days.
func (r *Robot) UploadFile(ctx context.Context, filename string, f io.Reader) (*UploadResult, error) {
	return r.upload(ctx, "Robot.UploadFile", "file", MaxFileBytes, filename, f)
}

// UploadVoice uploads an AMR voice clip (≤ 2 MB, ≤ 60 s) for [Robot.SendVoice].
func (r *Robot) UploadVoice(ctx context.Context, filename string, f io.Reader) (*UploadResult, error) {
	return r.upload(ctx, "Robot.UploadVoice", "voice", MaxRobotVoiceBytes, filename, f)
}

func (r *Robot) upload(ctx context.Context, call, typ string, limit int64, filename string, f io.Reader) (*UploadResult, error) {
	body, err := multipartMedia(call, limit, filename, f)
	if err != nil {
		return nil, err
	}
	return upload(ctx, r.c, &Request{Method: http.MethodPost, Path: "/cgi-bin/webhook/upload_media", Auth: AuthNone,
		Query: url.Values{"key": {r.key}, "type": {typ}}, Body: body.RawBody})
}

func (r *Robot) send(ctx context.Context, msg *robotMsg) error {
	return r.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/webhook/send", Auth: AuthNone,
		Query: url.Values{"key": {r.key}}, Body: msg}, nil)
}
