package smartsheet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
)

// Operator compares a column with a value in a filter.
type Operator string

// Operators. Each column type supports only some of them (WeCom gives no matrix): text-like and
// select columns take Is, IsNot, Contains, DoesNotContain; numbers and dates take Is, IsNot and the
// comparisons; checkboxes Is and IsNot; every type IsEmpty and IsNotEmpty.
const (
	Is             Operator = "OPERATOR_IS"
	IsNot          Operator = "OPERATOR_IS_NOT"
	Contains       Operator = "OPERATOR_CONTAINS"
	DoesNotContain Operator = "OPERATOR_DOES_NOT_CONTAIN"
	GreaterThan    Operator = "OPERATOR_IS_GREATER"
	GreaterOrEqual Operator = "OPERATOR_IS_GREATER_OR_EQUAL"
	LessThan       Operator = "OPERATOR_IS_LESS"
	LessOrEqual    Operator = "OPERATOR_IS_LESS_OR_EQUAL"
	IsEmpty        Operator = "OPERATOR_IS_EMPTY"
	IsNotEmpty     Operator = "OPERATOR_IS_NOT_EMPTY"
)

// Conjunction joins the conditions of a FilterSpec.
type Conjunction string

// Conjunctions.
const (
	ConjunctionAnd Conjunction = "CONJUNCTION_AND"
	ConjunctionOr  Conjunction = "CONJUNCTION_OR"
)

// DateTimeType is a date a date filter compares with: an exact day ([ExactDate]) or a relative range.
type DateTimeType string

// Date filter types. Relative ranges are computed by WeCom.
const (
	ExactDate    DateTimeType = "DATE_TIME_TYPE_DETAIL_DATE"
	Today        DateTimeType = "DATE_TIME_TYPE_TODAY"
	Tomorrow     DateTimeType = "DATE_TIME_TYPE_TOMORROW"
	Yesterday    DateTimeType = "DATE_TIME_TYPE_YESTERDAY"
	CurrentWeek  DateTimeType = "DATE_TIME_TYPE_CURRENT_WEEK"
	LastWeek     DateTimeType = "DATE_TIME_TYPE_LAST_WEEK"
	CurrentMonth DateTimeType = "DATE_TIME_TYPE_CURRENT_MONTH"
	LastMonth    DateTimeType = "DATE_TIME_TYPE_LAST_MONTH"
	Past7Days    DateTimeType = "DATE_TIME_TYPE_THE_PAST_7_DAYS"
	Next7Days    DateTimeType = "DATE_TIME_TYPE_THE_NEXT_7_DAYS"
	Past30Days   DateTimeType = "DATE_TIME_TYPE_THE_PAST_30_DAYS"
	Next30Days   DateTimeType = "DATE_TIME_TYPE_THE_NEXT_30_DAYS"
)

// FilterSpec is WeCom's filter (get_records filter_spec, view filter_spec). Build one with [Where],
// [And] and [Or] and let the client resolve it ([Client.ResolveFilter]), or fill it in by hand.
type FilterSpec struct {
	Conjunction Conjunction `json:"conjunction,omitempty"`
	Conditions  []Condition `json:"conditions"`
}

// Condition is one filter condition. It names the column by id and repeats its type; the value goes
// in the holder that fits the type.
type Condition struct {
	FieldID       string          `json:"field_id"`
	FieldType     FieldType       `json:"field_type"`
	Operator      Operator        `json:"operator"`
	StringValue   *StringFilter   `json:"string_value,omitempty"`    // text, URL, phone, email, barcode, location; option ids of select columns
	NumberValue   *NumberFilter   `json:"number_value,omitempty"`    // number, currency, percentage, progress
	BoolValue     *BoolFilter     `json:"bool_value,omitempty"`      // checkbox
	UserValue     *UserFilter     `json:"user_value,omitempty"`      // user, created-by, modified-by
	DateTimeValue *DateTimeFilter `json:"date_time_value,omitempty"` // date, created time, modified time
}

// StringFilter holds text values (option ids for select columns).
type StringFilter struct {
	Value []string `json:"value"`
}

// NumberFilter holds a number.
type NumberFilter struct {
	Value float64 `json:"value"`
}

// BoolFilter holds a checkbox state.
type BoolFilter struct {
	Value bool `json:"value"`
}

// UserFilter holds userids.
type UserFilter struct {
	Value []string `json:"value"`
}

