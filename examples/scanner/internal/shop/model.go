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
	PhotoID   string    `json:"-"`          // a photo kept in the store (see Tx.SavePhoto), or ""
	PhotoURL  string    `json:"photo_url"`  // 图片: an external picture (set in the sheet), used without PhotoID
	Deleted   bool      `json:"deleted"`    // the row was deleted in the smart sheet (已删除); kept in the store
	CreatedAt time.Time `json:"created_at"` // 入库时间
	UpdatedAt time.Time `json:"updated_at"`
}

// HasPhoto reports whether the product has a picture.
func (p *Product) HasPhoto() bool { return p.PhotoID != "" || p.PhotoURL != "" }

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
)

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
}

// Sale is one sold bag (销售记录).
type Sale struct {
	ID    string    `json:"id"` // 单号 (equals the ledger row's ID)
	Code  string    `json:"code"`
	Name  string    `json:"name"`
	Price Money     `json:"price"`
	Cost  Money     `json:"cost"`
	Note  string    `json:"note"` // customer note
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
}

// Actor is who does something.
type Actor struct {
	UserID  string
	Name    string
	Manager bool
}
