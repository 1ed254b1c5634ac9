package smartsheet

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzTypes = []FieldType{"", FieldText, FieldNumber, FieldCheckbox, FieldDateTime, FieldImage, FieldAttachment,
	FieldUser, FieldURL, FieldSelect, FieldSingleSelect, FieldCreatedUser, FieldCreatedTime, FieldProgress, FieldPhone,
	FieldReference, FieldLocation, FieldFormula, FieldCurrency, FieldAutoNumber, FieldPercentage, FieldBarcode}

// FuzzDecodeCell: any JSON in any column decodes without panicking, its accessors work, and what was
// decoded encodes to valid JSON again.
func FuzzDecodeCell(f *testing.F) {
	for _, s := range []string{`[{"type":"text","text":"a"}]`, `12.5`, `"1715846245084"`, `true`, `[{"id":"1","text":"红"}]`,
		`[{"user_id":"u"}]`, `[{"seq":"3","text":"3"}]`, `{"x":1}`, `[]`, `null`, `[{"image_url":"u","width":"2"}]`,
		`[{"latitude":1,"longitude":"2"}]`, `["r1"]`, `[1,"a",{}]`, `"\u2028"`} {
		for i := range fuzzTypes {
			f.Add([]byte(s), uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		v := decodeCell(data, fuzzTypes[int(typ)%len(fuzzTypes)], time.UTC)
		_ = v.String()
		_ = v.Float()
		_ = v.Int()
		_ = v.Bool()
		_ = v.Time()
		_ = v.Strings()
		_ = v.IsEmpty()
		b, err := v.MarshalJSON()
		if err != nil {
			return // e.g. a NaN cannot come from JSON, but a huge number string may overflow to Inf
		}
		if v.shape != shapeRaw && !json.Valid(b) {
			t.Fatalf("decoded %q, encoded invalid JSON %q", data, b)
		}
	})
}

// FuzzAppendString: appendString produces JSON that decodes to the (UTF-8 corrected) input.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "abc", "托特包", "a\"b\\c", "\x00\x1f\n\r\t", "\u2028\u2029", "<&>", "\xff\xfe", "é\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q → invalid JSON %q: %v", s, b, err)
		}
		want := s
		if !utf8.ValidString(s) {
			want = string([]rune(s)) // invalid bytes become U+FFFD, as encoding/json does
		}
		if got != want {
			t.Fatalf("%q → %q → %q", s, b, got)
		}
		std, _ := json.Marshal(s)
		var stdGot string
		_ = json.Unmarshal(std, &stdGot)
		if stdGot != got {
			t.Fatalf("%q: encoding/json gives %q, appendString %q", s, stdGot, got)
		}
	})
}
