package smartsheet

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// goKind is the Go side of a mapped column.
type goKind uint8

const (
	kString goKind = iota + 1
	kInt
	kUint
	kFloat
	kBool
	kTime
	kStrings
	kImages
	kFiles
	kUsers
	kOptions
	kLocation
	kValue
)

var (
	timeType     = reflect.TypeFor[time.Time]()
	valueType    = reflect.TypeFor[Value]()
	imagesType   = reflect.TypeFor[[]Image]()
	filesType    = reflect.TypeFor[[]Attachment]()
	usersType    = reflect.TypeFor[[]User]()
	optionsType  = reflect.TypeFor[[]SelectOption]()
	locationType = reflect.TypeFor[Location]()
	stringsType  = reflect.TypeFor[[]string]()
)

// column is one mapped struct field.
type column struct {
	title    string
	index    []int
	ptr      bool // *T field: nil is an empty cell
	kind     goKind
	typ      FieldType // declared with type= or the default for the Go type
	declared bool
	field    Field // definition for EnsureSchema
	key      bool
}

// mapping is a struct type's column layout.
type mapping struct {
	typ      reflect.Type
	cols     []column
	key      int   // index in cols, -1 without a key
	id       []int // RecordID field
	created  []int
	updated  []int
	byTitle  map[string]int
	keyTitle string
}

var typeNames = map[string]FieldType{
	"text": FieldText, "number": FieldNumber, "checkbox": FieldCheckbox, "date": FieldDateTime,
	"datetime": FieldDateTime, "date_time": FieldDateTime, "image": FieldImage, "attachment": FieldAttachment,
	"file": FieldAttachment, "user": FieldUser, "url": FieldURL, "link": FieldURL, "select": FieldSelect,
	"multi_select": FieldSelect, "single_select": FieldSingleSelect, "singleselect": FieldSingleSelect,
	"created_user": FieldCreatedUser, "modified_user": FieldModifiedUser, "created_time": FieldCreatedTime,
	"modified_time": FieldModifiedTime, "progress": FieldProgress, "phone": FieldPhone, "email": FieldEmail,
	"reference": FieldReference, "location": FieldLocation, "formula": FieldFormula, "currency": FieldCurrency,
	"wwgroup": FieldWWGroup, "autonumber": FieldAutoNumber, "auto_number": FieldAutoNumber,
	"percentage": FieldPercentage, "percent": FieldPercentage, "barcode": FieldBarcode,
}

var formatNames = map[string]DateFormat{
	"date": DateFormatISO, "datetime": DateFormatISOMinute, "chinese": DateFormatChinese,
	"chinese_minute": DateFormatChineseMinute, "chinese_weekday": DateFormatChineseWeekday,
	"slash": DateFormatSlash, "us": DateFormatUS, "dmy": DateFormatDayMonthYear, "month_day": DateFormatMonthDay,
}

// compatible lists the column types each Go kind can read and write.
var compatible = map[goKind][]FieldType{
	kString: {FieldText, FieldURL, FieldPhone, FieldEmail, FieldBarcode, FieldSingleSelect, FieldSelect, FieldUser,
		FieldCreatedUser, FieldModifiedUser, FieldAutoNumber, FieldFormula},
	kInt:      {FieldNumber, FieldCurrency, FieldPercentage, FieldProgress, FieldAutoNumber, FieldFormula, FieldText},
	kUint:     {FieldNumber, FieldCurrency, FieldPercentage, FieldProgress, FieldAutoNumber, FieldFormula, FieldText},
	kFloat:    {FieldNumber, FieldCurrency, FieldPercentage, FieldProgress, FieldFormula, FieldText},
	kBool:     {FieldCheckbox, FieldFormula},
	kTime:     {FieldDateTime, FieldCreatedTime, FieldModifiedTime, FieldFormula},
	kStrings:  {FieldSelect, FieldSingleSelect, FieldUser, FieldReference, FieldCreatedUser, FieldModifiedUser},
	kImages:   {FieldImage},
	kFiles:    {FieldAttachment},
	kUsers:    {FieldUser, FieldCreatedUser, FieldModifiedUser},
	kOptions:  {FieldSelect, FieldSingleSelect},
	kLocation: {FieldLocation},
}

