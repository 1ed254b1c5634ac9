package wecomtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// TestSmartsheetFixtures walks a document's life through every smart-sheet endpoint with the request
// fixtures and pins each answer to its response fixture.
func TestSmartsheetFixtures(t *testing.T) {
	srv := newServer(t, wecomtest.WithMember(wecomtest.Member{UserID: "zhangsan", Name: "张三"}),
		wecomtest.WithMember(wecomtest.Member{UserID: "lisi", Name: "李四"}))
	c := newRaw(t, srv)
	tok := c.token()
	ids := map[string]string{"USERID1": "zhangsan", "USERID2": "lisi"}
	repl := func() []string {
		var r []string
		for k, v := range ids {
			r = append(r, k, v)
		}
		return r
	}
	step := func(endpoint, dir string, optional ...string) map[string]any {
		t.Helper()
		req := fixture(t, dir+"/request.json", repl()...)
		_, body := c.do("POST", "/cgi-bin/"+endpoint, tq(tok), req)
		assertShape(t, fixture(t, dir+"/ok.json"), body, optional...)
		var m map[string]any
		require.NoError(t, json.Unmarshal(body, &m))
		require.EqualValues(t, 0, m["errcode"], "%s: %s", endpoint, body)
		return m
	}
	sm := func(name string) (string, string) { return "wedoc/smartsheet/" + name, "wedoc/smartsheet/" + name }

	m := step("wedoc/create_doc", "wedoc/create_doc")
	ids["DOCID"] = m["docid"].(string)
	assert.True(t, strings.HasPrefix(m["url"].(string), srv.URL+"/"), "the doc URL is served by the fake")
	step("wedoc/get_doc_base_info", "wedoc/get_doc_base_info")
	step("wedoc/doc_share", "wedoc/doc_share")
	step("wedoc/rename_doc", "wedoc/rename_doc")
	step("wedoc/mod_doc_member", "wedoc/mod_doc_member")
	m = step("wedoc/image_upload", "wedoc/image_upload")
	assert.EqualValues(t, 1, m["width"])
	resp, err := http.Get(m["url"].(string))
	require.NoError(t, err)
	img, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"), "the image URL serves the image")
	assert.Len(t, img, int(m["size"].(float64)))

	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_sheet", tq(tok), map[string]any{"docid": ids["DOCID"]})
	ids["123Abc"] = m["sheet_list"].([]any)[0].(map[string]any)["sheet_id"].(string)
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_views", tq(tok), map[string]any{"docid": ids["DOCID"], "sheet_id": ids["123Abc"]})
	ids["vCRl8n"] = m["views"].([]any)[0].(map[string]any)["view_id"].(string)
	step(sm("get_sheet"))
	m = step(sm("add_sheet"))
	assert.EqualValues(t, 1, m["properties"].(map[string]any)["index"], "index clamped to the sheet count")
	second := m["properties"].(map[string]any)["sheet_id"].(string)
	step(sm("update_sheet"))

	m = step(sm("add_fields"))
	fields := m["fields"].([]any)
	ids["f53B4X"] = fields[0].(map[string]any)["field_id"].(string)
	ids["fP9dMk"] = fields[1].(map[string]any)["field_id"].(string)
	step(sm("get_fields"))
	step(sm("update_fields"))
	ids["库存"] = "在库数量" // renamed by update_fields

	m = step(sm("add_view"))
	ids["vCRl8n"] = m["view"].(map[string]any)["view_id"].(string)
	step(sm("get_views"))
	step(sm("update_view"))

	m = step(sm("add_records"))
	ids["re9IqD"] = m["records"].([]any)[0].(map[string]any)["record_id"].(string)
	m = step(sm("get_records"))
	assert.Empty(t, m["records"], "the view's filter (款号 contains 123, set by update_view) applies")
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_records", tq(tok), map[string]any{"docid": ids["DOCID"], "sheet_id": ids["123Abc"]})
	rec := m["records"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"款号": text("文本内容"), "在库数量": 3.0}, rec["values"])
	assert.Equal(t, wecomtest.DefaultAppName, rec["creator_name"])
	_, body := c.do("POST", "/cgi-bin/wedoc/smartsheet/get_records", tq(tok), fixture(t, "wedoc/smartsheet/get_records/request_filter.json", repl()...))
	assertShape(t, fixture(t, "wedoc/smartsheet/get_records/ok.json"), body)
	step(sm("update_records"))
	step(sm("delete_records"))

	step(sm("delete_views"))
	step(sm("delete_fields"))
	step(sm("delete_sheet"))
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_sheet", tq(tok), map[string]any{"docid": ids["DOCID"]})
	assert.Len(t, m["sheet_list"], 1)
	assert.Equal(t, second, m["sheet_list"].([]any)[0].(map[string]any)["sheet_id"])
	step("wedoc/del_doc", "wedoc/del_doc")
	assert.Equal(t, 640002, c.errcode("POST", "/cgi-bin/wedoc/get_doc_base_info", tq(tok), map[string]any{"docid": ids["DOCID"]}))
}

