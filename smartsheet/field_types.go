package smartsheet

// FieldType is a column type (字段类型), e.g. [FieldText]. Its value is the wire name.
type FieldType string

// Field types. Cells of [FieldCreatedUser], [FieldModifiedUser], [FieldCreatedTime], [FieldModifiedTime],
// [FieldAutoNumber] and [FieldFormula] are computed by WeCom and cannot be written; [FieldFormula]
// columns cannot be created through the API either.
const (
	FieldText         FieldType = "FIELD_TYPE_TEXT"          // 文本
	FieldNumber       FieldType = "FIELD_TYPE_NUMBER"        // 数字
	FieldCheckbox     FieldType = "FIELD_TYPE_CHECKBOX"      // 复选框
	FieldDateTime     FieldType = "FIELD_TYPE_DATE_TIME"     // 日期
	FieldImage        FieldType = "FIELD_TYPE_IMAGE"         // 图片
	FieldAttachment   FieldType = "FIELD_TYPE_ATTACHMENT"    // 文件
	FieldUser         FieldType = "FIELD_TYPE_USER"          // 成员
	FieldURL          FieldType = "FIELD_TYPE_URL"           // 链接
	FieldSelect       FieldType = "FIELD_TYPE_SELECT"        // 多选
	FieldSingleSelect FieldType = "FIELD_TYPE_SINGLE_SELECT" // 单选
	FieldCreatedUser  FieldType = "FIELD_TYPE_CREATED_USER"  // 创建人
	FieldModifiedUser FieldType = "FIELD_TYPE_MODIFIED_USER" // 最后编辑人
	FieldCreatedTime  FieldType = "FIELD_TYPE_CREATED_TIME"  // 创建时间
	FieldModifiedTime FieldType = "FIELD_TYPE_MODIFIED_TIME" // 最后编辑时间
	FieldProgress     FieldType = "FIELD_TYPE_PROGRESS"      // 进度
	FieldPhone        FieldType = "FIELD_TYPE_PHONE_NUMBER"  // 电话
	FieldEmail        FieldType = "FIELD_TYPE_EMAIL"         // 邮箱
	FieldReference    FieldType = "FIELD_TYPE_REFERENCE"     // 关联
	FieldLocation     FieldType = "FIELD_TYPE_LOCATION"      // 地理位置
	FieldFormula      FieldType = "FIELD_TYPE_FORMULA"       // 公式
	FieldCurrency     FieldType = "FIELD_TYPE_CURRENCY"      // 货币
	FieldWWGroup      FieldType = "FIELD_TYPE_WWGROUP"       // 群
	FieldAutoNumber   FieldType = "FIELD_TYPE_AUTONUMBER"    // 自动编号
	FieldPercentage   FieldType = "FIELD_TYPE_PERCENTAGE"    // 百分数
	FieldBarcode      FieldType = "FIELD_TYPE_BARCODE"       // 条码
)

// ReadOnly reports whether cells of this type are computed by WeCom and cannot be written.
func (t FieldType) ReadOnly() bool {
	switch t {
	case FieldCreatedUser, FieldModifiedUser, FieldCreatedTime, FieldModifiedTime, FieldAutoNumber, FieldFormula:
		return true
	}
	return false
}

// Field is a column (字段). When adding a field set Title, Type and at most the one property that
// belongs to Type; when updating set ID, Type (it cannot change) and what changes. Only the property
// that matches Type is meaningful.
type Field struct {
	ID    string    `json:"field_id,omitempty"`
	Title string    `json:"field_title,omitempty"`
	Type  FieldType `json:"field_type"`

	Number       *NumberProperty     `json:"property_number,omitempty"`
	Checkbox     *CheckboxProperty   `json:"property_checkbox,omitempty"`
	DateTime     *DateTimeProperty   `json:"property_date_time,omitempty"`
	Attachment   *AttachmentProperty `json:"property_attachment,omitempty"`
	User         *UserProperty       `json:"property_user,omitempty"`
	URL          *URLProperty        `json:"property_url,omitempty"`
	Select       *SelectProperty     `json:"property_select,omitempty"`
	SingleSelect *SelectProperty     `json:"property_single_select,omitempty"`
	CreatedTime  *TimeFormatProperty `json:"property_created_time,omitempty"`
	ModifiedTime *TimeFormatProperty `json:"property_modified_time,omitempty"`
	Progress     *ProgressProperty   `json:"property_progress,omitempty"`
	Reference    *ReferenceProperty  `json:"property_reference,omitempty"`
	Location     *LocationProperty   `json:"property_location,omitempty"`
	Currency     *CurrencyProperty   `json:"property_currency,omitempty"`
	WWGroup      *WWGroupProperty    `json:"property_ww_group,omitempty"`
	AutoNumber   *AutoNumberProperty `json:"property_auto_number,omitempty"`
	Percentage   *PercentageProperty `json:"property_percentage,omitempty"`
	Barcode      *BarcodeProperty    `json:"property_barcode,omitempty"`
}

