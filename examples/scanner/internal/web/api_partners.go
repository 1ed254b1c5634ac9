package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, shop.ErrNotFound
	}
	return id, nil
}

// Suppliers and customers share their list, create and update handlers.

func (s *Server) apiSuppliers(w http.ResponseWriter, r *http.Request, u User) error {
	return listPartners(w, r, "suppliers", s.cfg.Shop.Suppliers)
}

func (s *Server) apiCustomers(w http.ResponseWriter, r *http.Request, u User) error {
	return listPartners(w, r, "customers", s.cfg.Shop.Customers)
}

func (s *Server) apiCreateSupplier(w http.ResponseWriter, r *http.Request, u User) error {
	return createPartner(w, r, u, "/suppliers/", s.cfg.Shop.CreateSupplier, func(x *shop.Supplier) int64 { return x.ID })
}

func (s *Server) apiCreateCustomer(w http.ResponseWriter, r *http.Request, u User) error {
	return createPartner(w, r, u, "/customers/", s.cfg.Shop.CreateCustomer, func(x *shop.Customer) int64 { return x.ID })
}

func (s *Server) apiUpdateSupplier(w http.ResponseWriter, r *http.Request, u User) error {
	return updatePartner(w, r, u, s.cfg.Shop.UpdateSupplier)
}

func (s *Server) apiUpdateCustomer(w http.ResponseWriter, r *http.Request, u User) error {
	return updatePartner(w, r, u, s.cfg.Shop.UpdateCustomer)
}

func listPartners[T any](w http.ResponseWriter, r *http.Request, key string,
	list func(context.Context, shop.PartnerQuery) ([]T, int, error)) error {
	xs, total, err := list(r.Context(), partnerQuery(r))
	if err != nil {
		return err
	}
	if xs == nil {
		xs = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{key: xs, "total": total})
	return nil
}

func createPartner[T any](w http.ResponseWriter, r *http.Request, u User, page string,
	create func(context.Context, shop.Actor, shop.PartnerInput) (*T, error), id func(*T) int64) error {
	var in shop.PartnerInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	x, err := create(r.Context(), u.actor(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", page+strconv.FormatInt(id(x), 10))
	writeJSON(w, http.StatusCreated, x)
	return nil
}

func updatePartner[T any](w http.ResponseWriter, r *http.Request, u User,
	update func(context.Context, shop.Actor, int64, shop.PartnerInput) (*T, error)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in shop.PartnerInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	x, err := update(r.Context(), u.actor(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func partnerQuery(r *http.Request) shop.PartnerQuery {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	return shop.PartnerQuery{Text: q.Get("q"), Deleted: q.Get("deleted") == "1", Limit: limit, Offset: offset}
}

// supplierDetail is a supplier with its products in stock, what came in from it and what of it sold.
type supplierDetail struct {
	Supplier  *shop.Supplier `json:"supplier"`
	Products  []productJSON  `json:"products"`
	Total     int            `json:"total_products"`
	Units     int            `json:"units_in_stock"` // of the listed products
	Purchases []moveJSON     `json:"purchases"`
	Sales     []saleJSON     `json:"sales"`
}

func (s *Server) supplierDetail(r *http.Request, u User) (*supplierDetail, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	x, err := s.cfg.Shop.Supplier(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &supplierDetail{Supplier: x, Products: []productJSON{}, Purchases: []moveJSON{}}
	ps, total, err := s.cfg.Shop.Search(ctx, shop.Query{SupplierID: id, Sort: shop.SortStockDown, Limit: 200})
	if err != nil {
		return nil, err
	}
	d.Total = total
	for i := range ps {
		d.Products = append(d.Products, s.view(&ps[i], u, x))
		d.Units += ps[i].Stock
	}
	ms, err := s.cfg.Shop.Purchases(ctx, id, 100)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		d.Purchases = append(d.Purchases, s.moveJSON(m, u))
	}
	xs, err := s.cfg.Shop.Sales(ctx, shop.SaleQuery{SupplierID: id, Limit: 100})
	if err != nil {
		return nil, err
	}
	if d.Sales, err = s.salesView(ctx, xs, u); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) apiSupplier(w http.ResponseWriter, r *http.Request, u User) error {
	d, err := s.supplierDetail(r, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// customerDetail is a customer with the purchase history.
type customerDetail struct {
	Customer *shop.Customer `json:"customer"`
	Sales    []saleJSON     `json:"sales"`
	Count    int            `json:"count"` // bags bought, net of returns
	Spent    shop.Money     `json:"spent"`
}

func (s *Server) customerDetail(r *http.Request, u User) (*customerDetail, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	x, err := s.cfg.Shop.Customer(ctx, id)
	if err != nil {
		return nil, err
	}
	xs, err := s.cfg.Shop.Sales(ctx, shop.SaleQuery{CustomerID: id, Limit: 500})
	if err != nil {
		return nil, err
	}
	d := &customerDetail{Customer: x}
	for _, sale := range xs {
		d.Count += sale.Qty
		d.Spent += sale.Price
	}
	if d.Sales, err = s.salesView(ctx, xs, u); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) apiCustomer(w http.ResponseWriter, r *http.Request, u User) error {
	d, err := s.customerDetail(r, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
