package wecomtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

const (
	maxFields = 150    // per sheet
	maxRows   = 100000 // per sheet
	maxPage   = 1000   // get_records / get_fields / get_views limit
)

func (s *ssSheet) fieldByID(id string) *ssField {
	for _, f := range s.Fields {
		if f.ID == id {
			return f
		}
	}
	return nil
}

func (s *ssSheet) fieldByTitle(title string) *ssField {
	for _, f := range s.Fields {
		if f.Title == title {
			return f
		}
	}
	return nil
}

func (h *Handler) fieldID(s *ssSheet) string {
	return h.uniqueID("f", 5, func(id string) bool { return s.fieldByID(id) != nil })
}

// ssField is a column. Props is the property_xxx object as the client sent it; for select columns the
// options live in Options (with ids assigned) and replace Props' "options" on output.
type ssField struct {
	ID      string          `json:"field_id"`
	Title   string          `json:"field_title"`
	Type    string          `json:"field_type"`
	Props   json.RawMessage `json:"property,omitempty"`
	Options []*ssOption     `json:"options,omitempty"`
}

type ssOption struct {
	ID    string `json:"id"`
	Text  string `json:"text"`
	Style int    `json:"style"`
}

// fieldKind describes a field type: its property key and whether cells can be written.
type fieldKind struct {
	prop      string
	required  bool // add_fields must carry the property object (添加字段's AddField table marks it required)
	readOnly  bool // computed cells: writing them is an error
	noCreate  bool // cannot be created with add_fields
	selection bool // has options
}

var fieldKinds = map[string]fieldKind{
	"FIELD_TYPE_TEXT":          {},
	"FIELD_TYPE_NUMBER":        {prop: "property_number", required: true},
	"FIELD_TYPE_CHECKBOX":      {prop: "property_checkbox"},
	"FIELD_TYPE_DATE_TIME":     {prop: "property_date_time", required: true},
	"FIELD_TYPE_IMAGE":         {},
	"FIELD_TYPE_ATTACHMENT":    {prop: "property_attachment"},
	"FIELD_TYPE_USER":          {prop: "property_user"},
	"FIELD_TYPE_URL":           {prop: "property_url", required: true},
	"FIELD_TYPE_SELECT":        {prop: "property_select", required: true, selection: true},
	"FIELD_TYPE_SINGLE_SELECT": {prop: "property_single_select", required: true, selection: true},
	"FIELD_TYPE_CREATED_USER":  {readOnly: true},
	"FIELD_TYPE_MODIFIED_USER": {readOnly: true},
	"FIELD_TYPE_CREATED_TIME":  {prop: "property_created_time", required: true, readOnly: true},
	"FIELD_TYPE_MODIFIED_TIME": {prop: "property_modified_time", required: true, readOnly: true},
	"FIELD_TYPE_PROGRESS":      {prop: "property_progress", required: true},
	"FIELD_TYPE_PHONE_NUMBER":  {},
	"FIELD_TYPE_EMAIL":         {},
	"FIELD_TYPE_REFERENCE":     {prop: "property_reference", required: true},
	"FIELD_TYPE_LOCATION":      {prop: "property_location", required: true},
	"FIELD_TYPE_FORMULA":       {readOnly: true, noCreate: true},
	"FIELD_TYPE_CURRENCY":      {prop: "property_currency", required: true},
	"FIELD_TYPE_WWGROUP":       {prop: "property_ww_group"},
	"FIELD_TYPE_AUTONUMBER":    {prop: "property_auto_number", required: true, readOnly: true},
	"FIELD_TYPE_PERCENTAGE":    {prop: "property_percentage"},
	"FIELD_TYPE_BARCODE":       {prop: "property_barcode"},
}

