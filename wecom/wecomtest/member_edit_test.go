package wecomtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// memberFixture is a smart sheet 商品 (产品编码 TEXT, 售价 NUMBER, 库存 NUMBER, 最后编辑 MODIFIED_USER)
// with three products, made by the default app, whose callback is a receiver.
type memberFixture struct {
	*sheetFixture
	srv *wecomtest.Server
	rc  *receiver
	clk *clock
	ids []string
}

func newMemberFixture(t *testing.T, opts ...wecomtest.Option) *memberFixture {
	t.Helper()
	clk := newClock()
	srv := newServer(t, append([]wecomtest.Option{wecomtest.WithClock(clk.Now), wecomtest.WithCallbackTimeout(200 * time.Millisecond),
		wecomtest.WithMember(wecomtest.Member{UserID: "zhangsan", Name: "张三"}), wecomtest.WithMember(wecomtest.Member{UserID: "lisi", Name: "李四"})}, opts...)...)
	rc, cb := newReceiver(t, wecomtest.DefaultCorpID, wecomtest.ModeSafe)
	require.NoError(t, srv.SetAppCallback(wecomtest.DefaultAgentID, cb))
	c := newRaw(t, srv)
	tok := c.token()
	doc := c.ok("POST", "/cgi-bin/wedoc/create_doc", tq(tok), map[string]any{"doc_type": 10, "doc_name": "箱包库存"})["docid"].(string)
	sheet := c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_sheet", tq(tok), map[string]any{"docid": doc,
		"properties": map[string]any{"title": "商品"}})["properties"].(map[string]any)["sheet_id"].(string)
	f := &memberFixture{sheetFixture: &sheetFixture{c: c, tok: tok, doc: doc, sheet: sheet}, srv: srv, rc: rc, clk: clk}
	m := f.call("add_fields", map[string]any{"fields": []any{
		map[string]any{"field_title": "产品编码", "field_type": "FIELD_TYPE_TEXT"},
		map[string]any{"field_title": "售价", "field_type": "FIELD_TYPE_NUMBER", "property_number": map[string]any{"decimal_places": 2}},
		map[string]any{"field_title": "库存", "field_type": "FIELD_TYPE_NUMBER", "property_number": map[string]any{"decimal_places": 0}},
		map[string]any{"field_title": "最后编辑", "field_type": "FIELD_TYPE_MODIFIED_USER"},
	}})
	require.EqualValues(t, 0, m["errcode"], "%v", m)
	f.ids = f.add(map[string]any{"产品编码": text("BAG-1"), "售价": 1299, "库存": 3},
		map[string]any{"产品编码": text("BAG-2"), "售价": 899, "库存": 1},
		map[string]any{"产品编码": text("BAG-3"), "售价": 450, "库存": 0})
	return f
}

// setStatuses sets the HTTP status the receiver answers, per request in arrival order.
func (rc *receiver) setStatuses(s ...int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.statuses = s
}