// DateTimeFilter holds a date: Type, and for [ExactDate] the day as Unix milliseconds of its
// midnight.
type DateTimeFilter struct {
	Type  DateTimeType `json:"type"`
	Value []string     `json:"value,omitempty"`
}

// Filter is a filter built from column titles and Go values, resolved to a [FilterSpec] against the
// sheet's columns when used: titles become field ids, select option texts become option ids, a
// time.Time becomes that day in the client's time zone. The zero Filter matches everything.
//
//	f := smartsheet.And(
//		smartsheet.Where("库存", smartsheet.LessThan, 2),
//		smartsheet.Where("状态", smartsheet.Is, "在售"),
//	)
//
// WeCom filters have a single conjunction, so And and Or can be nested only when the inner filter
// has one condition or the same conjunction.
type Filter struct {
	conj  Conjunction
	conds []cond
	err   error
}

type cond struct {
	field string
	op    Operator
	value any
}

// Where returns a one-condition filter: column field (title or id) op value. value is a string,
// []string, a number, a bool, a time.Time (a day), a [DateTimeType], a [Value], or nil for
// [IsEmpty] / [IsNotEmpty].
func Where(field string, op Operator, value any) Filter {
	if field == "" {
		return Filter{err: invalidf("filter: empty field name")}
	}
	return Filter{conds: []cond{{field, op, value}}}
}

// And returns a filter that matches when every filter matches.
func And(fs ...Filter) Filter { return join(ConjunctionAnd, fs) }

// Or returns a filter that matches when any filter matches.
func Or(fs ...Filter) Filter { return join(ConjunctionOr, fs) }

func join(conj Conjunction, fs []Filter) Filter {
	out := Filter{conj: conj}
	for _, f := range fs {
		switch {
		case f.err != nil:
			return Filter{err: f.err}
		case len(f.conds) > 1 && f.conj != conj:
			return Filter{err: invalidf("filter: WeCom filters have one conjunction; cannot nest %s inside %s", f.conj, conj)}
		}
		out.conds = append(out.conds, f.conds...)
	}
	return out
}

// IsZero reports whether f is the zero Filter (no condition).
func (f Filter) IsZero() bool { return len(f.conds) == 0 && f.err == nil }

// Err returns the error of a filter built wrongly (also returned when it is used).
func (f Filter) Err() error { return f.err }

// UnknownFieldError is returned when a filter names a column the sheet does not have.
type UnknownFieldError struct{ Field string }

func (e *UnknownFieldError) Error() string {
	return fmt.Sprintf("smartsheet: no field %q in the sheet", e.Field)
}

// UnknownOptionError is returned when a filter on a select column names an option that does not exist.
type UnknownOptionError struct{ Field, Option string }

func (e *UnknownOptionError) Error() string {
	return fmt.Sprintf("smartsheet: field %q has no option %q", e.Field, e.Option)
}

// ResolveFilter turns f into a FilterSpec for the sheet (for a view's filter, say), reading the
// sheet's columns if they are not cached. It returns nil for the zero Filter.
func (c *Client) ResolveFilter(ctx context.Context, docID, sheetID string, f Filter) (*FilterSpec, error) {
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	sch, err := c.schema(ctx, docID, sheetID)
	if err != nil {
		return nil, err
	}
	return c.resolveFilter(ctx, docID, sheetID, f, sch)
}

