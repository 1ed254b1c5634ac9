package wecom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Message types (MsgType) of callbacks (接收消息与事件).
const (
	MsgTypeText     = "text"
	MsgTypeImage    = "image"
	MsgTypeVoice    = "voice"
	MsgTypeVideo    = "video"
	MsgTypeLocation = "location"
	MsgTypeLink     = "link"
	MsgTypeEvent    = "event"
)

// Event names (Event) seen by WeCom apps and 公众号. Event names are case-sensitive: 公众号 uses
// upper case for some (SCAN, LOCATION, CLICK, VIEW), WeCom lower case (click, view).
const (
	EventSubscribe          = "subscribe"
	EventUnsubscribe        = "unsubscribe"
	EventEnterAgent         = "enter_agent"
	EventLocation           = "LOCATION"
	EventClick              = "click"
	EventView               = "view"
	EventScanCodePush       = "scancode_push"
	EventScanCodeWaitMsg    = "scancode_waitmsg"
	EventPicSysPhoto        = "pic_sysphoto"
	EventPicPhotoOrAlbum    = "pic_photo_or_album"
	EventPicWeixin          = "pic_weixin"
	EventLocationSelect     = "location_select"
	EventTemplateCard       = "template_card_event"
	EventSmartSheetChange   = "smart_sheet_change"
	EventDocChange          = "doc_change"
	EventScan               = "SCAN"                  // 公众号: an existing follower scanned a parametric QR code
	EventMPClick            = "CLICK"                 // 公众号 menu click
	EventMPView             = "VIEW"                  // 公众号 menu link
	EventTemplateSendFinish = "TEMPLATESENDJOBFINISH" // 公众号 template message delivery result
)

// ChangeType values of the smart_sheet_change event (智能表格 记录变更事件 and 字段变更事件). A record
// event repeats RecordId (at most 1,000 per callback; more come in further callbacks), a field event
// repeats FieldId. The field values are spelt "filed" by WeCom itself; compare with these constants,
// never with a corrected spelling.
const (
	ChangeTypeAddRecord    = "add_record"
	ChangeTypeUpdateRecord = "update_record"
	ChangeTypeDeleteRecord = "delete_record"
	ChangeTypeAddField     = "add_filed"    // sic
	ChangeTypeUpdateField  = "update_filed" // sic
	ChangeTypeDeleteField  = "delete_filed" // sic
	// ChangeTypeFieldOrRecord appears in a third-party sample of the event, not in WeCom's pages;
	// treat it as "records and/or fields changed".
	ChangeTypeFieldOrRecord = "update_field_or_record"
)

// Message is a decrypted callback message or event (消息/事件), with the fields common to WeCom apps
// and 公众号. Fields a message does not carry are zero. Raw holds the plaintext XML for anything not
// modelled here; decode it with encoding/xml.
type Message struct {
	ToUserName   string // corpid (WeCom) or the 公众号's original id gh_…
	FromUserName string // member UserID (WeCom) or follower openid (公众号)
	CreateTime   int64  // Unix seconds
	MsgType      string // MsgTypeText, …, MsgTypeEvent
	MsgID        string // MsgId (MsgID in TEMPLATESENDJOBFINISH); a 64-bit number kept as text
	AgentID      int64  // WeCom app

	Content      string  // text
	PicURL       string  // image, link
	MediaID      string  // image, voice, video: download with MediaService.Download
	Format       string  // voice: amr, speex…
	Recognition  string  // 公众号 voice recognition result
	ThumbMediaID string  // video
	LocationX    float64 // location: latitude (Location_X)
	LocationY    float64 // location: longitude (Location_Y)
	Scale        int     // location: map zoom
	Label        string  // location: place name
	Title        string  // link
	Description  string  // link
	URL          string  // link (Url)

	Event     string  // events: EventSubscribe, …
	EventKey  string  // menu key, button key, qrscene_<scene> / <scene> for 公众号 QR events
	Ticket    string  // 公众号 parametric QR ticket
	Latitude  float64 // LOCATION event
	Longitude float64 // LOCATION event
	Precision float64 // LOCATION event

	ScanCodeInfo     *ScanCodeInfo     // scancode_push / scancode_waitmsg
	SendPicsInfo     *SendPicsInfo     // pic_* events
	SendLocationInfo *SendLocationInfo // location_select

	TaskID       string // template_card_event
	CardType     string // template_card_event
	ResponseCode string // template_card_event: use to update the card

	ChangeType string   // smart_sheet_change, doc_change, change_contact…
	DocID      string   // first DocId
	DocIDs     []string // every DocId (doc_change repeats it)
	SheetID    string
	FieldIDs   []string // repeated FieldId
	RecordIDs  []string // repeated RecordId
	UserID     string   // contact-change events (UserID)
	Status     string   // TEMPLATESENDJOBFINISH: success, failed:user block, …

	Raw []byte // the plaintext XML
}

