package smartsheet

import (
	"context"
	"encoding/json"
	"iter"
)

// ViewType is a view type.
type ViewType string

// View types.
const (
	ViewGrid     ViewType = "VIEW_TYPE_GRID"     // 表格视图
	ViewKanban   ViewType = "VIEW_TYPE_KANBAN"   // 看板视图
	ViewGallery  ViewType = "VIEW_TYPE_GALLERY"  // 画册视图
	ViewGantt    ViewType = "VIEW_TYPE_GANTT"    // 甘特视图
	ViewCalendar ViewType = "VIEW_TYPE_CALENDAR" // 日历视图
)

// View is a view (视图) of a sub-sheet.
type View struct {
	ID       string        `json:"view_id"`
	Title    string        `json:"view_title"`
	Type     ViewType      `json:"view_type"`
	Property *ViewProperty `json:"property,omitempty"`
	Gantt    *DateRange    `json:"property_gantt,omitempty"`
	Calendar *DateRange    `json:"property_calendar,omitempty"`
}

// DateRange names the start and end date columns of a Gantt or calendar view.
type DateRange struct {
	StartFieldID string `json:"start_date_field_id"`
	EndFieldID   string `json:"end_date_field_id"`
}

// ViewProperty is a view's settings (update_view property). Nil fields are left unchanged.
type ViewProperty struct {
	AutoSort           *bool           `json:"auto_sort,omitempty"`
	SortSpec           *SortSpec       `json:"sort_spec,omitempty"`
	FilterSpec         *FilterSpec     `json:"filter_spec,omitempty"`
	GroupSpec          *GroupSpec      `json:"group_spec,omitempty"`
	IsFieldStatEnabled *bool           `json:"is_field_stat_enabled,omitempty"`
	FieldVisibility    map[string]bool `json:"field_visibility,omitempty"` // field id → shown
	FrozenFieldCount   *int            `json:"frozen_field_count,omitempty"`
	ColorConfig        *ColorConfig    `json:"color_config,omitempty"`
}

// SortSpec orders a view.
type SortSpec struct {
	SortInfos []FieldOrder `json:"sort_infos"`
}

// GroupSpec groups a view's rows.
type GroupSpec struct {
	Groups []FieldOrder `json:"groups"`
}

// FieldOrder is a column (by id) and a direction.
type FieldOrder struct {
	FieldID string `json:"field_id"`
	Desc    bool   `json:"desc"`
}

// ColorConfig colours rows, columns or cells of a view.
type ColorConfig struct {
	Conditions []ColorCondition `json:"conditions"`
}

// ColorCondition is one colouring rule. Color is a palette name such as "chromeAmberLighten_5"
// (fillColorGray, accentBlueLighten, chromeCyan/Mint/Red/Orange/Amber/Violet/PinkLighten with _3, _4
// or _5). Condition's shape is not documented and is passed through as JSON.
type ColorCondition struct {
	ID        string          `json:"id,omitempty"`
	Type      string          `json:"type"` // VIEW_COLOR_CONDITION_TYPE_ROW, _COLUMN or _CELL
	Color     string          `json:"color"`
	Condition json.RawMessage `json:"condition,omitempty"`
}

// AddViewRequest is the input to [Client.AddView]. Gantt views need Gantt, calendar views Calendar.
type AddViewRequest struct {
	Title    string
	Type     ViewType
	Gantt    *DateRange
	Calendar *DateRange
}

// AddView adds a view (添加视图); a sheet holds at most 200 views.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99900
func (c *Client) AddView(ctx context.Context, docID, sheetID string, req *AddViewRequest) (*View, error) {
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	if req == nil || req.Title == "" || req.Type == "" {
		return nil, invalidf("AddView: need a title and a type")
	}
	body := struct {
		DocID    string     `json:"docid"`
		SheetID  string     `json:"sheet_id"`
		Title    string     `json:"view_title"`
		Type     ViewType   `json:"view_type"`
		Gantt    *DateRange `json:"property_gantt,omitempty"`
		Calendar *DateRange `json:"property_calendar,omitempty"`
	}{docID, sheetID, req.Title, req.Type, req.Gantt, req.Calendar}
	var resp struct {
		View View `json:"view"`
	}
	if err := c.post(ctx, "smartsheet/add_view", body, &resp, false); err != nil {
		return nil, err
	}
	return &resp.View, nil
}

// UpdateViewRequest is the input to [Client.UpdateView]: a new Title and/or Property.
type UpdateViewRequest struct {
	ViewID   string
	Title    string // empty: unchanged
	Property *ViewProperty
}

