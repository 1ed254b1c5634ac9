// Package shop is the bag shop's inventory domain: products, the stock ledger (库存流水), sales
// (销售记录) and the rules that keep them consistent. Storage is behind [Store], which package store
// implements on SQLite or PostgreSQL; every stock change is one database transaction.
package shop

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Money is an amount in fen (分). JSON carries yuan (元) as a number, the same unit in and out.
type Money int64

// Yuan converts a yuan amount, rounding to the nearest fen.
func Yuan(y float64) Money { return Money(math.Round(y * 100)) }

// Yuan returns the amount in yuan.
func (m Money) Yuan() float64 { return float64(m) / 100 }

// String formats the amount as yuan with two decimals, e.g. "1299.00".
func (m Money) String() string {
	neg := m < 0
	if neg {
		m = -m
	}
	s := strconv.FormatInt(int64(m/100), 10) + "." + fmt.Sprintf("%02d", int64(m%100))
	if neg {
		s = "-" + s
	}
	return s
}

// Display formats the amount for people: "¥1,299.00", a negative one "-¥2,980.00" (a word joiner
// after the sign keeps it on the amount's line).
func (m Money) Display() string {
	sign := ""
	if m < 0 {
		sign, m = "-\u2060", -m
	}
	digits := strconv.FormatInt(int64(m/100), 10)
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s¥%s.%02d", sign, b.String(), int64(m%100))
}

// MarshalJSON writes yuan.
func (m Money) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, m.Yuan(), 'f', -1, 64), nil
}

// UnmarshalJSON reads yuan; NaN, infinities and more than two decimals are refused.
func (m *Money) UnmarshalJSON(b []byte) error {
	var y float64
	if err := json.Unmarshal(b, &y); err != nil {
		return fmt.Errorf("amount must be a number of yuan: %w", err)
	}
	if math.IsNaN(y) || math.IsInf(y, 0) || math.Abs(y) > 1e10 {
		return errors.New("amount out of range")
	}
	if math.Abs(y*100-math.Round(y*100)) > 1e-6 {
		return errors.New("amount has more than two decimals")
	}
	*m = Yuan(y)
	return nil
}

// Status of a product (状态).
type Status string

const (
	StatusOnSale   Status = "在售"
	StatusSoldOut  Status = "售罄"
	StatusInactive Status = "下架"
)

// Product is one bag model and its stock (商品).
type Product struct {
	Code      string    `json:"code"` // 产品编码, e.g. BAG20250308001
	Name      string    `json:"name"`
	Brand     string    `json:"brand"`
	Model     string    `json:"model"`
	Color     string    `json:"color"`
	Price     Money     `json:"price"`      // 售价
	Floor     Money     `json:"floor"`      // 最低售价: lowest price staff may sell at (0 = price)
	Cost      Money     `json:"cost"`       // 成本: managers only
	Stock     int       `json:"stock"`      // 库存, equals the ledger sum
	Location  string    `json:"location"`   // 位置
	Status    Status    `json:"status"`     // 状态
	PhotoID   string    `json:"-"`          // the first photo kept in the store (see Tx.SavePhoto), or ""
	Photos    []string  `json:"-"`          // every stored photo, PhotoID first (at most MaxPhotos)
	PhotoURL  string    `json:"photo_url"`  // 图片: an external picture (set in the sheet), used without PhotoID
	Deleted   bool      `json:"deleted"`    // the row was deleted in the smart sheet (已删除); kept in the store
	CreatedAt time.Time `json:"created_at"` // 入库时间
	UpdatedAt time.Time `json:"updated_at"`

	SupplierID     int64  `json:"supplier_id,omitempty"`     // 进货来源 (0: none)
	Notes          string `json:"notes"`                     // 备注
	InactiveReason string `json:"inactive_reason,omitempty"` // 下架原因, while 下架
}

// HasPhoto reports whether the product has a picture.
func (p *Product) HasPhoto() bool { return p.PhotoID != "" || p.PhotoURL != "" }

// PhotoIDs returns the stored photos, the first one first.
func (p *Product) PhotoIDs() []string {
	if len(p.Photos) == 0 && p.PhotoID != "" {
		return []string{p.PhotoID}
	}
	return p.Photos
}

// MinPrice is the lowest price a sale may use.
func (p *Product) MinPrice() Money {
	if p.Floor <= 0 || p.Floor > p.Price {
		return p.Price
	}
	return p.Floor
}

// statusFor derives the status after a stock change; an inactive product stays inactive.
func (p *Product) statusFor(stock int) Status {
	if p.Status == StatusInactive {
		return StatusInactive
	}
	if stock <= 0 {
		return StatusSoldOut
	}
	return StatusOnSale
}

// MoveKind is the type of a ledger row (类型).
type MoveKind string

const (
	MoveRegister MoveKind = "新品入库"
	MoveSell     MoveKind = "出库"
	MoveRestock  MoveKind = "入库"
	MoveAdjust   MoveKind = "盘点"
	// MoveSheetEdit is a change of 库存 made by a member in the smart sheet (表格修改).
	MoveSheetEdit MoveKind = "表格修改"
	// MoveReturn puts a sold bag back: a customer brought it back (退货).
	MoveReturn MoveKind = "退货"
	// MoveUndo puts a sold bag back: the sale was entered by mistake (撤销销售).
	MoveUndo MoveKind = "撤销销售"
)

// MoveKinds lists every ledger row type.
var MoveKinds = []MoveKind{MoveRegister, MoveSell, MoveRestock, MoveAdjust, MoveSheetEdit, MoveReturn, MoveUndo}

// Movement is one row of the stock ledger (库存流水). Every stock change is one row.
type Movement struct {
	Seq     int64     `json:"seq"` // the store's sequence number: operation order, never a clock
	ID      string    `json:"id"`  // 流水号: unique, also the idempotency key of the change
	Code    string    `json:"code"`
	Kind    MoveKind  `json:"kind"`
	Qty     int       `json:"qty"`     // signed change
	Balance int       `json:"balance"` // stock after the change
	Reason  string    `json:"reason"`
	Actor   string    `json:"actor"` // userid
	At      time.Time `json:"at"`

	SupplierID int64 `json:"supplier_id,omitempty"` // 新品入库, 入库: where the bags came from
	UnitCost   Money `json:"-"`                     // 进货价 of those bags (managers only)
}

// SaleKind tells a sale from its reversals.
type SaleKind string

const (
	SaleSell   SaleKind = "销售"
	SaleReturn SaleKind = "退货" // a customer brought the bag back
	SaleUndo   SaleKind = "撤销" // the sale was entered by mistake
)

// Sale is one row of the sales (销售记录): a sold bag, or the reversal of one (a return or an
// undone sale: Qty −1, Price and Cost negated, Reverses the sale's ID). Sums over sales are
// therefore net of returns.
type Sale struct {
	ID    string    `json:"id"` // 单号 (equals the ledger row's ID)
	Code  string    `json:"code"`
	Name  string    `json:"name"`
	Price Money     `json:"price"`
	Cost  Money     `json:"cost"`
	Note  string    `json:"note"` // customer note
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`

	Kind       SaleKind `json:"kind"`
	Qty        int      `json:"qty"` // 1, or −1 for a reversal
	Reverses   string   `json:"reverses,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	CustomerID int64    `json:"customer_id,omitempty"`
}

// IsReversal reports whether the row reverses a sale.
func (x *Sale) IsReversal() bool { return x.Reverses != "" }

// Actor is who does something.
type Actor struct {
	UserID  string
	Name    string
	Manager bool
}
