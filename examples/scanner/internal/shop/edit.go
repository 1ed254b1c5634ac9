package shop

import (
	"context"
	"fmt"
	"strings"
)

// SheetEdit is what a member changed in a product's row of the smart sheet. Nil fields were not
// changed. A value the shop's rules refuse (an empty name, a price of 0, …) is left out of the
// store; the sheet sync then writes the store's value back to the sheet.
type SheetEdit struct {
	Name, Brand, Model, Color, Location *string
	Price, Floor, Cost                  *Money
	Status                              *Status
	PhotoURL                            *string
	// StockFrom → StockTo: the member changed 库存 in the sheet. The change becomes a 表格修改
	// ledger row of StockTo − StockFrom, so that stock keeps equal to the ledger sum; a sale made in
	// the app meanwhile is not undone.
	StockFrom, StockTo *int
	Deleted            bool // the row was deleted: the product is marked 已删除
}

// IsZero reports whether the edit changes nothing.
func (e *SheetEdit) IsZero() bool {
	return e.Name == nil && e.Brand == nil && e.Model == nil && e.Color == nil && e.Location == nil &&
		e.Price == nil && e.Floor == nil && e.Cost == nil && e.Status == nil && e.PhotoURL == nil &&
		e.StockTo == nil && !e.Deleted
}

// ApplySheetEdit applies a member's edit of the smart sheet to the store, in one transaction with
// also (the sheet sync records there what the sheet now holds). It returns the product as the edit
// left it and the ledger row it wrote (nil when 库存 did not change).
func (s *Service) ApplySheetEdit(ctx context.Context, a Actor, code string, e SheetEdit,
	also func(ctx context.Context, tx Tx, p *Product) error) (*Product, *Movement, error) {
	var out *Product
	var move *Movement
	err := s.store.Write(ctx, func(tx Tx) error {
		p, err := tx.Lock(ctx, code)
		if err != nil {
			return err
		}
		now := s.now()
		move = nil
		applySheetFields(p, &e)
		if e.StockTo != nil && e.StockFrom != nil && *e.StockTo != *e.StockFrom {
			target := max(0, p.Stock+*e.StockTo-*e.StockFrom)
			if target != p.Stock {
				move = &Movement{ID: NewID(now), Code: p.Code, Kind: MoveSheetEdit, Qty: target - p.Stock,
					Balance: target, Reason: fmt.Sprintf("表格修改 %d → %d", *e.StockFrom, *e.StockTo), Actor: a.UserID, At: now}
				if err := tx.AddMovement(ctx, move); err != nil {
					return err
				}
				p.Stock = target
				p.Status = p.statusFor(p.Stock)
			}
		}
		if e.Deleted {
			p.Deleted = true
		}
		p.UpdatedAt = now
		if err := tx.SaveProduct(ctx, p); err != nil {
			return err
		}
		if also != nil {
			if err := also(ctx, tx, p); err != nil {
				return err
			}
		}
		out = p
		return nil
	})
	return out, move, err
}

// applySheetFields copies the edit's descriptive fields that pass the shop's rules.
func applySheetFields(p *Product, e *SheetEdit) {
	for dst, v := range map[*string]*string{&p.Name: e.Name, &p.Brand: e.Brand, &p.Model: e.Model,
		&p.Color: e.Color, &p.Location: e.Location} {
		if v == nil {
			continue
		}
		trial := *p
		*dst = strings.TrimSpace(*v)
		n := NewProduct{Name: p.Name, Brand: p.Brand, Model: p.Model, Color: p.Color, Location: p.Location,
			Price: p.Price, Floor: p.Floor, Cost: p.Cost}
		if n.validate() != nil {
			*p = trial
		}
	}
	for dst, v := range map[*Money]*Money{&p.Price: e.Price, &p.Floor: e.Floor, &p.Cost: e.Cost} {
		if v == nil {
			continue
		}
		old := *dst
		*dst = *v
		n := NewProduct{Name: p.Name, Price: p.Price, Floor: p.Floor, Cost: p.Cost}
		if n.validate() != nil {
			*dst = old
		}
	}
	if e.Status != nil {
		switch *e.Status {
		case StatusInactive:
			p.Status = StatusInactive
		case StatusOnSale, StatusSoldOut:
			p.Status = ""
			p.Status = p.statusFor(p.Stock)
		}
	}
	if e.PhotoURL != nil {
		u := strings.TrimSpace(*e.PhotoURL)
		if u == "" || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
			p.PhotoURL, p.PhotoID = u, ""
		}
	}
}
