package wecomtest

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// beijing is the zone date filters are computed in (the doc's 2025-05-14 ⇒ "1747152000000" is 00:00 UTC+8).
var beijing = time.FixedZone("CST", 8*3600)

// filterSpec is the FilterSpec of get_records and view properties.
type filterSpec struct {
	Conjunction string       `json:"conjunction"`
	Conditions  []filterCond `json:"conditions"`
}

type filterCond struct {
	FieldID     string `json:"field_id"`
	FieldType   string `json:"field_type"`
	Operator    string `json:"operator"`
	StringValue *struct {
		Value []string `json:"value"`
	} `json:"string_value"`
	NumberValue *struct {
		Value *float64 `json:"value"`
	} `json:"number_value"`
	BoolValue *struct {
		Value *bool `json:"value"`
	} `json:"bool_value"`
	UserValue *struct {
		Value []string `json:"value"`
	} `json:"user_value"`
	DateTimeValue *struct {
		Type  string   `json:"type"`
		Value []string `json:"value"`
	} `json:"date_time_value"`
}

const (
	opIs           = "OPERATOR_IS"
	opIsNot        = "OPERATOR_IS_NOT"
	opContains     = "OPERATOR_CONTAINS"
	opNotContains  = "OPERATOR_DOES_NOT_CONTAIN"
	opGreater      = "OPERATOR_IS_GREATER"
	opGreaterEqual = "OPERATOR_IS_GREATER_OR_EQUAL"
	opLess         = "OPERATOR_IS_LESS"
	opLessEqual    = "OPERATOR_IS_LESS_OR_EQUAL"
	opEmpty        = "OPERATOR_IS_EMPTY"
	opNotEmpty     = "OPERATOR_IS_NOT_EMPTY"
)

var (
	setOps     = []string{opIs, opIsNot, opContains, opNotContains}
	compareOps = []string{opIs, opIsNot, opGreater, opGreaterEqual, opLess, opLessEqual}
)

type predicate func(*ssRecord) bool

// viewProperty is the part of a view's property (update_view) that decides which records it shows
// and in which order.
type viewProperty struct {
	Filter *filterSpec `json:"filter_spec"`
	Sort   *struct {
		SortInfos []struct {
			FieldID string `json:"field_id"`
			Desc    bool   `json:"desc"`
		} `json:"sort_infos"`
	} `json:"sort_spec"`
}

// viewQuery returns a view's filter (nil: none) and sort. Conditions and sort keys on fields deleted
// since the view was set are dropped, as the WeCom client drops them.
func viewQuery(s *ssSheet, v *ssView, now time.Time) (predicate, []sortSpec, error) {
	var p viewProperty
	if len(v.Property) == 0 || json.Unmarshal(v.Property, &p) != nil {
		return nil, nil, nil
	}
	var match predicate
	if p.Filter != nil {
		spec := *p.Filter
		spec.Conditions = slices.DeleteFunc(slices.Clone(spec.Conditions), func(c filterCond) bool { return s.fieldByID(c.FieldID) == nil })
		var err error
		if match, err = compileFilter(s, &spec, now); err != nil {
			return nil, nil, err
		}
	}
	var sorts []sortSpec
	if p.Sort != nil {
		for _, si := range p.Sort.SortInfos {
			if f := s.fieldByID(si.FieldID); f != nil {
				sorts = append(sorts, sortSpec{FieldTitle: f.Title, Desc: si.Desc})
			}
		}
	}
	return match, sorts, nil
}