func (col *column) accepts(t FieldType) bool {
	if col.kind == kValue {
		return true
	}
	for _, c := range compatible[col.kind] {
		if c == t {
			return true
		}
	}
	return false
}

// newMapping reads T's struct tags:
//
//	smartsheet:"标题"                   column 标题, type from the Go type
//	smartsheet:"产品编码,key"            the key of Get/Upsert (text or number)
//	smartsheet:"价格,type=currency,currency=CNY,decimals=2"
//	smartsheet:"状态,type=single_select,options=在售|售罄"
//	smartsheet:"-,id"  / "-,created" / "-,updated"   record id, create and update time
//	smartsheet:"-"                      not mapped
func newMapping(t reflect.Type) (*mapping, error) {
	if t.Kind() != reflect.Struct {
		return nil, invalidf("Table: %v is not a struct type", t)
	}
	m := &mapping{typ: t, key: -1, byTitle: map[string]int{}}
	for _, sf := range reflect.VisibleFields(t) {
		et := sf.Type
		if et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		if sf.Anonymous && et.Kind() == reflect.Struct && sf.Tag.Get("smartsheet") == "" {
			continue // its fields are promoted and visited themselves
		}
		if !sf.IsExported() {
			continue
		}
		if throughUnexportedPointer(t, sf.Index) {
			return nil, invalidf("Table: field %s is promoted through an unexported embedded pointer", sf.Name)
		}
		tag, hasTag := sf.Tag.Lookup("smartsheet")
		parts := strings.Split(tag, ",")
		title := strings.TrimSpace(parts[0])
		if title == "-" {
			if err := m.meta(sf, parts[1:]); err != nil {
				return nil, err
			}
			continue
		}
		if !hasTag || title == "" {
			title = sf.Name
		}
		col, err := newColumn(sf, title, parts[1:])
		if err != nil {
			return nil, err
		}
		if _, dup := m.byTitle[title]; dup {
			return nil, invalidf("Table: two fields map to column %q", title)
		}
		if col.key {
			if m.key >= 0 {
				return nil, invalidf("Table: more than one key field (%q, %q)", m.cols[m.key].title, title)
			}
			m.key, m.keyTitle = len(m.cols), title
		}
		m.byTitle[title] = len(m.cols)
		m.cols = append(m.cols, col)
	}
	if len(m.cols) == 0 {
		return nil, invalidf("Table: %v maps no column", t)
	}
	return m, nil
}

// throughUnexportedPointer reports whether a promoted field's path crosses an unexported embedded
// pointer, which reflection cannot allocate.
func throughUnexportedPointer(t reflect.Type, index []int) bool {
	for _, x := range index[:len(index)-1] {
		f := t.Field(x)
		t = f.Type
		if t.Kind() == reflect.Pointer {
			if !f.IsExported() {
				return true
			}
			t = t.Elem()
		}
	}
	return false
}

// meta handles "-,id", "-,created", "-,updated" and plain "-".
func (m *mapping) meta(sf reflect.StructField, opts []string) error {
	if len(opts) == 0 {
		return nil
	}
	want, dst := reflect.TypeFor[string](), &m.id
	switch strings.TrimSpace(opts[0]) {
	case "id":
	case "created":
		want, dst = timeType, &m.created
	case "updated":
		want, dst = timeType, &m.updated
	default:
		return invalidf("Table: field %s: unknown option %q after -", sf.Name, opts[0])
	}
	if sf.Type != want {
		return invalidf("Table: field %s: a %q field must be a %v", sf.Name, opts[0], want)
	}
	*dst = sf.Index
	return nil
}

