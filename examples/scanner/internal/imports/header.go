package imports

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fields a column can fill.
const (
	fCode     = "code"
	fName     = "name"
	fBrand    = "brand"
	fModel    = "model"
	fColor    = "color"
	fPrice    = "price"
	fFloor    = "floor"
	fCost     = "cost"
	fStock    = "stock"
	fLocation = "location"
	fNotes    = "notes"
	fSupplier = "supplier"
	fPhoto    = "photo_url"
)

// fieldLabels names each field as the preview shows it.
var fieldLabels = map[string]string{
	fCode: "编码", fName: "名称", fBrand: "品牌", fModel: "型号", fColor: "颜色", fPrice: "售价", fFloor: "最低售价",
	fCost: "成本", fStock: "库存", fLocation: "位置", fNotes: "备注", fSupplier: "供应商", fPhoto: "图片链接",
}

// synonyms are the header texts shops use for each field, in folded form (see foldHeader): what
// 草料, 有赞, 微店, 秦丝 and hand-made Excel lists call their columns. Units in brackets
// (售价（元）), spaces, case and full-width forms do not matter.
var synonyms = map[string][]string{
	fCode: {"编码", "产品编码", "商品编码", "货品编码", "货号", "商品货号", "条码", "条形码", "商品条码", "编号", "商品编号",
		"产品编号", "sku", "skucode", "code", "barcode", "itemcode", "productcode"},
	fName: {"名称", "品名", "商品名称", "商品名", "产品名称", "产品名", "货品名称", "宝贝名称", "款式", "商品", "产品", "标题",
		"商品标题", "name", "productname", "itemname", "title", "product", "item"},
	fBrand: {"品牌", "牌子", "品牌名称", "品牌名", "brand"},
	fModel: {"型号", "款号", "规格", "规格型号", "款式编号", "model", "style", "styleno"},
	fColor: {"颜色", "色号", "色系", "颜色分类", "主色", "配色", "color", "colour"},
	fPrice: {"售价", "价格", "零售价", "零售价格", "单价", "标价", "销售价", "销售单价", "吊牌价", "价钱", "建议零售价", "现价",
		"price", "retailprice", "saleprice", "unitprice"},
	fFloor: {"最低售价", "最低价", "底价", "最低折扣价", "floor", "floorprice", "minprice"},
	fCost:  {"成本", "成本价", "进价", "进货价", "进货单价", "采购价", "采购单价", "cost", "costprice", "purchaseprice"},
	fStock: {"库存", "数量", "件数", "库存数量", "库存数", "库存量", "现有库存", "在库数量", "数目", "stock", "qty", "quantity",
		"inventory"},
	fLocation: {"位置", "货位", "柜台", "库位", "货架", "存放位置", "陈列位置", "仓位", "location", "shelf"},
	fNotes:    {"备注", "说明", "描述", "备注说明", "商品描述", "notes", "note", "remark", "remarks", "description"},
	fSupplier: {"供应商", "进货来源", "供货商", "厂家", "厂商", "货源", "进货渠道", "supplier", "vendor"},
	fPhoto:    {"图片", "图片链接", "图片地址", "主图", "image", "imageurl", "photo", "picture"},
}

// headerField maps a folded header text to its field.
var headerField = func() map[string]string {
	m := map[string]string{}
	for f, names := range synonyms {
		for _, n := range names {
			m[n] = f
		}
	}
	return m
}()

// fold makes text comparable: full-width letters, digits and brackets become ASCII (NFKC), case
// and every space go.
func fold(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// foldHeader folds a header cell and drops what shops add around a column name: units in brackets
// (售价（元）, 价格[元], price (CNY)), a required-field star, a trailing colon, a "单位：元" note.
func foldHeader(s string) string {
	s = fold(s)
	for _, pair := range [][2]string{{"(", ")"}, {"[", "]"}, {"【", "】"}, {"<", ">"}, {"{", "}"}} {
		for {
			i := strings.Index(s, pair[0])
			if i < 0 {
				break
			}
			j := strings.Index(s[i:], pair[1])
			if j < 0 {
				s = s[:i]
				break
			}
			s = s[:i] + s[i+j+len(pair[1]):]
		}
	}
	s = strings.Trim(s, "*※:：/／-_.。")
	for _, unit := range []string{"/元", "(元)", "元", "¥", "$", "rmb", "cny"} {
		s = strings.TrimSuffix(s, unit)
	}
	return strings.Trim(s, "*:：/-_")
}

// Column is one column of the header as it was understood.
type Column struct {
	Index  int    `json:"index"`  // 0-based
	Letter string `json:"letter"` // as Excel names it: A, B, …, AA
	Header string `json:"header"` // the text in the file
	Field  string `json:"field,omitempty"`
	Label  string `json:"label,omitempty"` // the field in Chinese; empty: the column is not imported
}

// columnLetter names the i-th (0-based) column as Excel does.
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// matchHeader maps a row's cells to fields; the first column of a field wins (a second 售价 column,
// e.g. 会员价 after 零售价, is reported as not imported).
func matchHeader(row []string) (map[string]int, []Column) {
	fields := map[string]int{}
	var cols []Column
	for i, cell := range row {
		if cell == "" {
			continue
		}
		c := Column{Index: i, Letter: columnLetter(i), Header: cell}
		if f, ok := headerField[foldHeader(cell)]; ok {
			if _, dup := fields[f]; !dup {
				fields[f], c.Field, c.Label = i, f, fieldLabels[f]
			}
		}
		cols = append(cols, c)
	}
	return fields, cols
}

// findHeader returns the index of the header among the first rows: the row that names the most
// known columns, at least two of them (a title row above it names none).
func findHeader(rows [][]string) (int, map[string]int, []Column) {
	best, bestN := -1, 1
	var bestFields map[string]int
	var bestCols []Column
	for i := 0; i < len(rows) && i < headerScan; i++ {
		fields, cols := matchHeader(rows[i])
		n := len(fields)
		if _, ok := fields[fName]; ok {
			n++ // a name column makes a header more likely than a stray row of words
		}
		if n > bestN {
			best, bestN, bestFields, bestCols = i, n, fields, cols
		}
	}
	return best, bestFields, bestCols
}