func TestNewSmartsheetHasOneSubSheet(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok := c.token()
	m := c.ok("POST", "/cgi-bin/wedoc/create_doc", tq(tok), map[string]any{"doc_type": 10, "doc_name": "库存"})
	doc := m["docid"].(string)
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_sheet", tq(tok), map[string]any{"docid": doc})
	require.Len(t, m["sheet_list"], 1)
	sheet := m["sheet_list"].([]any)[0].(map[string]any)
	assert.Len(t, sheet["sheet_id"], 6)
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet["sheet_id"]})
	assert.EqualValues(t, 1, m["total"], "one default text column")
	f := m["fields"].([]any)[0].(map[string]any)
	assert.Regexp(t, `^f[A-Za-z0-9]{5}$`, f["field_id"])
	assert.Equal(t, "FIELD_TYPE_TEXT", f["field_type"])

	m = c.ok("POST", "/cgi-bin/wedoc/create_doc", tq(tok), map[string]any{"doc_type": 3, "doc_name": "说明"})
	assert.Equal(t, 40058, c.errcode("POST", "/cgi-bin/wedoc/smartsheet/get_sheet", tq(tok), map[string]any{"docid": m["docid"]}),
		"a plain doc has no sub-sheets")
	docs := srv.Docs()
	assert.Len(t, docs, 2)
}

func TestDocValidation(t *testing.T) {
	srv := newServer(t, wecomtest.WithApp(wecomtest.App{AgentID: 1, Secret: "a"}), wecomtest.WithApp(wecomtest.App{AgentID: 2, Secret: "b"}))
	c := newRaw(t, srv)
	tokenOf := func(secret string) string {
		return c.ok("GET", "/cgi-bin/gettoken", tq("", "corpid", wecomtest.DefaultCorpID, "corpsecret", secret), nil)["access_token"].(string)
	}
	a, b := tokenOf("a"), tokenOf("b")
	doc := c.ok("POST", "/cgi-bin/wedoc/create_doc", tq(a), map[string]any{"doc_type": 10, "doc_name": "x"})["docid"].(string)
	tests := []struct {
		name, path string
		tok        string
		body       any
		want       int
	}{
		{"doc of another app", "wedoc/get_doc_base_info", b, map[string]any{"docid": doc}, 851003},
		{"unknown doc", "wedoc/get_doc_base_info", a, map[string]any{"docid": "dcNOPE"}, 640002},
		{"no docid", "wedoc/doc_share", a, map[string]any{}, 40058},
		{"bad doc_type", "wedoc/create_doc", a, map[string]any{"doc_type": 5, "doc_name": "x"}, 40058},
		{"empty name", "wedoc/create_doc", a, map[string]any{"doc_type": 10, "doc_name": ""}, 40058},
		{"name too long", "wedoc/create_doc", a, map[string]any{"doc_type": 10, "doc_name": strings.Repeat("名", 256)}, 40058},
		{"unknown admin", "wedoc/create_doc", a, map[string]any{"doc_type": 10, "doc_name": "x", "admin_users": []string{"nobody"}}, 40003},
		{"bad json", "wedoc/create_doc", a, []byte("{"), 40058},
		{"unknown member", "wedoc/mod_doc_member", a, map[string]any{"docid": doc, "update_file_member_list": []any{map[string]any{"type": 1, "auth": 1, "userid": "nobody"}}}, 40003},
		{"bad auth", "wedoc/mod_doc_member", a, map[string]any{"docid": doc, "update_file_member_list": []any{map[string]any{"type": 1, "auth": 3, "userid": wecomtest.DefaultUserID}}}, 40058},
		{"not an image", "wedoc/image_upload", a, map[string]any{"docid": doc, "base64_content": "aGVsbG8="}, 40058},
		{"bad base64", "wedoc/image_upload", a, map[string]any{"docid": doc, "base64_content": "!!"}, 40058},
		{"duplicate sheet title", "wedoc/smartsheet/add_sheet", a, map[string]any{"docid": doc, "properties": map[string]any{"title": "智能表"}}, 40058},
		{"unknown sheet", "wedoc/smartsheet/get_sheet", a, map[string]any{"docid": doc, "sheet_id": "nope"}, 40058},
		{"rename sheet to nothing", "wedoc/smartsheet/update_sheet", a, map[string]any{"docid": doc, "properties": map[string]any{"sheet_id": "nope", "title": "x"}}, 40058},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, c.errcode("POST", "/cgi-bin/"+tt.path, tq(tt.tok), tt.body))
		})
	}
}

