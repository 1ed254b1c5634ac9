package imports

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// Import columns, matched by header (Chinese or English, case-insensitive).
var importHeaders = map[string]string{
	"编码": "code", "产品编码": "code", "code": "code",
	"名称": "name", "name": "name",
	"品牌": "brand", "brand": "brand",
	"型号": "model", "model": "model",
	"颜色": "color", "color": "color", "colour": "color",
	"售价": "price", "价格": "price", "price": "price",
	"最低售价": "floor", "floor": "floor",
	"成本": "cost", "cost": "cost",
	"库存": "stock", "数量": "stock", "stock": "stock",
	"位置": "location", "location": "location",
}

const (
	// MaxBytes bounds an uploaded file.
	MaxBytes = 10 << 20
	// MaxRows bounds the data rows of one file.
	MaxRows = 5000
)

func readTable(name string, data []byte) ([][]string, error) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".xlsx"):
		x, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("无法打开 Excel 文件: %v", err)
		}
		defer x.Close()
		sheets := x.GetSheetList()
		if len(sheets) == 0 {
			return nil, fmt.Errorf("这个 Excel 文件没有工作表")
		}
		return x.GetRows(sheets[0])
	case strings.HasSuffix(lower, ".csv"):
		data = bytes.TrimPrefix(data, []byte("\ufeff"))
		if !utf8.Valid(data) {
			return nil, fmt.Errorf("CSV 须为 UTF-8 编码")
		}
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		return cr.ReadAll()
	}
	return nil, fmt.Errorf("仅支持 .xlsx 和 .csv 文件")
}

// Row is one data row of an uploaded file: the product it describes, or why it cannot be one.
type Row struct {
	Row     int             `json:"row"` // the row number in the file (the header is row 1)
	Product shop.NewProduct `json:"product"`
	Error   string          `json:"error,omitempty"`
}

// ParseError is a file that cannot be imported (its message is for the person who uploaded it).
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return e.Msg }

// Parse reads an .xlsx or .csv file: a header row (Chinese or English column names), then one
// product per row. Bad rows are returned with their error; a bad file is a *ParseError.
func Parse(name string, data []byte) ([]Row, error) {
	rows, err := readTable(name, data)
	if err == nil {
		var out []Row
		if out, err = parseRows(rows); err == nil {
			return out, nil
		}
	}
	return nil, &ParseError{Msg: err.Error()}
}

func parseRows(rows [][]string) ([]Row, error) {
	if len(rows) < 2 {
		return nil, fmt.Errorf("文件没有数据行 (header + rows expected)")
	}
	if len(rows) > MaxRows+1 {
		return nil, fmt.Errorf("一次最多导入 %d 行", MaxRows)
	}
	cols := map[string]int{}
	for i, h := range rows[0] {
		if k, ok := importHeaders[strings.ToLower(strings.TrimSpace(h))]; ok {
			cols[k] = i
		}
	}
	if _, ok := cols["name"]; !ok {
		return nil, fmt.Errorf("缺少“名称”列")
	}
	if _, ok := cols["price"]; !ok {
		return nil, fmt.Errorf("缺少“售价”列")
	}
	var out []Row
	for i, row := range rows[1:] {
		get := func(k string) string {
			if c, ok := cols[k]; ok && c < len(row) {
				return strings.TrimSpace(row[c])
			}
			return ""
		}
		ip := Row{Row: i + 2}
		if strings.Join(row, "") == "" {
			continue
		}
		money := func(k string) shop.Money {
			v := strings.TrimPrefix(strings.ReplaceAll(get(k), ",", ""), "¥")
			if v == "" {
				return 0
			}
			y, err := strconv.ParseFloat(v, 64)
			if err != nil && ip.Error == "" {
				ip.Error = k + ": 不是数字"
			}
			return shop.Yuan(y)
		}
		ip.Product = shop.NewProduct{Code: get("code"), Name: get("name"), Brand: get("brand"), Model: get("model"),
			Color: get("color"), Location: get("location"), Price: money("price"), Floor: money("floor"), Cost: money("cost")}
		if v := get("stock"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil && ip.Error == "" {
				ip.Error = "stock: 不是整数"
			}
			ip.Product.Stock = n
		} else {
			ip.Product.Stock = 1
		}
		out = append(out, ip)
	}
	return out, nil
}
