package imports

import (
	"context"
	"fmt"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// What the import does with a row.
const (
	WillCreate = "create"    // a new bag
	Exists     = "exists"    // the bag is in the shop already: nothing is created
	Duplicate  = "duplicate" // an earlier row of the file is the same bag
	Invalid    = "invalid"   // the row cannot be a bag (Reason says why)
)

// PreviewRow is one row of a dry run.
type PreviewRow struct {
	Row      int        `json:"row"`
	Status   string     `json:"status"`
	Reason   string     `json:"reason,omitempty"`
	Code     string     `json:"code,omitempty"` // the given code, or the existing bag's
	Name     string     `json:"name"`
	Brand    string     `json:"brand,omitempty"`
	Color    string     `json:"color,omitempty"`
	Price    shop.Money `json:"price"`
	Stock    int        `json:"stock"`
	Warnings []string   `json:"warnings,omitempty"`
}

// Preview is what importing a file would do, computed without writing anything.
type Preview struct {
	*File
	Rows      []PreviewRow `json:"rows"`
	Create    int          `json:"create"`
	Exists    int          `json:"exists"`
	Duplicate int          `json:"duplicate"`
	Invalid   int          `json:"invalid"`
}

// prepare reads a file and checks its rows against the shop, as the actor would import it.
func prepare(ctx context.Context, st *store.Store, svc *shop.Service, a shop.Actor, name string, data []byte, o Options) (*File, error) {
	f, err := Read(name, data, o)
	if err != nil {
		return nil, err
	}
	for i := range f.Rows {
		if !a.Manager && f.Rows[i].Product.Cost != 0 {
			f.Rows[i].Product.Cost = 0 // only managers record cost
			f.Rows[i].Warnings = append(f.Rows[i].Warnings, "成本仅店长可导入，已忽略")
		}
	}
	if err := Check(ctx, st, svc, f); err != nil {
		return nil, err
	}
	return f, nil
}

// DryRun reads a file and reports, per row, what importing it would create or skip and why. It
// writes nothing.
func DryRun(ctx context.Context, st *store.Store, svc *shop.Service, a shop.Actor, name string, data []byte, o Options) (*Preview, error) {
	f, err := prepare(ctx, st, svc, a, name, data, o)
	if err != nil {
		return nil, err
	}
	p := &Preview{File: f, Rows: make([]PreviewRow, 0, len(f.Rows))}
	for _, r := range f.Rows {
		pr := PreviewRow{Row: r.Row, Code: r.Product.Code, Name: r.Product.Name, Brand: r.Product.Brand,
			Color: r.Product.Color, Price: r.Product.Price, Stock: r.Product.Stock, Warnings: r.Warnings}
		pr.Status, pr.Reason = rowOutcome(r)
		switch pr.Status {
		case WillCreate:
			p.Create++
		case Exists:
			p.Exists++
			pr.Code = r.Existing
		case Duplicate:
			p.Duplicate++
		default:
			p.Invalid++
		}
		p.Rows = append(p.Rows, pr)
	}
	return p, nil
}

// rowOutcome is what the import does with a checked row, and why in words.
func rowOutcome(r Row) (string, string) {
	switch {
	case r.Error != "":
		return Invalid, r.Error
	case r.Dup != 0 && r.Product.Code != "":
		return Duplicate, fmt.Sprintf("与第 %d 行编码相同", r.Dup)
	case r.Dup != 0:
		return Duplicate, fmt.Sprintf("与第 %d 行重复（名称、品牌、型号、颜色、售价都相同；多件请填库存数量）", r.Dup)
	case r.Existing != "":
		return Exists, existsReason(r.Existing)
	}
	return WillCreate, ""
}

func existsReason(code string) string { return "店内已有（" + code + "），不重复创建" }
