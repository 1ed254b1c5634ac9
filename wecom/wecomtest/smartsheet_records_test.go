package wecomtest_test

import (
	"cmp"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// sheetFixture is a smart sheet with one column of each common type.
type sheetFixture struct {
	c          *raw
	tok        string
	doc, sheet string
	ids        map[string]string // title → field id
}

func newSheet(t *testing.T, opts ...wecomtest.Option) (*wecomtest.Server, *sheetFixture) {
	t.Helper()
	srv := newServer(t, opts...)
	c := newRaw(t, srv)
	tok := c.token()
	doc, sheet, _, _ := newDoc(c, tok)
	m := c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet,
		"fields": []any{
			map[string]any{"field_title": "在售", "field_type": "FIELD_TYPE_CHECKBOX"},
			map[string]any{"field_title": "日期", "field_type": "FIELD_TYPE_DATE_TIME", "property_date_time": map[string]any{"format": "yyyy-mm-dd"}},
			map[string]any{"field_title": "负责人", "field_type": "FIELD_TYPE_USER"},
			map[string]any{"field_title": "颜色", "field_type": "FIELD_TYPE_SELECT", "property_select": map[string]any{
				"options": []any{map[string]any{"text": "红", "style": 1}, map[string]any{"text": "蓝", "style": 2}}}},
			map[string]any{"field_title": "状态", "field_type": "FIELD_TYPE_SINGLE_SELECT", "property_single_select": map[string]any{}},
			map[string]any{"field_title": "创建时间", "field_type": "FIELD_TYPE_CREATED_TIME", "property_created_time": map[string]any{"format": "yyyy-mm-dd"}},
			map[string]any{"field_title": "编号", "field_type": "FIELD_TYPE_AUTONUMBER", "property_auto_number": map[string]any{"type": "NUMBER_TYPE_INCR"}},
			map[string]any{"field_title": "链接", "field_type": "FIELD_TYPE_URL", "property_url": map[string]any{"type": "LINK_TYPE_PURE_TEXT"}},
			map[string]any{"field_title": "电话", "field_type": "FIELD_TYPE_PHONE_NUMBER"},
			map[string]any{"field_title": "位置", "field_type": "FIELD_TYPE_LOCATION", "property_location": map[string]any{"input_type": "LOCATION_INPUT_TYPE_MANUAL"}},
			map[string]any{"field_title": "图片", "field_type": "FIELD_TYPE_IMAGE"},
		}})
	_ = m
	f := &sheetFixture{c: c, tok: tok, doc: doc, sheet: sheet, ids: map[string]string{}}
	fields := c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet})
	for _, x := range fields["fields"].([]any) {
		m := x.(map[string]any)
		f.ids[m["field_title"].(string)] = m["field_id"].(string)
	}
	return srv, f
}

func (f *sheetFixture) call(endpoint string, body map[string]any) map[string]any {
	body["docid"], body["sheet_id"] = f.doc, f.sheet
	return f.c.json("POST", "/cgi-bin/wedoc/smartsheet/"+endpoint, tq(f.tok), body)
}

func (f *sheetFixture) add(records ...map[string]any) []string {
	f.c.t.Helper()
	recs := make([]any, len(records))
	for i, r := range records {
		recs[i] = map[string]any{"values": r}
	}
	m := f.call("add_records", map[string]any{"records": recs})
	require.EqualValues(f.c.t, 0, m["errcode"], "%v", m)
	var ids []string
	for _, r := range m["records"].([]any) {
		ids = append(ids, r.(map[string]any)["record_id"].(string))
	}
	return ids
}

func (f *sheetFixture) get(body map[string]any) map[string]any {
	f.c.t.Helper()
	m := f.call("get_records", body)
	require.EqualValues(f.c.t, 0, m["errcode"], "%v", m)
	return m
}

func recordIDs(m map[string]any) []string {
	var out []string
	for _, r := range m["records"].([]any) {
		out = append(out, r.(map[string]any)["record_id"].(string))
	}
	return out
}

