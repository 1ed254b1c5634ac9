package wecomtest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAddSheetIsEmpty: add_sheet makes a sub-sheet without fields and views (添加子表), unlike a new
// document's first sheet.
func TestAddSheetIsEmpty(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok := c.token()
	doc, _, _, _ := newDoc(c, tok)
	m := c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_sheet", tq(tok), map[string]any{"docid": doc, "properties": map[string]any{"title": "出入库"}})
	sheet := m["properties"].(map[string]any)["sheet_id"].(string)
	body := map[string]any{"docid": doc, "sheet_id": sheet}
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_fields", tq(tok), body)
	assert.EqualValues(t, 0, m["total"])
	assert.Equal(t, []any{}, m["fields"])
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_views", tq(tok), body)
	assert.EqualValues(t, 0, m["total"])
	assert.Equal(t, []any{}, m["views"])
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_records", tq(tok), body)
	assert.EqualValues(t, 0, m["total"])

	c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet,
		"fields": []any{map[string]any{"field_title": "单号", "field_type": "FIELD_TYPE_TEXT"}}})
	c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_view", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet,
		"view_title": "全部", "view_type": "VIEW_TYPE_GRID"})
	m = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_views", tq(tok), body)
	assert.EqualValues(t, 1, m["total"])
}

// TestAddFieldsRequiredProperty: the field types whose property the add_fields table marks required
// are refused without it (40058) and accepted with it.
func TestAddFieldsRequiredProperty(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok := c.token()
	doc, sheet, _, _ := newDoc(c, tok)
	props := map[string]map[string]any{
		"FIELD_TYPE_NUMBER":        {"property_number": map[string]any{"decimal_places": 0}},
		"FIELD_TYPE_DATE_TIME":     {"property_date_time": map[string]any{"format": "yyyy-mm-dd"}},
		"FIELD_TYPE_URL":           {"property_url": map[string]any{"type": "LINK_TYPE_PURE_TEXT"}},
		"FIELD_TYPE_SELECT":        {"property_select": map[string]any{"options": []any{}}},
		"FIELD_TYPE_SINGLE_SELECT": {"property_single_select": map[string]any{"options": []any{}}},
		"FIELD_TYPE_CREATED_TIME":  {"property_created_time": map[string]any{"format": "yyyy-mm-dd"}},
		"FIELD_TYPE_MODIFIED_TIME": {"property_modified_time": map[string]any{"format": "yyyy-mm-dd"}},
		"FIELD_TYPE_PROGRESS":      {"property_progress": map[string]any{"decimal_places": 0}},
		"FIELD_TYPE_REFERENCE":     {"property_reference": map[string]any{"sub_id": sheet}},
		"FIELD_TYPE_LOCATION":      {"property_location": map[string]any{"input_type": "LOCATION_INPUT_TYPE_MANUAL"}},
		"FIELD_TYPE_AUTONUMBER":    {"property_auto_number": map[string]any{"type": "NUMBER_TYPE_INCR"}},
		"FIELD_TYPE_CURRENCY":      {"property_currency": map[string]any{"currency_type": "CURRENCY_TYPE_CNY"}},
	}
	add := func(field map[string]any) map[string]any {
		return c.json("POST", "/cgi-bin/wedoc/smartsheet/add_fields", tq(tok), map[string]any{"docid": doc, "sheet_id": sheet, "fields": []any{field}})
	}
	for typ, prop := range props {
		m := add(map[string]any{"field_title": typ, "field_type": typ})
		assert.EqualValues(t, 40058, m["errcode"], "%s without its property", typ)
		for k := range prop {
			assert.Contains(t, m["errmsg"], k)
		}
		m = add(map[string]any{"field_title": typ, "field_type": typ, "property_number": nil})
		assert.EqualValues(t, 40058, m["errcode"], "%s: null is no property", typ)
		field := map[string]any{"field_title": typ, "field_type": typ}
		for k, v := range prop {
			field[k] = v
		}
		assert.EqualValues(t, 0, add(field)["errcode"], "%s with its property", typ)
	}
	for _, typ := range []string{"FIELD_TYPE_TEXT", "FIELD_TYPE_CHECKBOX", "FIELD_TYPE_USER", "FIELD_TYPE_IMAGE", "FIELD_TYPE_PHONE_NUMBER",
		"FIELD_TYPE_EMAIL", "FIELD_TYPE_ATTACHMENT", "FIELD_TYPE_WWGROUP", "FIELD_TYPE_PERCENTAGE", "FIELD_TYPE_BARCODE"} {
		assert.EqualValues(t, 0, add(map[string]any{"field_title": typ, "field_type": typ})["errcode"], "%s needs no property", typ)
	}
}

