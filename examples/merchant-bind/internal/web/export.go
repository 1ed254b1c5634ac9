package web

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

// exportColumns are the export's header row.
var exportColumns = []string{"ID", "商户名称", "登录名", "联系人", "电话", "状态", "微信绑定", "OpenID", "绑定时间", "注册时间", "最后登录"}

func (s *Server) exportRow(m *store.Merchant) []string {
	status, bound := "正常", "未绑定"
	if !m.Active() {
		status = "禁用"
	}
	if m.Bound() {
		bound = "已绑定"
	}
	opt := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return s.fmtTime(t)
	}
	return []string{itoa(m.ID), m.Name, m.Login, m.Contact, m.Phone, status, bound, m.OpenID, opt(m.BoundAt),
		opt(m.CreatedAt), opt(m.LastLoginAt)}
}

// csvSafe defuses spreadsheet formulas: a cell starting with = + - @ (or a tab or CR) is prefixed
// with a quote, so that opening the file in Excel never runs a merchant's name.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// merchantExport serves GET /merchants/export?format=csv|xlsx with the list's filter: every
// matching merchant, not only the page shown.
func (s *Server) merchantExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, _ := listFilter(q)
	format := q.Get("format")
	if format != "csv" && format != "xlsx" {
		s.fail(w, r, http.StatusBadRequest, "bad_format", "导出格式须为 csv 或 xlsx (format must be csv or xlsx)")
		return
	}
	// Validate the filter before the first byte goes out.
	if _, _, err := s.db.ListMerchants(r.Context(), store.Filter{Query: f.Query, Bound: f.Bound, Status: f.Status, Limit: 1}); err != nil {
		if !s.badRequest(w, r, err) {
			s.internal(w, r, err)
		}
		return
	}
	name := "merchants-" + s.cfg.Now().In(s.loc).Format("20060102-150405") + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape("商户-"+name))
	w.Header().Set("Cache-Control", "no-store")
	var n int
	var err error
	if format == "csv" {
		n, err = s.exportCSV(w, r, f)
	} else {
		n, err = s.exportXLSX(w, r, f)
	}
	if err != nil {
		s.cfg.Log.Error("merchant-bind: export", "err", err) // headers are out: the download is cut short
		return
	}
	s.svc.Audit(r.Context(), adminFrom(r.Context()).Username, "merchant.export", 0,
		"format="+format+" rows="+strconv.Itoa(n)+" q="+f.Query+" bound="+f.Bound+" status="+f.Status)
}

func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, f store.Filter) (int, error) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	_, _ = w.Write([]byte("\uFEFF")) // Excel reads UTF-8 CSV only with a BOM
	cw := csv.NewWriter(w)
	_ = cw.Write(exportColumns)
	n := 0
	err := s.db.EachMerchant(r.Context(), f, func(m *store.Merchant) error {
		row := s.exportRow(m)
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		n++
		return cw.Write(row)
	})
	cw.Flush()
	return n, errors.Join(err, cw.Error())
}

func (s *Server) exportXLSX(w http.ResponseWriter, r *http.Request, f store.Filter) (int, error) {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "商户"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return 0, err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return 0, err
	}
	_ = sw.SetColWidth(2, 2, 24)
	_ = sw.SetColWidth(8, 8, 32)
	_ = sw.SetColWidth(9, 11, 20)
	row := func(n int, vals []string) error {
		cells := make([]any, len(vals))
		for i, v := range vals {
			cells[i] = v // strings are stored as text: never a formula
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, cells)
	}
	if err := row(1, exportColumns); err != nil {
		return 0, err
	}
	n := 0
	err = s.db.EachMerchant(r.Context(), f, func(m *store.Merchant) error {
		n++
		return row(n+1, s.exportRow(m))
	})
	if err != nil {
		return n, err
	}
	if err := sw.Flush(); err != nil {
		return n, err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	_, err = x.WriteTo(w)
	return n, err
}
