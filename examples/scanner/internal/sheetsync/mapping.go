package sheetsync

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// The sync mapping: for each of the app's tables (an outbox topic), the sub-sheet title, the
// columns, the key column and how a row of the store becomes cells. Cells are compared in a
// canonical text form, so that what the app wrote can be told from what a member typed.

// Sheet titles and column titles. The titles are what members see; they stay as earlier versions of
// the app created them, so an existing document keeps working.
const (
	ProductsTitle  = "商品"
	LedgerTitle    = "库存流水" // + year, e.g. 库存流水2026; a year over 90,000 rows gets 库存流水2026 (2)
	SalesTitle     = "销售记录"
	SuppliersTitle = "供应商"
	CustomersTitle = "客户"

	colCode     = "产品编码"
	colName     = "名称"
	colBrand    = "品牌"
	colModel    = "型号"
	colColor    = "颜色"
	colPrice    = "售价"
	colFloor    = "最低售价"
	colCost     = "成本"
	colStock    = "库存"
	colLocation = "位置"
	colStatus   = "状态"
	colPhoto    = "图片"
	colCreated  = "入库时间"
	colUpdated  = "更新时间"
	colEdited   = "最后编辑时间" // WeCom fills it; reconcile reads only rows edited since its last run
	colSupplier = "供应商"
	colNotes    = "备注"
	colInactive = "下架原因"

	colMoveID  = "流水号"
	colSeq     = "序号"
	colKind    = "类型"
	colQty     = "数量"
	colBalance = "结余"
	colReason  = "原因"
	colActor   = "操作人"
	colTime    = "时间"

	colSaleID    = "单号"
	colSalePrice = "成交价"
	colNote      = "客户备注"
	colSeller    = "销售员"
	colCustomer  = "客户"
	colReverses  = "原单号"

	colID       = "编号"
	colContact  = "联系人"
	colPhone    = "电话"
	colExternal = "外部联系人ID"
	colState    = "状态"

	stateActive  = "在用"
	stateRetired = "停用"
)

// table is one of the app's sheet tables.
type table struct {
	topic   string
	title   string // the sub-sheet's title (yearly tables add the year)
	key     string // the key column: the store's id of the row
	columns []smartsheet.Field
	yearly  bool // one sub-sheet per year (and more per year when one fills up); append-only
	// load reads the rows of a keyed (not yearly) table: entity → its row, nil when gone. A row
	// marked hidden is not added to the sheet (a product deleted there).
	load func(ctx context.Context, s *Syncer, ids []string) (map[string]*keyedRow, error)
}

// keyedRow is a row of a keyed table as the store has it.
type keyedRow struct {
	cells  cells
	hidden bool
}

var (
	currency = &smartsheet.CurrencyProperty{CurrencyType: smartsheet.CurrencyCNY, DecimalPlaces: 2}
	integer  = &smartsheet.NumberProperty{DecimalPlaces: 0}
	dateTime = &smartsheet.DateTimeProperty{Format: smartsheet.DateFormatISOMinute}
)

func text(title string) smartsheet.Field {
	return smartsheet.Field{Title: title, Type: smartsheet.FieldText}
}
func money(title string) smartsheet.Field {
	return smartsheet.Field{Title: title, Type: smartsheet.FieldCurrency, Currency: currency}
}
func number(title string) smartsheet.Field {
	return smartsheet.Field{Title: title, Type: smartsheet.FieldNumber, Number: integer}
}
func when(title string) smartsheet.Field {
	return smartsheet.Field{Title: title, Type: smartsheet.FieldDateTime, DateTime: dateTime}
}
func choice(title string, opts ...string) smartsheet.Field {
	p := &smartsheet.SelectProperty{}
	for i, o := range opts {
		p.Options = append(p.Options, smartsheet.SelectOption{Text: o, Style: 1 + (i*4)%27})
	}
	return smartsheet.Field{Title: title, Type: smartsheet.FieldSingleSelect, SingleSelect: p}
}

