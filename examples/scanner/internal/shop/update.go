package shop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// UpdateInput changes a product's descriptive fields (not its stock). Nil fields stay.
type UpdateInput struct {
	Name, Brand, Model, Color, Location, Notes *string
	Price, Floor, Cost                         *Money
	SupplierID                                 *int64 // 0 clears it
	// Status 下架 takes the product off sale (InactiveReason is required); 在售 or 售罄 puts it back
	// on sale (the status then follows the stock). Setting a status also restores a product deleted
	// in the sheet.
	Status         *Status
	InactiveReason string
	AddPhotos      [][]byte // appended, up to MaxPhotos in all
	RemovePhotos   []string // photo ids to drop
}

// staffFields reports whether the update only touches what staff may change: location and notes.
func (in *UpdateInput) staffFields() bool {
	return in.Name == nil && in.Brand == nil && in.Model == nil && in.Color == nil && in.Price == nil &&
		in.Floor == nil && in.Cost == nil && in.SupplierID == nil && in.Status == nil && len(in.AddPhotos) == 0 &&
		len(in.RemovePhotos) == 0
}

// Update edits a product. Staff change its location and notes; managers change everything. A new
// photo is scaled before the transaction.
func (s *Service) Update(ctx context.Context, a Actor, code string, in UpdateInput) (*Product, error) {
	if !a.Manager && !in.staffFields() {
		return nil, ErrForbidden
	}
	code = NormalizeCode(code)
	if code == "" {
		return nil, ErrNotFound
	}
	in.InactiveReason = strings.TrimSpace(in.InactiveReason)
	if in.Status != nil && *in.Status == StatusInactive {
		if in.InactiveReason == "" {
			return nil, invalid("reason", "请填写下架原因")
		}
		if utf8.RuneCountInString(in.InactiveReason) > 200 {
			return nil, invalid("reason", "下架原因最多 200 字")
		}
	}
	if in.SupplierID != nil && *in.SupplierID != 0 {
		if _, err := s.store.Supplier(ctx, *in.SupplierID); errors.Is(err, ErrNotFound) {
			return nil, invalid("supplier_id", "供应商不存在")
		} else if err != nil {
			return nil, err
		}
	}
	if in.Price != nil && *in.Price > s.max {
		return nil, invalid("price", fmt.Sprintf("售价超过上限 ¥%s", s.max))
	}
	added, err := preparePhotos(in.AddPhotos)
	if err != nil {
		return nil, err
	}
	var out *Product
	err = s.store.Write(ctx, func(tx Tx) error {
		p, err := tx.Lock(ctx, code)
		if err != nil {
			return err
		}
		if err := applyUpdate(p, in); err != nil {
			return err
		}
		if len(added) > 0 || len(in.RemovePhotos) > 0 {
			ids := slices.DeleteFunc(slices.Clone(p.PhotoIDs()), func(id string) bool { return slices.Contains(in.RemovePhotos, id) })
			more, err := savePhotos(ctx, tx, added)
			if err != nil {
				return err
			}
			for _, id := range more {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			if len(ids) > MaxPhotos {
				return invalid("photo", fmt.Sprintf("最多 %d 张照片", MaxPhotos))
			}
			p.Photos, p.PhotoID = ids, ""
			if len(ids) > 0 {
				p.PhotoID, p.PhotoURL = ids[0], ""
			}
		}
		p.UpdatedAt = s.now()
		if err := tx.SaveProduct(ctx, p); err != nil {
			return err
		}
		out = p
		return nil
	})
	return out, err
}

// SetActive takes a product off sale (下架, with a reason) or puts it back on sale (上架).
// Managers only.
func (s *Service) SetActive(ctx context.Context, a Actor, code string, active bool, reason string) (*Product, error) {
	st := StatusInactive
	if active {
		st = StatusOnSale
	}
	return s.Update(ctx, a, code, UpdateInput{Status: &st, InactiveReason: reason})
}

func applyUpdate(p *Product, in UpdateInput) error {
	n := NewProduct{Name: p.Name, Brand: p.Brand, Model: p.Model, Color: p.Color, Location: p.Location,
		Notes: p.Notes, Price: p.Price, Floor: p.Floor, Cost: p.Cost}
	set(&n.Name, in.Name)
	set(&n.Brand, in.Brand)
	set(&n.Model, in.Model)
	set(&n.Color, in.Color)
	set(&n.Location, in.Location)
	set(&n.Notes, in.Notes)
	set(&n.Price, in.Price)
	set(&n.Floor, in.Floor)
	set(&n.Cost, in.Cost)
	if err := n.validate(); err != nil {
		return err
	}
	p.Name, p.Brand, p.Model, p.Color, p.Location, p.Notes = n.Name, n.Brand, n.Model, n.Color, n.Location, n.Notes
	p.Price, p.Floor, p.Cost = n.Price, n.Floor, n.Cost
	set(&p.SupplierID, in.SupplierID)
	if in.Status != nil {
		switch *in.Status {
		case StatusInactive:
			p.Status, p.InactiveReason = StatusInactive, in.InactiveReason
		case StatusOnSale, StatusSoldOut:
			p.Status, p.InactiveReason = "", ""
			p.Status = p.statusFor(p.Stock)
		default:
			return invalid("status", "未知状态")
		}
		p.Deleted = false
	}
	return nil
}
