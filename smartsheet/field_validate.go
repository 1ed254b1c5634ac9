package smartsheet

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ValidationError reports a field definition refused by [Client.AddFields] (or by [NewTable] for a
// struct tag) before anything is sent. It wraps [ErrInvalidInput].
type ValidationError struct {
	Call     string // "AddFields", "Table"
	Field    string // the field's title
	Property string // e.g. "property_number.decimal_places"
	Problem  string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("smartsheet: %s: field %q: %s: %s", e.Call, e.Field, e.Property, e.Problem)
}

// Unwrap makes errors.Is(err, ErrInvalidInput) true.
func (e *ValidationError) Unwrap() error { return ErrInvalidInput }

// dateFormats are the format values WeCom accepts (日期格式), to be sent exactly as listed.
var dateFormats = map[DateFormat]bool{
	DateFormatChinese: true, DateFormatISO: true, DateFormatSlash: true, DateFormatMonthDay: true,
	DateFormatChineseWeekday: true, DateFormatChineseMinute: true, DateFormatISOMinute: true,
	DateFormatUS: true, DateFormatDayMonthYear: true,
}

// RequiresProperty reports whether add_fields needs the property of type t. The 添加字段 field table
// marks it required for number, date, link, multi- and single-select, created and modified time,
// progress, reference, location, auto number and currency columns.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99904
func (t FieldType) RequiresProperty() bool {
	switch t {
	case FieldNumber, FieldDateTime, FieldURL, FieldSelect, FieldSingleSelect, FieldCreatedTime,
		FieldModifiedTime, FieldProgress, FieldReference, FieldLocation, FieldAutoNumber, FieldCurrency:
		return true
	}
	return false
}

// validateAdd checks the property add_fields requires for f's type, and the members that have a
// closed set of values. Members the JSON always carries (booleans, decimal places) need no check
// beyond their range.
func validateAdd(call string, f Field) error {
	bad := func(prop, format string, args ...any) error {
		return &ValidationError{Call: call, Field: f.Title, Property: prop, Problem: fmt.Sprintf(format, args...)}
	}
	missing := func(prop string) error {
		return bad(prop, "required for %s columns", f.Type)
	}
	decimals := func(prop string, n int) error {
		if n < -1 || n > 4 {
			return bad(prop+".decimal_places", "must be -1 (as entered) or 0–4, got %d", n)
		}
		return nil
	}
	format := func(prop string, df DateFormat) error {
		if !dateFormats[df] {
			return bad(prop+".format", "must be one of the DateFormat constants, got %q", string(df))
		}
		return nil
	}
	switch f.Type {
	case FieldNumber:
		if f.Number == nil {
			return missing("property_number")
		}
		return decimals("property_number", f.Number.DecimalPlaces)
	case FieldDateTime:
		if f.DateTime == nil {
			return missing("property_date_time")
		}
		return format("property_date_time", f.DateTime.Format)
	case FieldURL:
		if f.URL == nil {
			return missing("property_url")
		}
		if f.URL.Type != LinkPureText && f.URL.Type != LinkIconText {
			return bad("property_url.type", "must be LinkPureText or LinkIconText, got %q", string(f.URL.Type))
		}
	case FieldSelect, FieldSingleSelect:
		prop, p := "property_select", f.Select
		if f.Type == FieldSingleSelect {
			prop, p = "property_single_select", f.SingleSelect
		}
		if p == nil {
			return missing(prop)
		}
		for i, o := range p.Options {
			switch {
			case o.Text == "" && o.ID == "":
				return bad(prop+".options", "option %d has neither text nor id", i)
			case o.Style < 0 || o.Style > 27:
				return bad(prop+".options", "option %d: style must be 1–27 (0: WeCom's choice), got %d", i, o.Style)
			}
		}
	case FieldCreatedTime:
		if f.CreatedTime == nil {
			return missing("property_created_time")
		}
		return format("property_created_time", f.CreatedTime.Format)
	case FieldModifiedTime:
		if f.ModifiedTime == nil {
			return missing("property_modified_time")
		}
		return format("property_modified_time", f.ModifiedTime.Format)
	case FieldProgress:
		if f.Progress == nil {
			return missing("property_progress")
		}
		return decimals("property_progress", f.Progress.DecimalPlaces)
	case FieldReference:
		if f.Reference == nil {
			return missing("property_reference")
		}
	case FieldLocation:
		if f.Location == nil {
			return missing("property_location")
		}
		if f.Location.InputType != LocationManual && f.Location.InputType != LocationAuto {
			return bad("property_location.input_type", "must be LocationManual or LocationAuto, got %q", string(f.Location.InputType))
		}
	case FieldAutoNumber:
		if f.AutoNumber == nil {
			return missing("property_auto_number")
		}
		return validateAutoNumber(f.AutoNumber, bad)
	case FieldCurrency:
		if f.Currency == nil {
			return missing("property_currency")
		}
		if rest, ok := strings.CutPrefix(string(f.Currency.CurrencyType), "CURRENCY_TYPE_"); !ok || rest == "" {
			return bad("property_currency.currency_type", "must be a CurrencyType such as CurrencyCNY, got %q",
				string(f.Currency.CurrencyType))
		}
		return decimals("property_currency", f.Currency.DecimalPlaces)
	}
	return nil
}

func validateAutoNumber(p *AutoNumberProperty, bad func(prop, format string, args ...any) error) error {
	switch p.Type {
	case AutoNumberIncr:
		return nil
	case AutoNumberCustom:
	default:
		return bad("property_auto_number.type", "must be AutoNumberIncr or AutoNumberCustom, got %q", string(p.Type))
	}
	if len(p.Rules) == 0 {
		return bad("property_auto_number.rules", "a custom auto number needs at least one rule")
	}
	for i, r := range p.Rules {
		switch {
		case r.Type != RuleIncr && r.Type != RuleFixedChar && r.Type != RuleTime:
			return bad("property_auto_number.rules", "rule %d: unknown type %q", i, string(r.Type))
		case r.Value == "":
			return bad("property_auto_number.rules", "rule %d: empty value", i)
		}
	}
	return nil
}

// MarshalJSON writes options only when they are set: nil leaves them out, an empty non-nil slice
// sends "options": [] (add_fields always sends them).
func (p SelectProperty) MarshalJSON() ([]byte, error) {
	w := struct {
		IsQuickAdd bool            `json:"is_quick_add,omitempty"`
		Options    *[]SelectOption `json:"options,omitempty"`
	}{IsQuickAdd: p.IsQuickAdd}
	if p.Options != nil {
		w.Options = &p.Options
	}
	return json.Marshal(w)
}

// forAdd returns a copy of f ready for add_fields: no id, and the members add_fields always sends
// present (an empty option list).
func forAdd(f Field) Field {
	f.ID = ""
	for _, p := range []**SelectProperty{&f.Select, &f.SingleSelect} {
		if *p != nil && (*p).Options == nil {
			cp := **p
			cp.Options = []SelectOption{}
			*p = &cp
		}
	}
	return f
}
