package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/photo"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// productJSON is the API view of a product; cost and margin only for managers.
type productJSON struct {
	Code      string      `json:"code"`
	Name      string      `json:"name"`
	Brand     string      `json:"brand"`
	Model     string      `json:"model"`
	Color     string      `json:"color"`
	Price     shop.Money  `json:"price"`
	Floor     shop.Money  `json:"floor"`
	Cost      *shop.Money `json:"cost,omitempty"`
	Margin    *shop.Money `json:"margin,omitempty"`
	Stock     int         `json:"stock"`
	Location  string      `json:"location"`
	Status    shop.Status `json:"status"`
	FloorSet  shop.Money  `json:"-"`                         // the floor as set (0: none; Floor is then the price)
	Reason    string      `json:"inactive_reason,omitempty"` // 下架原因
	Deleted   bool        `json:"deleted,omitempty"`         // the row was deleted in the smart sheet (已删除)
	Notes     string      `json:"notes"`
	Supplier  *partnerRef `json:"supplier,omitempty"` // 进货来源
	PhotoURL  string      `json:"photo_url,omitempty"`
	Photos    []photoRef  `json:"photos"`    // every photo, the first is PhotoURL
	ThumbURL  string      `json:"thumb_url"` // 112 px
	URL       string      `json:"url"`       // signed product page URL (what the label encodes)
	QRURL     string      `json:"qr_url"`    // PNG of the label's QR
	LabelURL  string      `json:"label_url"` // printable label page
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// partnerRef names a supplier or a customer.
type partnerRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// photoRef is one of a product's photos.
type photoRef struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// view is the product as u may see it; supplier is the product's supplier, when known.
func (s *Server) view(p *shop.Product, u User, supplier ...*shop.Supplier) productJSON {
	esc := url.PathEscape(p.Code)
	v := productJSON{Code: p.Code, Name: p.Name, Brand: p.Brand, Model: p.Model, Color: p.Color, Price: p.Price,
		Floor: p.MinPrice(), FloorSet: p.Floor, Stock: p.Stock, Location: p.Location, Status: p.Status, Reason: p.InactiveReason,
		Deleted: p.Deleted, Notes: p.Notes, URL: s.cfg.Signer.URL(p.Code), Photos: []photoRef{},
		QRURL: "/qr/" + esc + ".png", LabelURL: "/labels/" + esc, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if p.HasPhoto() {
		v.PhotoURL, v.ThumbURL = "/photo/"+esc, "/thumb/"+esc
	}
	for i, id := range p.PhotoIDs() {
		v.Photos = append(v.Photos, photoRef{ID: id, URL: "/photo/" + esc + "/" + strconv.Itoa(i)})
	}
	if len(supplier) > 0 && supplier[0] != nil {
		v.Supplier = &partnerRef{ID: supplier[0].ID, Name: supplier[0].Name}
	} else if p.SupplierID != 0 {
		v.Supplier = &partnerRef{ID: p.SupplierID}
	}
	if u.Manager {
		cost, margin := p.Cost, p.Price-p.Cost
		v.Cost, v.Margin = &cost, &margin
	}
	return v
}

// supplierOf returns the product's supplier (nil when none or unknown).
func (s *Server) supplierOf(r *http.Request, p *shop.Product) *shop.Supplier {
	if p.SupplierID == 0 {
		return nil
	}
	x, err := s.cfg.Shop.Supplier(r.Context(), p.SupplierID)
	if err != nil {
		return nil
	}
	return x
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, u User) error {
	writeJSON(w, http.StatusOK, map[string]any{"userid": u.UserID, "name": u.Name, "manager": u.Manager})
	return nil
}

func (s *Server) apiList(w http.ResponseWriter, r *http.Request, u User) error {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	sid, _ := strconv.ParseInt(q.Get("supplier"), 10, 64)
	ps, total, err := s.cfg.Shop.Search(r.Context(), shop.Query{Text: q.Get("q"), Brand: q.Get("brand"),
		Status: shop.Status(q.Get("status")), LowStock: q.Get("low") == "1", Deleted: q.Get("deleted") == "1",
		SupplierID: sid, Sort: q.Get("sort"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out := make([]productJSON, len(ps))
	for i := range ps {
		out[i] = s.view(&ps[i], u)
	}
	writeJSON(w, http.StatusOK, map[string]any{"products": out, "count": len(out), "total": total, "offset": max(offset, 0)})
	return nil
}

func (s *Server) apiGet(w http.ResponseWriter, r *http.Request, u User) error {
	p, err := s.cfg.Shop.Product(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(p, u, s.supplierOf(r, p)))
	return nil
}

func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request, u User) error {
	var in shop.NewProduct
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		if err := s.readRegisterForm(r, &in); err != nil {
			return err
		}
	} else if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if !u.Manager {
		in.Cost = 0 // only managers record cost
	}
	in.PhotoURL = "" // photos are uploaded, never fetched from a URL a client names
	p, err := s.cfg.Shop.Register(r.Context(), u.actor(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/p/"+url.PathEscape(p.Code))
	writeJSON(w, http.StatusCreated, s.view(p, u))
	return nil
}

func (s *Server) readRegisterForm(r *http.Request, in *shop.NewProduct) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := r.MultipartForm.Value
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	money := func(k string) (shop.Money, error) {
		v := get(k)
		if v == "" {
			return 0, nil
		}
		y, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, badRequest(k + ": 请输入数字")
		}
		return shop.Yuan(y), nil
	}
	var err error
	in.Code, in.Name, in.Brand, in.Model = get("code"), get("name"), get("brand"), get("model")
	in.Color, in.Location, in.RequestID, in.Notes = get("color"), get("location"), get("request_id"), get("notes")
	if v := get("supplier_id"); v != "" && v != "0" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return badRequest("supplier_id: 请选择供应商")
		}
		in.SupplierID = id
	}
	if in.Price, err = money("price"); err != nil {
		return err
	}
	if in.Floor, err = money("floor"); err != nil {
		return err
	}
	if in.Cost, err = money("cost"); err != nil {
		return err
	}
	if v := get("stock"); v != "" {
		if in.Stock, err = strconv.Atoi(v); err != nil {
			return badRequest("stock: 请输入整数")
		}
	}
	var err2 error
	if in.Photos, err2 = formPhotos(r); err2 != nil {
		return err2
	}
	return nil
}

// maxForm bounds a form with photos: nine camera photos of a few MB each fit.
const maxForm = 100 << 20

// parseForm reads a multipart form with photos.
func parseForm(r *http.Request) error {
	r.Body = http.MaxBytesReader(nil, r.Body, maxForm)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge, "too_large", "照片太大或太多：一次合计最多 100 MB (form too large)"}
		}
		return badRequest("表单格式错误 (malformed form)")
	}
	return nil
}

