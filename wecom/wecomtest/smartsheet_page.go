package wecomtest

import (
	"cmp"
	_ "embed"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pageSize is how many rows the document page shows at once.
const pageSize = 100

//go:embed smartsheet_page.html
var docPageHTML string

var docTemplate = template.Must(template.New("doc").Funcs(template.FuncMap{
	"add": func(a, b int) int { return a + b },
}).Parse(docPageHTML))

// docPage renders a document as HTML (the URL create_doc and doc_share hand out), so a demo can show
// what the smart sheet holds, one sub-sheet and 100 rows at a time (?sheet=, ?page=, ?q= searches
// every cell's text). A visitor can edit it as a member (?as=userid, default the current user):
// cells, new rows and deletions go through /test/smartsheet/member_*, so the app that created the
// document gets smart_sheet_change exactly as for an edit in the WeCom client. No login needed.
func (h *Handler) docPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.mu.Lock()
	d := h.st.Docs[r.PathValue("docid")]
	if d == nil {
		h.unlock()
		http.NotFound(w, r)
		return
	}
	v := docView{DocID: d.DocID, Name: d.Name, Query: q.Get("q"), Member: q.Get("as")}
	if h.member(v.Member) == nil {
		v.Member = h.oa.currentUser
	}
	var sheet *ssSheet
	var recs []*ssRecord
	for _, s := range d.Sheets {
		v.Sheets = append(v.Sheets, sheetTab{ID: s.ID, Title: s.Title})
		if sheet == nil || s.ID == q.Get("sheet") {
			sheet, recs = s.meta(), slices.Clone(s.Records) // records are immutable: render after unlocking
		}
	}
	h.unlock()
	v.Members = h.cfg.members // immutable
	if v.Member == "" && len(v.Members) > 0 {
		v.Member = v.Members[0].UserID
	}
	if sheet != nil {
		h.fillSheet(&v, sheet, recs, q.Get("page"))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = docTemplate.Execute(w, &v)
}

type docView struct {
	DocID, Name string
	Sheets      []sheetTab
	Sheet       sheetTab
	Members     []Member
	Member      string // userid edits are made as
	Query       string
	Columns     []column
	Rows        []row
	Total       int // records matching Query
	All         int // records in the sheet
	Page, Pages int
	First, Last int // 1-based rows shown
}

type sheetTab struct{ ID, Title string }

type column struct {
	Title, Type, Kind string // Kind: the editor the page uses, "" when the column is not editable here
	Options           []string
}

type row struct {
	ID    string
	Cells []cell
}

type cell struct {
	Text, Raw string
	Images    []string
}

// fillSheet renders the matching rows of the requested page.
func (h *Handler) fillSheet(v *docView, s *ssSheet, recs []*ssRecord, pageArg string) {
	v.Sheet = sheetTab{ID: s.ID, Title: s.Title}
	for _, f := range s.Fields {
		c := column{Title: f.Title, Type: cmp.Or(fieldTypeNames[f.Type], f.Type), Kind: editorKind(f)}
		for _, o := range f.Options {
			c.Options = append(c.Options, o.Text)
		}
		v.Columns = append(v.Columns, c)
	}
	v.All = len(recs)
	if needle := strings.TrimSpace(v.Query); needle != "" {
		recs = slices.DeleteFunc(recs, func(rec *ssRecord) bool {
			return !slices.ContainsFunc(s.Fields, func(f *ssField) bool { return strings.Contains(h.displayText(f, rec), needle) })
		})
	}
	v.Total = len(recs)
	v.Pages = max(1, (len(recs)+pageSize-1)/pageSize)
	v.Page, _ = strconv.Atoi(pageArg)
	v.Page = min(max(v.Page, 1), v.Pages)
	lo := (v.Page - 1) * pageSize
	hi := min(lo+pageSize, len(recs))
	v.First, v.Last = lo+1, hi
	for _, rec := range recs[lo:hi] {
		rw := row{ID: rec.ID, Cells: make([]cell, len(s.Fields))}
		for i, f := range s.Fields {
			if f.Type == "FIELD_TYPE_IMAGE" {
				for _, img := range asMaps(rec.Values[f.ID]) {
					if u, _ := img["image_url"].(string); strings.HasPrefix(u, "http") {
						rw.Cells[i].Images = append(rw.Cells[i].Images, u)
					}
				}
				continue
			}
			rw.Cells[i] = cell{Text: h.displayText(f, rec), Raw: editValue(f, rec)}
		}
		v.Rows = append(v.Rows, rw)
	}
}

// fieldTypeNames are the column types as the WeCom client names them.
var fieldTypeNames = map[string]string{
	"FIELD_TYPE_TEXT": "文本", "FIELD_TYPE_NUMBER": "数字", "FIELD_TYPE_CHECKBOX": "复选框", "FIELD_TYPE_DATE_TIME": "日期",
	"FIELD_TYPE_IMAGE": "图片", "FIELD_TYPE_ATTACHMENT": "文件", "FIELD_TYPE_USER": "成员", "FIELD_TYPE_URL": "链接",
	"FIELD_TYPE_SELECT": "多选", "FIELD_TYPE_SINGLE_SELECT": "单选", "FIELD_TYPE_CREATED_USER": "创建人",
	"FIELD_TYPE_MODIFIED_USER": "最后编辑人", "FIELD_TYPE_CREATED_TIME": "创建时间", "FIELD_TYPE_MODIFIED_TIME": "最后编辑时间",
	"FIELD_TYPE_PROGRESS": "进度", "FIELD_TYPE_PHONE_NUMBER": "电话", "FIELD_TYPE_EMAIL": "邮箱", "FIELD_TYPE_REFERENCE": "关联",
	"FIELD_TYPE_LOCATION": "地理位置", "FIELD_TYPE_FORMULA": "公式", "FIELD_TYPE_CURRENCY": "货币", "FIELD_TYPE_WWGROUP": "群",
	"FIELD_TYPE_AUTONUMBER": "自动编号", "FIELD_TYPE_PERCENTAGE": "百分数", "FIELD_TYPE_BARCODE": "条码",
}

// editorKind is the input the page offers for a column: text, string (a plain string cell), number,
// date, check, select, multi, url; "" for computed columns and those the page does not edit (image,
// member, location, …).
func editorKind(f *ssField) string {
	switch f.Type {
	case "FIELD_TYPE_TEXT":
		return "text"
	case "FIELD_TYPE_PHONE_NUMBER", "FIELD_TYPE_EMAIL", "FIELD_TYPE_BARCODE":
		return "string"
	case "FIELD_TYPE_NUMBER", "FIELD_TYPE_CURRENCY", "FIELD_TYPE_PERCENTAGE", "FIELD_TYPE_PROGRESS":
		return "number"
	case "FIELD_TYPE_DATE_TIME":
		return "date"
	case "FIELD_TYPE_CHECKBOX":
		return "check"
	case "FIELD_TYPE_SINGLE_SELECT":
		return "select"
	case "FIELD_TYPE_SELECT":
		return "multi"
	case "FIELD_TYPE_URL":
		return "url"
	}
	return ""
}

// displayText is a cell as a person reads it: dates in Beijing time, members by name, ✓ for checked.
func (h *Handler) displayText(f *ssField, rec *ssRecord) string {
	switch f.Type {
	case "FIELD_TYPE_DATE_TIME", "FIELD_TYPE_CREATED_TIME", "FIELD_TYPE_MODIFIED_TIME":
		ms, has := dateValue(f, rec)
		if !has {
			return ""
		}
		t := time.UnixMilli(ms).In(beijing)
		if t.Hour() == 0 && t.Minute() == 0 && f.Type == "FIELD_TYPE_DATE_TIME" {
			return t.Format("2006-01-02")
		}
		return t.Format("2006-01-02 15:04")
	case "FIELD_TYPE_CHECKBOX":
		if b, _ := rec.Values[f.ID].(bool); b {
			return "✓"
		}
		return ""
	case "FIELD_TYPE_USER", "FIELD_TYPE_CREATED_USER", "FIELD_TYPE_MODIFIED_USER":
		v, _ := outValue(f, rec)
		var names []string
		for _, m := range asMaps(v) {
			id, _ := m["user_id"].(string)
			if mem := h.member(id); mem != nil && mem.Name != "" {
				id = mem.Name
			}
			names = append(names, id)
		}
		return strings.Join(names, "、")
	}
	return cellText(f, rec)
}

// editValue is a cell as the page's editor starts from (see editorKind).
func editValue(f *ssField, rec *ssRecord) string {
	switch editorKind(f) {
	case "date":
		ms, has := dateValue(f, rec)
		if !has {
			return ""
		}
		return time.UnixMilli(ms).In(beijing).Format("2006-01-02")
	case "check":
		b, _ := rec.Values[f.ID].(bool)
		return strconv.FormatBool(b)
	case "url":
		for _, m := range asMaps(rec.Values[f.ID]) {
			if l, _ := m["link"].(string); l != "" {
				return l
			}
		}
		return ""
	}
	return cellText(f, rec)
}

func asMaps(v any) []map[string]any {
	arr, _ := v.([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		if m, isMap := e.(map[string]any); isMap {
			out = append(out, m)
		}
	}
	return out
}
