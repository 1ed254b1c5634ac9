package web

import (
	"context"
	"net/http"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// saleJSON is a sales row as pages and the API show it: names instead of ids, cost for managers,
// and whether the sale was reversed.
type saleJSON struct {
	ID         string        `json:"id"`
	Code       string        `json:"code"`
	Name       string        `json:"name"`
	Kind       shop.SaleKind `json:"kind"`
	Qty        int           `json:"qty"`
	Price      shop.Money    `json:"price"`
	Cost       *shop.Money   `json:"cost,omitempty"`
	Note       string        `json:"note,omitempty"`
	Reason     string        `json:"reason,omitempty"`
	Reverses   string        `json:"reverses,omitempty"`
	Reversed   bool          `json:"reversed"` // a later row reverses this sale
	Actor      string        `json:"actor"`
	ActorName  string        `json:"actor_name"`
	CustomerID int64         `json:"customer_id,omitempty"`
	Customer   string        `json:"customer,omitempty"`
	At         time.Time     `json:"at"`
	Local      string        `json:"at_local"` // the time in the shop's zone, as pages show it
	// Returnable: u may reverse it now (a sale, not reversed; staff: today's).
	Returnable bool `json:"returnable"`
}

// salesView turns sales rows into what u may see.
func (s *Server) salesView(ctx context.Context, xs []shop.Sale, u User) ([]saleJSON, error) {
	ids := make([]string, 0, len(xs))
	var cids []int64
	for _, x := range xs {
		ids = append(ids, x.ID)
		if x.CustomerID != 0 {
			cids = append(cids, x.CustomerID)
		}
	}
	reversed, err := s.cfg.Store.Reversed(ctx, ids)
	if err != nil {
		return nil, err
	}
	cus, err := s.cfg.Store.CustomersByID(ctx, cids)
	if err != nil {
		return nil, err
	}
	today := shop.StartOfDay(s.cfg.Now(), s.cfg.Location)
	out := make([]saleJSON, len(xs))
	for i, x := range xs {
		v := saleJSON{ID: x.ID, Code: x.Code, Name: x.Name, Kind: x.Kind, Qty: x.Qty, Price: x.Price, Note: x.Note,
			Reason: x.Reason, Reverses: x.Reverses, Reversed: reversed[x.ID], Actor: x.Actor, ActorName: s.name(x.Actor),
			CustomerID: x.CustomerID, At: x.At, Local: x.At.In(s.cfg.Location).Format("2006-01-02 15:04")}
		if c := cus[x.CustomerID]; c != nil {
			v.Customer = c.Name
		}
		if u.Manager {
			c := x.Cost
			v.Cost = &c
		}
		v.Returnable = !x.IsReversal() && !v.Reversed && (u.Manager || !x.At.Before(today))
		out[i] = v
	}
	return out, nil
}

// apiProductSales lists a product's sales and reversals, newest first.
func (s *Server) apiProductSales(w http.ResponseWriter, r *http.Request, u User) error {
	code := shop.NormalizeCode(r.PathValue("code"))
	if code == "" {
		return shop.ErrNotFound
	}
	xs, err := s.cfg.Shop.Sales(r.Context(), shop.SaleQuery{Code: code, Limit: 50})
	if err != nil {
		return err
	}
	out, err := s.salesView(r.Context(), xs, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sales": out})
	return nil
}

// apiReturn reverses a sale: 退货 (kind "退货", the default) or 撤销销售 (kind "撤销"), with a reason.
func (s *Server) apiReturn(w http.ResponseWriter, r *http.Request, u User) error {
	var in struct {
		Kind      shop.SaleKind `json:"kind"`
		Reason    string        `json:"reason"`
		RequestID string        `json:"request_id"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.cfg.Shop.Return(r.Context(), u.actor(), r.PathValue("id"),
		shop.ReturnInput{Kind: in.Kind, Reason: in.Reason, RequestID: in.RequestID})
	if err != nil {
		return err
	}
	out := map[string]any{"code": res.Product.Code, "stock": res.Product.Stock, "status": res.Product.Status,
		"product": s.view(&res.Product, u), "replay": res.Replay}
	if !res.Replay {
		out["reversal"] = map[string]any{"id": res.Reversal.ID, "kind": res.Reversal.Kind, "price": res.Reversal.Price,
			"reverses": res.Reversal.Reverses, "at": res.Reversal.At}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// name is a member's display name.
func (s *Server) name(userID string) string {
	if s.cfg.Names == nil {
		return userID
	}
	return s.cfg.Names(userID)
}