func TestRecordValues(t *testing.T) {
	clk := newClock()
	_, f := newSheet(t, wecomtest.WithClock(clk.Now))
	loc := []any{map[string]any{"source_type": 1, "id": "14313005936863363130", "latitude": "23.10647", "longitude": "113.32446", "title": "广州塔"}}
	img := []any{map[string]any{"id": "1", "title": "a.png", "image_url": "https://example.com/a.png", "width": 1, "height": 1}}
	ids := f.add(map[string]any{
		"款号": text("B-001"), "库存": 3, "在售": true, "日期": "1747152000000",
		"负责人": []any{map[string]any{"user_id": wecomtest.DefaultUserID}},
		"颜色":  []any{map[string]any{"text": "蓝"}, map[string]any{"text": "绿", "style": 4}},
		"状态":  []any{map[string]any{"text": "在售"}},
		"链接":  []any{map[string]any{"type": "url", "text": "官网", "link": "https://example.com"}},
		"电话":  "13800000000", "位置": loc, "图片": img,
	})
	m := f.get(map[string]any{"record_ids": ids})
	rec := m["records"].([]any)[0].(map[string]any)
	v := rec["values"].(map[string]any)
	assert.Equal(t, text("B-001"), v["款号"])
	assert.Equal(t, 3.0, v["库存"])
	assert.Equal(t, true, v["在售"])
	assert.Equal(t, "1747152000000", v["日期"])
	assert.Equal(t, loc[0].(map[string]any)["title"], v["位置"].([]any)[0].(map[string]any)["title"])
	colors := v["颜色"].([]any)
	require.Len(t, colors, 2)
	assert.Equal(t, "蓝", colors[0].(map[string]any)["text"])
	assert.EqualValues(t, 2, colors[0].(map[string]any)["style"], "an existing option is matched by text")
	assert.Equal(t, "绿", colors[1].(map[string]any)["text"])
	assert.EqualValues(t, 4, colors[1].(map[string]any)["style"], "a new option is created")
	assert.NotEmpty(t, colors[1].(map[string]any)["id"])
	created := strconv.FormatInt(clk.Now().UnixMilli(), 10)
	assert.Equal(t, created, v["创建时间"], "CREATED_TIME is computed")
	assert.Equal(t, created, rec["create_time"])
	assert.Equal(t, []any{map[string]any{"seq": "1", "text": "1"}}, v["编号"], "AUTONUMBER is computed")
	assert.Equal(t, wecomtest.DefaultAppName, rec["updater_name"])

	fields := f.call("get_fields", map[string]any{"field_titles": []string{"颜色"}})
	opts := fields["fields"].([]any)[0].(map[string]any)["property_select"].(map[string]any)["options"].([]any)
	assert.Len(t, opts, 3, "the new option is part of the field")

	// update: only the listed cells change; an empty value clears a cell; select by id.
	clk.Add(time.Second)
	blue := colors[0].(map[string]any)["id"]
	up := f.call("update_records", map[string]any{"records": []any{map[string]any{"record_id": ids[0],
		"values": map[string]any{"库存": 2, "电话": "", "颜色": []any{map[string]any{"id": blue}}}}}})
	require.EqualValues(t, 0, up["errcode"], "%v", up)
	assert.Equal(t, map[string]any{"库存": 2.0, "颜色": []any{map[string]any{"id": blue, "text": "蓝", "style": 2.0}}},
		up["records"].([]any)[0].(map[string]any)["values"])
	rec = f.get(map[string]any{})["records"].([]any)[0].(map[string]any)
	v = rec["values"].(map[string]any)
	assert.Equal(t, 2.0, v["库存"])
	assert.NotContains(t, v, "电话", "cleared")
	assert.Equal(t, text("B-001"), v["款号"], "untouched")
	assert.Equal(t, strconv.FormatInt(clk.Now().UnixMilli(), 10), rec["update_time"])
	assert.Equal(t, created, rec["create_time"])
}