// compileFilter checks a FilterSpec against the sheet and returns its predicate. Conditions name
// columns by field_id and must carry the column's field_type and the value holder its type uses.
func compileFilter(s *ssSheet, spec *filterSpec, now time.Time) (predicate, error) {
	var and bool
	switch spec.Conjunction {
	case "CONJUNCTION_AND":
		and = true
	case "CONJUNCTION_OR":
	case "":
		return nil, invalid("filter_spec: conjunction is required: CONJUNCTION_AND or CONJUNCTION_OR")
	default:
		return nil, invalid("filter_spec: invalid conjunction %q", spec.Conjunction)
	}
	preds := make([]predicate, 0, len(spec.Conditions))
	for i := range spec.Conditions {
		p, err := compileCond(s, &spec.Conditions[i], now)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	return func(rec *ssRecord) bool {
		if len(preds) == 0 {
			return true
		}
		for _, p := range preds {
			if p(rec) != and {
				return !and
			}
		}
		return and
	}, nil
}

func compileCond(s *ssSheet, c *filterCond, now time.Time) (predicate, error) {
	f := s.fieldByID(c.FieldID)
	switch {
	case f == nil:
		return nil, invalid("filter_spec: unknown field_id %q", c.FieldID)
	case c.FieldType != f.Type:
		return nil, invalid("filter_spec: field %s has field_type %s, condition says %q", f.ID, f.Type, c.FieldType)
	case c.Operator == opEmpty || c.Operator == opNotEmpty:
		want := c.Operator == opEmpty
		return func(rec *ssRecord) bool { _, has := outValue(f, rec); return has != want }, nil
	}
	unsupported := invalid("filter_spec: operator %q is not supported for %s", c.Operator, f.Type)
	missing := func(holder string) error { return invalid("filter_spec: %s needs %s", f.Type, holder) }
	switch f.Type {
	case "FIELD_TYPE_TEXT", "FIELD_TYPE_URL", "FIELD_TYPE_PHONE_NUMBER", "FIELD_TYPE_EMAIL", "FIELD_TYPE_BARCODE",
		"FIELD_TYPE_LOCATION":
		if c.StringValue == nil {
			return nil, missing("string_value")
		}
		if !slices.Contains(setOps, c.Operator) {
			return nil, unsupported
		}
		want := c.StringValue.Value
		return func(rec *ssRecord) bool {
			t := cellText(f, rec)
			return textOp(c.Operator, t, t != "", want)
		}, nil
	case "FIELD_TYPE_SELECT", "FIELD_TYPE_SINGLE_SELECT":
		if c.StringValue == nil {
			return nil, missing("string_value (option ids)")
		}
		if !slices.Contains(setOps, c.Operator) {
			return nil, unsupported
		}
		want := c.StringValue.Value
		return func(rec *ssRecord) bool { return setOp(c.Operator, selectIDs(rec.Values[f.ID]), want) }, nil
	case "FIELD_TYPE_USER":
		if c.UserValue == nil {
			return nil, missing("user_value")
		}
		if !slices.Contains(setOps, c.Operator) {
			return nil, unsupported
		}
		want := c.UserValue.Value
		return func(rec *ssRecord) bool { return setOp(c.Operator, userIDs(rec.Values[f.ID]), want) }, nil
	case "FIELD_TYPE_NUMBER", "FIELD_TYPE_PROGRESS", "FIELD_TYPE_CURRENCY", "FIELD_TYPE_PERCENTAGE":
		if c.NumberValue == nil || c.NumberValue.Value == nil {
			return nil, missing("number_value")
		}
		if !slices.Contains(compareOps, c.Operator) {
			return nil, unsupported
		}
		want := *c.NumberValue.Value
		return func(rec *ssRecord) bool {
			n, _, has := numericValue(f, rec)
			return rangeOp(c.Operator, n, has, want, want, true)
		}, nil
	case "FIELD_TYPE_CHECKBOX":
		if c.BoolValue == nil || c.BoolValue.Value == nil {
			return nil, missing("bool_value")
		}
		if c.Operator != opIs && c.Operator != opIsNot {
			return nil, unsupported
		}
		want := *c.BoolValue.Value
		return func(rec *ssRecord) bool {
			b, _ := rec.Values[f.ID].(bool)
			return (b == want) == (c.Operator == opIs)
		}, nil
	case "FIELD_TYPE_DATE_TIME", "FIELD_TYPE_CREATED_TIME", "FIELD_TYPE_MODIFIED_TIME":
		if c.DateTimeValue == nil {
			return nil, missing("date_time_value")
		}
		if !slices.Contains(compareOps, c.Operator) {
			return nil, unsupported
		}
		lo, hi, err := dateRange(c.DateTimeValue.Type, c.DateTimeValue.Value, now)
		if err != nil {
			return nil, err
		}
		return func(rec *ssRecord) bool {
			ms, has := dateValue(f, rec)
			return rangeOp(c.Operator, float64(ms), has, float64(lo), float64(hi), false)
		}, nil
	}
	return nil, unsupported
}

// textOp applies IS / IS_NOT / CONTAINS / DOES_NOT_CONTAIN to a cell's text: IS matches any value.
func textOp(op, text string, has bool, want []string) bool {
	anyMatch := func(match func(string) bool) bool { return has && slices.ContainsFunc(want, match) }
	switch op {
	case opIs:
		return anyMatch(func(w string) bool { return text == w })
	case opIsNot:
		return !anyMatch(func(w string) bool { return text == w })
	case opContains:
		return anyMatch(func(w string) bool { return strings.Contains(text, w) })
	default: // opNotContains
		return !anyMatch(func(w string) bool { return strings.Contains(text, w) })
	}
}

// setOp applies set operators to option or user ids: IS = same set, CONTAINS = shares one.
func setOp(op string, have, want []string) bool {
	shares := slices.ContainsFunc(have, func(x string) bool { return slices.Contains(want, x) })
	same := len(have) > 0 && !slices.ContainsFunc(have, func(x string) bool { return !slices.Contains(want, x) }) &&
		!slices.ContainsFunc(want, func(x string) bool { return !slices.Contains(have, x) })
	switch op {
	case opIs:
		return same
	case opIsNot:
		return !same
	case opContains:
		return shares
	default:
		return !shares
	}
}

// rangeOp compares a value with [lo, hi] (numbers: lo == hi, inclusive) or [lo, hi) (dates). An empty
// cell matches only IS_NOT.
func rangeOp(op string, v float64, has bool, lo, hi float64, inclusive bool) bool {
	if !has {
		return op == opIsNot
	}
	in := v >= lo && (v < hi || inclusive && v <= hi)
	switch op {
	case opIs:
		return in
	case opIsNot:
		return !in
	case opGreater:
		return v > hi || !inclusive && v >= hi
	case opGreaterEqual:
		return v >= lo
	case opLess:
		return v < lo
	default: // opLessEqual
		return v < hi || inclusive && v <= hi
	}
}

func selectIDs(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		if s, isStr := e.(string); isStr {
			out = append(out, s)
		}
	}
	return out
}