func newColumn(sf reflect.StructField, title string, opts []string) (column, error) {
	col := column{title: title, index: sf.Index}
	gt := sf.Type
	if gt.Kind() == reflect.Pointer {
		col.ptr, gt = true, gt.Elem()
	}
	switch {
	case gt == timeType:
		col.kind, col.typ = kTime, FieldDateTime
	case gt == valueType:
		col.kind, col.typ = kValue, FieldText
	case gt == imagesType:
		col.kind, col.typ = kImages, FieldImage
	case gt == filesType:
		col.kind, col.typ = kFiles, FieldAttachment
	case gt == usersType:
		col.kind, col.typ = kUsers, FieldUser
	case gt == optionsType:
		col.kind, col.typ = kOptions, FieldSelect
	case gt == locationType:
		col.kind, col.typ = kLocation, FieldLocation
	case gt.Kind() == reflect.Slice && gt.Elem().Kind() == reflect.String:
		col.kind, col.typ = kStrings, FieldSelect
	case gt.Kind() == reflect.String:
		col.kind, col.typ = kString, FieldText
	case gt.Kind() == reflect.Bool:
		col.kind, col.typ = kBool, FieldCheckbox
	case gt.Kind() >= reflect.Int && gt.Kind() <= reflect.Int64:
		col.kind, col.typ = kInt, FieldNumber
	case gt.Kind() >= reflect.Uint && gt.Kind() <= reflect.Uintptr:
		col.kind, col.typ = kUint, FieldNumber
	case gt.Kind() == reflect.Float32 || gt.Kind() == reflect.Float64:
		col.kind, col.typ = kFloat, FieldNumber
	default:
		return col, invalidf("Table: field %s: Go type %v is not supported", sf.Name, sf.Type)
	}
	props := map[string]string{}
	for _, o := range opts {
		o = strings.TrimSpace(o)
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "":
		case "key":
			col.key = true
		case "type":
			t, ok := typeNames[strings.ToLower(v)]
			if !ok {
				if ft := FieldType(v); strings.HasPrefix(v, "FIELD_TYPE_") {
					t, ok = ft, true
				}
			}
			if !ok {
				return col, invalidf("Table: field %s: unknown type %q", sf.Name, v)
			}
			col.typ, col.declared = t, true
		case "decimals", "currency", "format", "options", "multiple", "notify", "scan", "link", "input", "sheet":
			props[k] = v
		default:
			return col, invalidf("Table: field %s: unknown tag option %q", sf.Name, k)
		}
	}
	if !col.accepts(col.typ) {
		return col, invalidf("Table: field %s: Go type %v cannot hold a %s column", sf.Name, sf.Type, col.typ)
	}
	if col.key && col.kind != kString && col.kind != kInt && col.kind != kUint && col.kind != kFloat {
		return col, invalidf("Table: key field %s must be a string or a number", sf.Name)
	}
	f, err := fieldDef(col, props)
	var ve *ValidationError
	switch {
	case errors.As(err, &ve):
		return col, err
	case err != nil:
		return col, invalidf("Table: field %s: %v", sf.Name, err)
	}
	col.field = f
	return col, nil
}

