package sheetrepo

import (
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// Sheet titles. The ledger and sales roll over to a new sheet every year (a sheet holds at most
// 100,000 rows): 库存流水2026, 销售记录2026, …
const (
	ProductsSheet = "商品"
	movesPrefix   = "库存流水"
	salesPrefix   = "销售记录"
)

// productRow is one row of 商品.
type productRow struct {
	RecordID  string             `smartsheet:"-,id"`
	Code      string             `smartsheet:"产品编码,key"`
	Name      string             `smartsheet:"名称"`
	Brand     string             `smartsheet:"品牌"`
	Model     string             `smartsheet:"型号"`
	Color     string             `smartsheet:"颜色"`
	Price     float64            `smartsheet:"售价,type=currency"`
	Floor     float64            `smartsheet:"最低售价,type=currency"`
	Cost      float64            `smartsheet:"成本,type=currency"`
	Stock     int                `smartsheet:"库存"`
	Location  string             `smartsheet:"位置"`
	Status    string             `smartsheet:"状态,type=single_select,options=在售|售罄|下架"`
	Photo     []smartsheet.Image `smartsheet:"图片"`
	CreatedAt time.Time          `smartsheet:"入库时间,format=datetime"`
	UpdatedAt time.Time          `smartsheet:"更新时间,format=datetime"`
}

func toProductRow(p *shop.Product) productRow {
	r := productRow{RecordID: p.RecordID, Code: p.Code, Name: p.Name, Brand: p.Brand, Model: p.Model, Color: p.Color,
		Price: p.Price.Yuan(), Floor: p.Floor.Yuan(), Cost: p.Cost.Yuan(), Stock: p.Stock, Location: p.Location,
		Status: string(p.Status), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if p.PhotoURL != "" {
		r.Photo = []smartsheet.Image{{Title: p.Code, URL: p.PhotoURL}}
	}
	return r
}

func (r *productRow) product() shop.Product {
	p := shop.Product{RecordID: r.RecordID, Code: r.Code, Name: r.Name, Brand: r.Brand, Model: r.Model, Color: r.Color,
		Price: shop.Yuan(r.Price), Floor: shop.Yuan(r.Floor), Cost: shop.Yuan(r.Cost), Stock: r.Stock,
		Location: r.Location, Status: shop.Status(r.Status), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if len(r.Photo) > 0 {
		p.PhotoURL = r.Photo[0].URL
	}
	if p.Status == "" { // edited by hand in the sheet
		p.Status = shop.StatusOnSale
		if p.Stock <= 0 {
			p.Status = shop.StatusSoldOut
		}
	}
	return p
}

// moveRow is one row of 库存流水YYYY.
type moveRow struct {
	RecordID string    `smartsheet:"-,id"`
	ID       string    `smartsheet:"流水号,key"`
	Code     string    `smartsheet:"产品编码"`
	Kind     string    `smartsheet:"类型,type=single_select,options=新品入库|出库|入库|盘点"`
	Qty      int       `smartsheet:"数量"`
	Balance  int       `smartsheet:"结余"`
	Reason   string    `smartsheet:"原因"`
	Actor    string    `smartsheet:"操作人"`
	At       time.Time `smartsheet:"时间,format=datetime"`
}

func toMoveRow(m *shop.Movement) moveRow {
	return moveRow{ID: m.ID, Code: m.Code, Kind: string(m.Kind), Qty: m.Qty, Balance: m.Balance, Reason: m.Reason, Actor: m.Actor, At: m.At}
}

func (r *moveRow) movement() shop.Movement {
	return shop.Movement{ID: r.ID, Code: r.Code, Kind: shop.MoveKind(r.Kind), Qty: r.Qty, Balance: r.Balance,
		Reason: r.Reason, Actor: r.Actor, At: r.At}
}

// saleRow is one row of 销售记录YYYY.
type saleRow struct {
	RecordID string    `smartsheet:"-,id"`
	ID       string    `smartsheet:"单号,key"`
	Code     string    `smartsheet:"产品编码"`
	Name     string    `smartsheet:"名称"`
	Price    float64   `smartsheet:"成交价,type=currency"`
	Cost     float64   `smartsheet:"成本,type=currency"`
	Note     string    `smartsheet:"客户备注"`
	Actor    string    `smartsheet:"销售员"`
	At       time.Time `smartsheet:"时间,format=datetime"`
}

func toSaleRow(s *shop.Sale) saleRow {
	return saleRow{ID: s.ID, Code: s.Code, Name: s.Name, Price: s.Price.Yuan(), Cost: s.Cost.Yuan(), Note: s.Note, Actor: s.Actor, At: s.At}
}

func (r *saleRow) sale() shop.Sale {
	return shop.Sale{ID: r.ID, Code: r.Code, Name: r.Name, Price: shop.Yuan(r.Price), Cost: shop.Yuan(r.Cost),
		Note: r.Note, Actor: r.Actor, At: r.At}
}
