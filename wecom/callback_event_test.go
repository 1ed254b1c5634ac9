package wecom_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

func TestParseMessage(t *testing.T) {
	raw := func(name string) []byte { return fixture(t, "testdata/callback/"+name) }
	common := func(m wecom.Message, from string, ct int64, typ, id string) wecom.Message {
		m.ToUserName, m.FromUserName, m.CreateTime, m.MsgType, m.MsgID, m.AgentID = "ww1234567890", from, ct, typ, id, 1000002
		return m
	}
	mp := func(m wecom.Message, ct int64, typ string) wecom.Message {
		m.ToUserName, m.FromUserName, m.CreateTime, m.MsgType = "gh_0123456789ab", "oOPENID", ct, typ
		return m
	}
	tests := []struct {
		file string
		want wecom.Message
	}{
		{"text.xml", common(wecom.Message{Content: "this is a test"}, "zhangsan", 1348831860, "text", "1234567890123456")},
		{"image.xml", common(wecom.Message{PicURL: "https://wework.qpic.cn/pic.jpg", MediaID: "media_id"}, "zhangsan", 1348831860, "image", "1234567890123457")},
		{"voice.xml", common(wecom.Message{MediaID: "media_id", Format: "amr"}, "zhangsan", 1357290913, "voice", "1234567890123458")},
		{"video.xml", common(wecom.Message{MediaID: "media_id", ThumbMediaID: "thumb_media_id"}, "zhangsan", 1357290913, "video", "1234567890123459")},
		{"location.xml", common(wecom.Message{LocationX: 23.134521, LocationY: 113.358803, Scale: 20, Label: "位置信息"}, "zhangsan", 1351776360, "location", "1234567890123460")},
		{"link.xml", common(wecom.Message{Title: "this is a title", Description: "this is a description",
			URL: "https://work.weixin.qq.com/", PicURL: "https://work.weixin.qq.com/pic.png"}, "zhangsan", 1348831860, "link", "1234567890123461")},
		{"enter_agent.xml", common(wecom.Message{Event: wecom.EventEnterAgent}, "zhangsan", 1408091189, "event", "")},
		{"scancode_waitmsg.xml", common(wecom.Message{Event: wecom.EventScanCodeWaitMsg, EventKey: "scan_in",
			ScanCodeInfo: &wecom.ScanCodeInfo{ScanType: "qrcode", ScanResult: "https://shop.example/p/BAG-001?s=abc"}}, "zhangsan", 1408090606, "event", "")},
		{"pic_photo_or_album.xml", common(wecom.Message{Event: wecom.EventPicPhotoOrAlbum, EventKey: "photo",
			SendPicsInfo: &wecom.SendPicsInfo{Count: 2, PicList: []wecom.SendPicsItem{
				{PicMd5Sum: "5a75aaca956d97be686719218f275c6b"}, {PicMd5Sum: "1b5f7c23b5bf75682a53e7b6d163e185"}}}}, "zhangsan", 1408090816, "event", "")},
		{"location_select.xml", common(wecom.Message{Event: wecom.EventLocationSelect, EventKey: "loc",
			SendLocationInfo: &wecom.SendLocationInfo{LocationX: 23, LocationY: 113, Scale: 15, Label: " 广州市海珠区客村艺苑路 106号"}}, "zhangsan", 1408091189, "event", "")},
		{"template_card_event.xml", common(wecom.Message{Event: wecom.EventTemplateCard, EventKey: "approve",
			TaskID: "restock-BAG-001", CardType: "button_interaction", ResponseCode: "ResponseCode_xyz"}, "zhangsan", 1612345678, "event", "")},
		{"smart_sheet_change.xml", func() wecom.Message {
			m := common(wecom.Message{Event: wecom.EventSmartSheetChange, ChangeType: "update_field_or_record",
				DocID: "DOCID", DocIDs: []string{"DOCID"}, SheetID: "123Abc", FieldIDs: []string{"f53B4X", "fAbCdE"},
				RecordIDs: []string{"re9IqD", "rpS0P9"}}, "sys", 1715846245, "event", "")
			m.AgentID = 0
			return m
		}()},
		{"doc_change.xml", func() wecom.Message {
			m := common(wecom.Message{Event: wecom.EventDocChange, ChangeType: "doc_member_change",
				DocID: "DOC1", DocIDs: []string{"DOC1", "DOC2"}}, "sys", 1715846245, "event", "")
			m.AgentID = 0
			return m
		}()},
		{"mp_subscribe_qrscene.xml", mp(wecom.Message{Event: wecom.EventSubscribe, EventKey: "qrscene_123123", Ticket: "TICKET"}, 123456789, "event")},
		{"mp_scan.xml", mp(wecom.Message{Event: wecom.EventScan, EventKey: "SCENE_VALUE", Ticket: "TICKET"}, 123456789, "event")},
		{"mp_location.xml", mp(wecom.Message{Event: wecom.EventLocation, Latitude: 23.137466, Longitude: 113.352425, Precision: 119.38504}, 123456789, "event")},
		{"mp_template_finish.xml", mp(wecom.Message{Event: wecom.EventTemplateSendFinish, MsgID: "200163836", Status: "success"}, 1395658920, "event")},
		{"mp_text.xml", mp(wecom.Message{Content: "绑定", MsgID: "1234567890123456"}, 1348831860, "text")},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := raw(tt.file)
			got, err := wecom.ParseMessage(data)
			require.NoError(t, err)
			tt.want.Raw = data
			assert.Equal(t, &tt.want, got)
			assert.Equal(t, tt.want.MsgType == wecom.MsgTypeEvent, got.IsEvent())
			assert.Equal(t, tt.want.CreateTime, got.Time().Unix())
		})
	}
}

