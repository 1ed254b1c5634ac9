package smartsheet

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// decodeCell decodes one cell of a column of type typ ("" when unknown). It never fails: JSON that
// does not fit typ is decoded by its shape and kept in raw.
func decodeCell(data []byte, typ FieldType, loc *time.Location) Value {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return Value{typ: typ}
	}
	if typ != "" {
		if v, ok := decodeTyped(data, typ, loc); ok {
			return v
		}
	}
	v, ok := decodeShape(data, loc)
	if !ok || typ != "" {
		v.raw = append(json.RawMessage(nil), data...) // odd: keep what WeCom sent
	}
	if typ != "" {
		v.typ = typ
	}
	return v
}

// decodeTyped decodes data as a cell of a column of type typ.
func decodeTyped(data []byte, typ FieldType, loc *time.Location) (Value, bool) {
	v := Value{typ: typ}
	var ok bool
	switch typ {
	case FieldText, FieldURL:
		var segs []TextSegment
		if segs, ok = decodeSegments(data); ok {
			v.shape, v.list = shapeSegments, segs
		}
	case FieldNumber, FieldCurrency, FieldPercentage, FieldProgress:
		v.shape = shapeNumber
		v.num, ok = decodeNumber(data)
	case FieldCheckbox:
		v.shape = shapeBool
		ok = json.Unmarshal(data, &v.b) == nil
		if !ok {
			var s string
			if json.Unmarshal(data, &s) == nil {
				v.b, ok = s == "true" || s == "1", s == "true" || s == "false" || s == "1" || s == "0"
			}
		}
	case FieldDateTime, FieldCreatedTime, FieldModifiedTime:
		v.shape = shapeTime
		v.t, ok = decodeTime(data, loc)
	case FieldPhone, FieldEmail, FieldBarcode:
		v.shape = shapeString
		v.str, ok = decodeString(data)
	case FieldImage:
		var l []Image
		if ok = decodeList(data, &l); ok {
			v.shape, v.list = shapeImages, l
		}
	case FieldAttachment:
		var l []Attachment
		if ok = decodeList(data, &l); ok {
			v.shape, v.list = shapeFiles, l
		}
	case FieldUser, FieldCreatedUser, FieldModifiedUser:
		var l []User
		if ok = decodeList(data, &l); ok {
			v.shape, v.list = shapeUsers, l
		} else if s, sok := decodeString(data); sok && s != "" {
			v.shape, v.list, ok = shapeUsers, []User{{UserID: s}}, true
		}
	case FieldSelect, FieldSingleSelect:
		var l []SelectOption
		if ok = decodeList(data, &l); ok {
			v.shape, v.list = shapeOptions, l
		}
	case FieldLocation:
		var l []Location
		if ok = decodeList(data, &l); ok {
			v.shape, v.list = shapeLocations, l
		}
	case FieldReference:
		var l []string
		if ok = json.Unmarshal(data, &l) == nil; ok {
			v.shape, v.list = shapeRecordIDs, l
		}
	case FieldAutoNumber:
		v.shape = shapeAutoNumber
		v.num, v.str, ok = decodeAutoNumber(data)
	}
	return v, ok
}

// decodeShape guesses a cell's type from its JSON alone.
func decodeShape(data []byte, loc *time.Location) (Value, bool) {
	switch data[0] {
	case '"':
		var s string
		if json.Unmarshal(data, &s) != nil {
			break
		}
		return Value{shape: shapeString, str: s}, true
	case 't', 'f':
		return decodeTyped(data, FieldCheckbox, loc)
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(data, &elems) != nil {
			break
		}
		if len(elems) == 0 { // an empty list of unknown kind: an empty cell that encodes as []
			return Value{shape: shapeRecordIDs, list: []string{}}, true
		}
		if e := bytes.TrimSpace(elems[0]); len(e) > 0 && e[0] == '"' {
			return decodeTyped(data, FieldReference, loc)
		}
		var first map[string]json.RawMessage
		if json.Unmarshal(elems[0], &first) != nil {
			break
		}
		if typ := guessListType(first); typ != "" {
			v, ok := decodeTyped(data, typ, loc)
			v.typ = typ
			return v, ok
		}
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) == nil {
			if typ := guessListType(m); typ != "" {
				return decodeTyped(append(append([]byte{'['}, data...), ']'), typ, loc)
			}
		}
	default:
		if f, ok := decodeNumber(data); ok {
			return Value{typ: FieldNumber, shape: shapeNumber, num: f}, true
		}
	}
	return Value{shape: shapeRaw, raw: append(json.RawMessage(nil), data...)}, false
}

func guessListType(m map[string]json.RawMessage) FieldType {
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := m[k]; ok {
				return true
			}
		}
		return false
	}
	switch {
	case has("image_url"):
		return FieldImage
	case has("file_id", "file_url", "file_ext"):
		return FieldAttachment
	case has("user_id", "tmp_external_userid"):
		return FieldUser
	case has("latitude", "longitude"):
		return FieldLocation
	case has("seq"):
		return FieldAutoNumber
	case has("type") && has("text"):
		return FieldText
	case has("id", "text") && !has("type"):
		return FieldSelect
	}
	return ""
}

