package wecomtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Cell values are stored in a normal form, by field id:
//   - TEXT, URL: []any of {"type","text"[,"link"]} maps
//   - NUMBER, PROGRESS, CURRENCY, PERCENTAGE: float64; CHECKBOX: bool
//   - DATE_TIME, PHONE_NUMBER, EMAIL, BARCODE: string (DATE_TIME: ms timestamp)
//   - SELECT, SINGLE_SELECT: []any of option ids (strings), resolved to {id,style,text} on output
//   - USER: []any of {"user_id"} maps; IMAGE, ATTACHMENT, LOCATION, WWGROUP: []any of maps
//   - REFERENCE: []any of record ids
//
// CREATED/MODIFIED TIME and AUTONUMBER are computed on output. CREATED/MODIFIED USER cells name the
// member who added or last edited the row in the client (AddRecordsAsMember, EditRecordsAsMember);
// they are empty after API writes, which an app makes (creator_name is then the app's name).

// writeTx validates cells of one write call. Options created by select cells are kept pending until the
// whole call is valid, so a rejected call changes nothing.
type writeTx struct {
	h       *Handler
	pending map[*ssField][]*ssOption
}

// cell validates v for field f and returns its normal form; empty reports a value that clears the cell
// (null, "", []).
func (tx *writeTx) cell(f *ssField, v any) (val any, empty bool, err *apiError) {
	k := fieldKinds[f.Type]
	if k.readOnly {
		return nil, false, invalid("field %q (%s) is read-only", f.Title, f.Type)
	}
	if v == nil {
		return nil, true, nil
	}
	bad := func(want string) (any, bool, *apiError) {
		return nil, false, invalid("field %q (%s): value must be %s", f.Title, f.Type, want)
	}
	switch f.Type {
	case "FIELD_TYPE_NUMBER", "FIELD_TYPE_PROGRESS", "FIELD_TYPE_CURRENCY", "FIELD_TYPE_PERCENTAGE":
		n, isNum := v.(float64)
		if !isNum {
			return bad("a number")
		}
		return n, false, nil
	case "FIELD_TYPE_CHECKBOX":
		b, isBool := v.(bool)
		if !isBool {
			return bad("true or false")
		}
		return b, false, nil
	case "FIELD_TYPE_DATE_TIME":
		s, isStr := v.(string)
		if !isStr {
			return bad(`a string of a millisecond timestamp, e.g. "1715846245084"`)
		}
		if s == "" {
			return nil, true, nil
		}
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return bad(`a string of a millisecond timestamp, e.g. "1715846245084"`)
		}
		return s, false, nil
	case "FIELD_TYPE_PHONE_NUMBER", "FIELD_TYPE_EMAIL", "FIELD_TYPE_BARCODE":
		s, isStr := v.(string)
		if !isStr {
			return bad("a string")
		}
		return s, s == "", nil
	}
	arr, isArr := v.([]any)
	if !isArr {
		return bad("an array")
	}
	if len(arr) == 0 {
		return nil, true, nil
	}
	switch f.Type {
	case "FIELD_TYPE_TEXT", "FIELD_TYPE_URL":
		if f.Type == "FIELD_TYPE_URL" && len(arr) > 1 {
			return bad("one link")
		}
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			m, isMap := e.(map[string]any)
			typ, _ := m["type"].(string)
			text, textOK := m["text"].(string)
			link, _ := m["link"].(string)
			switch {
			case !isMap || !textOK:
				return bad(`[{"type":"text","text":"…"}]`)
			case typ == "text" && f.Type == "FIELD_TYPE_TEXT":
				out = append(out, map[string]any{"type": "text", "text": text})
			case typ == "url" && link != "":
				out = append(out, map[string]any{"type": "url", "text": text, "link": link})
			default:
				return bad(`segments of type "text" or "url" (with a link)`)
			}
		}
		return out, false, nil
	case "FIELD_TYPE_SELECT", "FIELD_TYPE_SINGLE_SELECT":
		if f.Type == "FIELD_TYPE_SINGLE_SELECT" && len(arr) > 1 {
			return bad("one option")
		}
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			m, _ := e.(map[string]any)
			o, err := tx.option(f, m)
			if err != nil {
				return nil, false, err
			}
			if !slices.Contains(out, any(o.ID)) {
				out = append(out, o.ID)
			}
		}
		return out, false, nil
	case "FIELD_TYPE_USER":
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			m, _ := e.(map[string]any)
			id, _ := m["user_id"].(string)
			if tx.h.member(id) == nil {
				return nil, false, invalid("field %q: user_id %q is not a member", f.Title, id)
			}
			out = append(out, map[string]any{"user_id": id})
		}
		return out, false, nil
	case "FIELD_TYPE_REFERENCE":
		for _, e := range arr {
			if _, isStr := e.(string); !isStr {
				return bad("an array of record ids")
			}
		}
		return arr, false, nil
	case "FIELD_TYPE_LOCATION":
		if len(arr) > 1 {
			return bad("one location")
		}
		m, _ := arr[0].(map[string]any)
		_, latOK := m["latitude"].(string)
		_, lngOK := m["longitude"].(string)
		if !latOK || !lngOK {
			return bad(`[{"source_type":1,"id":"…","latitude":"23.10647","longitude":"113.32446","title":"…"}] (lat/lng strings)`)
		}
		return arr, false, nil
	case "FIELD_TYPE_IMAGE":
		for _, e := range arr {
			m, _ := e.(map[string]any)
			if u, _ := m["image_url"].(string); u == "" {
				return bad(`[{"image_url":"…"}]`)
			}
		}
		return arr, false, nil
	default: // ATTACHMENT, WWGROUP
		for _, e := range arr {
			if _, isMap := e.(map[string]any); !isMap {
				return bad("an array of objects")
			}
		}
		return arr, false, nil
	}
}