func TestRecordValidation(t *testing.T) {
	srv, f := newSheet(t)
	f.add(map[string]any{"款号": text("keep")})
	rec := func(v map[string]any) map[string]any {
		return map[string]any{"records": []any{map[string]any{"values": v}}}
	}
	tests := []struct {
		name     string
		endpoint string
		body     map[string]any
	}{
		{"unknown field title", "add_records", rec(map[string]any{"nope": 1})},
		{"field id with title keys", "add_records", rec(map[string]any{f.ids["库存"]: 1})},
		{"bad key_type", "add_records", map[string]any{"key_type": "X", "records": []any{map[string]any{"values": map[string]any{}}}}},
		{"number as string", "add_records", rec(map[string]any{"库存": "3"})},
		{"text as string", "add_records", rec(map[string]any{"款号": "B-001"})},
		{"text segment without type", "add_records", rec(map[string]any{"款号": []any{map[string]any{"text": "x"}}})},
		{"checkbox as string", "add_records", rec(map[string]any{"在售": "yes"})},
		{"date as number", "add_records", rec(map[string]any{"日期": 1747152000000})},
		{"date not digits", "add_records", rec(map[string]any{"日期": "2025-05-14"})},
		{"unknown user", "add_records", rec(map[string]any{"负责人": []any{map[string]any{"user_id": "nobody"}}})},
		{"unknown option id", "add_records", rec(map[string]any{"颜色": []any{map[string]any{"id": "nope"}}})},
		{"two options in single select", "add_records", rec(map[string]any{"状态": []any{map[string]any{"text": "a"}, map[string]any{"text": "b"}}})},
		{"two links", "add_records", rec(map[string]any{"链接": []any{map[string]any{"type": "url", "text": "a", "link": "https://a"}, map[string]any{"type": "url", "text": "b", "link": "https://b"}}})},
		{"location numbers", "add_records", rec(map[string]any{"位置": []any{map[string]any{"latitude": 23.1, "longitude": 113.3}}})},
		{"image without url", "add_records", rec(map[string]any{"图片": []any{map[string]any{"title": "a"}}})},
		{"read-only created time", "add_records", rec(map[string]any{"创建时间": "1747152000000"})},
		{"read-only autonumber", "add_records", rec(map[string]any{"编号": []any{}})},
		{"no records", "add_records", map[string]any{"records": []any{}}},
		{"unknown record", "update_records", map[string]any{"records": []any{map[string]any{"record_id": "rNOPE0", "values": map[string]any{}}}}},
		{"delete unknown record", "delete_records", map[string]any{"record_ids": []string{"rNOPE0"}}},
		{"limit > 1000", "get_records", map[string]any{"limit": 1001}},
		{"negative offset", "get_records", map[string]any{"offset": -1}},
		{"filter with sort", "get_records", map[string]any{"sort": []any{map[string]any{"field_title": "库存"}},
			"filter_spec": map[string]any{"conditions": []any{}}}},
		{"sort by unknown field", "get_records", map[string]any{"sort": []any{map[string]any{"field_title": "nope"}}}},
		{"unknown field_titles", "get_records", map[string]any{"field_titles": []string{"nope"}}},
		{"unknown view", "get_records", map[string]any{"view_id": "vNOPE0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := f.call(tt.endpoint, tt.body)
			assert.EqualValues(t, 40058, m["errcode"], "%v", m)
		})
	}
	// A batch with one bad record writes nothing, not even a new select option.
	m := f.call("add_records", map[string]any{"records": []any{
		map[string]any{"values": map[string]any{"颜色": []any{map[string]any{"text": "紫"}}}},
		map[string]any{"values": map[string]any{"库存": "x"}},
	}})
	assert.EqualValues(t, 40058, m["errcode"])
	n, err := srv.RecordCount(f.doc, f.sheet)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	fields := f.call("get_fields", map[string]any{"field_titles": []string{"颜色"}})
	assert.Len(t, fields["fields"].([]any)[0].(map[string]any)["property_select"].(map[string]any)["options"], 2)
	m = f.call("add_records", rec(map[string]any{"款号": text("x")}))
	m["docid"] = "dcNOPE"
	assert.EqualValues(t, 640002, f.c.errcode("POST", "/cgi-bin/wedoc/smartsheet/add_records", tq(f.tok),
		map[string]any{"docid": "dcNOPE", "sheet_id": f.sheet, "records": []any{map[string]any{"values": map[string]any{}}}}))
	assert.EqualValues(t, 40058, f.c.errcode("POST", "/cgi-bin/wedoc/smartsheet/add_records", tq(f.tok),
		map[string]any{"docid": f.doc, "sheet_id": "nope", "records": []any{map[string]any{"values": map[string]any{}}}}))
}

func TestRowLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("adds 100,000 rows")
	}
	_, f := newSheet(t)
	batch := make([]any, 1000)
	for i := range batch {
		batch[i] = map[string]any{"values": map[string]any{}}
	}
	for range 100 {
		m := f.call("add_records", map[string]any{"records": batch})
		require.EqualValues(t, 0, m["errcode"])
	}
	m := f.call("add_records", map[string]any{"records": batch[:1]})
	assert.EqualValues(t, 40058, m["errcode"], "a sheet holds at most 100,000 rows")
	m = f.call("get_records", map[string]any{"offset": 99999})
	assert.EqualValues(t, 100000, m["total"])
	assert.Len(t, m["records"], 1)
}

func TestGetRecordsPaging(t *testing.T) {
	_, f := newSheet(t)
	var ver0 float64 = f.get(map[string]any{})["ver"].(float64)
	var all []string
	for range 5 {
		batch := make([]map[string]any, 500)
		for i := range batch {
			batch[i] = map[string]any{"库存": len(all) + i}
		}
		all = append(all, f.add(batch...)...)
	}
	m := f.get(map[string]any{})
	assert.EqualValues(t, 2500, m["total"])
	assert.Len(t, m["records"], 1000, "limit 0 → up to 1000")
	assert.Equal(t, true, m["has_more"])
	assert.EqualValues(t, 1000, m["next"])
	assert.Equal(t, ver0+5, m["ver"], "ver counts writes")

	var got []string
	for offset := 0.0; ; {
		m := f.get(map[string]any{"offset": offset, "limit": 700})
		got = append(got, recordIDs(m)...)
		if m["has_more"] != true {
			break
		}
		offset = m["next"].(float64)
	}
	assert.Equal(t, all, got, "paging returns every record once, in order")
	m = f.get(map[string]any{"offset": 5000})
	assert.Empty(t, m["records"])
	assert.Equal(t, false, m["has_more"])

	// record_ids (unknown ids skipped), field selection by title or id.
	m = f.get(map[string]any{"record_ids": []string{all[7], "rNOPE0", all[3]}, "field_titles": []string{"库存"}})
	assert.Equal(t, []string{all[7], all[3]}, recordIDs(m))
	assert.Equal(t, map[string]any{"库存": 7.0}, m["records"].([]any)[0].(map[string]any)["values"])
	m = f.get(map[string]any{"record_ids": []string{all[7]}, "key_type": "CELL_VALUE_KEY_TYPE_FIELD_ID",
		"field_ids": []string{f.ids["库存"]}, "field_titles": []string{"款号"}})
	assert.Equal(t, map[string]any{f.ids["库存"]: 7.0}, m["records"].([]any)[0].(map[string]any)["values"],
		"field_ids with id keys; field_titles ignored")

	// delete
	del := f.call("delete_records", map[string]any{"record_ids": all[:10]})
	assert.EqualValues(t, 0, del["errcode"])
	m = f.get(map[string]any{"limit": 1})
	assert.EqualValues(t, 2490, m["total"])
	assert.Equal(t, all[10], recordIDs(m)[0])
}

