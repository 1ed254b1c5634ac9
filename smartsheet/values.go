package smartsheet

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Value is one cell. Make one with a constructor ([Text], [Number], [DateTime], [SelectByText], …) to
// write it; read one with the accessors, which never panic and convert where it makes sense:
//
//	name := rec.Values["名称"].String()
//	stock := rec.Values["库存"].Int() // 0 when the cell is empty or absent
//
// The zero Value is an absent cell: it is skipped when writing. Values are immutable.
//
// [Value.Type] is the column type when the value was read (or the type a constructor makes); the
// accessors work from the JSON shape, so e.g. [Value.Float] also reads a formula column's number and
// [Value.Time] a created-time column. A cell whose JSON has an unexpected shape is decoded as well as
// possible and keeps its JSON in [Value.Raw] instead of failing the page.
type Value struct {
	typ   FieldType
	shape shape
	b     bool
	num   float64
	str   string
	t     time.Time
	list  any // []TextSegment, []Image, []Attachment, []User, []SelectOption, []Location, []string
	raw   json.RawMessage
}

// shape is the JSON form a value takes on the wire.
type shape uint8

const (
	shapeNone       shape = iota
	shapeSegments         // [{"type":"text"|"url","text","link"}]: TEXT, URL
	shapeNumber           // 12.5: NUMBER, CURRENCY, PERCENTAGE, PROGRESS
	shapeBool             // true: CHECKBOX
	shapeTime             // "1715846245084": DATE_TIME, CREATED_TIME, MODIFIED_TIME
	shapeString           // "…": PHONE_NUMBER, EMAIL, BARCODE
	shapeImages           // [{"image_url",…}]
	shapeFiles            // [{"file_id",…}]
	shapeUsers            // [{"user_id"}]
	shapeOptions          // [{"id"}|{"text","style"}]: SELECT, SINGLE_SELECT
	shapeLocations        // [{"latitude",…}]
	shapeRecordIDs        // ["recordId"]: REFERENCE
	shapeAutoNumber       // [{"seq","text"}]
	shapeRaw              // anything else, kept as JSON
)

// TextSegment is one run of a text cell: plain text, or a link when Link is set.
type TextSegment struct {
	Type string `json:"type"`           // "text" or "url"; filled in when empty
	Text string `json:"text"`           // shown text
	Link string `json:"link,omitempty"` // target of a "url" segment
}

// Link returns a link segment for [RichText].
func Link(text, url string) TextSegment { return TextSegment{Type: "url", Text: text, Link: url} }

// Plain returns a plain-text segment for [RichText].
func Plain(text string) TextSegment { return TextSegment{Type: "text", Text: text} }

