package wecomtest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
)

const maxWriteBatch = 1000 // records per add/update/delete call: undocumented upstream (≤500 advised)

// ssRecord is a row. Times are Unix milliseconds; Values are keyed by field id. A record is never
// modified once stored: writes store a new one (see ssSheet).
type ssRecord struct {
	ID         string         `json:"record_id"`
	CreateTime int64          `json:"create_time"`
	UpdateTime int64          `json:"update_time"`
	Creator    string         `json:"creator_name"`
	Updater    string         `json:"updater_name"`
	CreatorID  string         `json:"creator_userid,omitempty"` // a member who added the row in the client
	UpdaterID  string         `json:"updater_userid,omitempty"` // a member who last edited it
	Serial     int64          `json:"serial"`
	Values     map[string]any `json:"values"`
}

const (
	keyTitle = "CELL_VALUE_KEY_TYPE_FIELD_TITLE"
	keyID    = "CELL_VALUE_KEY_TYPE_FIELD_ID"
)

// keyer maps value keys to fields for one call.
type keyer struct {
	byID bool
	s    *ssSheet
}

func newKeyer(s *ssSheet, keyType string) (keyer, error) {
	switch keyType {
	case "", keyTitle:
		return keyer{s: s}, nil
	case keyID:
		return keyer{s: s, byID: true}, nil
	}
	return keyer{}, invalid("invalid key_type %q", keyType)
}

func (k keyer) field(key string) *ssField {
	if k.byID {
		return k.s.fieldByID(key)
	}
	return k.s.fieldByTitle(key)
}

func (k keyer) key(f *ssField) string {
	if k.byID {
		return f.ID
	}
	return f.Title
}

type recordIn struct {
	RecordID string         `json:"record_id"`
	Values   map[string]any `json:"values"`
}

type recordsReq struct {
	DocID   string     `json:"docid"`
	SheetID string     `json:"sheet_id"`
	KeyType string     `json:"key_type"`
	Records []recordIn `json:"records"`
}

type recordOut struct {
	RecordID    string         `json:"record_id"`
	CreateTime  string         `json:"create_time,omitempty"`
	UpdateTime  string         `json:"update_time,omitempty"`
	Values      map[string]any `json:"values"`
	CreatorName string         `json:"creator_name,omitempty"`
	UpdaterName string         `json:"updater_name,omitempty"`
}

type recordsResp struct {
	base
	Records []recordOut `json:"records"`
}

// decodeRecords decodes a records write and checks its batch size.
func decodeRecords(r *http.Request) (*recordsReq, error) {
	var req recordsReq
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if len(req.Records) == 0 || len(req.Records) > maxWriteBatch {
		return nil, invalid("records must hold 1…%d records", maxWriteBatch)
	}
	return &req, nil
}

// writeTarget resolves a records write: document, sheet, key type and (for updates) record ids.
// h.mu must be held.
func (h *Handler) writeTarget(c *caller, req *recordsReq, needIDs bool) (*ssDoc, *ssSheet, keyer, error) {
	d, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, nil, keyer{}, err
	}
	k, err := newKeyer(s, req.KeyType)
	if err != nil {
		return nil, nil, keyer{}, err
	}
	if needIDs {
		for _, in := range req.Records {
			if s.rec(in.RecordID) == nil {
				return nil, nil, keyer{}, invalid("invalid record_id %q", in.RecordID)
			}
		}
	}
	return d, s, k, nil
}

// addRecords serves smartsheet/add_records (添加记录): all or nothing; a sheet holds at most 100,000 rows.
func (h *Handler) addRecords(r *http.Request, c *caller) (any, error) {
	req, err := decodeRecords(r)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, k, err := h.writeTarget(c, req, false)
	if err != nil {
		return nil, err
	}
	vals := make([]map[string]any, len(req.Records))
	for i, in := range req.Records {
		vals[i] = in.Values
	}
	recs, norm, err := h.insertRecords(d, s, k, vals, appActor(c))
	if err != nil {
		return nil, err
	}
	resp := recordsResp{base: ok, Records: make([]recordOut, len(recs))}
	for i, rec := range recs {
		resp.Records[i] = recordOut{RecordID: rec.ID, Values: written(k, rec, norm[i])}
	}
	return resp, nil
}