var (
	productsTable = &table{topic: store.TopicProducts, title: ProductsTitle, key: colCode, columns: []smartsheet.Field{
		text(colCode), text(colName), text(colBrand), text(colModel), text(colColor), money(colPrice), money(colFloor),
		money(colCost), number(colStock), text(colLocation),
		choice(colStatus, string(shop.StatusOnSale), string(shop.StatusSoldOut), string(shop.StatusInactive)),
		{Title: colPhoto, Type: smartsheet.FieldImage}, when(colCreated), when(colUpdated),
		{Title: colEdited, Type: smartsheet.FieldModifiedTime, ModifiedTime: &smartsheet.TimeFormatProperty{Format: smartsheet.DateFormatISOMinute}},
		text(colSupplier), text(colNotes), text(colInactive),
	}, load: loadProducts}
	ledgerTable = &table{topic: store.TopicLedger, title: LedgerTitle, key: colMoveID, yearly: true, columns: []smartsheet.Field{
		text(colMoveID), number(colSeq), text(colCode),
		choice(colKind, moveKinds()...),
		number(colQty), number(colBalance), text(colReason), text(colActor), when(colTime), text(colSupplier),
	}}
	salesTable = &table{topic: store.TopicSales, title: SalesTitle, key: colSaleID, yearly: true, columns: []smartsheet.Field{
		text(colSaleID), text(colCode), text(colName), money(colSalePrice), money(colCost), text(colNote),
		text(colSeller), when(colTime),
		choice(colKind, string(shop.SaleSell), string(shop.SaleReturn), string(shop.SaleUndo)), number(colQty),
		text(colReverses), text(colReason), text(colCustomer),
	}}
	suppliersTable = &table{topic: store.TopicSuppliers, title: SuppliersTitle, key: colID, columns: []smartsheet.Field{
		text(colID), text(colName), text(colContact), text(colPhone), text(colNotes), choice(colState, stateActive, stateRetired),
		when(colCreated), when(colUpdated),
	}, load: loadSuppliers}
	customersTable = &table{topic: store.TopicCustomers, title: CustomersTitle, key: colID, columns: []smartsheet.Field{
		text(colID), text(colName), text(colPhone), text(colExternal), text(colNotes), choice(colState, stateActive, stateRetired),
		when(colCreated), when(colUpdated),
	}, load: loadCustomers}
	tables = map[string]*table{store.TopicProducts: productsTable, store.TopicLedger: ledgerTable, store.TopicSales: salesTable,
		store.TopicSuppliers: suppliersTable, store.TopicCustomers: customersTable}
)

func moveKinds() []string {
	out := make([]string, len(shop.MoveKinds))
	for i, k := range shop.MoveKinds {
		out[i] = string(k)
	}
	return out
}

// field returns the column titled title.
func (t *table) field(title string) (smartsheet.Field, bool) {
	for _, f := range t.columns {
		if f.Title == title {
			return f, true
		}
	}
	return smartsheet.Field{}, false
}

// canon is the canonical text of a cell of column f: what the app compares.
func canon(f smartsheet.Field, v smartsheet.Value) string {
	switch f.Type {
	case smartsheet.FieldCurrency:
		if v.IsEmpty() {
			return ""
		}
		return strconv.FormatFloat(math.Round(v.Float()*100)/100, 'f', 2, 64)
	case smartsheet.FieldNumber:
		if v.IsEmpty() {
			return ""
		}
		return strconv.FormatInt(int64(math.Round(v.Float())), 10)
	case smartsheet.FieldSingleSelect:
		if s := v.Strings(); len(s) > 0 {
			return strings.TrimSpace(s[0])
		}
		return ""
	case smartsheet.FieldImage:
		var urls []string
		for _, im := range v.Images() {
			urls = append(urls, im.URL)
		}
		return strings.Join(urls, " ")
	case smartsheet.FieldDateTime:
		if t := v.Time(); !t.IsZero() {
			return strconv.FormatInt(t.UnixMilli(), 10)
		}
		return ""
	}
	return strings.TrimSpace(v.String())
}

// cells is a row as the app writes it: column title → value.
type cells map[string]smartsheet.Value

// productCells is a product's row; photos are the pictures' URLs in the document, supplier the
// supplier's name.
func productCells(p *shop.Product, photos []string, supplier string) cells {
	c := cells{colCode: smartsheet.Text(p.Code), colName: smartsheet.Text(p.Name), colBrand: smartsheet.Text(p.Brand),
		colModel: smartsheet.Text(p.Model), colColor: smartsheet.Text(p.Color), colPrice: smartsheet.Currency(p.Price.Yuan()),
		colFloor: smartsheet.Currency(p.Floor.Yuan()), colCost: smartsheet.Currency(p.Cost.Yuan()),
		colStock: smartsheet.Number(float64(p.Stock)), colLocation: smartsheet.Text(p.Location),
		colStatus: smartsheet.SingleSelectByText(string(p.Status)), colCreated: smartsheet.DateTime(p.CreatedAt),
		colUpdated: smartsheet.DateTime(p.UpdatedAt), colPhoto: smartsheet.Images(),
		colSupplier: smartsheet.Text(supplier), colNotes: smartsheet.Text(p.Notes), colInactive: smartsheet.Text(p.InactiveReason)}
	var ims []smartsheet.Image
	for _, u := range photos {
		if u != "" {
			ims = append(ims, smartsheet.Image{Title: p.Code, URL: u})
		}
	}
	if len(ims) > 0 {
		c[colPhoto] = smartsheet.Images(ims...)
	}
	return c
}