// decodeSegments reads [{"type","text","link"}], a bare string, or one segment object.
func decodeSegments(data []byte) ([]TextSegment, bool) {
	var segs []TextSegment
	if json.Unmarshal(data, &segs) == nil {
		return segs, true
	}
	var s string
	if json.Unmarshal(data, &s) == nil {
		return []TextSegment{Plain(s)}, true
	}
	var one TextSegment
	if data[0] == '{' && json.Unmarshal(data, &one) == nil {
		return []TextSegment{one.normal()}, true
	}
	return nil, false
}

// decodeList reads a JSON array into out, or a single object as a one-element array.
func decodeList[T any](data []byte, out *[]T) bool {
	if json.Unmarshal(data, out) == nil {
		return true
	}
	var one T
	if data[0] == '{' && json.Unmarshal(data, &one) == nil {
		*out = []T{one}
		return true
	}
	return false
}

// decodeNumber reads a JSON number or a numeric string.
func decodeNumber(data []byte) (float64, bool) {
	var f float64
	if json.Unmarshal(data, &f) == nil {
		return f, true
	}
	var s string
	if json.Unmarshal(data, &s) == nil {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil
	}
	return 0, false
}

func decodeString(data []byte) (string, bool) {
	var s string
	if json.Unmarshal(data, &s) == nil {
		return s, true
	}
	if f, ok := decodeNumber(data); ok {
		return strconv.FormatFloat(f, 'f', -1, 64), true
	}
	return "", false
}

// decodeTime reads Unix milliseconds as a string (the documented form) or a number. An empty string
// is an empty cell.
func decodeTime(data []byte, loc *time.Location) (time.Time, bool) {
	var s string
	if json.Unmarshal(data, &s) == nil {
		if strings.TrimSpace(s) == "" {
			return time.Time{}, true
		}
		return parseMillis(s, loc)
	}
	var f float64
	if json.Unmarshal(data, &f) == nil {
		return parseMillis(strconv.FormatFloat(f, 'f', -1, 64), loc)
	}
	return time.Time{}, false
}

// decodeAutoNumber reads [{"seq":"3","text":"3"}] or {"seq":3,"text":"3"}.
func decodeAutoNumber(data []byte) (float64, string, bool) {
	var l []map[string]json.RawMessage
	if !decodeList(data, &l) || len(l) == 0 {
		f, ok := decodeNumber(data)
		return f, strconv.FormatFloat(f, 'f', -1, 64), ok
	}
	seq, _ := decodeNumber(l[0]["seq"])
	text, _ := decodeString(l[0]["text"])
	if text == "" {
		text = strconv.FormatFloat(seq, 'f', -1, 64)
	}
	return seq, text, true
}

// UnmarshalJSON reads an attachment leniently: size and doc_type may be numbers or strings.
func (a *Attachment) UnmarshalJSON(data []byte) error {
	var w struct {
		Name     string          `json:"name"`
		Size     json.RawMessage `json:"size"`
		FileExt  string          `json:"file_ext"`
		FileID   string          `json:"file_id"`
		FileURL  string          `json:"file_url"`
		FileType json.RawMessage `json:"file_type"`
		DocType  json.RawMessage `json:"doc_type"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	size, _ := decodeNumber(w.Size)
	docType, _ := decodeNumber(w.DocType)
	fileType, _ := decodeString(w.FileType)
	*a = Attachment{Name: w.Name, Size: int64(size), FileExt: w.FileExt, FileID: w.FileID, FileURL: w.FileURL,
		FileType: fileType, DocType: int(docType)}
	return nil
}

// UnmarshalJSON reads an image leniently: width and height may be numbers or strings.
func (im *Image) UnmarshalJSON(data []byte) error {
	var w struct {
		ID     string          `json:"id"`
		Title  string          `json:"title"`
		URL    string          `json:"image_url"`
		Width  json.RawMessage `json:"width"`
		Height json.RawMessage `json:"height"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	wd, _ := decodeNumber(w.Width)
	ht, _ := decodeNumber(w.Height)
	*im = Image{ID: w.ID, Title: w.Title, URL: w.URL, Width: int(wd), Height: int(ht)}
	return nil
}

// UnmarshalJSON reads a place leniently: latitude and longitude may be numbers or strings.
func (l *Location) UnmarshalJSON(data []byte) error {
	var w struct {
		SourceType json.RawMessage `json:"source_type"`
		ID         json.RawMessage `json:"id"`
		Latitude   json.RawMessage `json:"latitude"`
		Longitude  json.RawMessage `json:"longitude"`
		Title      string          `json:"title"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	st, _ := decodeNumber(w.SourceType)
	id, _ := decodeString(w.ID)
	lat, _ := decodeString(w.Latitude)
	lng, _ := decodeString(w.Longitude)
	*l = Location{SourceType: int(st), ID: id, Latitude: lat, Longitude: lng, Title: w.Title}
	return nil
}

// UnmarshalJSON reads an option leniently: id may be a number and style a string.
func (o *SelectOption) UnmarshalJSON(data []byte) error {
	var w struct {
		ID    json.RawMessage `json:"id"`
		Text  string          `json:"text"`
		Style json.RawMessage `json:"style"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	id, _ := decodeString(w.ID)
	st, _ := decodeNumber(w.Style)
	*o = SelectOption{ID: id, Text: w.Text, Style: int(st)}
	return nil
}