func TestUpdateFieldsNeedsTitleOrProperty(t *testing.T) {
	_, f := newSheet(t)
	m := f.call("update_fields", map[string]any{"fields": []any{map[string]any{"field_id": f.ids["库存"], "field_type": "FIELD_TYPE_NUMBER"}}})
	assert.EqualValues(t, 40058, m["errcode"])
	assert.Contains(t, m["errmsg"], "field_title or property_number")
	m = f.call("update_fields", map[string]any{"fields": []any{map[string]any{"field_id": f.ids["库存"], "field_type": "FIELD_TYPE_NUMBER",
		"property_number": map[string]any{"decimal_places": 2}}}})
	assert.EqualValues(t, 0, m["errcode"], "a property alone is enough")
}

// TestGetRecordsAppliesView: get_records with view_id answers the view's records in the view's order.
func TestGetRecordsAppliesView(t *testing.T) {
	_, f := newSheet(t)
	ids := f.add(map[string]any{"款号": text("B-1"), "库存": 5}, map[string]any{"款号": text("B-2"), "库存": 0},
		map[string]any{"款号": text("W-3"), "库存": 9}, map[string]any{"款号": text("B-4"), "库存": 2})
	m := f.call("add_view", map[string]any{"view_title": "有货的包", "view_type": "VIEW_TYPE_GRID"})
	view := m["view"].(map[string]any)["view_id"].(string)
	m = f.call("update_view", map[string]any{"view_id": view, "property": map[string]any{
		"sort_spec": map[string]any{"sort_infos": []any{map[string]any{"field_id": f.ids["库存"], "desc": true}}},
		"filter_spec": map[string]any{"conjunction": "CONJUNCTION_AND", "conditions": []any{
			map[string]any{"field_id": f.ids["款号"], "field_type": "FIELD_TYPE_TEXT", "operator": "OPERATOR_CONTAINS", "string_value": map[string]any{"value": []any{"B-"}}},
			map[string]any{"field_id": f.ids["库存"], "field_type": "FIELD_TYPE_NUMBER", "operator": "OPERATOR_IS_GREATER", "number_value": map[string]any{"value": 0}},
		}}}})
	require.EqualValues(t, 0, m["errcode"], "%v", m)

	got := f.get(map[string]any{"view_id": view})
	assert.Equal(t, []string{ids[0], ids[3]}, recordIDs(got), "the view's filter, then its sort (库存 descending)")
	assert.EqualValues(t, 2, got["total"])
	got = f.get(map[string]any{"view_id": view, "sort": []any{map[string]any{"field_title": "库存"}}})
	assert.Equal(t, []string{ids[3], ids[0]}, recordIDs(got), "the request's sort wins over the view's")
	got = f.get(map[string]any{"view_id": view, "filter_spec": map[string]any{"conjunction": "CONJUNCTION_AND", "conditions": []any{
		map[string]any{"field_id": f.ids["库存"], "field_type": "FIELD_TYPE_NUMBER", "operator": "OPERATOR_IS_LESS", "number_value": map[string]any{"value": 3}}}}})
	assert.Equal(t, []string{ids[3]}, recordIDs(got), "the request's filter applies on top of the view's")
	assert.Len(t, recordIDs(f.get(map[string]any{})), 4, "without view_id every record")

	f.call("delete_fields", map[string]any{"field_ids": []string{f.ids["库存"]}})
	assert.Len(t, recordIDs(f.get(map[string]any{"view_id": view})), 3, "conditions on a deleted field are dropped")

	m = f.call("update_view", map[string]any{"view_id": view, "property": map[string]any{
		"sort_spec": map[string]any{"sort_infos": []any{map[string]any{"field_id": "fNOPE0"}}}}})
	assert.EqualValues(t, 40058, m["errcode"], "sort_spec on an unknown field")
	m = f.call("update_view", map[string]any{"view_id": view, "property": map[string]any{"filter_spec": map[string]any{"conditions": []any{}}}})
	assert.EqualValues(t, 40058, m["errcode"], "filter_spec without conjunction")
}