func TestSort(t *testing.T) {
	_, f := newSheet(t)
	ids := f.add(
		map[string]any{"款号": text("b"), "库存": 10},
		map[string]any{"款号": text("a")},
		map[string]any{"款号": text("c"), "库存": 2},
		map[string]any{"款号": text("a"), "库存": 5},
	)
	tests := []struct {
		name string
		sort []any
		want []string
	}{
		{"number asc, empty last", []any{map[string]any{"field_title": "库存"}}, []string{ids[2], ids[3], ids[0], ids[1]}},
		{"number desc, empty last", []any{map[string]any{"field_title": "库存", "desc": true}}, []string{ids[0], ids[3], ids[2], ids[1]}},
		{"text then number desc", []any{map[string]any{"field_title": "款号"}, map[string]any{"field_title": "库存", "desc": true}},
			[]string{ids[3], ids[1], ids[0], ids[2]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, recordIDs(f.get(map[string]any{"sort": tt.sort})))
		})
	}
}

func TestFilter(t *testing.T) {
	clk := newClock() // 2025-05-14 18:00 Beijing
	_, f := newSheet(t, wecomtest.WithClock(clk.Now))
	day := func(y, m, d int) string {
		return strconv.FormatInt(time.Date(y, time.Month(m), d, 12, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli(), 10)
	}
	ids := f.add(
		map[string]any{"款号": text("BAG-001 红"), "库存": 3, "在售": true, "日期": day(2025, 5, 14),
			"负责人": []any{map[string]any{"user_id": wecomtest.DefaultUserID}}, "颜色": []any{map[string]any{"text": "红"}}},
		map[string]any{"款号": text("BAG-002"), "库存": 0, "日期": day(2025, 5, 13), "颜色": []any{map[string]any{"text": "红"}, map[string]any{"text": "蓝"}}},
		map[string]any{"款号": text("WAL-003"), "库存": 12, "在售": false, "日期": day(2025, 4, 1)},
		map[string]any{"库存": 5},
	)
	opts := f.call("get_fields", map[string]any{"field_titles": []string{"颜色"}})["fields"].([]any)[0].(map[string]any)["property_select"].(map[string]any)["options"].([]any)
	red, blue := opts[0].(map[string]any)["id"], opts[1].(map[string]any)["id"]
	cond := func(title, typ, op string, kv ...any) map[string]any {
		c := map[string]any{"field_id": f.ids[title], "field_type": typ, "operator": "OPERATOR_" + op}
		for i := 0; i+1 < len(kv); i += 2 {
			c[kv[i].(string)] = kv[i+1]
		}
		return c
	}
	str := func(v ...any) map[string]any { return map[string]any{"value": v} }
	num := func(v float64) map[string]any { return map[string]any{"value": v} }
	date := func(typ string, v ...any) map[string]any {
		return map[string]any{"type": "DATE_TIME_TYPE_" + typ, "value": v}
	}
	const (
		T = "FIELD_TYPE_TEXT"
		N = "FIELD_TYPE_NUMBER"
		B = "FIELD_TYPE_CHECKBOX"
		D = "FIELD_TYPE_DATE_TIME"
		U = "FIELD_TYPE_USER"
		S = "FIELD_TYPE_SELECT"
	)
	tests := []struct {
		name  string
		conj  string
		conds []any
		want  []string
	}{
		{"text is", "", []any{cond("款号", T, "IS", "string_value", str("BAG-002"))}, []string{ids[1]}},
		{"text is not", "", []any{cond("款号", T, "IS_NOT", "string_value", str("BAG-002"))}, []string{ids[0], ids[2], ids[3]}},
		{"text contains", "", []any{cond("款号", T, "CONTAINS", "string_value", str("BAG"))}, []string{ids[0], ids[1]}},
		{"text does not contain", "", []any{cond("款号", T, "DOES_NOT_CONTAIN", "string_value", str("BAG"))}, []string{ids[2], ids[3]}},
		{"number is", "", []any{cond("库存", N, "IS", "number_value", num(3))}, []string{ids[0]}},
		{"number >", "", []any{cond("库存", N, "IS_GREATER", "number_value", num(3))}, []string{ids[2], ids[3]}},
		{"number >=", "", []any{cond("库存", N, "IS_GREATER_OR_EQUAL", "number_value", num(3))}, []string{ids[0], ids[2], ids[3]}},
		{"number <", "", []any{cond("库存", N, "IS_LESS", "number_value", num(3))}, []string{ids[1]}},
		{"number <=", "", []any{cond("库存", N, "IS_LESS_OR_EQUAL", "number_value", num(3))}, []string{ids[0], ids[1]}},
		{"checkbox is true", "", []any{cond("在售", B, "IS", "bool_value", map[string]any{"value": true})}, []string{ids[0]}},
		{"checkbox is false (empty is false)", "", []any{cond("在售", B, "IS", "bool_value", map[string]any{"value": false})}, []string{ids[1], ids[2], ids[3]}},
		{"user is", "", []any{cond("负责人", U, "IS", "user_value", str(wecomtest.DefaultUserID))}, []string{ids[0]}},
		{"user does not contain", "", []any{cond("负责人", U, "DOES_NOT_CONTAIN", "user_value", str(wecomtest.DefaultUserID))}, []string{ids[1], ids[2], ids[3]}},
		{"select contains", "", []any{cond("颜色", S, "CONTAINS", "string_value", str(blue))}, []string{ids[1]}},
		{"select is (same set)", "", []any{cond("颜色", S, "IS", "string_value", str(red))}, []string{ids[0]}},
		{"date is day", "", []any{cond("日期", D, "IS", "date_time_value", date("DETAIL_DATE", "1747152000000"))}, []string{ids[0]}},
		{"date today", "", []any{cond("日期", D, "IS", "date_time_value", date("TODAY"))}, []string{ids[0]}},
		{"date yesterday", "", []any{cond("日期", D, "IS", "date_time_value", date("YESTERDAY"))}, []string{ids[1]}},
		{"date before day", "", []any{cond("日期", D, "IS_LESS", "date_time_value", date("DETAIL_DATE", "1747152000000"))}, []string{ids[1], ids[2]}},
		{"date after day", "", []any{cond("日期", D, "IS_GREATER", "date_time_value", date("DETAIL_DATE", "1747065600000"))}, []string{ids[0]}},
		{"date current month", "", []any{cond("日期", D, "IS", "date_time_value", date("CURRENT_MONTH"))}, []string{ids[0], ids[1]}},
		{"date past 7 days", "", []any{cond("日期", D, "IS", "date_time_value", date("THE_PAST_7_DAYS"))}, []string{ids[0], ids[1]}},
		{"empty", "", []any{cond("款号", T, "IS_EMPTY")}, []string{ids[3]}},
		{"not empty", "", []any{cond("日期", D, "IS_NOT_EMPTY")}, []string{ids[0], ids[1], ids[2]}},
		{"and", "CONJUNCTION_AND", []any{cond("款号", T, "CONTAINS", "string_value", str("BAG")), cond("库存", N, "IS_GREATER", "number_value", num(0))}, []string{ids[0]}},
		{"or", "CONJUNCTION_OR", []any{cond("库存", N, "IS", "number_value", num(0)), cond("库存", N, "IS", "number_value", num(12))}, []string{ids[1], ids[2]}},
		{"no conditions", "", []any{}, ids},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conj := cmp.Or(tt.conj, "CONJUNCTION_AND")
			m := f.get(map[string]any{"filter_spec": map[string]any{"conjunction": conj, "conditions": tt.conds}})
			assert.Equal(t, tt.want, recordIDs(m))
			assert.EqualValues(t, len(tt.want), m["total"])
		})
	}
	bad := []struct {
		name string
		spec map[string]any
	}{
		{"field_type mismatch", map[string]any{"conditions": []any{cond("库存", T, "IS", "string_value", str("3"))}}},
		{"missing value holder", map[string]any{"conditions": []any{cond("库存", N, "IS")}}},
		{"operator not for type", map[string]any{"conditions": []any{cond("款号", T, "IS_GREATER", "string_value", str("a"))}}},
		{"unknown operator", map[string]any{"conditions": []any{cond("款号", T, "LIKE", "string_value", str("a"))}}},
		{"unknown field", map[string]any{"conditions": []any{map[string]any{"field_id": "fNOPE0", "field_type": T, "operator": "OPERATOR_IS_EMPTY"}}}},
		{"bad conjunction", map[string]any{"conjunction": "XOR", "conditions": []any{}}},
		{"bad date type", map[string]any{"conditions": []any{cond("日期", D, "IS", "date_time_value", date("NEVER"))}}},
		{"detail date without value", map[string]any{"conditions": []any{cond("日期", D, "IS", "date_time_value", date("DETAIL_DATE"))}}},
	}
	bad = append(bad, struct {
		name string
		spec map[string]any
	}{"no conjunction", map[string]any{"conditions": []any{}}})
	for _, tt := range bad {
		if tt.name != "no conjunction" && tt.spec["conjunction"] == nil {
			tt.spec["conjunction"] = "CONJUNCTION_AND" // so that the case fails for its own reason
		}
		m := f.call("get_records", map[string]any{"filter_spec": tt.spec})
		assert.EqualValues(t, 40058, m["errcode"], tt.name)
	}
}