// events decodes the smart_sheet_change callbacks the app received, with the SDK's parser.
func (f *memberFixture) events(t *testing.T) []*wecom.Message {
	t.Helper()
	var out []*wecom.Message
	for _, in := range f.rc.requests() {
		require.NoError(t, in.verify)
		m, err := wecom.ParseMessage(in.plain)
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}

// record reads one record back through get_records.
func (f *memberFixture) record(id string) map[string]any {
	m := f.get(map[string]any{"record_ids": []string{id}})
	if recs := m["records"].([]any); len(recs) == 1 {
		return recs[0].(map[string]any)
	}
	return nil
}

func TestEditRecordsAsMember(t *testing.T) {
	f := newMemberFixture(t)
	f.clk.Add(time.Hour)
	err := f.srv.EditRecordsAsMember(t.Context(), "lisi", f.doc, "商品", []wecomtest.MemberEdit{
		{RecordID: f.ids[0], Values: map[string]any{"售价": 1199.0}},
		{RecordID: f.ids[2], Values: map[string]any{"库存": 5.0, "产品编码": []any{map[string]any{"type": "text", "text": "BAG-3b"}}}},
	})
	require.NoError(t, err)

	rec := f.record(f.ids[0])
	assert.Equal(t, 1199.0, rec["values"].(map[string]any)["售价"])
	assert.Equal(t, 3.0, rec["values"].(map[string]any)["库存"], "cells not listed keep their value")
	assert.Equal(t, "李四", rec["updater_name"])
	assert.Equal(t, wecomtest.DefaultAppName, rec["creator_name"])
	assert.Equal(t, strconv.FormatInt(f.clk.Now().UnixMilli(), 10), rec["update_time"])
	assert.Equal(t, []any{map[string]any{"user_id": "lisi"}}, rec["values"].(map[string]any)["最后编辑"], "MODIFIED_USER names the member")
	assert.Equal(t, text("BAG-3b"), f.record(f.ids[2])["values"].(map[string]any)["产品编码"])
	assert.Equal(t, wecomtest.DefaultAppName, f.record(f.ids[1])["updater_name"], "an untouched record")

	events := f.events(t)
	require.Len(t, events, 1)
	e := events[0]
	assert.Equal(t, wecomtest.DefaultCorpID, e.ToUserName)
	assert.Equal(t, "lisi", e.FromUserName, "FromUserName is the member's userid (记录变更事件)")
	assert.Equal(t, f.clk.Now().Unix(), e.CreateTime)
	assert.Equal(t, wecom.MsgTypeEvent, e.MsgType)
	assert.Equal(t, wecom.EventSmartSheetChange, e.Event)
	assert.Equal(t, wecom.ChangeTypeUpdateRecord, e.ChangeType)
	assert.Equal(t, f.doc, e.DocID)
	assert.Equal(t, f.sheet, e.SheetID)
	assert.Equal(t, []string{f.ids[0], f.ids[2]}, e.RecordIDs)
	raw := string(f.rc.requests()[0].plain)
	assert.Equal(t, 2, strings.Count(raw, "<RecordId>"), "one RecordId element per record: %s", raw)

	// By sheet id as well as by title.
	require.NoError(t, f.srv.EditRecordsAsMember(t.Context(), "zhangsan", f.doc, f.sheet, []wecomtest.MemberEdit{{RecordID: f.ids[1], Values: map[string]any{"库存": nil}}}))
	_, has := f.record(f.ids[1])["values"].(map[string]any)["库存"]
	assert.False(t, has, "null clears a cell")
}

func TestMemberRecordsBatchesAndKinds(t *testing.T) {
	f := newMemberFixture(t)
	values := make([]map[string]any, 2500)
	for i := range values {
		values[i] = map[string]any{"产品编码": text(fmt.Sprintf("NEW-%d", i)), "库存": float64(i % 4)}
	}
	ids, err := f.srv.AddRecordsAsMember(t.Context(), "zhangsan", f.doc, "商品", values)
	require.NoError(t, err)
	require.Len(t, ids, 2500)
	rec := f.record(ids[0])
	assert.Equal(t, "张三", rec["creator_name"])
	assert.Equal(t, "张三", rec["updater_name"])

	require.NoError(t, f.srv.DeleteRecordsAsMember(t.Context(), "zhangsan", f.doc, "商品", ids))
	assert.Nil(t, f.record(ids[0]))
	assert.Len(t, recordIDs(f.get(map[string]any{})), 3)

	events := f.events(t)
	require.Len(t, events, 6, "2,500 ids: callbacks of 1,000, 1,000 and 500, for the add and for the delete")
	var got []string
	for i, e := range events {
		want := wecom.ChangeTypeAddRecord
		if i >= 3 {
			want = wecom.ChangeTypeDeleteRecord
		}
		assert.Equal(t, want, e.ChangeType)
		assert.Equal(t, []int{1000, 1000, 500}[i%3], len(e.RecordIDs))
		got = append(got, e.RecordIDs...)
	}
	assert.Equal(t, append(append([]string(nil), ids...), ids...), got, "every id once per change, in order")
}

func TestMemberFieldChanges(t *testing.T) {
	f := newMemberFixture(t)
	ctx := t.Context()
	id, err := f.srv.AddFieldAsMember(ctx, "zhangsan", f.doc, "商品", "颜色", "FIELD_TYPE_SINGLE_SELECT")
	require.NoError(t, err)
	require.NoError(t, f.srv.RenameFieldAsMember(ctx, "zhangsan", f.doc, "商品", "售价", "零售价"))
	require.NoError(t, f.srv.DeleteFieldsAsMember(ctx, "zhangsan", f.doc, f.sheet, []string{id, "库存"}))

	m := f.call("get_fields", map[string]any{})
	var titles []string
	for _, x := range m["fields"].([]any) {
		titles = append(titles, x.(map[string]any)["field_title"].(string))
	}
	assert.Equal(t, []string{"产品编码", "零售价", "最后编辑"}, titles)
	_, has := f.record(f.ids[0])["values"].(map[string]any)["库存"]
	assert.False(t, has, "a deleted column's cells are gone")

	events := f.events(t)
	require.Len(t, events, 3)
	assert.Equal(t, wecom.ChangeTypeAddField, events[0].ChangeType)
	assert.Equal(t, []string{id}, events[0].FieldIDs)
	assert.Equal(t, wecom.ChangeTypeUpdateField, events[1].ChangeType)
	assert.Len(t, events[1].FieldIDs, 1)
	assert.Equal(t, wecom.ChangeTypeDeleteField, events[2].ChangeType)
	assert.Len(t, events[2].FieldIDs, 2)
	assert.Contains(t, string(f.rc.requests()[0].plain), "<ChangeType><![CDATA[add_filed]]></ChangeType>", "WeCom's own spelling")

	_, err = f.srv.AddFieldAsMember(ctx, "zhangsan", f.doc, "商品", "零售价", "FIELD_TYPE_TEXT")
	assert.Error(t, err, "a duplicate title")
	_, err = f.srv.AddFieldAsMember(ctx, "zhangsan", f.doc, "商品", "公式", "FIELD_TYPE_FORMULA")
	assert.Error(t, err)
	assert.Error(t, f.srv.RenameFieldAsMember(ctx, "zhangsan", f.doc, "商品", "nope", "x"))
	assert.Error(t, f.srv.DeleteFieldsAsMember(ctx, "zhangsan", f.doc, "商品", []string{"产品编码", "零售价", "最后编辑"}), "a sheet keeps one column")
}

// TestMemberEditRefused: a refused change changes nothing and delivers nothing.
func TestMemberEditRefused(t *testing.T) {
	f := newMemberFixture(t)
	edit := func(user, doc, sheet, id string, values map[string]any) error {
		return f.srv.EditRecordsAsMember(t.Context(), user, doc, sheet, []wecomtest.MemberEdit{{RecordID: id, Values: values}})
	}
	price := map[string]any{"售价": 1.0}
	tests := []struct {
		name string
		err  error
	}{
		{"not a member", edit("wangwu", f.doc, "商品", f.ids[0], price)},
		{"unknown doc", edit("zhangsan", "dcNOPE", "商品", f.ids[0], price)},
		{"unknown sheet", edit("zhangsan", f.doc, "库存表", f.ids[0], price)},
		{"unknown record", edit("zhangsan", f.doc, "商品", "rNOPE0", price)},
		{"unknown field", edit("zhangsan", f.doc, "商品", f.ids[0], map[string]any{"颜色": text("红")})},
		{"read-only field", edit("zhangsan", f.doc, "商品", f.ids[0], map[string]any{"最后编辑": []any{}})},
		{"wrong value shape", edit("zhangsan", f.doc, "商品", f.ids[0], map[string]any{"售价": "一千"})},
		{"no edits", f.srv.EditRecordsAsMember(t.Context(), "zhangsan", f.doc, "商品", nil)},
		{"delete unknown record", f.srv.DeleteRecordsAsMember(t.Context(), "zhangsan", f.doc, "商品", []string{f.ids[0], "rNOPE0"})},
	}
	for _, tt := range tests {
		assert.ErrorContains(t, tt.err, "refused", tt.name)
		var de *wecomtest.DeliveryError
		assert.False(t, errors.As(tt.err, &de), tt.name)
	}
	_, err := f.srv.AddRecordsAsMember(t.Context(), "zhangsan", f.doc, "商品", []map[string]any{{"售价": 1.0}, {"售价": true}})
	assert.ErrorContains(t, err, "refused", "all or nothing")
	assert.Len(t, recordIDs(f.get(map[string]any{})), 3)
	assert.Equal(t, 1299.0, f.record(f.ids[0])["values"].(map[string]any)["售价"])
	assert.Empty(t, f.rc.requests())
}

// TestMemberEditDelivery: the edit stays applied when the app's callback fails; the error says so.
func TestMemberEditDelivery(t *testing.T) {
	f := newMemberFixture(t)
	f.rc.setStatuses(500, 502, 503, 500, 200) // per request: the first edit fails 3 times, the second once
	err := f.srv.EditRecordsAsMember(t.Context(), "zhangsan", f.doc, "商品", []wecomtest.MemberEdit{{RecordID: f.ids[0], Values: map[string]any{"售价": 999.0}}})
	var de *wecomtest.DeliveryError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 3, de.Attempts, "WeCom's 3 tries")
	assert.Contains(t, err.Error(), "applied")
	assert.Equal(t, 999.0, f.record(f.ids[0])["values"].(map[string]any)["售价"], "the edit stays")

	require.NoError(t, f.srv.EditRecordsAsMember(t.Context(), "zhangsan", f.doc, "商品", []wecomtest.MemberEdit{{RecordID: f.ids[0], Values: map[string]any{"售价": 998.0}}}),
		"a retry that succeeds")
	assert.Len(t, f.rc.requests(), 5)

	other := newServer(t) // no callback configured
	c := newRaw(t, other)
	tok := c.token()
	doc, sheet, _, _ := newDoc(c, tok)
	ids := (&sheetFixture{c: c, tok: tok, doc: doc, sheet: sheet}).add(map[string]any{"库存": 1})
	err = other.EditRecordsAsMember(t.Context(), wecomtest.DefaultUserID, doc, sheet, []wecomtest.MemberEdit{{RecordID: ids[0], Values: map[string]any{"库存": 2.0}}})
	assert.ErrorIs(t, err, wecomtest.ErrNoCallback)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = f.srv.EditRecordsAsMember(ctx, "zhangsan", f.doc, "商品", []wecomtest.MemberEdit{{RecordID: f.ids[1], Values: map[string]any{"库存": 7.0}}})
	assert.ErrorAs(t, err, &de, "a cancelled context stops the delivery, not the edit")
	assert.Equal(t, 7.0, f.record(f.ids[1])["values"].(map[string]any)["库存"])
}