// fieldDef builds the add_fields definition of a column from its type and tag properties.
func fieldDef(col column, props map[string]string) (Field, error) {
	f := Field{Title: col.title, Type: col.typ}
	decimals := -1
	if col.kind == kInt || col.kind == kUint {
		decimals = 0
	}
	if v, ok := props["decimals"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 || n > 4 {
			return f, fmt.Errorf("decimals=%q: want -1…4", v)
		}
		decimals = n
	}
	format := DateFormatISOMinute
	if v, ok := props["format"]; ok {
		if df, named := formatNames[v]; named {
			format = df
		} else {
			format = DateFormat(v)
		}
	}
	switch col.typ {
	case FieldNumber:
		f.Number = &NumberProperty{DecimalPlaces: decimals}
	case FieldCurrency:
		cur := CurrencyCNY
		if v := props["currency"]; v != "" {
			cur = CurrencyType("CURRENCY_TYPE_" + strings.ToUpper(v))
		}
		f.Currency = &CurrencyProperty{CurrencyType: cur, DecimalPlaces: max(decimals, 2)}
		if _, ok := props["decimals"]; ok {
			f.Currency.DecimalPlaces = decimals
		}
	case FieldPercentage:
		f.Percentage = &PercentageProperty{DecimalPlaces: max(decimals, 0)}
	case FieldProgress:
		f.Progress = &ProgressProperty{DecimalPlaces: max(decimals, 0)}
	case FieldDateTime:
		f.DateTime = &DateTimeProperty{Format: format}
	case FieldCreatedTime:
		f.CreatedTime = &TimeFormatProperty{Format: format}
	case FieldModifiedTime:
		f.ModifiedTime = &TimeFormatProperty{Format: format}
	case FieldSelect, FieldSingleSelect:
		opts := []SelectOption{} // always sent, even empty
		if v := props["options"]; v != "" {
			for _, t := range strings.Split(v, "|") {
				opts = append(opts, SelectOption{Text: t})
			}
		}
		p := &SelectProperty{Options: opts}
		if col.typ == FieldSelect {
			f.Select = p
		} else {
			f.SingleSelect = p
		}
	case FieldUser:
		_, notify := props["notify"]
		f.User = &UserProperty{IsMultiple: col.kind != kString, IsNotified: notify}
	case FieldBarcode:
		_, scan := props["scan"]
		f.Barcode = &BarcodeProperty{MobileScanOnly: scan}
	case FieldCheckbox:
		f.Checkbox = &CheckboxProperty{}
	case FieldURL:
		f.URL = &URLProperty{Type: LinkPureText}
		if props["link"] == "icon" {
			f.URL.Type = LinkIconText
		}
	case FieldLocation:
		f.Location = &LocationProperty{InputType: LocationManual}
		if props["input"] == "auto" {
			f.Location.InputType = LocationAuto
		}
	case FieldAutoNumber:
		f.AutoNumber = &AutoNumberProperty{Type: AutoNumberIncr}
	case FieldReference:
		// sheet= names the linked sub-sheet; empty links records of the same sheet.
		f.Reference = &ReferenceProperty{SubID: props["sheet"], IsMultiple: true}
	}
	// Every property add_fields requires is set above; a tag value out of range fails here, when the
	// table is mapped, rather than at EnsureSchema.
	if err := validateAdd("Table", f); err != nil {
		return f, err
	}
	return f, nil
}