func TestFieldsAllTypes(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok := c.token()
	doc, sheet, _, _ := newDoc(c, tok)
	req := fixture(t, "wedoc/smartsheet/add_fields/request_all_types.json", "DOCID", doc, "123Abc", sheet)
	m := c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_fields", tq(tok), req)
	var sent struct {
		Fields []map[string]any `json:"fields"`
	}
	require.NoError(t, json.Unmarshal(req, &sent))
	got := m["fields"].([]any)
	require.Len(t, got, len(sent.Fields))
	for i, want := range sent.Fields {
		g := got[i].(map[string]any)
		assert.Regexp(t, `^f[A-Za-z0-9]{5}$`, g["field_id"])
		for k, v := range want {
			if k == "property_select" || k == "property_single_select" {
				opts := g[k].(map[string]any)["options"].([]any)
				for j, o := range v.(map[string]any)["options"].([]any) {
					assert.Equal(t, o.(map[string]any)["text"], opts[j].(map[string]any)["text"])
					assert.Equal(t, o.(map[string]any)["style"], opts[j].(map[string]any)["style"])
					assert.NotEmpty(t, opts[j].(map[string]any)["id"], "options get ids")
				}
				continue
			}
			assert.Equal(t, v, g[k], "%s.%s echoed", want["field_title"], k)
		}
	}
	// get_fields pages through them with the properties kept.
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet, "offset": 20, "limit": 5})
	assert.EqualValues(t, 3+len(sent.Fields), m["total"])
	assert.Len(t, m["fields"], 5)
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet, "field_titles": []string{"单价"}})
	assert.Equal(t, map[string]any{"currency_type": "CURRENCY_TYPE_CNY", "decimal_places": 2.0, "use_separate": true},
		m["fields"].([]any)[0].(map[string]any)["property_currency"])
}