// option resolves a select value element: {"id"} picks an existing option; {"text"[,"style"]} matches
// an option by text or creates one.
func (tx *writeTx) option(f *ssField, m map[string]any) (*ssOption, *apiError) {
	all := slices.Concat(f.Options, tx.pending[f])
	if id, _ := m["id"].(string); id != "" {
		if i := slices.IndexFunc(all, func(o *ssOption) bool { return o.ID == id }); i >= 0 {
			return all[i], nil
		}
		return nil, invalid("field %q: no option with id %q", f.Title, id)
	}
	text, _ := m["text"].(string)
	if text == "" {
		return nil, invalid(`field %q: option needs "id" or "text"`, f.Title)
	}
	if i := slices.IndexFunc(all, func(o *ssOption) bool { return o.Text == text }); i >= 0 {
		return all[i], nil
	}
	style, _ := m["style"].(float64)
	o := tx.h.newOption(f, tx.pending[f], "", text, int(style))
	if tx.pending == nil {
		tx.pending = map[*ssField][]*ssOption{}
	}
	tx.pending[f] = append(tx.pending[f], o)
	return o, nil
}

func (tx *writeTx) commit() {
	for f, opts := range tx.pending {
		f.Options = append(f.Options, opts...)
	}
}

// outValue renders a stored (or computed) cell for get_records; ok is false for an empty cell.
func outValue(f *ssField, rec *ssRecord) (any, bool) {
	switch f.Type {
	case "FIELD_TYPE_CREATED_TIME":
		return strconv.FormatInt(rec.CreateTime, 10), true
	case "FIELD_TYPE_MODIFIED_TIME":
		return strconv.FormatInt(rec.UpdateTime, 10), true
	case "FIELD_TYPE_AUTONUMBER":
		return []any{map[string]any{"seq": strconv.FormatInt(rec.Serial, 10), "text": autoNumberText(f, rec)}}, true
	case "FIELD_TYPE_CREATED_USER", "FIELD_TYPE_MODIFIED_USER":
		id := rec.CreatorID
		if f.Type == "FIELD_TYPE_MODIFIED_USER" {
			id = rec.UpdaterID
		}
		return []any{map[string]any{"user_id": id}}, id != ""
	}
	v, has := rec.Values[f.ID]
	if !has {
		return nil, false
	}
	if fieldKinds[f.Type].selection {
		ids, _ := v.([]any)
		out := make([]any, 0, len(ids))
		for _, id := range ids {
			if i := slices.IndexFunc(f.Options, func(o *ssOption) bool { return o.ID == id }); i >= 0 {
				out = append(out, f.Options[i])
			}
		}
		return out, len(out) > 0
	}
	return v, true
}

// autoNumberText formats an AUTONUMBER cell from its rules (NUMBER_TYPE_CUSTOM) or as the plain number.
func autoNumberText(f *ssField, rec *ssRecord) string {
	seq := strconv.FormatInt(rec.Serial, 10)
	var p struct {
		Type  string `json:"type"`
		Rules []struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"rules"`
	}
	if len(f.Props) == 0 || json.Unmarshal(f.Props, &p) != nil || p.Type != "NUMBER_TYPE_CUSTOM" {
		return seq
	}
	var b strings.Builder
	created := time.UnixMilli(rec.CreateTime).In(beijing)
	for _, r := range p.Rules {
		switch r.Type {
		case "NUMBER_RULE_TYPE_INCR":
			digits, _ := strconv.Atoi(r.Value)
			fmt.Fprintf(&b, "%0*d", digits, rec.Serial)
		case "NUMBER_RULE_TYPE_FIXED_CHAR":
			b.WriteString(r.Value)
		case "NUMBER_RULE_TYPE_TIME":
			layout := strings.NewReplacer("YYYY", "2006", "MM", "01", "DD", "02").Replace(r.Value)
			b.WriteString(created.Format(layout))
		}
	}
	return b.String()
}

// cellText is a cell as plain text, for string filters, sorting and the HTML page.
func cellText(f *ssField, rec *ssRecord) string {
	v, has := outValue(f, rec)
	if !has {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			switch y := e.(type) {
			case string:
				parts = append(parts, y)
			case *ssOption:
				parts = append(parts, y.Text)
			case map[string]any:
				for _, k := range []string{"text", "title", "user_id", "name", "image_url"} {
					if s, isStr := y[k].(string); isStr {
						parts = append(parts, s)
						break
					}
				}
			}
		}
		sep := ","
		if f.Type == "FIELD_TYPE_TEXT" {
			sep = ""
		}
		return strings.Join(parts, sep)
	}
	return fmt.Sprint(v)
}
