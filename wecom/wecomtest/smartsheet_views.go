package wecomtest

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
)

const maxViews = 200 // per sheet

// ssView is a view (视图). The property objects are kept as sent.
type ssView struct {
	ID       string          `json:"view_id"`
	Title    string          `json:"view_title"`
	Type     string          `json:"view_type"`
	Property json.RawMessage `json:"property,omitempty"`
	Gantt    json.RawMessage `json:"property_gantt,omitempty"`
	Calendar json.RawMessage `json:"property_calendar,omitempty"`
}

var viewTypes = []string{"VIEW_TYPE_GRID", "VIEW_TYPE_KANBAN", "VIEW_TYPE_GALLERY", "VIEW_TYPE_GANTT", "VIEW_TYPE_CALENDAR"}

func (s *ssSheet) viewByID(id string) *ssView {
	for _, v := range s.Views {
		if v.ID == id {
			return v
		}
	}
	return nil
}

func (s *ssSheet) viewTitleTaken(title string, except *ssView) bool {
	return slices.ContainsFunc(s.Views, func(v *ssView) bool { return v != except && v.Title == title })
}

func (h *Handler) viewID(s *ssSheet) string {
	return h.uniqueID("v", 5, func(id string) bool { return s.viewByID(id) != nil })
}

// checkDateRange validates property_gantt / property_calendar: both field ids name date columns.
func checkDateRange(s *ssSheet, name string, raw json.RawMessage) *apiError {
	var p struct {
		Start string `json:"start_date_field_id"`
		End   string `json:"end_date_field_id"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil {
		return invalid("%s with start_date_field_id and end_date_field_id is required", name)
	}
	for _, id := range []string{p.Start, p.End} {
		f := s.fieldByID(id)
		if f == nil || (f.Type != "FIELD_TYPE_DATE_TIME" && f.Type != "FIELD_TYPE_CREATED_TIME" && f.Type != "FIELD_TYPE_MODIFIED_TIME") {
			return invalid("%s: %q is not a date field", name, id)
		}
	}
	return nil
}

// addView serves smartsheet/add_view (添加视图): at most 200 views per sheet; gantt and calendar views
// need their date-range property.
func (h *Handler) addView(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID    string          `json:"docid"`
		SheetID  string          `json:"sheet_id"`
		Title    string          `json:"view_title"`
		Type     string          `json:"view_type"`
		Gantt    json.RawMessage `json:"property_gantt"`
		Calendar json.RawMessage `json:"property_calendar"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if !slices.Contains(viewTypes, req.Type) {
		return nil, invalid("invalid view_type %q", req.Type)
	}
	if req.Title == "" {
		return nil, invalid("view_title missing")
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, err
	}
	switch {
	case len(s.Views) >= maxViews:
		return nil, invalid("too many views: a sheet has at most %d", maxViews)
	case s.viewTitleTaken(req.Title, nil):
		return nil, invalid("view title %q already exists", req.Title)
	}
	v := &ssView{Title: req.Title, Type: req.Type}
	switch req.Type {
	case "VIEW_TYPE_GANTT":
		if err := checkDateRange(s, "property_gantt", req.Gantt); err != nil {
			return nil, err
		}
		v.Gantt = req.Gantt
	case "VIEW_TYPE_CALENDAR":
		if err := checkDateRange(s, "property_calendar", req.Calendar); err != nil {
			return nil, err
		}
		v.Calendar = req.Calendar
	}
	v.ID = h.viewID(s)
	s.Views = append(s.Views, v)
	h.touch(d, s)
	return viewResp{ok, *v}, nil
}

// viewResp answers add_view/update_view with a copy of the view (encoded after the lock is released).
type viewResp struct {
	base
	View ssView `json:"view"`
}

// getViews serves smartsheet/get_views (获取视图): {total, has_more, next, views}.
func (h *Handler) getViews(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID   string   `json:"docid"`
		SheetID string   `json:"sheet_id"`
		ViewIDs []string `json:"view_ids"`
		Offset  int      `json:"offset"`
		Limit   int      `json:"limit"`
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
	sel := s.Views
	if len(req.ViewIDs) > 0 {
		sel = nil
		for _, id := range req.ViewIDs {
			v := s.viewByID(id)
			if v == nil {
				return nil, invalid("invalid view_id %q", id)
			}
			sel = append(sel, v)
		}
	}
	lo, hi, err := page(req.Offset, req.Limit, len(sel))
	if err != nil {
		return nil, err
	}
	views := make([]ssView, 0, hi-lo)
	for _, v := range sel[lo:hi] {
		views = append(views, *v) // copies: the answer is encoded after the lock is released
	}
	return struct {
		base
		Total   int      `json:"total"`
		HasMore bool     `json:"has_more"`
		Next    int      `json:"next"`
		Views   []ssView `json:"views"`
	}{ok, len(sel), hi < len(sel), hi, views}, nil
}

// updateView serves smartsheet/update_view (更新视图): a new title and/or property; a filter_spec inside
// the property is checked like get_records' one, and sort_spec must name existing fields. get_records
// with the view's id applies both.
func (h *Handler) updateView(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID    string          `json:"docid"`
		SheetID  string          `json:"sheet_id"`
		ViewID   string          `json:"view_id"`
		Title    *string         `json:"view_title"`
		Property json.RawMessage `json:"property"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, err
	}
	v := s.viewByID(req.ViewID)
	if v == nil {
		return nil, invalid("invalid view_id %q", req.ViewID)
	}
	if req.Title != nil && (*req.Title == "" || s.viewTitleTaken(*req.Title, v)) {
		return nil, invalid("invalid or duplicate view_title %q", *req.Title)
	}
	if len(req.Property) > 0 {
		var p viewProperty
		if err := json.Unmarshal(req.Property, &p); err != nil {
			return nil, invalid("property must be an object: %v", err)
		}
		if p.Filter != nil {
			if _, err := compileFilter(s, p.Filter, h.now()); err != nil {
				return nil, err
			}
		}
		if p.Sort != nil {
			for _, si := range p.Sort.SortInfos {
				if s.fieldByID(si.FieldID) == nil {
					return nil, invalid("sort_spec: unknown field_id %q", si.FieldID)
				}
			}
		}
		v.Property = req.Property
	}
	if req.Title != nil {
		v.Title = *req.Title
	}
	h.touch(d, s)
	return viewResp{ok, *v}, nil
}

// deleteViews serves smartsheet/delete_views (删除视图). A sheet keeps at least one view.
func (h *Handler) deleteViews(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID   string   `json:"docid"`
		SheetID string   `json:"sheet_id"`
		ViewIDs []string `json:"view_ids"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if len(req.ViewIDs) == 0 {
		return nil, invalid("view_ids is empty")
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, err
	}
	gone, err := deletable(req.ViewIDs, s.Views, func(v *ssView) string { return v.ID }, "view")
	if err != nil {
		return nil, err
	}
	s.Views = slices.DeleteFunc(s.Views, func(v *ssView) bool { return gone[v.ID] })
	h.touch(d, s)
	return ok, nil
}

var (
	currencyTypes = []string{"CNY", "USD", "EUR", "GBP", "JPY", "KRW", "HKD", "MOP", "TWD", "AED", "AUD", "BRL",
		"CAD", "CHF", "IDR", "INR", "MXN", "MYR", "PHP", "PLN", "RUB", "SGD", "THB", "TRY", "VND"}
	dateFormats = []string{`yyyy"年"m"月"d"日"`, `yyyy-mm-dd`, `yyyy/m/d`, `m"月"d"日"`, `yyyy"年"m"月"d"日" dddd`,
		`yyyy"年"m"月"d"日" hh:mm`, `yyyy-mm-dd hh:mm`, `m/d/yyyy`, `d/m/yyyy`}
	enumProps = map[string]map[string][]string{
		"FIELD_TYPE_URL":           {"type": {"LINK_TYPE_PURE_TEXT", "LINK_TYPE_ICON_TEXT"}},
		"FIELD_TYPE_ATTACHMENT":    {"display_mode": {"DISPLAY_MODE_LIST", "DISPLAY_MODE_GRID"}},
		"FIELD_TYPE_LOCATION":      {"input_type": {"LOCATION_INPUT_TYPE_MANUAL", "LOCATION_INPUT_TYPE_AUTO"}},
		"FIELD_TYPE_AUTONUMBER":    {"type": {"NUMBER_TYPE_INCR", "NUMBER_TYPE_CUSTOM"}},
		"FIELD_TYPE_DATE_TIME":     {"format": dateFormats},
		"FIELD_TYPE_CREATED_TIME":  {"format": dateFormats},
		"FIELD_TYPE_MODIFIED_TIME": {"format": dateFormats},
	}
	boolProps = []string{"checked", "auto_fill", "is_multiple", "is_notified", "is_quick_add", "use_separate",
		"mobile_scan_only", "allow_multiple", "reformat_existing_record"}
)

func init() {
	ct := make([]string, len(currencyTypes))
	for i, c := range currencyTypes {
		ct[i] = "CURRENCY_TYPE_" + c
	}
	enumProps["FIELD_TYPE_CURRENCY"] = map[string][]string{"currency_type": ct}
}

// checkProps validates the documented property values of a field type.
func checkProps(d *ssDoc, typ string, m map[string]any) *apiError {
	if v, has := m["decimal_places"]; has {
		n, isNum := v.(float64)
		if !isNum || n != math.Trunc(n) || n < -1 || n > 4 {
			return invalid("decimal_places must be an integer -1…4")
		}
	}
	for _, k := range boolProps {
		if v, has := m[k]; has {
			if _, isBool := v.(bool); !isBool {
				return invalid("%s must be a boolean", k)
			}
		}
	}
	for k, allowed := range enumProps[typ] {
		if v, has := m[k]; has {
			if s, isStr := v.(string); !isStr || !slices.Contains(allowed, s) {
				return invalid("invalid %s %v", k, v)
			}
		}
	}
	switch typ {
	case "FIELD_TYPE_SELECT", "FIELD_TYPE_SINGLE_SELECT":
		if v, has := m["options"]; has {
			if _, isArr := v.([]any); !isArr {
				return invalid("options must be an array")
			}
		}
	case "FIELD_TYPE_AUTONUMBER":
		rules, _ := m["rules"].([]any)
		for _, r := range rules {
			rm, _ := r.(map[string]any)
			t, _ := rm["type"].(string)
			if !slices.Contains([]string{"NUMBER_RULE_TYPE_INCR", "NUMBER_RULE_TYPE_FIXED_CHAR", "NUMBER_RULE_TYPE_TIME"}, t) {
				return invalid("invalid auto number rule type %q", t)
			}
		}
	case "FIELD_TYPE_REFERENCE":
		if sub, has := m["sub_id"].(string); has && sub != "" && d.sheetByID(sub) == nil {
			return invalid("reference sub_id %q is not a sheet of this doc", sub)
		}
	}
	return nil
}
