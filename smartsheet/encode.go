package smartsheet

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/qiwei-go/qiwei/wecom"
)

// Record bodies are encoded by hand: an import of 10,000 rows spends most of its client time here,
// and encoding/json would re-validate every pre-encoded cell.

// encodeRecords encodes every record before anything is sent, so that bad input writes nothing.
// Absent and read-only cells are skipped; keys are sorted for stable bodies.
func encodeRecords(recs []Record, withID bool) ([][]byte, error) {
	out := make([][]byte, len(recs))
	keys := make([]string, 0, 8)
	for i, r := range recs {
		if withID && r.ID == "" {
			return nil, invalidf("record %d has no ID", i)
		}
		keys = keys[:0]
		for k, v := range r.Values {
			if v.IsZero() || v.typ.ReadOnly() {
				continue
			}
			if k == "" {
				return nil, invalidf("record %d has a value with an empty key", i)
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b := make([]byte, 0, 32+32*len(keys))
		b = append(b, '{')
		if withID {
			b = append(b, `"record_id":`...)
			b = appendString(b, r.ID)
			b = append(b, ',')
		}
		b = append(b, `"values":{`...)
		for j, k := range keys {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, r.Values[k]); err != nil {
				return nil, invalidf("record %d, %q: %v", i, k, err)
			}
		}
		out[i] = append(b, '}', '}')
	}
	return out, nil
}

// recordsBody is an add_records / update_records body around pre-encoded records.
func recordsBody(docID, sheetID, keyType string, recs [][]byte) wecom.RawBody {
	n := 96
	for _, r := range recs {
		n += len(r) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"docid":`...)
	b = appendString(b, docID)
	b = append(b, `,"sheet_id":`...)
	b = appendString(b, sheetID)
	b = append(b, `,"key_type":`...)
	b = appendString(b, keyType)
	b = append(b, `,"records":[`...)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	b = append(b, ']', '}')
	return wecom.RawBody{ContentType: "application/json; charset=utf-8", Data: b}
}

// appendValue appends the wire form of v; the common shapes without reflection.
func appendValue(b []byte, v Value) ([]byte, error) {
	switch v.shape {
	case shapeSegments:
		b = append(b, '[')
		n := 0
		for _, s := range v.Segments() {
			if s.Text == "" && s.Link == "" { // Text("") clears the cell
				continue
			}
			if n++; n > 1 {
				b = append(b, ',')
			}
			s = s.normal()
			b = append(b, `{"type":`...)
			b = appendString(b, s.Type)
			b = append(b, `,"text":`...)
			b = appendString(b, s.Text)
			if s.Link != "" {
				b = append(b, `,"link":`...)
				b = appendString(b, s.Link)
			}
			b = append(b, '}')
		}
		return append(b, ']'), nil
	case shapeNumber:
		if math.IsNaN(v.num) || math.IsInf(v.num, 0) {
			return nil, invalidf("cell value %v is not a finite number", v.num)
		}
		return strconv.AppendFloat(b, v.num, 'f', -1, 64), nil
	case shapeBool:
		return strconv.AppendBool(b, v.b), nil
	case shapeString:
		return appendString(b, v.str), nil
	case shapeTime:
		if v.t.IsZero() {
			return append(b, `""`...), nil
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, v.t.UnixMilli(), 10)
		return append(b, '"'), nil
	}
	j, err := v.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// appendString appends s as a JSON string. Like encoding/json it escapes control characters, quotes,
// backslashes, U+2028 and U+2029, and replaces invalid UTF-8; unlike it, it leaves <, > and & alone.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			switch r {
			case utf8.RuneError:
				b = append(b, `\ufffd`...)
			default:
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// idsResp reads only the record ids of a write answer, skipping the echoed values.
type idsResp struct {
	Records []struct {
		RecordID string `json:"record_id"`
	} `json:"records"`
}

var _ json.Marshaler = Value{}
