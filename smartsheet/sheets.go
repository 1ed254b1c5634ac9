package smartsheet

import (
	"context"
)

// SheetType is a sub-sheet type.
type SheetType string

// Sub-sheet types.
const (
	SheetSmartsheet SheetType = "smartsheet"
	SheetDashboard  SheetType = "dashboard"
	SheetExternal   SheetType = "external"
)

// Sheet is a sub-sheet (子表) of a smart sheet document.
type Sheet struct {
	ID      string    `json:"sheet_id"`
	Title   string    `json:"title"`
	Index   int       `json:"index"` // position; answered by add_sheet only
	Visible bool      `json:"is_visible"`
	Type    SheetType `json:"type"`
}

// AddSheetRequest is the input to [Client.AddSheet].
type AddSheetRequest struct {
	Title string
	Index *int // position among the sub-sheets; nil appends
}

// AddSheet adds a sub-sheet (添加子表). The new sub-sheet is empty: no fields (columns), no views
// and no records. Add its columns with [Client.AddFields] (or [Table.EnsureSchema]) and, where a
// view is needed (e.g. for a view_id in [Query]), one with [Client.AddView]. Only the sub-sheet a new
// document is created with ([Client.CreateDoc]) comes with WeCom's default column and view.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99896
func (c *Client) AddSheet(ctx context.Context, docID string, req *AddSheetRequest) (*Sheet, error) {
	if docID == "" {
		return nil, invalidf("AddSheet: empty doc id")
	}
	if req == nil {
		req = &AddSheetRequest{}
	}
	if req.Index != nil && *req.Index < 0 {
		return nil, invalidf("AddSheet: negative index %d", *req.Index)
	}
	type props struct {
		Title string `json:"title,omitempty"`
		Index *int   `json:"index,omitempty"`
	}
	body := struct {
		DocID string `json:"docid"`
		Props props  `json:"properties"`
	}{docID, props{req.Title, req.Index}}
	var resp struct {
		Props Sheet `json:"properties"`
	}
	if err := c.post(ctx, "smartsheet/add_sheet", body, &resp, false); err != nil {
		return nil, err
	}
	s := resp.Props
	s.Visible, s.Type = true, SheetSmartsheet
	return &s, nil
}

// SheetQuery narrows [Client.Sheets].
type SheetQuery struct {
	SheetID  string // only this sub-sheet
	AllTypes bool   // also dashboards and external sheets (need_all_type_sheet)
}

// Sheets lists a document's sub-sheets (查询子表); q may be nil. Only smart-sheet sub-sheets are
// listed unless q.AllTypes is set.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/101154
func (c *Client) Sheets(ctx context.Context, docID string, q *SheetQuery) ([]Sheet, error) {
	if docID == "" {
		return nil, invalidf("Sheets: empty doc id")
	}
	if q == nil {
		q = &SheetQuery{}
	}
	body := struct {
		DocID   string `json:"docid"`
		SheetID string `json:"sheet_id,omitempty"`
		NeedAll bool   `json:"need_all_type_sheet,omitempty"`
	}{docID, q.SheetID, q.AllTypes}
	var resp struct {
		List []Sheet `json:"sheet_list"`
	}
	if err := c.post(ctx, "smartsheet/get_sheet", body, &resp, true); err != nil {
		return nil, err
	}
	return resp.List, nil
}

// RenameSheet renames a sub-sheet (更新子表: only the title can change).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99898
func (c *Client) RenameSheet(ctx context.Context, docID, sheetID, title string) error {
	if err := checkIDs(docID, sheetID); err != nil {
		return err
	}
	if title == "" {
		return invalidf("RenameSheet: empty title")
	}
	type props struct {
		SheetID string `json:"sheet_id"`
		Title   string `json:"title"`
	}
	body := struct {
		DocID string `json:"docid"`
		Props props  `json:"properties"`
	}{docID, props{sheetID, title}}
	return c.post(ctx, "smartsheet/update_sheet", body, nil, true)
}

// DeleteSheet deletes a sub-sheet with its records (删除子表).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99899
func (c *Client) DeleteSheet(ctx context.Context, docID, sheetID string) error {
	if err := checkIDs(docID, sheetID); err != nil {
		return err
	}
	defer c.InvalidateSchema(docID, sheetID)
	body := struct {
		DocID   string `json:"docid"`
		SheetID string `json:"sheet_id"`
	}{docID, sheetID}
	return c.post(ctx, "smartsheet/delete_sheet", body, nil, false)
}