func TestFieldValidation(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok := c.token()
	doc, sheet, textField, numField := newDoc(c, tok)
	add := func(fields ...map[string]any) int {
		return c.errcode("POST", "/cgi-bin/wedoc/smartsheet/add_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet, "fields": fields})
	}
	update := func(fields ...map[string]any) int {
		return c.errcode("POST", "/cgi-bin/wedoc/smartsheet/update_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet, "fields": fields})
	}
	f := func(title, typ string, kv ...any) map[string]any {
		m := map[string]any{"field_title": title, "field_type": typ}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		code int
		want int
	}{
		{"title exists", add(f("款号", "FIELD_TYPE_TEXT")), 40058},
		{"title twice in one call", add(f("a", "FIELD_TYPE_TEXT"), f("a", "FIELD_TYPE_TEXT")), 40058},
		{"unknown type", add(f("a", "FIELD_TYPE_NOPE")), 40058},
		{"formula cannot be created", add(f("a", "FIELD_TYPE_FORMULA")), 40058},
		{"wrong property key", add(f("a", "FIELD_TYPE_NUMBER", "property_currency", map[string]any{})), 40058},
		{"decimal places", add(f("a", "FIELD_TYPE_NUMBER", "property_number", map[string]any{"decimal_places": 5})), 40058},
		{"currency type", add(f("a", "FIELD_TYPE_CURRENCY", "property_currency", map[string]any{"currency_type": "CURRENCY_TYPE_XYZ"})), 40058},
		{"date format", add(f("a", "FIELD_TYPE_DATE_TIME", "property_date_time", map[string]any{"format": "dd.mm.yyyy"})), 40058},
		{"duplicate option", add(f("a", "FIELD_TYPE_SELECT", "property_select", map[string]any{"options": []any{map[string]any{"text": "x"}, map[string]any{"text": "x"}}})), 40058},
		{"type change", update(map[string]any{"field_id": numField, "field_type": "FIELD_TYPE_TEXT", "field_title": "x"}), 40058},
		{"same title", update(map[string]any{"field_id": numField, "field_type": "FIELD_TYPE_NUMBER", "field_title": "库存"}), 40058},
		{"title of another field", update(map[string]any{"field_id": numField, "field_type": "FIELD_TYPE_NUMBER", "field_title": "款号"}), 40058},
		{"unknown field", update(map[string]any{"field_id": "fNOPE1", "field_type": "FIELD_TYPE_NUMBER", "field_title": "y"}), 40058},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.code, tt.name)
	}
	m := c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet})
	assert.EqualValues(t, 3, m["total"], "rejected calls added nothing")

	// 150 fields at most.
	var many []map[string]any
	for i := range 147 {
		many = append(many, f("列"+string(rune('A'+i%26))+string(rune('a'+i/26)), "FIELD_TYPE_TEXT"))
	}
	assert.Zero(t, add(many...))
	assert.Equal(t, 40058, add(f("one too many", "FIELD_TYPE_TEXT")))

	// delete_fields drops the column's values and keeps at least one field.
	c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_records", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet,
		"key_type": "CELL_VALUE_KEY_TYPE_FIELD_ID", "records": []any{map[string]any{"values": map[string]any{textField: text("a"), numField: 1}}}})
	c.ok("POST", "/cgi-bin/wedoc/smartsheet/delete_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet, "field_ids": []string{numField}})
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_records", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet, "key_type": "CELL_VALUE_KEY_TYPE_FIELD_ID"})
	assert.Equal(t, map[string]any{textField: text("a")}, m["records"].([]any)[0].(map[string]any)["values"])
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet})
	var all []string
	for _, f := range m["fields"].([]any) {
		all = append(all, f.(map[string]any)["field_id"].(string))
	}
	assert.Equal(t, 40058, c.errcode("POST", "/cgi-bin/wedoc/smartsheet/delete_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet, "field_ids": all}))
}

func TestViews(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok := c.token()
	doc, sheet, textField, _ := newDoc(c, tok)
	add := func(body map[string]any) int {
		body["docid"], body["sheet_id"] = doc, sheet
		return c.errcode("POST", "/cgi-bin/wedoc/smartsheet/add_view", tq(tok), body)
	}
	assert.Equal(t, 40058, add(map[string]any{"view_title": "x", "view_type": "VEW_UNKNOWN"}))
	assert.Equal(t, 40058, add(map[string]any{"view_title": "表格视图", "view_type": "VIEW_TYPE_GRID"}), "title exists")
	assert.Equal(t, 40058, add(map[string]any{"view_title": "甘特", "view_type": "VIEW_TYPE_GANTT"}), "gantt needs its date fields")
	assert.Equal(t, 40058, add(map[string]any{"view_title": "甘特", "view_type": "VIEW_TYPE_GANTT",
		"property_gantt": map[string]any{"start_date_field_id": textField, "end_date_field_id": textField}}), "not date fields")
	m := c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet,
		"fields": []any{map[string]any{"field_title": "开始", "field_type": "FIELD_TYPE_DATE_TIME", "property_date_time": map[string]any{}},
			map[string]any{"field_title": "结束", "field_type": "FIELD_TYPE_DATE_TIME", "property_date_time": map[string]any{}}}})
	start := m["fields"].([]any)[0].(map[string]any)["field_id"]
	end := m["fields"].([]any)[1].(map[string]any)["field_id"]
	assert.Zero(t, add(map[string]any{"view_title": "甘特", "view_type": "VIEW_TYPE_GANTT",
		"property_gantt": map[string]any{"start_date_field_id": start, "end_date_field_id": end}}))
	for i := range 5 {
		assert.Zero(t, add(map[string]any{"view_title": "v" + string(rune('0'+i)), "view_type": "VIEW_TYPE_GALLERY"}))
	}
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_views", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet, "offset": 2, "limit": 3})
	assert.EqualValues(t, 7, m["total"])
	assert.Equal(t, true, m["has_more"])
	assert.EqualValues(t, 5, m["next"])
	assert.Len(t, m["views"], 3)
	bad := map[string]any{"docid": doc, "sheet_id": sheet, "view_id": m["views"].([]any)[0].(map[string]any)["view_id"],
		"property": map[string]any{"filter_spec": map[string]any{"conditions": []any{map[string]any{"field_id": "fNOPE0", "field_type": "FIELD_TYPE_TEXT", "operator": "OPERATOR_IS_EMPTY"}}}}}
	assert.Equal(t, 40058, c.errcode("POST", "/cgi-bin/wedoc/smartsheet/update_view", tq(tok), bad), "filter names an unknown field")
}

