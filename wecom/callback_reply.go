package wecom

import (
	"encoding/xml"
	"strings"
	"unicode/utf8"
)

// Reply is a passive reply (被动回复消息) returned by a [MessageHandler]: [TextReply], [ImageReply],
// [VoiceReply], [VideoReply] or [NewsReply]. The handler encrypts it when the request was encrypted
// (always for WeCom, safe mode for a 公众号). A nil Reply answers with an empty body (WeCom) or
// "success" (公众号).
type Reply interface {
	msgType() string
	fill(*replyXML) error
}

// TextReply replies with text.
type TextReply struct {
	Content string
}

// ImageReply replies with an uploaded image.
type ImageReply struct {
	MediaID string
}

// VoiceReply replies with an uploaded voice clip.
type VoiceReply struct {
	MediaID string
}

// VideoReply replies with an uploaded video.
type VideoReply struct {
	MediaID     string
	Title       string
	Description string
}

// NewsReply replies with 1–8 articles. A 公众号 shows only one article in reply to a user's
// message; more are allowed after events.
type NewsReply struct {
	Articles []ReplyArticle
}

// ReplyArticle is one article of a [NewsReply].
type ReplyArticle struct {
	Title       string
	Description string
	PicURL      string
	URL         string
}

func (TextReply) msgType() string  { return MsgTypeText }
func (ImageReply) msgType() string { return MsgTypeImage }
func (VoiceReply) msgType() string { return MsgTypeVoice }
func (VideoReply) msgType() string { return MsgTypeVideo }
func (NewsReply) msgType() string  { return "news" }

func (r TextReply) fill(x *replyXML) error {
	if r.Content == "" {
		return invalidf("TextReply", "Content", "empty")
	}
	x.Content = cdataPtr(r.Content)
	return nil
}

func (r ImageReply) fill(x *replyXML) error {
	if r.MediaID == "" {
		return invalidf("ImageReply", "MediaID", "empty")
	}
	x.Image = &replyMedia{MediaID: cdata{clean(r.MediaID)}}
	return nil
}

func (r VoiceReply) fill(x *replyXML) error {
	if r.MediaID == "" {
		return invalidf("VoiceReply", "MediaID", "empty")
	}
	x.Voice = &replyMedia{MediaID: cdata{clean(r.MediaID)}}
	return nil
}

func (r VideoReply) fill(x *replyXML) error {
	if r.MediaID == "" {
		return invalidf("VideoReply", "MediaID", "empty")
	}
	x.Video = &replyVideo{MediaID: cdata{clean(r.MediaID)}, Title: cdataPtr(r.Title), Description: cdataPtr(r.Description)}
	return nil
}

func (r NewsReply) fill(x *replyXML) error {
	if len(r.Articles) == 0 || len(r.Articles) > MaxNewsArticles {
		return invalidf("NewsReply", "Articles", "need 1–%d articles, got %d", MaxNewsArticles, len(r.Articles))
	}
	x.ArticleCount = len(r.Articles)
	x.Articles = &replyArticles{}
	for i, a := range r.Articles {
		if a.Title == "" {
			return invalidf("NewsReply", "Articles", "article %d has no title", i)
		}
		x.Articles.Items = append(x.Articles.Items, replyItem{Title: cdata{clean(a.Title)},
			Description: cdata{clean(a.Description)}, PicURL: cdata{clean(a.PicURL)}, URL: cdata{clean(a.URL)}})
	}
	return nil
}

// isNilReply reports whether r is nil or a nil pointer to a reply type (value-receiver methods
// called through a nil pointer would panic).
func isNilReply(r Reply) bool {
	switch v := r.(type) {
	case nil:
		return true
	case *TextReply:
		return v == nil
	case *ImageReply:
		return v == nil
	case *VoiceReply:
		return v == nil
	case *VideoReply:
		return v == nil
	case *NewsReply:
		return v == nil
	}
	return false
}

type cdata struct {
	Value string `xml:",cdata"`
}

func cdataPtr(s string) *cdata {
	if s == "" {
		return nil
	}
	return &cdata{clean(s)}
}

type replyMedia struct {
	MediaID cdata `xml:"MediaId"`
}

type replyVideo struct {
	MediaID     cdata  `xml:"MediaId"`
	Title       *cdata `xml:"Title,omitempty"`
	Description *cdata `xml:"Description,omitempty"`
}

type replyArticles struct {
	Items []replyItem `xml:"item"`
}

type replyItem struct {
	Title       cdata `xml:"Title"`
	Description cdata `xml:"Description"`
	PicURL      cdata `xml:"PicUrl"`
	URL         cdata `xml:"Url"`
}

// replyXML is the plaintext passive reply, element order as in the official samples.
type replyXML struct {
	XMLName      xml.Name       `xml:"xml"`
	ToUserName   cdata          `xml:"ToUserName"`
	FromUserName cdata          `xml:"FromUserName"`
	CreateTime   int64          `xml:"CreateTime"`
	MsgType      cdata          `xml:"MsgType"`
	Content      *cdata         `xml:"Content,omitempty"`
	Image        *replyMedia    `xml:"Image,omitempty"`
	Voice        *replyMedia    `xml:"Voice,omitempty"`
	Video        *replyVideo    `xml:"Video,omitempty"`
	ArticleCount int            `xml:"ArticleCount,omitempty"`
	Articles     *replyArticles `xml:"Articles,omitempty"`
}

// MarshalReply renders r as the plaintext reply XML to m: ToUserName is m.FromUserName and
// FromUserName is m.ToUserName. Use it when serving callbacks without [CallbackHandler]; encrypt the
// result with crypto's EncryptMessage when the request was encrypted.
func MarshalReply(m *Message, r Reply, createTime int64) ([]byte, error) {
	if m == nil || isNilReply(r) {
		return nil, invalidf("MarshalReply", "reply", "nil message or reply")
	}
	x := &replyXML{ToUserName: cdata{clean(m.FromUserName)}, FromUserName: cdata{clean(m.ToUserName)},
		CreateTime: createTime, MsgType: cdata{r.msgType()}}
	if err := r.fill(x); err != nil {
		return nil, err
	}
	return xml.Marshal(x)
}

// clean drops what XML 1.0 cannot carry (control characters, U+FFFE/U+FFFF, invalid UTF-8), which
// encoding/xml would otherwise write into CDATA sections unchanged.
func clean(s string) string {
	for i, r := range s {
		if !xmlChar(r) || r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			return cleanSlow(s)
		}
	}
	return s
}

func cleanSlow(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if xmlChar(r) && !(r == utf8.RuneError && n == 1) {
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// xmlChar reports whether r is in XML 1.0's Char production.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
