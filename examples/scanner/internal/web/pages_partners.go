package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// partnerPager links the pages of a supplier or customer list.
func partnerPager(path string, q shop.PartnerQuery, n, total int) map[string]any {
	link := func(offset int) string {
		v := url.Values{}
		if q.Text != "" {
			v.Set("q", q.Text)
		}
		if q.Deleted {
			v.Set("deleted", "1")
		}
		v.Set("offset", strconv.Itoa(offset))
		return path + "?" + v.Encode()
	}
	out := map[string]any{"Total": total, "Q": q.Text, "Deleted": q.Deleted}
	if q.Offset > 0 {
		out["Prev"] = link(max(q.Offset-q.Limit, 0))
	}
	if q.Offset+n < total {
		out["Next"] = link(q.Offset + n)
	}
	return out
}

func (s *Server) suppliersPage(w http.ResponseWriter, r *http.Request, u User) error {
	q := partnerQuery(r)
	q.Limit = 100
	xs, total, err := s.cfg.Shop.Suppliers(r.Context(), q)
	if err != nil {
		return err
	}
	data := partnerPager("/suppliers", q, len(xs), total)
	data["List"] = xs
	return s.render(w, r, u, "suppliers.html", "供应商", data)
}

func (s *Server) supplierPage(w http.ResponseWriter, r *http.Request, u User) error {
	d, err := s.supplierDetail(r, u)
	if err != nil {
		return err
	}
	return s.render(w, r, u, "supplier.html", d.Supplier.Name, d)
}

func (s *Server) customersPage(w http.ResponseWriter, r *http.Request, u User) error {
	q := partnerQuery(r)
	q.Limit = 100
	xs, total, err := s.cfg.Shop.Customers(r.Context(), q)
	if err != nil {
		return err
	}
	data := partnerPager("/customers", q, len(xs), total)
	data["List"] = xs
	return s.render(w, r, u, "customers.html", "客户", data)
}

func (s *Server) customerPage(w http.ResponseWriter, r *http.Request, u User) error {
	d, err := s.customerDetail(r, u)
	if err != nil {
		return err
	}
	return s.render(w, r, u, "customer.html", d.Customer.Name, d)
}