// formPhotos reads the form's "photo" files (at most shop.MaxPhotos, each at most 20 MB).
func formPhotos(r *http.Request) ([][]byte, error) {
	fhs := r.MultipartForm.File["photo"]
	if len(fhs) > shop.MaxPhotos {
		return nil, badRequest(fmt.Sprintf("最多 %d 张照片", shop.MaxPhotos))
	}
	var out [][]byte
	for _, fh := range fhs {
		if fh.Size > shop.MaxPhotoBytes {
			return nil, &httpError{http.StatusRequestEntityTooLarge, "photo_too_large", photo.ErrTooLarge.Error()}
		}
		file, err := fh.Open()
		if err != nil {
			return nil, badRequest("无法读取照片")
		}
		data, err := io.ReadAll(io.LimitReader(file, shop.MaxPhotoBytes+1))
		file.Close()
		if err != nil {
			return nil, badRequest("无法读取照片")
		}
		if len(data) > 0 {
			out = append(out, data)
		}
	}
	return out, nil
}

type updateJSON struct {
	Name       *string      `json:"name"`
	Brand      *string      `json:"brand"`
	Model      *string      `json:"model"`
	Color      *string      `json:"color"`
	Location   *string      `json:"location"`
	Notes      *string      `json:"notes"`
	Price      *shop.Money  `json:"price"`
	Floor      *shop.Money  `json:"floor"`
	Cost       *shop.Money  `json:"cost"`
	SupplierID *int64       `json:"supplier_id"`
	Status     *shop.Status `json:"status"`
	Reason     string       `json:"reason"` // 下架原因, with status 下架
}

// apiUpdate changes a product (PATCH): staff its location and notes, managers everything.
func (s *Server) apiUpdate(w http.ResponseWriter, r *http.Request, u User) error {
	var in updateJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Shop.Update(r.Context(), u.actor(), r.PathValue("code"), shop.UpdateInput{
		Name: in.Name, Brand: in.Brand, Model: in.Model, Color: in.Color, Location: in.Location, Notes: in.Notes,
		Price: in.Price, Floor: in.Floor, Cost: in.Cost, SupplierID: in.SupplierID, Status: in.Status, InactiveReason: in.Reason})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(p, u, s.supplierOf(r, p)))
	return nil
}

