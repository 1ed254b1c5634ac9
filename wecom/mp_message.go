package wecom

import (
	"context"
	"net/http"
)

// MPMessageService sends 公众号 (WeChat Official Account) messages: template messages (模板消息) and
// customer-service messages (客服消息). Get one with [Client.MPMessages] on a [NewOfficialAccount] client.
type MPMessageService struct{ c *Client }

// MPMessages returns the 公众号 message service.
func (c *Client) MPMessages() *MPMessageService { return &MPMessageService{c: c} }

// TemplateMessage is a 公众号 template message (模板消息).
type TemplateMessage struct {
	ToUser     string // the follower's openid
	TemplateID string
	// URL opens on tap; MiniProgram wins when both are set. Both optional.
	URL         string
	MiniProgram *TemplateMiniProgram
	// ClientMsgID is an optional idempotency key (client_msg_id): WeChat sends a message with the same
	// id only once, which makes retrying a send safe.
	ClientMsgID string
	// Data fills the template's {{key.DATA}} placeholders: key → value. (The per-item color is
	// ignored by WeChat since the 2023 template changes, so it is not offered.)
	Data map[string]string
}

// TemplateMiniProgram is the mini program a template message opens.
type TemplateMiniProgram struct {
	AppID    string `json:"appid"`
	PagePath string `json:"pagepath,omitempty"`
}

type templateValue struct {
	Value string `json:"value"`
}

type templateBody struct {
	ToUser      string                   `json:"touser"`
	TemplateID  string                   `json:"template_id"`
	URL         string                   `json:"url,omitempty"`
	MiniProgram *TemplateMiniProgram     `json:"miniprogram,omitempty"`
	ClientMsgID string                   `json:"client_msg_id,omitempty"`
	Data        map[string]templateValue `json:"data"`
}

// SendTemplate sends a template message (发送模板消息) and returns its msgid. The delivery result
// arrives later as a TEMPLATESENDJOBFINISH event (per third-party docs).
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
func (s *MPMessageService) SendTemplate(ctx context.Context, msg *TemplateMessage) (int64, error) {
	const call = "SendTemplate"
	if err := s.c.Require(PlatformOfficialAccount, "MPMessages."+call); err != nil {
		return 0, err
	}
	switch {
	case msg == nil:
		return 0, invalidf(call, "msg", "nil")
	case msg.ToUser == "":
		return 0, invalidf(call, "ToUser", "empty")
	case msg.TemplateID == "":
		return 0, invalidf(call, "TemplateID", "empty")
	case msg.MiniProgram != nil && msg.MiniProgram.AppID == "":
		return 0, invalidf(call, "MiniProgram.AppID", "empty")
	}
	body := templateBody{ToUser: msg.ToUser, TemplateID: msg.TemplateID, URL: msg.URL,
		MiniProgram: msg.MiniProgram, ClientMsgID: msg.ClientMsgID,
		Data: make(map[string]templateValue, len(msg.Data))}
	for k, v := range msg.Data {
		if k == "" {
			return 0, invalidf(call, "Data", "empty key")
		}
		body.Data[k] = templateValue{Value: v}
	}
	var raw struct {
		MsgID flexInt `json:"msgid"`
	}
	if err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/message/template/send", Body: body}, &raw); err != nil {
		return 0, err
	}
	return int64(raw.MsgID), nil
}

// Customer-service messages (客服消息) can be sent to a follower within 48 hours of their last
// interaction. The shapes below follow the official 客服消息 page
// (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html): {"touser","msgtype":"text","text":{"content"}}, {"msgtype":"image",
// "image":{"media_id"}} and {"msgtype":"news","news":{"articles":[{"title","description","url",
// "picurl"}]}} (one article). 公众号 custom messages have no "link" type (that one belongs to mini
// programs); use news for a link card.

// CustomArticle is the single article of a customer-service news message.
type CustomArticle struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url"`
	PicURL      string `json:"picurl,omitempty"`
}

type customBody struct {
	ToUser  string         `json:"touser"`
	MsgType string         `json:"msgtype"`
	Text    *textContent   `json:"text,omitempty"`
	Image   *mediaContent  `json:"image,omitempty"`
	News    *customNewsMsg `json:"news,omitempty"`
}

type customNewsMsg struct {
	Articles []CustomArticle `json:"articles"`
}

// SendCustomText sends a customer-service text message (客服消息 text) to openID.
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
func (s *MPMessageService) SendCustomText(ctx context.Context, openID, content string) error {
	if content == "" {
		return invalidf("SendCustomText", "content", "empty")
	}
	return s.sendCustom(ctx, "SendCustomText", &customBody{ToUser: openID, MsgType: "text", Text: &textContent{Content: content}})
}

// SendCustomImage sends an image by media_id (from [MediaService.Upload] with [MediaImage]).
func (s *MPMessageService) SendCustomImage(ctx context.Context, openID, mediaID string) error {
	if mediaID == "" {
		return invalidf("SendCustomImage", "mediaID", "empty")
	}
	return s.sendCustom(ctx, "SendCustomImage", &customBody{ToUser: openID, MsgType: "image", Image: &mediaContent{MediaID: mediaID}})
}

// SendCustomNews sends a news card (external link) with one article.
func (s *MPMessageService) SendCustomNews(ctx context.Context, openID string, a CustomArticle) error {
	const call = "SendCustomNews"
	if a.Title == "" || a.URL == "" {
		return invalidf(call, "article", "needs a Title and a URL")
	}
	return s.sendCustom(ctx, call, &customBody{ToUser: openID, MsgType: "news", News: &customNewsMsg{Articles: []CustomArticle{a}}})
}

func (s *MPMessageService) sendCustom(ctx context.Context, call string, body *customBody) error {
	if err := s.c.Require(PlatformOfficialAccount, "MPMessages."+call); err != nil {
		return err
	}
	if body.ToUser == "" {
		return invalidf(call, "openID", "empty")
	}
	return s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/message/custom/send", Body: body}, nil)
}