// updateRecords serves smartsheet/update_records (更新记录): only the listed cells change; an empty value
// clears a cell.
func (h *Handler) updateRecords(r *http.Request, c *caller) (any, error) {
	req, err := decodeRecords(r)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, k, err := h.writeTarget(c, req, true)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(req.Records))
	vals := make([]map[string]any, len(req.Records))
	for i, in := range req.Records {
		ids[i], vals[i] = in.RecordID, in.Values
	}
	recs, norm, err := h.changeRecords(d, s, k, ids, vals, appActor(c))
	if err != nil {
		return nil, err
	}
	resp := recordsResp{base: ok, Records: make([]recordOut, len(recs))}
	for i, rec := range recs {
		resp.Records[i] = recordOut{RecordID: rec.ID, Values: written(k, rec, norm[i])}
	}
	return resp, nil
}

// deleteRecords serves smartsheet/delete_records (删除记录). Every id must exist.
func (h *Handler) deleteRecords(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID     string   `json:"docid"`
		SheetID   string   `json:"sheet_id"`
		RecordIDs []string `json:"record_ids"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if len(req.RecordIDs) == 0 || len(req.RecordIDs) > maxWriteBatch {
		return nil, invalid("record_ids must hold 1…%d ids", maxWriteBatch)
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, err
	}
	if err := h.removeRecords(d, s, req.RecordIDs); err != nil {
		return nil, err
	}
	return ok, nil
}

type sortSpec struct {
	FieldTitle string `json:"field_title"`
	Desc       bool   `json:"desc"`
}

type getRecordsReq struct {
	DocID       string      `json:"docid"`
	SheetID     string      `json:"sheet_id"`
	ViewID      string      `json:"view_id"`
	RecordIDs   []string    `json:"record_ids"`
	KeyType     string      `json:"key_type"`
	FieldTitles []string    `json:"field_titles"`
	FieldIDs    []string    `json:"field_ids"`
	Sort        []sortSpec  `json:"sort"`
	Offset      int         `json:"offset"`
	Limit       int         `json:"limit"`
	Ver         int64       `json:"ver"`
	Filter      *filterSpec `json:"filter_spec"`
}

// getRecords serves smartsheet/get_records (查询记录): record_ids (unknown ids are skipped), field
// selection (field_titles with title keys, field_ids with id keys), sort or filter_spec (not both),
// offset/limit paging. With view_id only the view's records are answered, in the view's order: its
// filter_spec applies (and the request's on top of it) and its sort_spec orders them unless the
// request has a sort. ver is answered, not checked.
func (h *Handler) getRecords(r *http.Request, c *caller) (any, error) {
	var req getRecordsReq
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if req.Filter != nil && len(req.Sort) > 0 {
		return nil, invalid("filter_spec cannot be combined with sort")
	}
	h.mu.Lock()
	defer h.unlock()
	_, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, err
	}
	k, err := newKeyer(s, req.KeyType)
	if err != nil {
		return nil, err
	}
	var viewMatch predicate
	var viewSort []sortSpec
	if req.ViewID != "" {
		v := s.viewByID(req.ViewID)
		if v == nil {
			return nil, invalid("invalid view_id %s", req.ViewID)
		}
		if viewMatch, viewSort, err = viewQuery(s, v, h.now()); err != nil {
			return nil, err
		}
	}
	sel := req.FieldTitles
	if k.byID {
		sel = req.FieldIDs
	}
	fields, err := pickFields(k, sel)
	if err != nil {
		return nil, err
	}
	recs := s.Records
	if len(req.RecordIDs) > 0 {
		recs = make([]*ssRecord, 0, len(req.RecordIDs))
		for _, id := range req.RecordIDs {
			if rec := s.rec(id); rec != nil {
				recs = append(recs, rec)
			}
		}
	}
	filters := []predicate{viewMatch}
	if req.Filter != nil {
		match, err := compileFilter(s, req.Filter, h.now())
		if err != nil {
			return nil, err
		}
		filters = append(filters, match)
	}
	for _, match := range filters {
		if match != nil {
			recs = slices.DeleteFunc(slices.Clone(recs), func(rec *ssRecord) bool { return !match(rec) })
		}
	}
	sorts := req.Sort
	if len(sorts) == 0 {
		sorts = viewSort
	}
	if len(sorts) > 0 {
		if recs, err = sortRecords(s, recs, sorts); err != nil {
			return nil, err
		}
	}
	lo, hi, err := page(req.Offset, req.Limit, len(recs))
	if err != nil {
		return nil, err
	}
	out := make([]recordOut, 0, hi-lo)
	for _, rec := range recs[lo:hi] {
		o := recordOut{RecordID: rec.ID, CreateTime: strconv.FormatInt(rec.CreateTime, 10),
			UpdateTime: strconv.FormatInt(rec.UpdateTime, 10), CreatorName: rec.Creator, UpdaterName: rec.Updater,
			Values: make(map[string]any, len(fields))}
		for _, f := range fields {
			if v, has := outValue(f, rec); has {
				o.Values[k.key(f)] = v
			}
		}
		out = append(out, o)
	}
	return struct {
		base
		Total   int         `json:"total"`
		HasMore bool        `json:"has_more"`
		Next    int         `json:"next"`
		Records []recordOut `json:"records"`
		Ver     int64       `json:"ver"`
	}{ok, len(recs), hi < len(recs), hi, out, s.Ver}, nil
}

// pickFields resolves a field selection (all fields when empty).
func pickFields(k keyer, keys []string) ([]*ssField, error) {
	if len(keys) == 0 {
		return k.s.Fields, nil
	}
	out := make([]*ssField, 0, len(keys))
	for _, key := range keys {
		f := k.field(key)
		if f == nil {
			return nil, invalid("unknown field %q", key)
		}
		out = append(out, f)
	}
	return out, nil
}

// sortRecords orders records by the sort items (field_title + desc). Empty cells sort last either way;
// numbers, dates and checkboxes compare as numbers, everything else as text.
func sortRecords(s *ssSheet, recs []*ssRecord, spec []sortSpec) ([]*ssRecord, error) {
	type key struct {
		f    *ssField
		desc bool
	}
	keys := make([]key, len(spec))
	for i, sp := range spec {
		f := s.fieldByTitle(sp.FieldTitle)
		if f == nil {
			return nil, invalid("sort: unknown field_title %q", sp.FieldTitle)
		}
		keys[i] = key{f, sp.Desc}
	}
	out := slices.Clone(recs)
	slices.SortStableFunc(out, func(a, b *ssRecord) int {
		for _, k := range keys {
			va, oka := sortValue(k.f, a)
			vb, okb := sortValue(k.f, b)
			var c int
			switch {
			case !oka || !okb:
				c = cmp.Compare(boolInt(!oka), boolInt(!okb)) // empty last, not reversed by desc
			case k.desc:
				c = -compareSort(va, vb)
			default:
				c = compareSort(va, vb)
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sortValue is a float64 for numeric columns, a string otherwise.
func sortValue(f *ssField, rec *ssRecord) (any, bool) {
	if n, numeric, has := numericValue(f, rec); numeric {
		return n, has
	}
	t := cellText(f, rec)
	return t, t != ""
}

func compareSort(a, b any) int {
	if x, isNum := a.(float64); isNum {
		return cmp.Compare(x, b.(float64))
	}
	return cmp.Compare(a.(string), b.(string))
}

// numericValue returns a cell as a number for numeric, date and checkbox columns.
func numericValue(f *ssField, rec *ssRecord) (n float64, numeric, has bool) {
	switch f.Type {
	case "FIELD_TYPE_NUMBER", "FIELD_TYPE_PROGRESS", "FIELD_TYPE_CURRENCY", "FIELD_TYPE_PERCENTAGE":
		x, has := rec.Values[f.ID].(float64)
		return x, true, has
	case "FIELD_TYPE_CHECKBOX":
		b, _ := rec.Values[f.ID].(bool)
		return float64(boolInt(b)), true, true
	case "FIELD_TYPE_AUTONUMBER":
		return float64(rec.Serial), true, true
	case "FIELD_TYPE_DATE_TIME", "FIELD_TYPE_CREATED_TIME", "FIELD_TYPE_MODIFIED_TIME":
		ms, has := dateValue(f, rec)
		return float64(ms), true, has
	}
	return 0, false, false
}

// dateValue returns a date cell in Unix milliseconds.
func dateValue(f *ssField, rec *ssRecord) (int64, bool) {
	switch f.Type {
	case "FIELD_TYPE_CREATED_TIME":
		return rec.CreateTime, true
	case "FIELD_TYPE_MODIFIED_TIME":
		return rec.UpdateTime, true
	}
	s, _ := rec.Values[f.ID].(string)
	ms, err := strconv.ParseInt(s, 10, 64)
	return ms, err == nil
}