func TestMemberEditHTTP(t *testing.T) {
	f := newMemberFixture(t, wecomtest.WithMaxRequestBody(4<<10))
	f.rc.setStatuses(200, 200, 200, 500, 500, 500) // the 4th change is not delivered
	post := func(path string, body any) (int, map[string]any) {
		status, data := f.c.do("POST", "/test/smartsheet/"+path, nil, body)
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m), "%s", data)
		return status, m
	}
	status, m := post("member_edit", map[string]any{"userid": "lisi", "docid": f.doc, "sheet": "商品",
		"records": []any{map[string]any{"record_id": f.ids[0], "values": map[string]any{"售价": 1099}}}})
	require.Equal(t, http.StatusOK, status, "%v", m)
	assert.EqualValues(t, 0, m["errcode"])
	assert.Equal(t, true, m["delivered"])
	assert.Equal(t, []any{f.ids[0]}, m["record_ids"])
	assert.Equal(t, 1099.0, f.record(f.ids[0])["values"].(map[string]any)["售价"])

	status, m = post("member_add", map[string]any{"docid": f.doc, "sheet": f.sheet, "records": []any{map[string]any{"values": map[string]any{"产品编码": text("BAG-9")}}}})
	require.Equal(t, http.StatusOK, status, "%v", m)
	added := m["record_ids"].([]any)[0].(string)
	assert.Equal(t, wecomtest.DefaultUserName, f.record(added)["creator_name"], "userid defaults to the current user")
	status, m = post("member_delete", map[string]any{"userid": "zhangsan", "docid": f.doc, "sheet": "商品", "record_ids": []string{added}})
	require.Equal(t, http.StatusOK, status, "%v", m)
	assert.Nil(t, f.record(added))
	kinds := []string{}
	for _, e := range f.events(t) {
		kinds = append(kinds, e.ChangeType)
	}
	assert.Equal(t, []string{"update_record", "add_record", "delete_record"}, kinds)

	status, m = post("member_edit", map[string]any{"userid": "lisi", "docid": f.doc, "sheet": "商品",
		"records": []any{map[string]any{"record_id": f.ids[0], "values": map[string]any{"售价": 1}}}})
	assert.Equal(t, http.StatusOK, status, "applied")
	assert.Equal(t, false, m["delivered"])
	assert.Contains(t, m["delivery_error"], "not delivered")

	bad := []struct {
		name   string
		body   any
		status int
		code   float64
	}{
		{"unknown doc", map[string]any{"docid": "dcNOPE", "sheet": "商品", "records": []any{map[string]any{"record_id": f.ids[0]}}}, 404, 640002},
		{"unknown member", map[string]any{"userid": "x", "docid": f.doc, "sheet": "商品", "records": []any{map[string]any{"record_id": f.ids[0]}}}, 400, 60111},
		{"unknown record", map[string]any{"docid": f.doc, "sheet": "商品", "records": []any{map[string]any{"record_id": "rNOPE0"}}}, 400, 40058},
		{"no records", map[string]any{"docid": f.doc, "sheet": "商品"}, 400, 40058},
		{"bad value", map[string]any{"docid": f.doc, "sheet": "商品", "records": []any{map[string]any{"record_id": f.ids[0], "values": map[string]any{"售价": "x"}}}}, 400, 40058},
		{"not JSON", []byte("{"), 400, 40058},
		{"records not an array", []byte(`{"records":1}`), 400, 40058},
		{"too large", bytes.Repeat([]byte(" "), 5<<10), 413, 40058},
	}
	for _, tt := range bad {
		status, m := post("member_edit", tt.body)
		assert.Equal(t, tt.status, status, tt.name)
		assert.Equal(t, tt.code, m["errcode"], tt.name)
		assert.NotEmpty(t, m["errmsg"], tt.name)
	}
	status, _ = f.c.do("GET", "/test/smartsheet/member_edit", nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, status)
}

// TestMemberEditIsDurable: a member's edit is in the journal like an API write.
func TestMemberEditIsDurable(t *testing.T) {
	state := filepath.Join(t.TempDir(), "fake.json")
	f := newMemberFixture(t, wecomtest.WithStateFile(state))
	require.NoError(t, f.srv.EditRecordsAsMember(t.Context(), "lisi", f.doc, "商品", []wecomtest.MemberEdit{{RecordID: f.ids[0], Values: map[string]any{"售价": 1.5}}}))
	loaded := newServer(t, wecomtest.WithStateFile(copyState(t, state)))
	c := newRaw(t, loaded)
	m := c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_records", tq(c.token()), map[string]any{"docid": f.doc, "sheet_id": f.sheet, "record_ids": []string{f.ids[0]}})
	rec := m["records"].([]any)[0].(map[string]any)
	assert.Equal(t, 1.5, rec["values"].(map[string]any)["售价"])
	assert.Equal(t, "李四", rec["updater_name"])
	assert.Equal(t, []any{map[string]any{"user_id": "lisi"}}, rec["values"].(map[string]any)["最后编辑"])
}
