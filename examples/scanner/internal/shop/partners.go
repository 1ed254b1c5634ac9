package shop

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Supplier is where bags come from (供应商). Products name their supplier (进货来源) and so do
// registrations and restocks, with the unit cost (进货价).
type Supplier struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Contact   string    `json:"contact"` // 联系人
	Phone     string    `json:"phone"`
	Notes     string    `json:"notes"`
	Deleted   bool      `json:"deleted,omitempty"` // 停用: kept for history, hidden from pickers
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Customer is a buyer (客户), linkable at sale time.
type Customer struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Phone      string    `json:"phone"`
	ExternalID string    `json:"external_id"` // WeCom external contact id (external_userid), when known
	Notes      string    `json:"notes"`
	Deleted    bool      `json:"deleted,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// PartnerQuery lists suppliers or customers.
type PartnerQuery struct {
	Text    string // name, contact, phone (substring, case-insensitive)
	Deleted bool   // the deleted ones instead of the others
	Limit   int    // 1…500, default 100
	Offset  int
}

// PartnerInput creates or changes a supplier or a customer. Nil fields stay as they are.
type PartnerInput struct {
	Name       *string `json:"name"`
	Contact    *string `json:"contact"`     // suppliers
	Phone      *string `json:"phone"`       //
	ExternalID *string `json:"external_id"` // customers
	Notes      *string `json:"notes"`
	Deleted    *bool   `json:"deleted"`
}

// ErrNameTaken is returned when a new supplier has the name of an existing one.
var ErrNameTaken = errors.New("名称已存在 (name already exists)")

func cleanPartner(name, contact, phone, ext, notes *string) error {
	for _, f := range []*string{name, contact, phone, ext, notes} {
		if f != nil {
			*f = strings.TrimSpace(*f)
		}
	}
	switch {
	case name != nil && *name == "":
		return invalid("name", "请填写名称")
	case name != nil && utf8.RuneCountInString(*name) > 100:
		return invalid("name", "名称最多 100 字")
	case contact != nil && utf8.RuneCountInString(*contact) > 50:
		return invalid("contact", "联系人最多 50 字")
	case phone != nil && (len(*phone) > 40 || strings.Trim(*phone, "0123456789+-() ") != ""):
		return invalid("phone", "电话只能含数字、空格和 + - ( )")
	case ext != nil && (len(*ext) > 64 || (*ext != "" && !isToken(*ext))):
		return invalid("external_id", "外部联系人 ID 须为字母数字，最多 64 位")
	case notes != nil && utf8.RuneCountInString(*notes) > 500:
		return invalid("notes", "备注最多 500 字")
	}
	return nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// CreateSupplier adds a supplier (managers).
func (s *Service) CreateSupplier(ctx context.Context, a Actor, in PartnerInput) (*Supplier, error) {
	if !a.Manager {
		return nil, ErrForbidden
	}
	if in.Name == nil {
		return nil, invalid("name", "请填写名称")
	}
	if err := cleanPartner(in.Name, in.Contact, in.Phone, nil, in.Notes); err != nil {
		return nil, err
	}
	now := s.now()
	x := &Supplier{CreatedAt: now, UpdatedAt: now}
	set(&x.Name, in.Name)
	set(&x.Contact, in.Contact)
	set(&x.Phone, in.Phone)
	set(&x.Notes, in.Notes)
	err := s.store.Write(ctx, func(tx Tx) error { return tx.CreateSupplier(ctx, x) })
	if errors.Is(err, ErrConflict) {
		err = ErrNameTaken
	}
	return x, err
}

// UpdateSupplier changes a supplier (managers); Deleted true retires it (停用), false brings it back.
func (s *Service) UpdateSupplier(ctx context.Context, a Actor, id int64, in PartnerInput) (*Supplier, error) {
	if !a.Manager {
		return nil, ErrForbidden
	}
	if err := cleanPartner(in.Name, in.Contact, in.Phone, nil, in.Notes); err != nil {
		return nil, err
	}
	var out *Supplier
	err := s.store.Write(ctx, func(tx Tx) error {
		x, err := tx.Supplier(ctx, id)
		if err != nil {
			return err
		}
		set(&x.Name, in.Name)
		set(&x.Contact, in.Contact)
		set(&x.Phone, in.Phone)
		set(&x.Notes, in.Notes)
		set(&x.Deleted, in.Deleted)
		x.UpdatedAt = s.now()
		out = x
		return tx.SaveSupplier(ctx, x)
	})
	if errors.Is(err, ErrConflict) {
		err = ErrNameTaken
	}
	return out, err
}

// Supplier returns a supplier.
func (s *Service) Supplier(ctx context.Context, id int64) (*Supplier, error) {
	return s.store.Supplier(ctx, id)
}

// Suppliers lists suppliers by name, and how many match in all.
func (s *Service) Suppliers(ctx context.Context, q PartnerQuery) ([]Supplier, int, error) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	q.Offset = max(q.Offset, 0)
	return s.store.Suppliers(ctx, q)
}

// CreateCustomer adds a customer (any member: staff add customers at the counter).
func (s *Service) CreateCustomer(ctx context.Context, a Actor, in PartnerInput) (*Customer, error) {
	if in.Name == nil {
		return nil, invalid("name", "请填写客户名称")
	}
	if err := cleanPartner(in.Name, nil, in.Phone, in.ExternalID, in.Notes); err != nil {
		return nil, err
	}
	now := s.now()
	x := &Customer{CreatedAt: now, UpdatedAt: now}
	set(&x.Name, in.Name)
	set(&x.Phone, in.Phone)
	set(&x.ExternalID, in.ExternalID)
	set(&x.Notes, in.Notes)
	err := s.store.Write(ctx, func(tx Tx) error { return tx.CreateCustomer(ctx, x) })
	return x, err
}

// UpdateCustomer changes a customer; only managers delete one.
func (s *Service) UpdateCustomer(ctx context.Context, a Actor, id int64, in PartnerInput) (*Customer, error) {
	if in.Deleted != nil && !a.Manager {
		return nil, ErrForbidden
	}
	if err := cleanPartner(in.Name, nil, in.Phone, in.ExternalID, in.Notes); err != nil {
		return nil, err
	}
	var out *Customer
	err := s.store.Write(ctx, func(tx Tx) error {
		x, err := tx.Customer(ctx, id)
		if err != nil {
			return err
		}
		set(&x.Name, in.Name)
		set(&x.Phone, in.Phone)
		set(&x.ExternalID, in.ExternalID)
		set(&x.Notes, in.Notes)
		set(&x.Deleted, in.Deleted)
		x.UpdatedAt = s.now()
		out = x
		return tx.SaveCustomer(ctx, x)
	})
	return out, err
}

// Customer returns a customer.
func (s *Service) Customer(ctx context.Context, id int64) (*Customer, error) {
	return s.store.Customer(ctx, id)
}

// Customers lists customers, most recently changed first, and how many match in all.
func (s *Service) Customers(ctx context.Context, q PartnerQuery) ([]Customer, int, error) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	q.Offset = max(q.Offset, 0)
	return s.store.Customers(ctx, q)
}

// SaleQuery selects sales rows (reversals included), newest first.
type SaleQuery struct {
	Code       string
	CustomerID int64
	SupplierID int64 // sales of the supplier's products
	From, To   time.Time
	Limit      int // default 100, at most 5000
}

// Sales lists sales rows, newest first.
func (s *Service) Sales(ctx context.Context, q SaleQuery) ([]Sale, error) {
	if q.Limit <= 0 || q.Limit > 5000 {
		q.Limit = 100
	}
	return s.store.Sales(ctx, q)
}

// Purchases lists the ledger rows that brought bags in from a supplier (新品入库, 入库), newest
// first.
func (s *Service) Purchases(ctx context.Context, supplierID int64, limit int) ([]Movement, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return s.store.Purchases(ctx, supplierID, limit)
}