func TestDocPage(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok := c.token()
	doc, sheet, _, _ := newDoc(c, tok)
	c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_records", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet,
		"records": []any{map[string]any{"values": map[string]any{"款号": text("<b>B-001</b>"), "库存": 7}}}})
	status, body := c.do("GET", "/wecomtest/doc/"+doc, nil, nil)
	assert.Equal(t, 200, status)
	assert.Contains(t, string(body), "&lt;b&gt;B-001&lt;/b&gt;", "cells are escaped")
	assert.Contains(t, string(body), `data-kind="number" data-raw="7">7</td>`)
	status, _ = c.do("GET", "/wecomtest/doc/nope", nil, nil)
	assert.Equal(t, 404, status)
}

func TestSelectOptionsUpdate(t *testing.T) {
	_, f := newSheet(t)
	opts := func() []any {
		m := f.call("get_fields", map[string]any{"field_titles": []string{"颜色"}})
		return m["fields"].([]any)[0].(map[string]any)["property_select"].(map[string]any)["options"].([]any)
	}
	before := opts()
	require.Len(t, before, 2)
	m := f.call("update_fields", map[string]any{"fields": []any{map[string]any{"field_id": f.ids["颜色"], "field_type": "FIELD_TYPE_SELECT",
		"property_select": map[string]any{"is_quick_add": false}}}})
	require.EqualValues(t, 0, m["errcode"], "%v", m)
	assert.Equal(t, before, opts(), "a property without options keeps the options")

	m = f.call("update_fields", map[string]any{"fields": []any{map[string]any{"field_id": f.ids["颜色"], "field_type": "FIELD_TYPE_SELECT",
		"property_select": map[string]any{"options": []any{map[string]any{"text": "蓝", "style": 3}, map[string]any{"text": "黑", "style": 9}}}}}})
	require.EqualValues(t, 0, m["errcode"], "%v", m)
	after := opts()
	require.Len(t, after, 2)
	assert.Equal(t, before[1].(map[string]any)["id"], after[0].(map[string]any)["id"], "an option named by text keeps its id")
	assert.EqualValues(t, 3, after[0].(map[string]any)["style"])
	assert.Equal(t, "黑", after[1].(map[string]any)["text"])
	m = f.call("update_fields", map[string]any{"fields": []any{map[string]any{"field_id": f.ids["颜色"], "field_type": "FIELD_TYPE_SELECT",
		"property_select": map[string]any{"options": []any{map[string]any{"text": "x", "style": 1.5}}}}}})
	assert.EqualValues(t, 40058, m["errcode"])
}