// ScanCodeInfo is the result of a menu scan.
type ScanCodeInfo struct {
	ScanType   string `xml:"ScanType"`   // qrcode, barcode
	ScanResult string `xml:"ScanResult"` // the decoded text (barcodes may come as "FORMAT,code")
}

// SendPicsInfo lists the pictures sent from a pic_* menu button.
type SendPicsInfo struct {
	Count   int            `xml:"Count"`
	PicList []SendPicsItem `xml:"PicList>item"`
}

// SendPicsItem is one picture of SendPicsInfo.
type SendPicsItem struct {
	PicMd5Sum string `xml:"PicMd5Sum"`
}

// SendLocationInfo is the location chosen from a location_select button.
type SendLocationInfo struct {
	LocationX float64 `xml:"Location_X"`
	LocationY float64 `xml:"Location_Y"`
	Scale     int     `xml:"Scale"`
	Label     string  `xml:"Label"`
	PoiName   string  `xml:"Poiname"`
}

// IsEvent reports whether m is an event (MsgType event).
func (m *Message) IsEvent() bool { return m.MsgType == MsgTypeEvent }

// Time returns CreateTime as a time.Time.
func (m *Message) Time() time.Time { return time.Unix(m.CreateTime, 0) }

// ErrInvalidMessage is returned by [ParseMessage] for input that is not a callback message.
var ErrInvalidMessage = errors.New("wecom: invalid callback message")