// names maps userids to members' names (the sheet shows names); an unknown id stays as it is.
type names map[string]string

func (n names) of(id string) string {
	if v := n[id]; v != "" {
		return v
	}
	return id
}

func moveCells(m *shop.Movement, who names, supplier string) cells {
	return cells{colMoveID: smartsheet.Text(m.ID), colSeq: smartsheet.Number(float64(m.Seq)), colCode: smartsheet.Text(m.Code),
		colKind: smartsheet.SingleSelectByText(string(m.Kind)), colQty: smartsheet.Number(float64(m.Qty)),
		colBalance: smartsheet.Number(float64(m.Balance)), colReason: smartsheet.Text(m.Reason),
		colActor: smartsheet.Text(who.of(m.Actor)), colTime: smartsheet.DateTime(m.At), colSupplier: smartsheet.Text(supplier)}
}

func saleCells(x *shop.Sale, who names, customer string) cells {
	kind := x.Kind
	if kind == "" {
		kind = shop.SaleSell
	}
	return cells{colSaleID: smartsheet.Text(x.ID), colCode: smartsheet.Text(x.Code), colName: smartsheet.Text(x.Name),
		colSalePrice: smartsheet.Currency(x.Price.Yuan()), colCost: smartsheet.Currency(x.Cost.Yuan()),
		colNote: smartsheet.Text(x.Note), colSeller: smartsheet.Text(who.of(x.Actor)), colTime: smartsheet.DateTime(x.At),
		colKind: smartsheet.SingleSelectByText(string(kind)), colQty: smartsheet.Number(float64(max(x.Qty, -1))),
		colReverses: smartsheet.Text(x.Reverses), colReason: smartsheet.Text(x.Reason), colCustomer: smartsheet.Text(customer)}
}

func state(deleted bool) smartsheet.Value {
	if deleted {
		return smartsheet.SingleSelectByText(stateRetired)
	}
	return smartsheet.SingleSelectByText(stateActive)
}

func supplierCells(x *shop.Supplier) cells {
	return cells{colID: smartsheet.Text(strconv.FormatInt(x.ID, 10)), colName: smartsheet.Text(x.Name),
		colContact: smartsheet.Text(x.Contact), colPhone: smartsheet.Text(x.Phone), colNotes: smartsheet.Text(x.Notes),
		colState: state(x.Deleted), colCreated: smartsheet.DateTime(x.CreatedAt), colUpdated: smartsheet.DateTime(x.UpdatedAt)}
}

func customerCells(x *shop.Customer) cells {
	return cells{colID: smartsheet.Text(strconv.FormatInt(x.ID, 10)), colName: smartsheet.Text(x.Name),
		colPhone: smartsheet.Text(x.Phone), colExternal: smartsheet.Text(x.ExternalID), colNotes: smartsheet.Text(x.Notes),
		colState: state(x.Deleted), colCreated: smartsheet.DateTime(x.CreatedAt), colUpdated: smartsheet.DateTime(x.UpdatedAt)}
}

// snapshot is the canonical text of a row's cells: what the app last wrote (sheet_rows.pushed).
type snapshot map[string]string

func (t *table) snapshot(c cells) snapshot {
	s := make(snapshot, len(c))
	for title, v := range c {
		if f, ok := t.field(title); ok {
			s[title] = canon(f, v)
		}
	}
	return s
}

// read returns the canonical text of the mapped cells of a record read from the sheet.
func (t *table) read(rec smartsheet.Record) snapshot {
	s := snapshot{}
	for _, f := range t.columns {
		if f.Type.ReadOnly() {
			continue
		}
		s[f.Title] = canon(f, rec.Values[f.Title])
	}
	return s
}

func parseSnapshot(s string) snapshot {
	out := snapshot{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out)
	}
	return out
}

func (s snapshot) String() string {
	if len(s) == 0 {
		return ""
	}
	b, _ := json.Marshal(map[string]string(s))
	return string(b)
}

// merge returns s with the cells of o written over it.
func (s snapshot) merge(o snapshot) snapshot {
	out := make(snapshot, len(s)+len(o))
	for k, v := range s {
		out[k] = v
	}
	for k, v := range o {
		out[k] = v
	}
	return out
}

// sheetName is the store's name of a yearly table's sub-sheet: ledger:2026:1.
func sheetName(t *table, year, part int) string {
	if !t.yearly {
		return t.topic
	}
	return fmt.Sprintf("%s:%d:%d", t.topic, year, part)
}

// sheetTitle is the title members see: 库存流水2026, 库存流水2026 (2).
func sheetTitle(t *table, year, part int) string {
	if !t.yearly {
		return t.title
	}
	if part <= 1 {
		return t.title + strconv.Itoa(year)
	}
	return fmt.Sprintf("%s%d (%d)", t.title, year, part)
}