// apiStatus takes a product off sale (下架, with a reason) or puts it back (上架).
func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request, u User) error {
	var in struct {
		Active *bool  `json:"active"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Active == nil {
		return badRequest("active: 请说明上架还是下架")
	}
	p, err := s.cfg.Shop.SetActive(r.Context(), u.actor(), r.PathValue("code"), *in.Active, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": p.Code, "stock": p.Stock, "status": p.Status, "product": s.view(p, u)})
	return nil
}

// apiAddPhotos adds photos (multipart "photo" files) to a product; managers.
func (s *Server) apiAddPhotos(w http.ResponseWriter, r *http.Request, u User) error {
	if err := parseForm(r); err != nil {
		return err
	}
	photos, err := formPhotos(r)
	if err != nil {
		return err
	}
	if len(photos) == 0 {
		return badRequest("请选择照片")
	}
	p, err := s.cfg.Shop.Update(r.Context(), u.actor(), r.PathValue("code"), shop.UpdateInput{AddPhotos: photos})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(p, u))
	return nil
}

// apiDeletePhoto removes one photo from a product; managers.
func (s *Server) apiDeletePhoto(w http.ResponseWriter, r *http.Request, u User) error {
	p, err := s.cfg.Shop.Update(r.Context(), u.actor(), r.PathValue("code"), shop.UpdateInput{RemovePhotos: []string{r.PathValue("id")}})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(p, u))
	return nil
}

type sellJSON struct {
	Price      *shop.Money `json:"price"`
	Note       string      `json:"note"`
	CustomerID int64       `json:"customer_id"`
	Confirm    bool        `json:"confirm"` // the seller confirmed an unusual price
	RequestID  string      `json:"request_id"`
}

func (s *Server) apiSell(w http.ResponseWriter, r *http.Request, u User) error {
	var in sellJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.cfg.Shop.Sell(r.Context(), u.actor(), r.PathValue("code"),
		shop.SellInput{Price: in.Price, Note: in.Note, CustomerID: in.CustomerID, Confirm: in.Confirm, RequestID: in.RequestID})
	if err != nil {
		return err
	}
	out := map[string]any{"code": res.Product.Code, "stock": res.Product.Stock, "status": res.Product.Status,
		"product": s.view(&res.Product, u), "replay": res.Replay}
	if !res.Replay {
		out["sale"] = map[string]any{"id": res.Sale.ID, "price": res.Sale.Price, "at": res.Sale.At}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type stockJSON struct {
	Qty        int         `json:"qty"`
	Stock      *int        `json:"stock"`
	Reason     string      `json:"reason"`
	SupplierID int64       `json:"supplier_id"` // restock: from which supplier
	UnitCost   *shop.Money `json:"unit_cost"`   // restock: 进货价 per bag (managers)
	RequestID  string      `json:"request_id"`
}

func (s *Server) apiRestock(w http.ResponseWriter, r *http.Request, u User) error {
	var in stockJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Shop.RestockWith(r.Context(), u.actor(), r.PathValue("code"), shop.RestockInput{Qty: in.Qty,
		Reason: in.Reason, SupplierID: in.SupplierID, UnitCost: in.UnitCost, RequestID: in.RequestID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": p.Code, "stock": p.Stock, "status": p.Status, "product": s.view(p, u)})
	return nil
}

func (s *Server) apiAdjust(w http.ResponseWriter, r *http.Request, u User) error {
	var in stockJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Stock == nil {
		return badRequest("stock: 请填写盘点后的数量")
	}
	p, err := s.cfg.Shop.Adjust(r.Context(), u.actor(), r.PathValue("code"), *in.Stock, in.Reason, in.RequestID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": p.Code, "stock": p.Stock, "status": p.Status, "product": s.view(p, u)})
	return nil
}

// moveJSON is a ledger row with the member's name.
type moveJSON struct {
	shop.Movement
	ActorName string      `json:"actor_name"`
	Local     string      `json:"at_local"`            // the time in the shop's zone, as pages show it
	UnitCost  *shop.Money `json:"unit_cost,omitempty"` // managers
}

func (s *Server) moveJSON(m shop.Movement, u User) moveJSON {
	mj := moveJSON{Movement: m, ActorName: s.name(m.Actor), Local: m.At.In(s.cfg.Location).Format("2006-01-02 15:04")}
	if u.Manager && m.UnitCost != 0 {
		c := m.UnitCost
		mj.UnitCost = &c
	}
	return mj
}

func (s *Server) apiMovements(w http.ResponseWriter, r *http.Request, u User) error {
	ms, err := s.cfg.Shop.Movements(r.Context(), r.PathValue("code"), 50)
	if err != nil {
		return err
	}
	out := make([]moveJSON, len(ms))
	for i, m := range ms {
		out[i] = s.moveJSON(m, u)
	}
	writeJSON(w, http.StatusOK, map[string]any{"movements": out})
	return nil
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request, u User) error {
	st, err := s.stats(r, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) apiJSSDK(w http.ResponseWriter, r *http.Request, u User) error {
	if s.cfg.JSSDK == nil {
		return &httpError{http.StatusNotFound, "not_configured", "JS-SDK 未配置 (not configured)"}
	}
	page := r.URL.Query().Get("url")
	pu, err := url.Parse(page)
	if err != nil || pu.Host == "" || (pu.Host != r.Host && pu.Host != s.publicHost()) {
		return badRequest("url: 须为本站页面地址")
	}
	cfg, err := s.cfg.JSSDK(r.Context(), page)
	if err != nil {
		s.log.Warn("web: JS-SDK signature", "err", err)
		return &httpError{http.StatusBadGateway, "upstream", "企业微信暂时不可用，请稍后重试 (WeCom is unavailable)"}
	}
	writeJSON(w, http.StatusOK, map[string]any{"corpId": s.cfg.CorpID, "agentId": s.cfg.AgentID,
		"config": cfg.Config, "agentConfig": cfg.AgentConfig})
	return nil
}