// wireMessage is the XML form; numbers are read as text and parsed leniently.
type wireMessage struct {
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   string   `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	MsgId        string   `xml:"MsgId"`
	MsgIDUpper   string   `xml:"MsgID"`
	AgentID      string   `xml:"AgentID"`
	Content      string   `xml:"Content"`
	PicUrl       string   `xml:"PicUrl"`
	MediaId      string   `xml:"MediaId"`
	Format       string   `xml:"Format"`
	Recognition  string   `xml:"Recognition"`
	ThumbMediaId string   `xml:"ThumbMediaId"`
	LocationX    string   `xml:"Location_X"`
	LocationY    string   `xml:"Location_Y"`
	Scale        string   `xml:"Scale"`
	Label        string   `xml:"Label"`
	Title        string   `xml:"Title"`
	Description  string   `xml:"Description"`
	Url          string   `xml:"Url"`
	Event        string   `xml:"Event"`
	EventKey     string   `xml:"EventKey"`
	Ticket       string   `xml:"Ticket"`
	Latitude     string   `xml:"Latitude"`
	Longitude    string   `xml:"Longitude"`
	Precision    string   `xml:"Precision"`
	TaskId       string   `xml:"TaskId"`
	CardType     string   `xml:"CardType"`
	ResponseCode string   `xml:"ResponseCode"`
	ChangeType   string   `xml:"ChangeType"`
	DocId        []string `xml:"DocId"`
	SheetId      string   `xml:"SheetId"`
	FieldId      []string `xml:"FieldId"`
	RecordId     []string `xml:"RecordId"`
	UserID       string   `xml:"UserID"`
	Status       string   `xml:"Status"`

	ScanCodeInfo     *ScanCodeInfo     `xml:"ScanCodeInfo"`
	SendPicsInfo     *SendPicsInfo     `xml:"SendPicsInfo"`
	SendLocationInfo *wireLocationInfo `xml:"SendLocationInfo"`
}

type wireLocationInfo struct {
	LocationX string `xml:"Location_X"`
	LocationY string `xml:"Location_Y"`
	Scale     string `xml:"Scale"`
	Label     string `xml:"Label"`
	Poiname   string `xml:"Poiname"`
}

// ParseMessage decodes a plaintext callback message or event (the output of crypto's
// DecryptMessage, or the body of a 公众号 plain-mode POST). Numbers are parsed leniently (a value
// that is not a number reads as 0); a document that is not XML, or has no MsgType, is
// [ErrInvalidMessage]. It never panics.
func ParseMessage(plainXML []byte) (*Message, error) {
	if len(bytes.TrimSpace(plainXML)) == 0 {
		return nil, errors.Join(ErrInvalidMessage, errors.New("empty"))
	}
	var w wireMessage
	dec := xml.NewDecoder(bytes.NewReader(plainXML))
	dec.Strict = true
	if err := dec.Decode(&w); err != nil {
		return nil, errors.Join(ErrInvalidMessage, errors.New("not well-formed XML"))
	}
	if strings.TrimSpace(w.MsgType) == "" {
		return nil, errors.Join(ErrInvalidMessage, errors.New("no MsgType"))
	}
	m := &Message{
		ToUserName: w.ToUserName, FromUserName: w.FromUserName, CreateTime: parseInt(w.CreateTime),
		MsgType: strings.TrimSpace(w.MsgType), MsgID: strings.TrimSpace(w.MsgId), AgentID: parseInt(w.AgentID),
		Content: w.Content, PicURL: w.PicUrl, MediaID: w.MediaId, Format: w.Format, Recognition: w.Recognition,
		ThumbMediaID: w.ThumbMediaId, LocationX: parseFloat(w.LocationX), LocationY: parseFloat(w.LocationY),
		Scale: int(parseInt(w.Scale)), Label: w.Label, Title: w.Title, Description: w.Description, URL: w.Url,
		Event: strings.TrimSpace(w.Event), EventKey: w.EventKey, Ticket: w.Ticket,
		Latitude: parseFloat(w.Latitude), Longitude: parseFloat(w.Longitude), Precision: parseFloat(w.Precision),
		ScanCodeInfo: w.ScanCodeInfo, SendPicsInfo: w.SendPicsInfo,
		TaskID: w.TaskId, CardType: w.CardType, ResponseCode: w.ResponseCode,
		ChangeType: w.ChangeType, DocIDs: w.DocId, SheetID: w.SheetId, FieldIDs: w.FieldId, RecordIDs: w.RecordId,
		UserID: w.UserID, Status: w.Status,
		Raw: bytes.Clone(plainXML),
	}
	if m.MsgID == "" {
		m.MsgID = strings.TrimSpace(w.MsgIDUpper)
	}
	if len(m.DocIDs) > 0 {
		m.DocID = m.DocIDs[0]
	}
	if l := w.SendLocationInfo; l != nil {
		m.SendLocationInfo = &SendLocationInfo{LocationX: parseFloat(l.LocationX), LocationY: parseFloat(l.LocationY),
			Scale: int(parseInt(l.Scale)), Label: l.Label, PoiName: l.Poiname}
	}
	return m, nil
}

func parseInt(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

func parseFloat(s string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != f { // NaN
		return 0
	}
	return f
}

// DedupeKey identifies a delivery so that WeCom's retries (3 tries, 5 s apart) can be dropped:
// the MsgId for messages; for events FromUserName + CreateTime + Event + EventKey, plus the fields
// that tell apart two events of one second (ResponseCode, ChangeType, DocId, SheetId, RecordId,
// FieldId, UserID). The key is at most 70 bytes. The callback handler does not deduplicate the
// messages for which [Message.SkipsDedupe] is true, whatever their key.
func (m *Message) DedupeKey() string {
	if m.MsgID != "" && len(m.MsgID) <= 32 && m.MsgType != MsgTypeEvent {
		return "msg:" + m.MsgID
	}
	h := sha256.New()
	for _, s := range [...]string{m.ToUserName, strconv.FormatInt(m.AgentID, 10), m.FromUserName,
		strconv.FormatInt(m.CreateTime, 10), m.MsgType, m.MsgID, m.Event, m.EventKey, m.ResponseCode,
		m.ChangeType, strings.Join(m.DocIDs, ","), m.SheetID, strings.Join(m.RecordIDs, ","),
		strings.Join(m.FieldIDs, ","), m.UserID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "evt:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// SkipsDedupe reports whether the callback handler passes every delivery of m to the
// [MessageHandler], retries included: true for the change notifications smart_sheet_change
// ([EventSmartSheetChange]) and doc_change ([EventDocChange]).
//
// These events carry no MsgId, and two real changes — a member editing the same record twice
// within one second — arrive identical to one change and its retry: deduplicating them would drop
// the second edit. They only name what changed; the right handling re-reads the named records or
// document, which is idempotent, so running it for a retry costs one read and loses nothing.
// Handlers of these events must be idempotent.
func (m *Message) SkipsDedupe() bool {
	return m.MsgType == MsgTypeEvent && (m.Event == EventSmartSheetChange || m.Event == EventDocChange)
}
