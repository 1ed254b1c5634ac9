package smartsheet_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/smartsheet"
)

func TestResolveFilter(t *testing.T) {
	tests := []struct {
		name string
		f    smartsheet.Filter
		want string // the FilterSpec JSON
	}{
		{"number", smartsheet.Where("库存", smartsheet.LessThan, 2),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fStock","field_type":"FIELD_TYPE_NUMBER","operator":"OPERATOR_IS_LESS","number_value":{"value":2}}]}`},
		{"currency from a numeric string", smartsheet.Where("单价", smartsheet.GreaterOrEqual, "99.5"),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fPrice","field_type":"FIELD_TYPE_CURRENCY","operator":"OPERATOR_IS_GREATER_OR_EQUAL","number_value":{"value":99.5}}]}`},
		{"select option text becomes its id", smartsheet.Where("状态", smartsheet.Is, "在售"),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fState","field_type":"FIELD_TYPE_SINGLE_SELECT","operator":"OPERATOR_IS","string_value":{"value":["opt1"]}}]}`},
		{"select option id stays", smartsheet.Where("fState", smartsheet.Contains, []string{"opt2", "在售"}),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fState","field_type":"FIELD_TYPE_SINGLE_SELECT","operator":"OPERATOR_CONTAINS","string_value":{"value":["opt2","opt1"]}}]}`},
		{"a day is midnight in Beijing", smartsheet.Where("日期", smartsheet.Is, time.Date(2025, 5, 13, 16, 30, 0, 0, time.UTC)),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fDate0","field_type":"FIELD_TYPE_DATE_TIME","operator":"OPERATOR_IS","date_time_value":{"type":"DATE_TIME_TYPE_DETAIL_DATE","value":["1747152000000"]}}]}`},
		{"a date string", smartsheet.Where("日期", smartsheet.LessThan, "2025-05-14"),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fDate0","field_type":"FIELD_TYPE_DATE_TIME","operator":"OPERATOR_IS_LESS","date_time_value":{"type":"DATE_TIME_TYPE_DETAIL_DATE","value":["1747152000000"]}}]}`},
		{"a relative date", smartsheet.Where("日期", smartsheet.Is, smartsheet.Today),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fDate0","field_type":"FIELD_TYPE_DATE_TIME","operator":"OPERATOR_IS","date_time_value":{"type":"DATE_TIME_TYPE_TODAY"}}]}`},
		{"checkbox", smartsheet.Where("上架", smartsheet.Is, true),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fCheck","field_type":"FIELD_TYPE_CHECKBOX","operator":"OPERATOR_IS","bool_value":{"value":true}}]}`},
		{"user", smartsheet.Where("负责人", smartsheet.Contains, "zhangsan"),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fUser0","field_type":"FIELD_TYPE_USER","operator":"OPERATOR_CONTAINS","user_value":{"value":["zhangsan"]}}]}`},
		{"text", smartsheet.Where("名称", smartsheet.Contains, "包"),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"f53B4X","field_type":"FIELD_TYPE_TEXT","operator":"OPERATOR_CONTAINS","string_value":{"value":["包"]}}]}`},
		{"empty", smartsheet.Where("电话", smartsheet.IsEmpty, nil),
			`{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fPhone","field_type":"FIELD_TYPE_PHONE_NUMBER","operator":"OPERATOR_IS_EMPTY"}]}`},
		{"or", smartsheet.Or(smartsheet.Where("库存", smartsheet.LessThan, 2), smartsheet.Where("状态", smartsheet.Is, "售罄")),
			`{"conjunction":"CONJUNCTION_OR","conditions":[
				{"field_id":"fStock","field_type":"FIELD_TYPE_NUMBER","operator":"OPERATOR_IS_LESS","number_value":{"value":2}},
				{"field_id":"fState","field_type":"FIELD_TYPE_SINGLE_SELECT","operator":"OPERATOR_IS","string_value":{"value":["opt2"]}}]}`},
		{"and flattens", smartsheet.And(smartsheet.And(smartsheet.Where("库存", smartsheet.LessThan, 2)), smartsheet.Or(smartsheet.Where("上架", smartsheet.Is, false))),
			`{"conjunction":"CONJUNCTION_AND","conditions":[
				{"field_id":"fStock","field_type":"FIELD_TYPE_NUMBER","operator":"OPERATOR_IS_LESS","number_value":{"value":2}},
				{"field_id":"fCheck","field_type":"FIELD_TYPE_CHECKBOX","operator":"OPERATOR_IS","bool_value":{"value":false}}]}`},
	}
	w := newWire(t)
	fields := w.expect("smartsheet/get_fields", fixture(t, "get_fields/response.json"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := w.c.ResolveFilter(t.Context(), "DOCID", "S", tt.f)
			require.NoError(t, err)
			b, err := json.Marshal(spec)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(b))
		})
	}
	assert.Equal(t, 1, fields.n(), "the fields are read once and cached")
}

func TestResolveFilterErrors(t *testing.T) {
	tests := []struct {
		name        string
		f           smartsheet.Filter
		check       func(t *testing.T, err error)
		fieldsCalls int
	}{
		{"nested conjunctions", smartsheet.And(smartsheet.Or(smartsheet.Where("a", smartsheet.Is, 1), smartsheet.Where("b", smartsheet.Is, 2)),
			smartsheet.Where("c", smartsheet.Is, 3)),
			func(t *testing.T, err error) { assert.ErrorIs(t, err, smartsheet.ErrInvalidInput) }, 1},
		{"unknown column: read the fields once more", smartsheet.Where("没有", smartsheet.Is, "x"),
			func(t *testing.T, err error) {
				var ufe *smartsheet.UnknownFieldError
				require.ErrorAs(t, err, &ufe)
				assert.Equal(t, "没有", ufe.Field)
			}, 2},
		{"unknown option", smartsheet.Where("状态", smartsheet.Is, "下架"),
			func(t *testing.T, err error) {
				var uoe *smartsheet.UnknownOptionError
				require.ErrorAs(t, err, &uoe)
				assert.Equal(t, "下架", uoe.Option)
			}, 2},
		{"not a number", smartsheet.Where("库存", smartsheet.LessThan, "few"),
			func(t *testing.T, err error) { assert.ErrorIs(t, err, smartsheet.ErrInvalidInput) }, 1},
		{"no value", smartsheet.Where("库存", smartsheet.LessThan, nil),
			func(t *testing.T, err error) { assert.ErrorIs(t, err, smartsheet.ErrInvalidInput) }, 1},
		{"empty field", smartsheet.Where("", smartsheet.Is, 1),
			func(t *testing.T, err error) { assert.ErrorIs(t, err, smartsheet.ErrInvalidInput) }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWire(t)
			fields := w.expect("smartsheet/get_fields", fixture(t, "get_fields/response.json"))
			_, err := w.c.ResolveFilter(t.Context(), "DOCID", "S", tt.f)
			tt.check(t, err)
			assert.LessOrEqual(t, fields.n(), tt.fieldsCalls)
		})
	}
}

func TestGetRecordsFilter(t *testing.T) {
	t.Parallel()
	w := newWire(t)
	w.expect("smartsheet/get_fields", fixture(t, "get_fields/response.json"))
	recs := w.expect("smartsheet/get_records", []byte(`{"errcode":0,"errmsg":"ok","total":0,"has_more":false,"records":[]}`))
	_, err := w.c.GetRecords(t.Context(), "DOCID", "S", &smartsheet.Query{Filter: smartsheet.Where("库存", smartsheet.LessThan, 2)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"docid":"DOCID","sheet_id":"S","key_type":"CELL_VALUE_KEY_TYPE_FIELD_TITLE","offset":0,"limit":1000,
		"filter_spec":{"conjunction":"CONJUNCTION_AND","conditions":[{"field_id":"fStock","field_type":"FIELD_TYPE_NUMBER",
		"operator":"OPERATOR_IS_LESS","number_value":{"value":2}}]}}`, recs.body(0))
}
