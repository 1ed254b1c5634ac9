package wecomtest

import (
	"html/template"
	"net/http"
	"strings"
)

// docPage renders a document as HTML tables (the URL create_doc and doc_share hand out), so a demo can
// show what the smart sheet holds. It shows at most 500 rows per sub-sheet. No login needed.
func (h *Handler) docPage(w http.ResponseWriter, r *http.Request) {
	type cell struct {
		Text   string
		Images []string
	}
	type sheet struct {
		Title  string
		Fields []string
		Rows   [][]cell
		Total  int
	}
	h.mu.Lock()
	d := h.st.Docs[r.PathValue("docid")]
	if d == nil {
		h.unlock()
		http.NotFound(w, r)
		return
	}
	name := d.Name
	var sheets []sheet
	for _, s := range d.Sheets {
		sh := sheet{Title: s.Title, Total: len(s.Records)}
		for _, f := range s.Fields {
			sh.Fields = append(sh.Fields, f.Title)
		}
		for _, rec := range s.Records[:min(len(s.Records), 500)] {
			row := make([]cell, len(s.Fields))
			for i, f := range s.Fields {
				if f.Type == "FIELD_TYPE_IMAGE" {
					for _, img := range asMaps(rec.Values[f.ID]) {
						if u, _ := img["image_url"].(string); strings.HasPrefix(u, "http") {
							row[i].Images = append(row[i].Images, u)
						}
					}
					continue
				}
				row[i].Text = cellText(f, rec)
			}
			sh.Rows = append(sh.Rows, row)
		}
		sheets = append(sheets, sh)
	}
	h.unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = docTemplate.Execute(w, struct {
		Name   string
		Sheets []sheet
	}{name, sheets})
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

var docTemplate = template.Must(template.New("doc").Parse(`<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Name}}</title>
<style>body{font:14px system-ui,sans-serif;margin:1em}table{border-collapse:collapse;margin-bottom:2em}
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}th{background:#f4f4f4}img{max-height:48px}</style>
</head><body><h1>{{.Name}}</h1>
{{range .Sheets}}<h2>{{.Title}} <small>({{.Total}} rows)</small></h2>
<table><tr>{{range .Fields}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.Text}}{{range .Images}}<img src="{{.}}" alt="">{{end}}</td>{{end}}</tr>
{{end}}</table>
{{end}}</body></html>
`))
