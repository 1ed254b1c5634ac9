package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
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
	maxImportBytes = 10 << 20
	maxImportRows  = 5000
)

type importRow struct {
	Row   int    `json:"row"`
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// apiImport registers bags from an uploaded .xlsx or .csv (multipart field "file"). Each row gets
// a request ID derived from the file's hash and the row number, so uploading the same file again
// creates nothing twice.
func (s *Server) apiImport(w http.ResponseWriter, r *http.Request, u User) error {
	r.Body = http.MaxBytesReader(nil, r.Body, maxImportBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		return badRequest("文件过大或格式错误 (file too large or malformed)")
	}
	fhs := r.MultipartForm.File["file"]
	if len(fhs) == 0 {
		return badRequest("请选择文件 (field \"file\")")
	}
	f, err := fhs[0].Open()
	if err != nil {
		return badRequest("无法读取文件")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImportBytes+1))
	if err != nil || len(data) > maxImportBytes {
		return badRequest("文件不能超过 10 MB")
	}
	rows, err := readTable(fhs[0].Filename, data)
	if err != nil {
		return badRequest(err.Error())
	}
	products, err := parseImport(rows)
	if err != nil {
		return badRequest(err.Error())
	}
	sum := sha256.Sum256(data)
	fileID := hex.EncodeToString(sum[:8])
	var results []importRow
	created := 0
	for _, ip := range products {
		res := importRow{Row: ip.row}
		if ip.err != "" {
			res.Error = ip.err
		} else {
			ip.p.RequestID = "imp-" + fileID + "-" + strconv.Itoa(ip.row)
			if !u.Manager {
				ip.p.Cost = 0
			}
			p, err := s.cfg.Shop.Register(r.Context(), u.actor(), ip.p)
			if err != nil {
				if st, _ := statusOf(err); st >= 500 {
					return err // WeCom is down: stop; re-uploading the file resumes safely
				}
				res.Error = err.Error()
			} else {
				res.Code = p.Code
				created++
			}
		}
		results = append(results, res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"created": created, "rows": results})
	return nil
}

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
			return nil, fmt.Errorf("Excel 文件没有工作表")
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

type importProduct struct {
	row int
	p   shop.NewProduct
	err string
}

func parseImport(rows [][]string) ([]importProduct, error) {
	if len(rows) < 2 {
		return nil, fmt.Errorf("文件没有数据行 (header + rows expected)")
	}
	if len(rows) > maxImportRows+1 {
		return nil, fmt.Errorf("一次最多导入 %d 行", maxImportRows)
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
	var out []importProduct
	for i, row := range rows[1:] {
		get := func(k string) string {
			if c, ok := cols[k]; ok && c < len(row) {
				return strings.TrimSpace(row[c])
			}
			return ""
		}
		ip := importProduct{row: i + 2}
		if strings.Join(row, "") == "" {
			continue
		}
		money := func(k string) shop.Money {
			v := strings.TrimPrefix(strings.ReplaceAll(get(k), ",", ""), "¥")
			if v == "" {
				return 0
			}
			y, err := strconv.ParseFloat(v, 64)
			if err != nil && ip.err == "" {
				ip.err = k + ": 不是数字"
			}
			return shop.Yuan(y)
		}
		ip.p = shop.NewProduct{Code: get("code"), Name: get("name"), Brand: get("brand"), Model: get("model"),
			Color: get("color"), Location: get("location"), Price: money("price"), Floor: money("floor"), Cost: money("cost")}
		if v := get("stock"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil && ip.err == "" {
				ip.err = "stock: 不是整数"
			}
			ip.p.Stock = n
		} else {
			ip.p.Stock = 1
		}
		out = append(out, ip)
	}
	return out, nil
}