func TestAutoNumberCustom(t *testing.T) {
	clk := newClock()
	_, f := newSheet(t, wecomtest.WithClock(clk.Now))
	f.call("add_fields", map[string]any{"fields": []any{map[string]any{"field_title": "单号", "field_type": "FIELD_TYPE_AUTONUMBER",
		"property_auto_number": map[string]any{"type": "NUMBER_TYPE_CUSTOM", "rules": []any{
			map[string]any{"type": "NUMBER_RULE_TYPE_FIXED_CHAR", "value": "BAG-"},
			map[string]any{"type": "NUMBER_RULE_TYPE_TIME", "value": "YYYYMMDD"},
			map[string]any{"type": "NUMBER_RULE_TYPE_INCR", "value": "4"}}}}}})
	f.add(map[string]any{}, map[string]any{})
	m := f.get(map[string]any{"field_titles": []string{"单号"}})
	got := m["records"].([]any)[1].(map[string]any)["values"].(map[string]any)["单号"]
	assert.Equal(t, []any{map[string]any{"seq": "2", "text": "BAG-202505140002"}}, got)
}

// TestTenThousandRecords times a shop-sized import: 10,000 records added in 20 calls of 500 and
// read back in 10 pages of 1000, over HTTP. It logs the time; BenchmarkTenThousandRecords reports it.
func TestTenThousandRecords(t *testing.T) {
	_, f := newSheet(t)
	start := time.Now()
	roundTrip(t, f)
	t.Logf("10,000 records: 20 add calls of 500 + 10 pages of 1000 in %v", time.Since(start))
}

