package qrcode

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrNotScanEvent is returned by [ParseScanEvent] for messages and events that are neither a
// follow nor a scan (text messages, unsubscribe, menu clicks…).
var ErrNotScanEvent = errors.New("qrcode: not a subscribe or SCAN event")

// ScanEvent is one typed value for the two ways a 公众号 reports a parametric-code scan:
//   - Event=subscribe with EventKey "qrscene_<scene>": a new follower scanned (NewFollower true,
//     prefix stripped);
//   - Event=SCAN with EventKey "<scene>": an existing follower scanned (NewFollower false).
//
// A plain follow without a code is reported with NewFollower true and an empty Scene: check
// [ScanEvent.IsScan].
type ScanEvent struct {
	OpenID      string // FromUserName
	Scene       string // scene_str, or the decimal scene_id
	Ticket      string
	NewFollower bool

	Account    string    // ToUserName: the 公众号's original id (gh_…)
	CreateTime time.Time // CreateTime
	Event      string    // "subscribe" or "SCAN", as sent
}

// IsScan reports whether the event came from scanning a parametric code (false for a plain follow).
func (e *ScanEvent) IsScan() bool { return e.Scene != "" }

// DedupeKey identifies the delivery for retry deduplication (FromUserName+CreateTime+Event+EventKey).
func (e *ScanEvent) DedupeKey() string {
	return e.OpenID + "|" + strconv.FormatInt(e.CreateTime.Unix(), 10) + "|" + e.Event + "|" + e.Scene
}

type scanXML struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   string `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Event        string `xml:"Event"`
	EventKey     string `xml:"EventKey"`
	Ticket       string `xml:"Ticket"`
}

const maxEventXML = 64 << 10

// ParseScanEvent parses the plaintext XML of a 公众号 callback (after decryption in safe mode).
//
// WeChat doc: 接收事件推送 — 扫描带参数二维码事件.
func ParseScanEvent(plainXML []byte) (*ScanEvent, error) {
	if len(plainXML) > maxEventXML {
		return nil, fmt.Errorf("qrcode: event XML larger than %d bytes", maxEventXML)
	}
	var x scanXML
	body := bytes.TrimLeft(plainXML, "\ufeff \t\r\n")
	if err := xml.Unmarshal(body, &x); err != nil {
		return nil, fmt.Errorf("qrcode: parse event XML: %w", err)
	}
	if !strings.EqualFold(strings.TrimSpace(x.MsgType), "event") {
		return nil, ErrNotScanEvent
	}
	e := &ScanEvent{
		OpenID:  strings.TrimSpace(x.FromUserName),
		Ticket:  strings.TrimSpace(x.Ticket),
		Account: strings.TrimSpace(x.ToUserName),
		Event:   strings.TrimSpace(x.Event),
	}
	if e.OpenID == "" {
		return nil, errors.New("qrcode: event without FromUserName")
	}
	if ts, err := strconv.ParseInt(strings.TrimSpace(x.CreateTime), 10, 64); err == nil {
		e.CreateTime = time.Unix(ts, 0)
	}
	key := strings.TrimSpace(x.EventKey)
	switch {
	case strings.EqualFold(e.Event, "subscribe"):
		e.NewFollower = true
		if scene, ok := strings.CutPrefix(key, "qrscene_"); ok {
			e.Scene = scene
		}
	case e.Event == "SCAN" || strings.EqualFold(e.Event, "scan"):
		if key == "" {
			return nil, errors.New("qrcode: SCAN event without EventKey")
		}
		e.Scene = key
	default:
		return nil, ErrNotScanEvent
	}
	return e, nil
}