// UpdateView changes a view's title or settings (更新视图). Build Property.FilterSpec with
// [Client.ResolveFilter].
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99902
func (c *Client) UpdateView(ctx context.Context, docID, sheetID string, req *UpdateViewRequest) (*View, error) {
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	if req == nil || req.ViewID == "" || req.Title == "" && req.Property == nil {
		return nil, invalidf("UpdateView: need a view id and a title or property")
	}
	body := struct {
		DocID    string        `json:"docid"`
		SheetID  string        `json:"sheet_id"`
		ViewID   string        `json:"view_id"`
		Title    string        `json:"view_title,omitempty"`
		Property *ViewProperty `json:"property,omitempty"`
	}{docID, sheetID, req.ViewID, req.Title, req.Property}
	var resp struct {
		View *View `json:"view"`
	}
	if err := c.post(ctx, "smartsheet/update_view", body, &resp, true); err != nil {
		return nil, err
	}
	if resp.View == nil {
		return &View{ID: req.ViewID, Title: req.Title, Property: req.Property}, nil
	}
	return resp.View, nil
}

// DeleteViews deletes views by id (删除视图).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99901
func (c *Client) DeleteViews(ctx context.Context, docID, sheetID string, viewIDs ...string) error {
	if err := checkIDs(docID, sheetID); err != nil {
		return err
	}
	if len(viewIDs) == 0 {
		return invalidf("DeleteViews: no view ids")
	}
	body := struct {
		DocID   string   `json:"docid"`
		SheetID string   `json:"sheet_id"`
		ViewIDs []string `json:"view_ids"`
	}{docID, sheetID, viewIDs}
	return c.post(ctx, "smartsheet/delete_views", body, nil, false)
}

// ViewQuery selects views for [Client.GetViews] and [Client.Views]. nil selects all.
type ViewQuery struct {
	ViewIDs []string
	Offset  int
	Limit   int // 1…1000; 0 → 1000
}

// ViewPage is one get_views answer.
type ViewPage struct {
	Total   int
	HasMore bool
	Next    int
	Views   []View
}

// GetViews reads one page of a sheet's views (获取视图). q may be nil.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/101155
func (c *Client) GetViews(ctx context.Context, docID, sheetID string, q *ViewQuery) (*ViewPage, error) {
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	if q == nil {
		q = &ViewQuery{}
	}
	limit, err := pageLimit("GetViews", q.Offset, q.Limit)
	if err != nil {
		return nil, err
	}
	body := struct {
		DocID   string   `json:"docid"`
		SheetID string   `json:"sheet_id"`
		ViewIDs []string `json:"view_ids,omitempty"`
		Offset  int      `json:"offset"`
		Limit   int      `json:"limit"`
	}{docID, sheetID, q.ViewIDs, q.Offset, limit}
	var resp struct {
		Total   int               `json:"total"`
		HasMore bool              `json:"has_more"`
		Next    int               `json:"next"`
		Views   []json.RawMessage `json:"views"`
	}
	if err := c.post(ctx, "smartsheet/get_views", body, &resp, true); err != nil {
		return nil, err
	}
	page := &ViewPage{Total: resp.Total, HasMore: resp.HasMore, Next: resp.Next}
	for _, raw := range resp.Views {
		var v View
		if json.Unmarshal(raw, &v) != nil { // an odd property: keep id, title and type
			var basic struct {
				ID    string   `json:"view_id"`
				Title string   `json:"view_title"`
				Type  ViewType `json:"view_type"`
			}
			_ = json.Unmarshal(raw, &basic)
			v = View{ID: basic.ID, Title: basic.Title, Type: basic.Type}
		}
		page.Views = append(page.Views, v)
	}
	return page, nil
}

// Views iterates over a sheet's views, reading pages lazily. q may be nil.
func (c *Client) Views(ctx context.Context, docID, sheetID string, q *ViewQuery) iter.Seq2[View, error] {
	return func(yield func(View, error) bool) {
		var qq ViewQuery
		if q != nil {
			qq = *q
		}
		for {
			page, err := c.GetViews(ctx, docID, sheetID, &qq)
			if err != nil {
				yield(View{}, err)
				return
			}
			for _, v := range page.Views {
				if !yield(v, nil) {
					return
				}
			}
			if !page.HasMore || len(page.Views) == 0 {
				return
			}
			qq.Offset = max(page.Next, qq.Offset+len(page.Views))
		}
	}
}