func roundTrip(t testing.TB, f *sheetFixture) {
	batch := make([]any, 500)
	for call := range 20 {
		for i := range batch {
			n := call*500 + i
			batch[i] = map[string]any{"values": map[string]any{"款号": text(fmt.Sprintf("BAG-%05d", n)), "库存": n % 7,
				"在售": n%2 == 0, "日期": "1747152000000"}}
		}
		m := f.call("add_records", map[string]any{"records": batch})
		require.EqualValues(t, 0, m["errcode"])
	}
	total := 0
	for offset := 0.0; ; {
		m := f.call("get_records", map[string]any{"offset": offset, "limit": 1000})
		require.EqualValues(t, 0, m["errcode"])
		total += len(m["records"].([]any))
		if m["has_more"] != true {
			break
		}
		offset = m["next"].(float64)
	}
	require.GreaterOrEqual(t, total, 10000)
}

func BenchmarkTenThousandRecords(b *testing.B) {
	b.StopTimer()
	for range b.N {
		srv := wecomtest.NewServer()
		c := newRaw(b, srv)
		tok := c.token()
		doc, sheet, _, _ := newDoc(c, tok)
		f := &sheetFixture{c: c, tok: tok, doc: doc, sheet: sheet}
		c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet,
			"fields": []any{map[string]any{"field_title": "在售", "field_type": "FIELD_TYPE_CHECKBOX"},
				map[string]any{"field_title": "日期", "field_type": "FIELD_TYPE_DATE_TIME", "property_date_time": map[string]any{}}}})
		b.StartTimer()
		roundTrip(b, f)
		b.StopTimer()
		srv.Close()
	}
}