// out renders a field as the API does: field_id, field_title, field_type and its property object.
func (f *ssField) out() map[string]any {
	m := map[string]any{"field_id": f.ID, "field_title": f.Title, "field_type": f.Type}
	k := fieldKinds[f.Type]
	switch {
	case k.selection:
		p := map[string]any{}
		_ = json.Unmarshal(f.Props, &p)
		opts := f.Options
		if opts == nil {
			opts = []*ssOption{}
		}
		p["options"] = opts
		m[k.prop] = p
	case k.prop != "" && len(f.Props) > 0:
		m[k.prop] = f.Props
	}
	return m
}

// fieldInput is one element of add_fields/update_fields "fields": known keys plus property_xxx.
type fieldInput struct {
	ID, Title, Type string
	hasTitle        bool
	propKey         string
	prop            json.RawMessage
}

// hasProp reports whether a property object was sent (null counts as absent).
func (in *fieldInput) hasProp() bool { return len(in.prop) > 0 && string(in.prop) != "null" }

func parseFieldInput(raw map[string]json.RawMessage) (*fieldInput, error) {
	in := &fieldInput{}
	for k, v := range raw {
		var err error
		switch {
		case k == "field_id":
			err = json.Unmarshal(v, &in.ID)
		case k == "field_title":
			in.hasTitle = true
			err = json.Unmarshal(v, &in.Title)
		case k == "field_type":
			err = json.Unmarshal(v, &in.Type)
		case strings.HasPrefix(k, "property_"):
			if in.propKey != "" {
				return nil, invalid("field has both %s and %s", in.propKey, k)
			}
			in.propKey, in.prop = k, v
		}
		if err != nil {
			return nil, invalid("field %s: %v", k, err)
		}
	}
	if _, known := fieldKinds[in.Type]; !known {
		return nil, invalid("invalid field_type %q", in.Type)
	}
	if in.propKey != "" && in.propKey != fieldKinds[in.Type].prop {
		return nil, invalid("%s does not apply to %s", in.propKey, in.Type)
	}
	return in, nil
}

type fieldsReq struct {
	DocID   string                       `json:"docid"`
	SheetID string                       `json:"sheet_id"`
	Fields  []map[string]json.RawMessage `json:"fields"`
}

type fieldsResp struct {
	base
	Fields []map[string]any `json:"fields"`
}

// addFields serves smartsheet/add_fields (添加字段): at most 150 fields per sheet, unique titles, the
// property object present where the field-type table requires it (NUMBER, DATE_TIME, URL, SELECT,
// SINGLE_SELECT, CREATED_TIME, MODIFIED_TIME, PROGRESS, REFERENCE, LOCATION, AUTONUMBER, CURRENCY),
// properties validated and echoed back. All or nothing.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99904
func (h *Handler) addFields(r *http.Request, c *caller) (any, error) {
	var req fieldsReq
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if len(req.Fields) == 0 {
		return nil, invalid("fields is empty")
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, err
	}
	if len(s.Fields)+len(req.Fields) > maxFields {
		return nil, invalid("too many fields: a sheet has at most %d", maxFields)
	}
	added := make([]*ssField, 0, len(req.Fields))
	for _, raw := range req.Fields {
		in, err := parseFieldInput(raw)
		if err != nil {
			return nil, err
		}
		k := fieldKinds[in.Type]
		switch {
		case k.noCreate:
			return nil, invalid("%s cannot be created", in.Type)
		case k.required && !in.hasProp():
			// WeCom's code for a missing required property is not documented; the fake answers
			// 40058 (不合法的参数) like for every other invalid add_fields argument.
			return nil, invalid("field %q: %s is required for %s", in.Title, k.prop, in.Type)
		}
		if in.Title == "" {
			return nil, invalid("field_title missing")
		}
		if s.fieldByTitle(in.Title) != nil || slices.ContainsFunc(added, func(f *ssField) bool { return f.Title == in.Title }) {
			return nil, invalid("field title %q already exists", in.Title)
		}
		f := &ssField{Title: in.Title, Type: in.Type}
		if err := h.setProps(d, f, in.prop); err != nil {
			return nil, err
		}
		added = append(added, f)
	}
	resp := fieldsResp{base: ok}
	for _, f := range added {
		f.ID = h.fieldID(s)
		s.Fields = append(s.Fields, f)
		resp.Fields = append(resp.Fields, f.out())
	}
	h.touch(d, s)
	return resp, nil
}