func userIDs(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		m, _ := e.(map[string]any)
		if s, isStr := m["user_id"].(string); isStr {
			out = append(out, s)
		}
	}
	return out
}

// dateRange turns a DateTimeType (+ value) into [lo, hi) in Unix ms, in Beijing time. The fake's
// reading of the relative types: weeks start on Monday; THE_PAST_N_DAYS are the N days ending today,
// THE_NEXT_N_DAYS the N days starting today.
func dateRange(typ string, value []string, now time.Time) (lo, hi int64, err error) {
	now = now.In(beijing)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, beijing)
	days := func(from time.Time, n int) (int64, int64) { return from.UnixMilli(), from.AddDate(0, 0, n).UnixMilli() }
	weekStart := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	monthStart := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, beijing)
	switch typ {
	case "DATE_TIME_TYPE_DETAIL_DATE":
		if len(value) == 0 {
			return 0, 0, invalid("filter_spec: DATE_TIME_TYPE_DETAIL_DATE needs a value")
		}
		ms, perr := strconv.ParseInt(value[0], 10, 64)
		if perr != nil {
			return 0, 0, invalid("filter_spec: date value %q is not a millisecond timestamp", value[0])
		}
		t := time.UnixMilli(ms).In(beijing)
		lo, hi = days(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, beijing), 1)
	case "DATE_TIME_TYPE_TODAY":
		lo, hi = days(today, 1)
	case "DATE_TIME_TYPE_TOMORROW":
		lo, hi = days(today.AddDate(0, 0, 1), 1)
	case "DATE_TIME_TYPE_YESTERDAY":
		lo, hi = days(today.AddDate(0, 0, -1), 1)
	case "DATE_TIME_TYPE_CURRENT_WEEK":
		lo, hi = days(weekStart, 7)
	case "DATE_TIME_TYPE_LAST_WEEK":
		lo, hi = days(weekStart.AddDate(0, 0, -7), 7)
	case "DATE_TIME_TYPE_CURRENT_MONTH":
		lo, hi = monthStart.UnixMilli(), monthStart.AddDate(0, 1, 0).UnixMilli()
	case "DATE_TIME_TYPE_LAST_MONTH":
		lo, hi = monthStart.AddDate(0, -1, 0).UnixMilli(), monthStart.UnixMilli()
	case "DATE_TIME_TYPE_THE_PAST_7_DAYS":
		lo, hi = days(today.AddDate(0, 0, -6), 7)
	case "DATE_TIME_TYPE_THE_NEXT_7_DAYS":
		lo, hi = days(today, 7)
	case "DATE_TIME_TYPE_THE_PAST_30_DAYS":
		lo, hi = days(today.AddDate(0, 0, -29), 30)
	case "DATE_TIME_TYPE_THE_NEXT_30_DAYS":
		lo, hi = days(today, 30)
	default:
		return 0, 0, invalid("filter_spec: invalid date_time_value type %q", typ)
	}
	return lo, hi, nil
}