// Options returns the options of a select or single-select column (nil for other types).
func (f Field) Options() []SelectOption {
	switch {
	case f.Type == FieldSelect && f.Select != nil:
		return f.Select.Options
	case f.Type == FieldSingleSelect && f.SingleSelect != nil:
		return f.SingleSelect.Options
	}
	return nil
}

// NumberProperty configures a [FieldNumber] column (property_number).
type NumberProperty struct {
	// DecimalPlaces: -1 shows the raw value, 0 an integer, 1…4 that many digits.
	DecimalPlaces int  `json:"decimal_places"`
	UseSeparate   bool `json:"use_separate"` // thousands separator
}

// CheckboxProperty configures a [FieldCheckbox] column (property_checkbox).
type CheckboxProperty struct {
	Checked bool `json:"checked"` // default for new rows
}

// DateFormat is a date display format. The values must be sent exactly as WeCom lists them.
type DateFormat string

// Date formats (日期格式).
const (
	DateFormatChinese        DateFormat = `yyyy"年"m"月"d"日"`
	DateFormatISO            DateFormat = `yyyy-mm-dd`
	DateFormatSlash          DateFormat = `yyyy/m/d`
	DateFormatMonthDay       DateFormat = `m"月"d"日"`
	DateFormatChineseWeekday DateFormat = `yyyy"年"m"月"d"日" dddd`
	DateFormatChineseMinute  DateFormat = `yyyy"年"m"月"d"日" hh:mm`
	DateFormatISOMinute      DateFormat = `yyyy-mm-dd hh:mm`
	DateFormatUS             DateFormat = `m/d/yyyy`
	DateFormatDayMonthYear   DateFormat = `d/m/yyyy`
)

// DateTimeProperty configures a [FieldDateTime] column (property_date_time).
type DateTimeProperty struct {
	Format   DateFormat `json:"format,omitempty"`
	AutoFill bool       `json:"auto_fill"` // fill new rows with the current time
}

// TimeFormatProperty configures [FieldCreatedTime] and [FieldModifiedTime] columns.
type TimeFormatProperty struct {
	Format DateFormat `json:"format,omitempty"`
}

// DisplayMode is how an attachment column shows its files.
type DisplayMode string

// Attachment display modes.
const (
	DisplayList DisplayMode = "DISPLAY_MODE_LIST"
	DisplayGrid DisplayMode = "DISPLAY_MODE_GRID"
)

// AttachmentProperty configures a [FieldAttachment] column (property_attachment).
type AttachmentProperty struct {
	DisplayMode DisplayMode `json:"display_mode,omitempty"`
}

// UserProperty configures a [FieldUser] column (property_user).
type UserProperty struct {
	IsMultiple bool `json:"is_multiple"`
	IsNotified bool `json:"is_notified"` // notify members when they are added to a cell
}

// LinkType is how a URL column shows its link.
type LinkType string

// Link types.
const (
	LinkPureText LinkType = "LINK_TYPE_PURE_TEXT"
	LinkIconText LinkType = "LINK_TYPE_ICON_TEXT"
)

// URLProperty configures a [FieldURL] column (property_url).
type URLProperty struct {
	Type LinkType `json:"type,omitempty"`
}

// SelectProperty configures [FieldSelect] (property_select) and [FieldSingleSelect]
// (property_single_select) columns.
type SelectProperty struct {
	IsQuickAdd bool           `json:"is_quick_add,omitempty"` // documented as "users need not set this"
	Options    []SelectOption `json:"options,omitempty"`
}

// ProgressProperty configures a [FieldProgress] column (property_progress).
type ProgressProperty struct {
	DecimalPlaces int `json:"decimal_places"`
}

// ReferenceProperty configures a [FieldReference] column (property_reference): links to records of
// sheet SubID.
type ReferenceProperty struct {
	SubID      string `json:"sub_id,omitempty"`   // target sheet id
	FieldID    string `json:"filed_id,omitempty"` // sic: the wire name is "filed_id"
	IsMultiple bool   `json:"is_multiple"`
	ViewID     string `json:"view_id,omitempty"`
}

// LocationInputType says how a location cell is filled.
type LocationInputType string

// Location input types.
const (
	LocationManual LocationInputType = "LOCATION_INPUT_TYPE_MANUAL"
	LocationAuto   LocationInputType = "LOCATION_INPUT_TYPE_AUTO"
)

