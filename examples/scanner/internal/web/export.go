package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// Exports (managers): /export.xlsx?what=products|ledger|sales|suppliers|customers|all&from=…&to=…
// The dates (the shop's days, both included) select the ledger rows and sales of the window, the
// products registered in it, and the window's purchases and sales per supplier and customer; no
// dates means everything. Rows are streamed into the workbook (excelize's StreamWriter), so a
// shop of 50,000 bags exports in one request.

var exportKinds = []struct{ key, title string }{
	{"products", "商品"}, {"ledger", "库存流水"}, {"sales", "销售记录"}, {"suppliers", "供应商"}, {"customers", "客户"},
}

func (s *Server) export(w http.ResponseWriter, r *http.Request, u User) error {
	if !u.Manager {
		return shop.ErrForbidden
	}
	what := r.URL.Query().Get("what")
	var kinds []struct{ key, title string }
	for _, k := range exportKinds {
		if what == "all" || what == k.key {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		return badRequest("what: products、ledger、sales、suppliers、customers 或 all")
	}
	q, err := statsQuery(r, s.cfg.Location)
	if err != nil {
		return err
	}
	from, to := q.From, q.To
	if !to.IsZero() && !from.IsZero() && !from.Before(to) {
		return badRequest("开始日期须早于结束日期")
	}
	ex := &exporter{s: s, ctx: r.Context(), from: from, to: to, f: excelize.NewFile()}
	if ex.to.IsZero() {
		ex.to = time.UnixMilli(1 << 62)
	}
	defer ex.f.Close()
	for i, k := range kinds {
		if i == 0 {
			if err := ex.f.SetSheetName("Sheet1", k.title); err != nil {
				return err
			}
		} else if _, err := ex.f.NewSheet(k.title); err != nil {
			return err
		}
		if err := ex.sheet(k.key, k.title); err != nil {
			return err
		}
	}
	name := "导出"
	if len(kinds) == 1 {
		name = kinds[0].title
	}
	if !from.IsZero() || !q.To.IsZero() {
		name += fmt.Sprintf("_%s至%s", day(from, s.cfg.Location, "开始"), day(q.To.AddDate(0, 0, -1), s.cfg.Location, "今天"))
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="export.xlsx"; filename*=UTF-8''`+url.PathEscape(name+".xlsx"))
	w.Header().Set("Cache-Control", "no-store")
	return ex.f.Write(w)
}

func day(t time.Time, loc *time.Location, zero string) string {
	if t.IsZero() || t.Year() < 2000 {
		return zero
	}
	return t.In(loc).Format("20060102")
}

type exporter struct {
	s        *Server
	ctx      context.Context
	from, to time.Time
	f        *excelize.File
}

func (ex *exporter) sheet(key, title string) error {
	sw, err := ex.f.NewStreamWriter(title)
	if err != nil {
		return err
	}
	row := 1
	put := func(vals ...any) error {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cell, vals)
	}
	switch key {
	case "products":
		err = ex.products(put)
	case "ledger":
		err = ex.ledger(put)
	case "sales":
		err = ex.sales(put)
	case "suppliers":
		err = ex.suppliers(put)
	case "customers":
		err = ex.customers(put)
	}
	if err != nil {
		return err
	}
	return sw.Flush()
}

func (ex *exporter) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(ex.s.cfg.Location).Format("2006-01-02 15:04:05")
}

func (ex *exporter) products(put func(...any) error) error {
	st := ex.s.cfg.Store
	sups, _, err := ex.s.cfg.Shop.Suppliers(ex.ctx, shop.PartnerQuery{Limit: 500})
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, x := range sups {
		names[x.ID] = x.Name
	}
	if err := put("产品编码", "名称", "品牌", "型号", "颜色", "售价", "最低售价", "成本", "库存", "位置", "状态", "下架原因",
		"供应商", "备注", "入库时间", "更新时间"); err != nil {
		return err
	}
	return st.EachProduct(ex.ctx, ex.from, ex.to, func(p *shop.Product) error {
		status := string(p.Status)
		if p.Deleted {
			status = "已删除"
		}
		sup := names[p.SupplierID]
		if sup == "" && p.SupplierID != 0 {
			if x, err := ex.s.cfg.Shop.Supplier(ex.ctx, p.SupplierID); err == nil {
				sup, names[x.ID] = x.Name, x.Name
			}
		}
		return put(p.Code, p.Name, p.Brand, p.Model, p.Color, p.Price.Yuan(), p.MinPrice().Yuan(), p.Cost.Yuan(), p.Stock,
			p.Location, status, p.InactiveReason, sup, p.Notes, ex.when(p.CreatedAt), ex.when(p.UpdatedAt))
	})
}

func (ex *exporter) ledger(put func(...any) error) error {
	if err := put("序号", "流水号", "时间", "产品编码", "类型", "数量", "结余", "原因", "经手", "供应商编号", "进货价"); err != nil {
		return err
	}
	return ex.s.cfg.Store.EachMovement(ex.ctx, ex.from, ex.to, func(m *shop.Movement) error {
		var cost any
		if m.UnitCost != 0 {
			cost = m.UnitCost.Yuan()
		}
		var sup any
		if m.SupplierID != 0 {
			sup = m.SupplierID
		}
		return put(m.Seq, m.ID, ex.when(m.At), m.Code, string(m.Kind), m.Qty, m.Balance, m.Reason, ex.s.name(m.Actor), sup, cost)
	})
}

func (ex *exporter) sales(put func(...any) error) error {
	xs, err := ex.s.cfg.Store.SalesBetween(ex.ctx, ex.from, ex.to)
	if err != nil {
		return err
	}
	var cids []int64
	for _, x := range xs {
		if x.CustomerID != 0 {
			cids = append(cids, x.CustomerID)
		}
	}
	cus, err := ex.s.cfg.Store.CustomersByID(ex.ctx, cids)
	if err != nil {
		return err
	}
	if err := put("单号", "时间", "产品编码", "名称", "类型", "数量", "成交价", "成本", "毛利", "销售员", "客户", "原单号",
		"原因", "客户备注"); err != nil {
		return err
	}
	for _, x := range xs {
		c := ""
		if cu := cus[x.CustomerID]; cu != nil {
			c = cu.Name
		}
		if err := put(x.ID, ex.when(x.At), x.Code, x.Name, string(x.Kind), x.Qty, x.Price.Yuan(), x.Cost.Yuan(),
			(x.Price - x.Cost).Yuan(), ex.s.name(x.Actor), c, x.Reverses, x.Reason, x.Note); err != nil {
			return err
		}
	}
	return nil
}

// suppliers lists every supplier with what came in from it in the window and what of it sold.
func (ex *exporter) suppliers(put func(...any) error) error {
	in := map[int64]int{}
	if err := ex.s.cfg.Store.EachMovement(ex.ctx, ex.from, ex.to, func(m *shop.Movement) error {
		if m.SupplierID != 0 && m.Qty > 0 {
			in[m.SupplierID] += m.Qty
		}
		return nil
	}); err != nil {
		return err
	}
	if err := put("编号", "名称", "联系人", "电话", "备注", "状态", "期间进货（件）", "在库商品（件）", "创建时间"); err != nil {
		return err
	}
	for _, deleted := range []bool{false, true} {
		for offset := 0; ; {
			xs, _, err := ex.s.cfg.Shop.Suppliers(ex.ctx, shop.PartnerQuery{Deleted: deleted, Limit: 500, Offset: offset})
			if err != nil {
				return err
			}
			for _, x := range xs {
				ps, _, err := ex.s.cfg.Shop.Search(ex.ctx, shop.Query{SupplierID: x.ID, Limit: 1000})
				if err != nil {
					return err
				}
				units := 0
				for _, p := range ps {
					units += p.Stock
				}
				state := "在用"
				if x.Deleted {
					state = "停用"
				}
				if err := put(x.ID, x.Name, x.Contact, x.Phone, x.Notes, state, in[x.ID], units, ex.when(x.CreatedAt)); err != nil {
					return err
				}
			}
			if len(xs) < 500 {
				break
			}
			offset += len(xs)
		}
	}
	return nil
}

// customers lists every customer with what they bought in the window (net of returns).
func (ex *exporter) customers(put func(...any) error) error {
	xs, err := ex.s.cfg.Store.SalesBetween(ex.ctx, ex.from, ex.to)
	if err != nil {
		return err
	}
	count, spent := map[int64]int{}, map[int64]shop.Money{}
	for _, x := range xs {
		if x.CustomerID != 0 {
			count[x.CustomerID] += x.Qty
			spent[x.CustomerID] += x.Price
		}
	}
	if err := put("编号", "名称", "电话", "外部联系人ID", "备注", "状态", "期间购买（件）", "期间消费（元）", "创建时间"); err != nil {
		return err
	}
	for _, deleted := range []bool{false, true} {
		for offset := 0; ; {
			cs, _, err := ex.s.cfg.Shop.Customers(ex.ctx, shop.PartnerQuery{Deleted: deleted, Limit: 500, Offset: offset})
			if err != nil {
				return err
			}
			for _, c := range cs {
				state := "在用"
				if c.Deleted {
					state = "停用"
				}
				if err := put(c.ID, c.Name, c.Phone, c.ExternalID, c.Notes, state, count[c.ID], spent[c.ID].Yuan(),
					ex.when(c.CreatedAt)); err != nil {
					return err
				}
			}
			if len(cs) < 500 {
				break
			}
			offset += len(cs)
		}
	}
	return nil
}