func TestParseMessageRejects(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          "",
		"blank":          " \n",
		"not xml":        "hello",
		"truncated":      "<xml><MsgType>text</MsgType>",
		"no MsgType":     "<xml><Content>hi</Content></xml>",
		"json":           `{"MsgType":"text"}`,
		"undefined ent.": "<xml><MsgType>&xxe;</MsgType></xml>",
	} {
		_, err := wecom.ParseMessage([]byte(in))
		assert.ErrorIs(t, err, wecom.ErrInvalidMessage, name)
	}
	// Lenient numbers: junk reads as zero instead of failing the message.
	m, err := wecom.ParseMessage([]byte("<xml><MsgType>text</MsgType><CreateTime>soon</CreateTime><AgentID> 7 </AgentID></xml>"))
	require.NoError(t, err)
	assert.Zero(t, m.CreateTime)
	assert.EqualValues(t, 7, m.AgentID)
}

func TestDedupeKey(t *testing.T) {
	parse := func(s string) *wecom.Message {
		m, err := wecom.ParseMessage([]byte(s))
		require.NoError(t, err)
		return m
	}
	text := parse(string(fixture(t, "testdata/callback/text.xml")))
	assert.Equal(t, "msg:1234567890123456", text.DedupeKey())

	sheet := string(fixture(t, "testdata/callback/smart_sheet_change.xml"))
	a, b := parse(sheet), parse(strings.Replace(sheet, "rpS0P9", "rOther", 1))
	assert.NotEqual(t, a.DedupeKey(), b.DedupeKey(), "two changes in one second are two events")
	assert.Equal(t, a.DedupeKey(), parse(sheet).DedupeKey(), "a retry is the same event")
	assert.LessOrEqual(t, len(a.DedupeKey()), 70)

	enter := string(fixture(t, "testdata/callback/enter_agent.xml"))
	assert.NotEqual(t, parse(enter).DedupeKey(), parse(strings.Replace(enter, "1408091189", "1408091190", 1)).DedupeKey())
}

func FuzzParseMessage(f *testing.F) {
	for _, name := range []string{"text.xml", "scancode_waitmsg.xml", "smart_sheet_change.xml", "mp_subscribe_qrscene.xml"} {
		f.Add(fixture(f, "testdata/callback/"+name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := wecom.ParseMessage(data)
		if err != nil {
			require.ErrorIs(t, err, wecom.ErrInvalidMessage)
			return
		}
		require.NotEmpty(t, m.MsgType)
		require.LessOrEqual(t, len(m.DedupeKey()), 70)
		// Whatever came in, a reply to it must be well-formed XML that parses back.
		out, err := wecom.MarshalReply(m, wecom.TextReply{Content: "re: " + m.Content}, m.CreateTime)
		require.NoError(t, err)
		back, err := wecom.ParseMessage(out)
		require.NoError(t, err, "reply XML: %q", out)
		require.Equal(t, wecom.MsgTypeText, back.MsgType)
		require.Equal(t, m.CreateTime, back.CreateTime)
	})
}
