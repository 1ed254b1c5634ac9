package smartsheet_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/smartsheet"
)

var cst = time.FixedZone("CST", 8*3600)

// TestValueWire: every constructor encodes to the cell-value shape of its column type, as listed
// in the Value table of 添加记录 (https://developer.work.weixin.qq.com/document/path/99907).
func TestValueWire(t *testing.T) {
	tests := []struct {
		name string
		v    smartsheet.Value
		want string
		typ  smartsheet.FieldType
	}{
		{"text", smartsheet.Text("文本内容"), `[{"type":"text","text":"文本内容"}]`, smartsheet.FieldText},
		{"empty text clears", smartsheet.Text(""), `[]`, smartsheet.FieldText},
		{"rich text", smartsheet.RichText(smartsheet.Plain("见 "), smartsheet.TextSegment{Text: "文档", Link: "https://a.b/c"}),
			`[{"type":"text","text":"见 "},{"type":"url","text":"文档","link":"https://a.b/c"}]`, smartsheet.FieldText},
		{"number", smartsheet.Number(12.5), `12.5`, smartsheet.FieldNumber},
		{"currency", smartsheet.Currency(1299), `1299`, smartsheet.FieldCurrency},
		{"percentage", smartsheet.Percentage(0.5), `0.5`, smartsheet.FieldPercentage},
		{"progress", smartsheet.Progress(30), `30`, smartsheet.FieldProgress},
		{"checkbox", smartsheet.Checkbox(true), `true`, smartsheet.FieldCheckbox},
		{"date time", smartsheet.DateTime(time.UnixMilli(1715846245084)), `"1715846245084"`, smartsheet.FieldDateTime},
		{"date is midnight UTC+8", smartsheet.Date(2025, 5, 14), `"1747152000000"`, smartsheet.FieldDateTime},
		{"zero date clears", smartsheet.DateTime(time.Time{}), `""`, smartsheet.FieldDateTime},
		{"image", smartsheet.Images(smartsheet.Image{ID: "custom-id", Title: "a.jpg", URL: "https://img/1", Width: 234, Height: 234}),
			`[{"id":"custom-id","title":"a.jpg","image_url":"https://img/1","width":234,"height":234}]`, smartsheet.FieldImage},
		{"attachment", smartsheet.Attachments(smartsheet.Attachment{Name: "a.pdf", Size: 12, FileExt: "pdf", FileID: "F1",
			FileURL: "https://f/1", FileType: "50", DocType: 2}),
			`[{"name":"a.pdf","size":12,"file_ext":"pdf","file_id":"F1","file_url":"https://f/1","file_type":"50","doc_type":2}]`,
			smartsheet.FieldAttachment},
		{"users", smartsheet.Users("zhangsan", "lisi"), `[{"user_id":"zhangsan"},{"user_id":"lisi"}]`, smartsheet.FieldUser},
		{"url", smartsheet.URL("企业微信开发者中心", "https://developer.work.weixin.qq.com"),
			`[{"type":"url","text":"企业微信开发者中心","link":"https://developer.work.weixin.qq.com"}]`, smartsheet.FieldURL},
		{"url without text", smartsheet.URL("", "https://a.b"), `[{"type":"url","text":"https://a.b","link":"https://a.b"}]`, smartsheet.FieldURL},
		{"select by id", smartsheet.SelectByID("1", "2"), `[{"id":"1"},{"id":"2"}]`, smartsheet.FieldSelect},
		{"select by text", smartsheet.SelectByText("红色"), `[{"text":"红色"}]`, smartsheet.FieldSelect},
		{"single select by text", smartsheet.SingleSelectByText("在售"), `[{"text":"在售"}]`, smartsheet.FieldSingleSelect},
		{"single select by id", smartsheet.SingleSelectByID("opt1"), `[{"id":"opt1"}]`, smartsheet.FieldSingleSelect},
		{"new option with style", smartsheet.Options(smartsheet.FieldSelect, smartsheet.SelectOption{Text: "红色", Style: 1}),
			`[{"text":"红色","style":1}]`, smartsheet.FieldSelect},
		{"phone", smartsheet.Phone("13800000000"), `"13800000000"`, smartsheet.FieldPhone},
		{"email", smartsheet.Email("a@b.c"), `"a@b.c"`, smartsheet.FieldEmail},
		{"barcode", smartsheet.Barcode("6901234567892"), `"6901234567892"`, smartsheet.FieldBarcode},
		{"location", smartsheet.LocationValue(smartsheet.Location{ID: "14313005936863363130", Latitude: "23.10647",
			Longitude: "113.32446", Title: "广州塔"}),
			`[{"source_type":1,"id":"14313005936863363130","latitude":"23.10647","longitude":"113.32446","title":"广州塔"}]`,
			smartsheet.FieldLocation},
		{"references", smartsheet.References("recordId1", "recordId2"), `["recordId1","recordId2"]`, smartsheet.FieldReference},
		{"no references", smartsheet.References(), `[]`, smartsheet.FieldReference},
		{"raw", smartsheet.RawValue(smartsheet.FieldWWGroup, []byte(`[{"chat_id":"c1"}]`)), `[{"chat_id":"c1"}]`, smartsheet.FieldWWGroup},
		{"zero", smartsheet.Value{}, `null`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(b))
			assert.Equal(t, tt.typ, tt.v.Type())
		})
	}
	_, err := json.Marshal(smartsheet.Number(math.Inf(1)))
	assert.ErrorIs(t, err, smartsheet.ErrInvalidInput)
}