func (c *Client) resolveFilter(ctx context.Context, docID, sheetID string, f Filter, sch *schema) (*FilterSpec, error) {
	if f.err != nil {
		return nil, f.err
	}
	if len(f.conds) == 0 {
		return nil, nil
	}
	spec := &FilterSpec{Conjunction: f.conj, Conditions: make([]Condition, 0, len(f.conds))}
	if spec.Conjunction == "" {
		spec.Conjunction = ConjunctionAnd
	}
	refreshed := false
	for _, cd := range f.conds {
		for {
			cond, err := c.condition(sch, cd)
			var ufe *UnknownFieldError
			var uoe *UnknownOptionError
			if err != nil && !refreshed && (errors.As(err, &ufe) || errors.As(err, &uoe)) {
				// The cache may predate the column or option: read the fields once more.
				refreshed = true
				c.InvalidateSchema(docID, sheetID)
				if sch, err = c.schema(ctx, docID, sheetID); err != nil {
					return nil, err
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			spec.Conditions = append(spec.Conditions, cond)
			break
		}
	}
	return spec, nil
}

func (c *Client) condition(sch *schema, cd cond) (Condition, error) {
	f := sch.field(cd.field)
	if f == nil {
		return Condition{}, &UnknownFieldError{Field: cd.field}
	}
	out := Condition{FieldID: f.ID, FieldType: f.Type, Operator: cd.op}
	if cd.op == IsEmpty || cd.op == IsNotEmpty {
		return out, nil
	}
	if cd.value == nil {
		return out, invalidf("filter on %q: %s needs a value", f.Title, cd.op)
	}
	bad := func(want string) (Condition, error) {
		return Condition{}, invalidf("filter on %q (%s): value %v (%T) is not %s", f.Title, f.Type, cd.value, cd.value, want)
	}
	switch f.Type {
	case FieldNumber, FieldCurrency, FieldPercentage, FieldProgress:
		n, ok := toFloat(cd.value)
		if !ok {
			return bad("a number")
		}
		out.NumberValue = &NumberFilter{Value: n}
	case FieldCheckbox:
		b, ok := cd.value.(bool)
		if v, isV := cd.value.(Value); isV {
			b, ok = v.Bool(), true
		}
		if !ok {
			return bad("a bool")
		}
		out.BoolValue = &BoolFilter{Value: b}
	case FieldDateTime, FieldCreatedTime, FieldModifiedTime:
		dt, ok := c.dateFilter(cd.value)
		if !ok {
			return bad("a time.Time, a DateTimeType or a date like 2006-01-02")
		}
		out.DateTimeValue = dt
	case FieldUser, FieldCreatedUser, FieldModifiedUser:
		ss, ok := toStrings(cd.value)
		if !ok {
			return bad("userids")
		}
		out.UserValue = &UserFilter{Value: ss}
	case FieldSelect, FieldSingleSelect:
		ss, ok := toStrings(cd.value)
		if !ok {
			return bad("option texts or ids")
		}
		ids := make([]string, len(ss))
		for i, s := range ss {
			id, found := optionID(f.Options(), s)
			if !found {
				return Condition{}, &UnknownOptionError{Field: f.Title, Option: s}
			}
			ids[i] = id
		}
		out.StringValue = &StringFilter{Value: ids}
	default:
		ss, ok := toStrings(cd.value)
		if !ok {
			return bad("text")
		}
		out.StringValue = &StringFilter{Value: ss}
	}
	return out, nil
}

// optionID finds an option by text, then by id.
func optionID(opts []SelectOption, s string) (string, bool) {
	for _, o := range opts {
		if o.Text == s {
			return o.ID, true
		}
	}
	for _, o := range opts {
		if o.ID == s {
			return o.ID, true
		}
	}
	return "", false
}

// dateFilter turns a filter value into a date_time_value: a day is midnight in the client's zone.
func (c *Client) dateFilter(v any) (*DateTimeFilter, bool) {
	day := func(t time.Time) *DateTimeFilter {
		t = t.In(c.loc)
		mid := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
		return &DateTimeFilter{Type: ExactDate, Value: []string{strconv.FormatInt(mid.UnixMilli(), 10)}}
	}
	switch x := v.(type) {
	case DateTimeType:
		if x == ExactDate {
			return nil, false
		}
		return &DateTimeFilter{Type: x}, true
	case time.Time:
		if x.IsZero() {
			return nil, false
		}
		return day(x), true
	case Value:
		if t := x.Time(); !t.IsZero() {
			return day(t), true
		}
	case string:
		if t, err := time.ParseInLocation(time.DateOnly, x, c.loc); err == nil {
			return day(t), true
		}
	}
	return nil, false
}

// toFloat converts Go numbers, numeric strings and number Values.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case Value:
		if x.shape == shapeNumber {
			return x.num, true
		}
		v = x.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		return f, !math.IsNaN(f) && !math.IsInf(f, 0)
	case reflect.String:
		f, err := strconv.ParseFloat(rv.String(), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// toStrings converts strings, string slices, Values, numbers and Stringers.
func toStrings(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []string:
		return x, len(x) > 0
	case Value:
		ss := x.Strings()
		if opts := x.Options(); len(opts) > 0 {
			ss = ss[:0]
			for _, o := range opts {
				ss = append(ss, cmp(o.ID, o.Text))
			}
		}
		return ss, len(ss) > 0
	case fmt.Stringer:
		return []string{x.String()}, true
	}
	if f, ok := toFloat(v); ok {
		return []string{strconv.FormatFloat(f, 'f', -1, 64)}, true
	}
	return nil, false
}