// LocationProperty configures a [FieldLocation] column (property_location).
type LocationProperty struct {
	InputType LocationInputType `json:"input_type,omitempty"`
}

// CurrencyType is a currency, e.g. [CurrencyCNY].
type CurrencyType string

// Currencies (currency_type).
const (
	CurrencyCNY CurrencyType = "CURRENCY_TYPE_CNY"
	CurrencyUSD CurrencyType = "CURRENCY_TYPE_USD"
	CurrencyEUR CurrencyType = "CURRENCY_TYPE_EUR"
	CurrencyGBP CurrencyType = "CURRENCY_TYPE_GBP"
	CurrencyJPY CurrencyType = "CURRENCY_TYPE_JPY"
	CurrencyKRW CurrencyType = "CURRENCY_TYPE_KRW"
	CurrencyHKD CurrencyType = "CURRENCY_TYPE_HKD"
	CurrencyMOP CurrencyType = "CURRENCY_TYPE_MOP"
	CurrencyTWD CurrencyType = "CURRENCY_TYPE_TWD"
	CurrencyAED CurrencyType = "CURRENCY_TYPE_AED"
	CurrencyAUD CurrencyType = "CURRENCY_TYPE_AUD"
	CurrencyBRL CurrencyType = "CURRENCY_TYPE_BRL"
	CurrencyCAD CurrencyType = "CURRENCY_TYPE_CAD"
	CurrencyCHF CurrencyType = "CURRENCY_TYPE_CHF"
	CurrencyIDR CurrencyType = "CURRENCY_TYPE_IDR"
	CurrencyINR CurrencyType = "CURRENCY_TYPE_INR"
	CurrencyMXN CurrencyType = "CURRENCY_TYPE_MXN"
	CurrencyMYR CurrencyType = "CURRENCY_TYPE_MYR"
	CurrencyPHP CurrencyType = "CURRENCY_TYPE_PHP"
	CurrencyPLN CurrencyType = "CURRENCY_TYPE_PLN"
	CurrencyRUB CurrencyType = "CURRENCY_TYPE_RUB"
	CurrencySGD CurrencyType = "CURRENCY_TYPE_SGD"
	CurrencyTHB CurrencyType = "CURRENCY_TYPE_THB"
	CurrencyTRY CurrencyType = "CURRENCY_TYPE_TRY"
	CurrencyVND CurrencyType = "CURRENCY_TYPE_VND"
)

// CurrencyProperty configures a [FieldCurrency] column (property_currency).
type CurrencyProperty struct {
	CurrencyType  CurrencyType `json:"currency_type,omitempty"`
	DecimalPlaces int          `json:"decimal_places"`
	UseSeparate   bool         `json:"use_separate"`
}

// WWGroupProperty configures a [FieldWWGroup] column (property_ww_group).
type WWGroupProperty struct {
	AllowMultiple bool `json:"allow_multiple"`
}

// AutoNumberType is the numbering scheme of an auto-number column.
type AutoNumberType string

// Auto-number schemes.
const (
	AutoNumberIncr   AutoNumberType = "NUMBER_TYPE_INCR"
	AutoNumberCustom AutoNumberType = "NUMBER_TYPE_CUSTOM"
)

// AutoNumberRuleType is one part of a custom auto number.
type AutoNumberRuleType string

// Auto-number rule types. For [RuleIncr] Value is the digit count, for [RuleFixedChar] a literal, for
// [RuleTime] one of YYYYMMDD, YYYYMM, MMDD, YYYY, MM, DD.
const (
	RuleIncr      AutoNumberRuleType = "NUMBER_RULE_TYPE_INCR"
	RuleFixedChar AutoNumberRuleType = "NUMBER_RULE_TYPE_FIXED_CHAR"
	RuleTime      AutoNumberRuleType = "NUMBER_RULE_TYPE_TIME"
)

// AutoNumberRule is one part of a custom auto number.
type AutoNumberRule struct {
	Type  AutoNumberRuleType `json:"type"`
	Value string             `json:"value"`
}

// AutoNumberProperty configures a [FieldAutoNumber] column (property_auto_number).
type AutoNumberProperty struct {
	Type                   AutoNumberType   `json:"type,omitempty"`
	Rules                  []AutoNumberRule `json:"rules,omitempty"`
	ReformatExistingRecord bool             `json:"reformat_existing_record"`
}

// PercentageProperty configures a [FieldPercentage] column (property_percentage).
type PercentageProperty struct {
	DecimalPlaces int  `json:"decimal_places"`
	UseSeparate   bool `json:"use_separate"`
}

// BarcodeProperty configures a [FieldBarcode] column (property_barcode).
type BarcodeProperty struct {
	MobileScanOnly bool `json:"mobile_scan_only"` // only the phone camera may fill the cell
}