// setProps validates a property object and stores it in f (assigning option ids). h.mu must be held.
func (h *Handler) setProps(d *ssDoc, f *ssField, prop json.RawMessage) error {
	if len(prop) == 0 || string(prop) == "null" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(prop, &m); err != nil {
		return invalid("%s: property must be an object", f.Title)
	}
	if err := checkProps(d, f.Type, m); err != nil {
		return invalid("%s: %s", f.Title, err.Msg)
	}
	if _, has := m["options"]; has && fieldKinds[f.Type].selection {
		var p struct {
			Options []*ssOption `json:"options"`
		}
		if err := json.Unmarshal(prop, &p); err != nil {
			return invalid("%s: options must be [{\"id\",\"text\",\"style\"}]: %v", f.Title, err)
		}
		var opts []*ssOption
		for _, o := range p.Options {
			if o == nil || o.Text == "" {
				return invalid("%s: option text missing", f.Title)
			}
			if slices.ContainsFunc(opts, func(x *ssOption) bool { return x.Text == o.Text || o.ID != "" && x.ID == o.ID }) {
				return invalid("%s: duplicate option %q", f.Title, o.Text)
			}
			if i := slices.IndexFunc(f.Options, func(x *ssOption) bool { return x.Text == o.Text }); o.ID == "" && i >= 0 {
				o.ID = f.Options[i].ID // an update keeps the id of an option it names by text
			}
			opts = append(opts, h.newOption(f, opts, o.ID, o.Text, o.Style))
		}
		f.Options = opts
		delete(m, "options")
		prop, _ = json.Marshal(m)
	}
	f.Props = prop
	return nil
}

// newOption completes an option: an id unless given, a style 1…27 unless given. h.mu must be held.
func (h *Handler) newOption(f *ssField, others []*ssOption, id, text string, style int) *ssOption {
	if id == "" {
		id = h.uniqueID("", 6, func(id string) bool {
			return slices.ContainsFunc(slices.Concat(f.Options, others), func(o *ssOption) bool { return o.ID == id })
		})
	}
	if style < 1 || style > 27 {
		style = (len(f.Options)+len(others))%27 + 1
	}
	return &ssOption{ID: id, Text: text, Style: style}
}