// encode turns a struct field into a cell for a column of type typ. skipEmpty drops empty values
// (inserts); otherwise they clear the cell (updates). ok is false when nothing is to be written.
func (col *column) encode(fv reflect.Value, typ FieldType, skipEmpty bool) (v Value, ok bool, err error) {
	if typ.ReadOnly() {
		return Value{}, false, nil
	}
	if col.ptr {
		if fv.IsNil() {
			if skipEmpty {
				return Value{}, false, nil
			}
			return emptyCell(typ), true, nil
		}
		fv = fv.Elem()
	}
	empty := false
	switch col.kind {
	case kValue:
		v = fv.Interface().(Value)
		return v, !v.IsZero(), nil
	case kString:
		s := fv.String()
		empty = s == ""
		switch typ {
		case FieldURL:
			v = URL(s, s)
		case FieldPhone:
			v = Phone(s)
		case FieldEmail:
			v = Email(s)
		case FieldBarcode:
			v = Barcode(s)
		case FieldSingleSelect, FieldSelect:
			v = optionsValue(typ, nonEmpty(s), false)
		case FieldUser:
			v = Users(nonEmpty(s)...)
		default:
			v = Text(s)
		}
	case kInt, kUint, kFloat:
		var f float64
		switch col.kind {
		case kInt:
			f = float64(fv.Int())
		case kUint:
			f = float64(fv.Uint())
		default:
			f = fv.Float()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return Value{}, false, invalidf("column %q: %v is not a finite number", col.title, f)
			}
		}
		if typ == FieldText {
			v = Text(strconv.FormatFloat(f, 'f', -1, 64))
		} else {
			v = Value{typ: typ, shape: shapeNumber, num: f}
		}
	case kBool:
		v = Checkbox(fv.Bool())
	case kTime:
		t := fv.Interface().(time.Time)
		empty = t.IsZero()
		v = DateTime(t)
	case kStrings:
		ss := fv.Interface().([]string)
		if fv.Type() != stringsType {
			ss = make([]string, fv.Len())
			for i := range ss {
				ss[i] = fv.Index(i).String()
			}
		}
		empty = len(ss) == 0
		switch typ {
		case FieldUser:
			v = Users(ss...)
		case FieldReference:
			v = References(ss...)
		default:
			v = optionsValue(typ, ss, false)
		}
	case kImages:
		l := fv.Interface().([]Image)
		empty, v = len(l) == 0, Images(l...)
	case kFiles:
		l := fv.Interface().([]Attachment)
		empty, v = len(l) == 0, Attachments(l...)
	case kUsers:
		l := fv.Interface().([]User)
		empty, v = len(l) == 0, Value{typ: FieldUser, shape: shapeUsers, list: append([]User(nil), l...)}
	case kOptions:
		l := fv.Interface().([]SelectOption)
		empty, v = len(l) == 0, Options(typ, l...)
	case kLocation:
		l := fv.Interface().(Location)
		empty = l == Location{}
		v = LocationValue(l)
		if empty {
			v = emptyCell(typ)
		}
	}
	if empty && skipEmpty {
		return Value{}, false, nil
	}
	return v, true, nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// emptyCell is the value that clears a cell of type typ.
func emptyCell(typ FieldType) Value {
	switch typ {
	case FieldPhone, FieldEmail, FieldBarcode:
		return Value{typ: typ, shape: shapeString}
	case FieldDateTime:
		return DateTime(time.Time{})
	}
	return RawValue(typ, []byte("[]"))
}

// decode sets a struct field from a cell, leniently: a cell that does not convert leaves the zero
// value.
func (col *column) decode(fv reflect.Value, v Value) {
	if col.ptr {
		if v.IsEmpty() && col.kind != kValue {
			fv.SetZero()
			return
		}
		p := reflect.New(fv.Type().Elem())
		fv.Set(p)
		fv = p.Elem()
	}
	switch col.kind {
	case kValue:
		fv.Set(reflect.ValueOf(v))
	case kString:
		fv.SetString(v.String())
	case kInt:
		n := v.Int()
		if fv.OverflowInt(n) {
			return
		}
		fv.SetInt(n)
	case kUint:
		n := v.Int()
		if n < 0 || fv.OverflowUint(uint64(n)) {
			return
		}
		fv.SetUint(uint64(n))
	case kFloat:
		fv.SetFloat(v.Float())
	case kBool:
		fv.SetBool(v.Bool())
	case kTime:
		fv.Set(reflect.ValueOf(v.Time()))
	case kStrings:
		ss := v.Strings()
		out := reflect.MakeSlice(fv.Type(), len(ss), len(ss))
		for i, s := range ss {
			out.Index(i).SetString(s)
		}
		fv.Set(out)
	case kImages:
		fv.Set(reflect.ValueOf(v.Images()))
	case kFiles:
		fv.Set(reflect.ValueOf(v.Attachments()))
	case kUsers:
		fv.Set(reflect.ValueOf(v.Users()))
	case kOptions:
		fv.Set(reflect.ValueOf(v.Options()))
	case kLocation:
		l, _ := v.Location()
		fv.Set(reflect.ValueOf(l))
	}
}

// keyString is the canonical text of a key cell: numbers without trailing zeros.
func keyString(v Value) string {
	if v.shape == shapeNumber {
		return strconv.FormatFloat(v.num, 'f', -1, 64)
	}
	return v.String()
}