// TestValueAccessors: reading cells never panics and converts where it makes sense.
func TestValueAccessors(t *testing.T) {
	tests := []struct {
		name    string
		v       smartsheet.Value
		str     string
		f       float64
		b       bool
		strs    []string
		isEmpty bool
	}{
		{"text", smartsheet.Text("托特包"), "托特包", 0, false, []string{"托特包"}, false},
		{"numeric text", smartsheet.Text("1,299.5"), "1,299.5", 1299.5, false, []string{"1,299.5"}, false},
		{"true text", smartsheet.Text("true"), "true", 0, true, []string{"true"}, false},
		{"number", smartsheet.Number(2.50), "2.5", 2.5, true, []string{"2.5"}, false},
		{"zero number is a value", smartsheet.Number(0), "0", 0, false, []string{"0"}, false},
		{"checkbox", smartsheet.Checkbox(true), "true", 1, true, []string{"true"}, false},
		{"date", smartsheet.Date(2025, 5, 14), "2025-05-14", 0, false, []string{"2025-05-14"}, false},
		{"date time", smartsheet.DateTime(time.Date(2025, 5, 14, 9, 30, 0, 0, cst)), "2025-05-14 09:30:00", 0, false,
			[]string{"2025-05-14 09:30:00"}, false},
		{"options", smartsheet.Options(smartsheet.FieldSelect, smartsheet.SelectOption{ID: "1", Text: "红"}, smartsheet.SelectOption{ID: "2"}),
			"红, 2", 0, false, []string{"红", "2"}, false},
		{"users", smartsheet.Users("zhangsan", "lisi"), "zhangsan, lisi", 0, false, []string{"zhangsan", "lisi"}, false},
		{"images", smartsheet.Images(smartsheet.Image{URL: "u1"}), "u1", 0, false, []string{"u1"}, false},
		{"location", smartsheet.LocationValue(smartsheet.Location{Title: "广州塔"}), "广州塔", 0, false, []string{"广州塔"}, false},
		{"references", smartsheet.References("r1"), "r1", 0, false, []string{"r1"}, false},
		{"url", smartsheet.URL("", "https://a.b"), "https://a.b", 0, false, []string{"https://a.b"}, false},
		{"empty users", smartsheet.Users(), "", 0, false, nil, true},
		{"empty phone", smartsheet.Phone(""), "", 0, false, nil, true},
		{"zero", smartsheet.Value{}, "", 0, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.str, tt.v.String())
			assert.Equal(t, tt.f, tt.v.Float())
			assert.Equal(t, tt.b, tt.v.Bool())
			assert.Equal(t, tt.strs, tt.v.Strings())
			assert.Equal(t, tt.isEmpty, tt.v.IsEmpty())
		})
	}
	assert.Equal(t, int64(3), smartsheet.Number(2.5).Int(), "Int rounds")
	assert.Equal(t, int64(math.MaxInt64), smartsheet.Number(1e30).Int(), "Int clamps")
	assert.Equal(t, int64(1715846245084), smartsheet.Phone("1715846245084").Time().UnixMilli())
	assert.True(t, smartsheet.Number(1).Time().IsZero())
}

// TestValueUnmarshal: decoding by shape alone (no column type) never fails.
func TestValueUnmarshal(t *testing.T) {
	tests := []struct {
		name, in string
		typ      smartsheet.FieldType
		str      string
		raw      bool
	}{
		{"text", `[{"type":"text","text":"a"},{"type":"url","text":"b","link":"https://b"}]`, smartsheet.FieldText, "ab", false},
		{"number", `12.5`, smartsheet.FieldNumber, "12.5", false},
		{"bool", `false`, smartsheet.FieldCheckbox, "false", false},
		{"string", `"13800000000"`, "", "13800000000", false},
		{"image", `[{"id":"x","title":"a.jpg","image_url":"https://i","width":"234","height":234}]`, smartsheet.FieldImage, "https://i", false},
		{"attachment", `[{"name":"a.pdf","size":"12","file_id":"F","doc_type":"2","file_type":50}]`, smartsheet.FieldAttachment, "a.pdf", false},
		{"user", `[{"user_id":"zhangsan"},{"tmp_external_userid":"wm1"}]`, smartsheet.FieldUser, "zhangsan, wm1", false},
		{"select", `[{"id":"1","style":"3","text":"红"}]`, smartsheet.FieldSelect, "红", false},
		{"location", `[{"source_type":1,"id":14313005936863363130,"latitude":23.10647,"longitude":"113.32446","title":"广州塔"}]`,
			smartsheet.FieldLocation, "广州塔", false},
		{"references", `["r1","r2"]`, smartsheet.FieldReference, "r1, r2", false},
		{"auto number list", `[{"seq":"3","text":"NO-003"}]`, smartsheet.FieldAutoNumber, "NO-003", false},
		{"auto number object", `{"seq":3,"text":"3"}`, smartsheet.FieldAutoNumber, "3", false},
		{"empty list", `[]`, "", "", false},
		{"unknown object", `{"foo":1}`, "", `{"foo":1}`, true},
		{"list of numbers", `[1,2]`, "", `[1,2]`, true},
		{"null", `null`, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v smartsheet.Value
			require.NoError(t, json.Unmarshal([]byte(tt.in), &v))
			assert.Equal(t, tt.typ, v.Type())
			assert.Equal(t, tt.str, v.String())
			assert.Equal(t, tt.raw, v.Raw() != nil)
			// What was decoded encodes again.
			_, err := json.Marshal(v)
			assert.NoError(t, err)
		})
	}
	var v smartsheet.Value
	require.NoError(t, json.Unmarshal([]byte(`[{"seq":"3","text":"NO-003"}]`), &v))
	assert.Equal(t, 3.0, v.Float())
}