// getFields serves smartsheet/get_fields (查询字段): filter by field_ids or field_titles, page with
// offset/limit (≤ 1000, 0 → up to 1000). Answers {total, fields} as documented.
func (h *Handler) getFields(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID       string   `json:"docid"`
		SheetID     string   `json:"sheet_id"`
		ViewID      string   `json:"view_id"`
		FieldIDs    []string `json:"field_ids"`
		FieldTitles []string `json:"field_titles"`
		Offset      int      `json:"offset"`
		Limit       int      `json:"limit"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	_, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, err
	}
	if req.ViewID != "" && s.viewByID(req.ViewID) == nil {
		return nil, invalid("invalid view_id %s", req.ViewID)
	}
	sel := s.Fields
	if len(req.FieldIDs) > 0 || len(req.FieldTitles) > 0 {
		sel = nil
		for _, id := range req.FieldIDs {
			f := s.fieldByID(id)
			if f == nil {
				return nil, invalid("invalid field_id %s", id)
			}
			sel = append(sel, f)
		}
		for _, t := range req.FieldTitles {
			f := s.fieldByTitle(t)
			if f == nil {
				return nil, invalid("invalid field_title %q", t)
			}
			sel = append(sel, f)
		}
	}
	lo, hi, err := page(req.Offset, req.Limit, len(sel))
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, hi-lo)
	for _, f := range sel[lo:hi] {
		out = append(out, f.out())
	}
	return struct {
		base
		Total  int              `json:"total"`
		Fields []map[string]any `json:"fields"`
	}{ok, len(sel), out}, nil
}

// page checks offset/limit and returns the slice bounds within n items.
func page(offset, limit, n int) (lo, hi int, err error) {
	switch {
	case offset < 0:
		return 0, 0, invalid("invalid offset %d", offset)
	case limit < 0 || limit > maxPage:
		return 0, 0, invalid("invalid limit %d: 0…%d", limit, maxPage)
	case limit == 0:
		limit = maxPage
	}
	lo = min(offset, n)
	return lo, min(lo+limit, n), nil
}

// updateFields serves smartsheet/update_fields (更新字段): the type cannot change, a field needs a new
// title or a property object, and setting a title to its current value is rejected, as documented.
// All or nothing.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99906
func (h *Handler) updateFields(r *http.Request, c *caller) (any, error) {
	var req fieldsReq
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if len(req.Fields) == 0 {
		return nil, invalid("fields is empty")
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, err
	}
	type change struct {
		f    *ssField
		next ssField
	}
	var changes []change
	renamed := map[string]bool{}
	for _, raw := range req.Fields {
		in, err := parseFieldInput(raw)
		if err != nil {
			return nil, err
		}
		f := s.fieldByID(in.ID)
		switch {
		case f == nil:
			return nil, invalid("invalid field_id %q", in.ID)
		case in.Type != f.Type:
			return nil, invalid("field %s: field_type cannot change from %s", f.ID, f.Type)
		case !in.hasTitle && !in.hasProp():
			return nil, invalid("field %s: field_title or %s is required (更新时field_title和property至少需要传一个)", f.ID, fieldKinds[f.Type].prop)
		case in.hasTitle && in.Title == f.Title:
			return nil, invalid("field %s: field_title is unchanged", f.ID)
		case in.hasTitle && in.Title == "":
			return nil, invalid("field %s: field_title is empty", f.ID)
		case in.hasTitle && (s.fieldByTitle(in.Title) != nil || renamed[in.Title]):
			return nil, invalid("field title %q already exists", in.Title)
		}
		renamed[in.Title] = in.hasTitle
		next := *f
		if in.hasTitle {
			next.Title = in.Title
		}
		if in.prop != nil {
			next.Props = nil
			if err := h.setProps(d, &next, in.prop); err != nil {
				return nil, err
			}
		}
		changes = append(changes, change{f, next})
	}
	resp := fieldsResp{base: ok}
	for _, ch := range changes {
		*ch.f = ch.next
		resp.Fields = append(resp.Fields, ch.f.out())
	}
	h.touch(d, s)
	return resp, nil
}

// deleteFields serves smartsheet/delete_fields (删除字段). A sheet keeps at least one field.
func (h *Handler) deleteFields(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID    string   `json:"docid"`
		SheetID  string   `json:"sheet_id"`
		FieldIDs []string `json:"field_ids"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if len(req.FieldIDs) == 0 {
		return nil, invalid("field_ids is empty")
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, err
	}
	gone, err := deletable(req.FieldIDs, s.Fields, func(f *ssField) string { return f.ID }, "field")
	if err != nil {
		return nil, err
	}
	s.Fields = slices.DeleteFunc(s.Fields, func(f *ssField) bool { return gone[f.ID] })
	s.dropFields(gone) // the journal replays this from the field list: no record lines
	h.touch(d, s)
	return ok, nil
}

// deletable checks the ids of a delete_fields or delete_views call: every id must exist, and the
// sheet must keep at least one of what (a field or a view). It returns the ids as a set.
func deletable[T any](ids []string, have []T, idOf func(T) string, what string) (map[string]bool, error) {
	exists := make(map[string]bool, len(have))
	for _, x := range have {
		exists[idOf(x)] = true
	}
	gone := map[string]bool{}
	for _, id := range ids {
		if !exists[id] {
			return nil, invalid("invalid %s_id %q", what, id)
		}
		gone[id] = true
	}
	if len(gone) >= len(have) {
		return nil, invalid("a sheet must keep at least one %s", what)
	}
	return gone, nil
}