// Image is a picture in an image cell. URL must come from [Client.UploadImage] (wedoc/image_upload).
type Image struct {
	ID     string `json:"id,omitempty"` // your own id for the picture (optional)
	Title  string `json:"title,omitempty"`
	URL    string `json:"image_url"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
}

// Attachment is a file in an attachment cell.
type Attachment struct {
	Name     string `json:"name,omitempty"`
	Size     int64  `json:"size,omitempty"`
	FileExt  string `json:"file_ext,omitempty"`
	FileID   string `json:"file_id,omitempty"`
	FileURL  string `json:"file_url,omitempty"`
	FileType string `json:"file_type,omitempty"` // Folder, Wedrive, 30 form, 50 doc, 51 sheet, 52 slide, 54 mind, 55 flowchart, 70 smartsheet
	DocType  int    `json:"doc_type,omitempty"`  // 1 folder, 2 file
}

// User is a member in a user cell.
type User struct {
	UserID            string `json:"user_id,omitempty"`
	TmpExternalUserID string `json:"tmp_external_userid,omitempty"` // read side only
}

// SelectOption is an option of a select column, or a chosen option in a cell. When writing a cell,
// an option with an ID picks that option; one with only Text picks the option with that text or
// creates it (with Style, 1…27, when set).
type SelectOption struct {
	ID    string `json:"id,omitempty"`
	Text  string `json:"text,omitempty"`
	Style int    `json:"style,omitempty"`
}

// Location is a place in a location cell. Only Tencent Maps places (SourceType 1) are accepted.
// Latitude and Longitude are decimal strings, as on the wire.
type Location struct {
	SourceType int    `json:"source_type"`
	ID         string `json:"id"`
	Latitude   string `json:"latitude"`
	Longitude  string `json:"longitude"`
	Title      string `json:"title"`
}

// Text returns a plain-text cell value for a [FieldText] column.
func Text(s string) Value {
	return Value{typ: FieldText, shape: shapeSegments, list: []TextSegment{Plain(s)}}
}

// RichText returns a text cell made of segments, e.g. RichText(Plain("see "), Link("docs", url)).
func RichText(segs ...TextSegment) Value {
	out := make([]TextSegment, len(segs))
	for i, s := range segs {
		out[i] = s.normal()
	}
	return Value{typ: FieldText, shape: shapeSegments, list: out}
}

func (s TextSegment) normal() TextSegment {
	if s.Type == "" {
		s.Type = "text"
		if s.Link != "" {
			s.Type = "url"
		}
	}
	return s
}

// Number returns a value for a [FieldNumber] column.
func Number(f float64) Value { return Value{typ: FieldNumber, shape: shapeNumber, num: f} }

// Currency returns a value for a [FieldCurrency] column (an amount in the column's currency).
func Currency(f float64) Value { return Value{typ: FieldCurrency, shape: shapeNumber, num: f} }

// Percentage returns a value for a [FieldPercentage] column. WeCom's scale is not documented; a
// fraction (0.5 for 50%) is assumed.
func Percentage(f float64) Value { return Value{typ: FieldPercentage, shape: shapeNumber, num: f} }

// Progress returns a value for a [FieldProgress] column.
func Progress(f float64) Value { return Value{typ: FieldProgress, shape: shapeNumber, num: f} }

// Checkbox returns a value for a [FieldCheckbox] column.
func Checkbox(b bool) Value { return Value{typ: FieldCheckbox, shape: shapeBool, b: b} }

// DateTime returns a value for a [FieldDateTime] column: the instant t, sent as Unix milliseconds.
// The zero time clears the cell.
func DateTime(t time.Time) Value { return Value{typ: FieldDateTime, shape: shapeTime, t: t} }

// Date returns a [FieldDateTime] value for midnight of the given day in China Standard Time (UTC+8),
// which is the instant the WeCom client stores when someone in China picks that date.
func Date(year int, month time.Month, day int) Value {
	return DateTime(time.Date(year, month, day, 0, 0, 0, 0, chinaTime))
}

// Images returns a value for a [FieldImage] column.
func Images(imgs ...Image) Value {
	return Value{typ: FieldImage, shape: shapeImages, list: append([]Image(nil), imgs...)}
}

// Attachments returns a value for a [FieldAttachment] column.
func Attachments(files ...Attachment) Value {
	return Value{typ: FieldAttachment, shape: shapeFiles, list: append([]Attachment(nil), files...)}
}

// Users returns a value for a [FieldUser] column: members by userid.
func Users(userIDs ...string) Value {
	us := make([]User, len(userIDs))
	for i, id := range userIDs {
		us[i] = User{UserID: id}
	}
	return Value{typ: FieldUser, shape: shapeUsers, list: us}
}

// URL returns a value for a [FieldURL] column. text may be empty (the link is shown).
func URL(text, link string) Value {
	if text == "" {
		text = link
	}
	return Value{typ: FieldURL, shape: shapeSegments, list: []TextSegment{Link(text, link)}}
}

// SelectByText returns a value for a [FieldSelect] column that picks options by text; an option that
// does not exist yet is created.
func SelectByText(texts ...string) Value { return optionsValue(FieldSelect, texts, false) }

// SelectByID returns a value for a [FieldSelect] column that picks existing options by id.
func SelectByID(ids ...string) Value { return optionsValue(FieldSelect, ids, true) }

// SingleSelectByText returns a value for a [FieldSingleSelect] column; see [SelectByText].
func SingleSelectByText(text string) Value {
	return optionsValue(FieldSingleSelect, []string{text}, false)
}

// SingleSelectByID returns a value for a [FieldSingleSelect] column; see [SelectByID].
func SingleSelectByID(id string) Value { return optionsValue(FieldSingleSelect, []string{id}, true) }

// Options returns a select value of the given options (typ is [FieldSelect] or [FieldSingleSelect]).
func Options(typ FieldType, opts ...SelectOption) Value {
	return Value{typ: typ, shape: shapeOptions, list: append([]SelectOption(nil), opts...)}
}

func optionsValue(typ FieldType, ss []string, byID bool) Value {
	opts := make([]SelectOption, 0, len(ss))
	for _, s := range ss {
		if byID {
			opts = append(opts, SelectOption{ID: s})
		} else {
			opts = append(opts, SelectOption{Text: s})
		}
	}
	return Value{typ: typ, shape: shapeOptions, list: opts}
}

// Phone returns a value for a [FieldPhone] column.
func Phone(s string) Value { return Value{typ: FieldPhone, shape: shapeString, str: s} }

// Email returns a value for a [FieldEmail] column.
func Email(s string) Value { return Value{typ: FieldEmail, shape: shapeString, str: s} }

// Barcode returns a value for a [FieldBarcode] column (sent as a string; the shape is not in WeCom's
// value table).
func Barcode(s string) Value { return Value{typ: FieldBarcode, shape: shapeString, str: s} }

// LocationValue returns a value for a [FieldLocation] column.
func LocationValue(l Location) Value {
	if l.SourceType == 0 {
		l.SourceType = 1
	}
	return Value{typ: FieldLocation, shape: shapeLocations, list: []Location{l}}
}

// References returns a value for a [FieldReference] column: ids of records in the linked sheet.
func References(recordIDs ...string) Value {
	return Value{typ: FieldReference, shape: shapeRecordIDs, list: append([]string(nil), recordIDs...)}
}

// RawValue returns a value sent as the given JSON, for shapes this package does not model.
func RawValue(typ FieldType, raw json.RawMessage) Value {
	return Value{typ: typ, shape: shapeRaw, raw: append(json.RawMessage(nil), raw...)}
}

// Type returns the column type of a value that was read, or the type its constructor makes. It is
// empty for an absent cell.
func (v Value) Type() FieldType { return v.typ }

// IsZero reports whether v is the zero Value (an absent cell).
func (v Value) IsZero() bool { return v.shape == shapeNone && v.typ == "" }

// IsEmpty reports whether v holds nothing: absent, or empty text, list or string. Numbers and
// checkboxes are never empty.
func (v Value) IsEmpty() bool {
	switch v.shape {
	case shapeNone:
		return true
	case shapeNumber, shapeBool:
		return false
	case shapeTime:
		return v.t.IsZero()
	case shapeString:
		return v.str == ""
	case shapeRaw:
		s := strings.TrimSpace(string(v.raw))
		return s == "" || s == "null" || s == "[]" || s == `""`
	case shapeAutoNumber:
		return v.str == "" && v.num == 0
	case shapeSegments:
		return v.String() == ""
	}
	return listLen(v.list) == 0
}

func listLen(l any) int {
	switch l := l.(type) {
	case []TextSegment:
		return len(l)
	case []Image:
		return len(l)
	case []Attachment:
		return len(l)
	case []User:
		return len(l)
	case []SelectOption:
		return len(l)
	case []Location:
		return len(l)
	case []string:
		return len(l)
	}
	return 0
}

// String returns the cell as text: the text of a text or link cell, a number without trailing
// zeros, "true"/"false", a date as "2006-01-02" (or "2006-01-02 15:04:05" when it has a time of
// day) in the value's time zone, option texts, userids, file names, image URLs or record ids joined
// by ", ", a place's title, an auto number's text, or the JSON of an odd cell.
func (v Value) String() string {
	switch v.shape {
	case shapeSegments:
		var b strings.Builder
		for _, s := range v.Segments() {
			if s.Text == "" {
				b.WriteString(s.Link)
			} else {
				b.WriteString(s.Text)
			}
		}
		return b.String()
	case shapeNumber:
		return strconv.FormatFloat(v.num, 'f', -1, 64)
	case shapeBool:
		return strconv.FormatBool(v.b)
	case shapeTime:
		if v.t.IsZero() {
			return ""
		}
		if h, m, s := v.t.Clock(); h == 0 && m == 0 && s == 0 && v.t.Nanosecond() == 0 {
			return v.t.Format(time.DateOnly)
		}
		return v.t.Format(time.DateTime)
	case shapeString, shapeAutoNumber:
		return v.str
	case shapeLocations:
		if l, ok := v.Location(); ok {
			return l.Title
		}
		return ""
	case shapeRaw:
		var s string
		if json.Unmarshal(v.raw, &s) == nil {
			return s
		}
		return string(v.raw)
	case shapeNone:
		return ""
	}
	return strings.Join(v.Strings(), ", ")
}

// Float returns a numeric cell's number, an auto number's sequence, 1 or 0 for a checkbox, or the
// number a text cell holds. It is 0 when there is no number.
func (v Value) Float() float64 {
	switch v.shape {
	case shapeNumber, shapeAutoNumber:
		return v.num
	case shapeBool:
		if v.b {
			return 1
		}
		return 0
	case shapeTime, shapeNone:
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.ReplaceAll(v.String(), ",", "")), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// Int returns [Value.Float] rounded to the nearest integer (clamped to the int64 range).
func (v Value) Int() int64 {
	f := math.Round(v.Float())
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// Bool returns a checkbox's state; for other cells, whether they hold a non-zero number or the text
// "true"/"1".
func (v Value) Bool() bool {
	switch v.shape {
	case shapeBool:
		return v.b
	case shapeNumber:
		return v.num != 0
	}
	b, _ := strconv.ParseBool(strings.TrimSpace(v.String()))
	return b
}

// Time returns a date cell's instant in the client's time zone (see [WithLocation]); for a text cell
// holding Unix milliseconds, that instant. It is the zero time otherwise.
func (v Value) Time() time.Time {
	switch v.shape {
	case shapeTime:
		return v.t
	case shapeString, shapeRaw, shapeSegments:
		if t, ok := parseMillis(v.String(), chinaTime); ok {
			return t
		}
	}
	return time.Time{}
}

// Segments returns the segments of a text or link cell.
func (v Value) Segments() []TextSegment { s, _ := v.list.([]TextSegment); return s }

// Images returns the pictures of an image cell.
func (v Value) Images() []Image { s, _ := v.list.([]Image); return s }

// Attachments returns the files of an attachment cell.
func (v Value) Attachments() []Attachment { s, _ := v.list.([]Attachment); return s }

// Users returns the members of a user, created-by or modified-by cell.
func (v Value) Users() []User { s, _ := v.list.([]User); return s }

// Options returns the chosen options of a select or single-select cell.
func (v Value) Options() []SelectOption { s, _ := v.list.([]SelectOption); return s }

// RecordIDs returns the linked record ids of a reference cell.
func (v Value) RecordIDs() []string {
	if v.shape != shapeRecordIDs {
		return nil
	}
	s, _ := v.list.([]string)
	return s
}

// Location returns the place of a location cell.
func (v Value) Location() (Location, bool) {
	if s, _ := v.list.([]Location); len(s) > 0 {
		return s[0], true
	}
	return Location{}, false
}

// Strings returns a list cell as strings: option texts (ids when a text is unknown), userids,
// linked record ids, image URLs, file names, the texts of text segments, or the one string of a
// string-like cell. It is nil for an empty cell.
func (v Value) Strings() []string {
	var out []string
	switch l := v.list.(type) {
	case []SelectOption:
		for _, o := range l {
			out = append(out, cmp(o.Text, o.ID))
		}
	case []User:
		for _, u := range l {
			out = append(out, cmp(u.UserID, u.TmpExternalUserID))
		}
	case []string:
		out = append(out, l...)
	case []Image:
		for _, im := range l {
			out = append(out, im.URL)
		}
	case []Attachment:
		for _, f := range l {
			out = append(out, cmp(f.Name, f.FileURL))
		}
	case []TextSegment:
		if s := v.String(); s != "" {
			out = append(out, s)
		}
	case []Location:
		for _, p := range l {
			out = append(out, p.Title)
		}
	default:
		if s := v.String(); s != "" && v.shape != shapeNone {
			out = append(out, s)
		}
	}
	return out
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Raw returns the JSON of a cell whose shape this package did not recognise (or of a [RawValue]);
// nil otherwise. Use [Value.MarshalJSON] for the wire form of any value.
func (v Value) Raw() json.RawMessage { return v.raw }

// MarshalJSON returns the wire form of the cell, as add_records and update_records take it.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.shape {
	case shapeNone:
		return []byte("null"), nil
	case shapeSegments, shapeNumber, shapeBool, shapeTime, shapeString:
		return appendValue(nil, v)
	case shapeAutoNumber:
		return json.Marshal([]autoNumber{{Seq: strconv.FormatFloat(v.num, 'f', -1, 64), Text: v.str}})
	case shapeRaw:
		if len(v.raw) == 0 {
			return []byte("null"), nil
		}
		return v.raw, nil
	}
	if listLen(v.list) == 0 {
		return []byte("[]"), nil
	}
	return json.Marshal(v.list)
}

type autoNumber struct {
	Seq  string `json:"seq"`
	Text string `json:"text"`
}

// UnmarshalJSON decodes a cell from its JSON by shape alone (the column type is not known here).
// It never fails: an unrecognised shape is kept in [Value.Raw].
func (v *Value) UnmarshalJSON(data []byte) error {
	*v = decodeCell(data, "", chinaTime)
	return nil
}

// parseMillis parses Unix milliseconds given as a decimal string.
func parseMillis(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e17 {
			return time.Time{}, false
		}
		ms = int64(f)
	}
	return time.UnixMilli(ms).In(loc), true
}
