package web

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

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
	Deleted   bool        `json:"deleted,omitempty"` // the row was deleted in the smart sheet (已删除)
	PhotoURL  string      `json:"photo_url,omitempty"`
	URL       string      `json:"url"`       // signed product page URL (what the label encodes)
	QRURL     string      `json:"qr_url"`    // PNG of the label's QR
	LabelURL  string      `json:"label_url"` // printable label page
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

func (s *Server) view(p *shop.Product, u User) productJSON {
	v := productJSON{Code: p.Code, Name: p.Name, Brand: p.Brand, Model: p.Model, Color: p.Color, Price: p.Price,
		Floor: p.MinPrice(), Stock: p.Stock, Location: p.Location, Status: p.Status, Deleted: p.Deleted, URL: s.cfg.Signer.URL(p.Code),
		QRURL: "/qr/" + url.PathEscape(p.Code) + ".png", LabelURL: "/labels/" + url.PathEscape(p.Code),
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if p.HasPhoto() {
		v.PhotoURL = "/photo/" + url.PathEscape(p.Code)
	}
	if u.Manager {
		cost, margin := p.Cost, p.Price-p.Cost
		v.Cost, v.Margin = &cost, &margin
	}
	return v
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
	ps, total, err := s.cfg.Shop.Search(r.Context(), shop.Query{Text: q.Get("q"), Brand: q.Get("brand"),
		Status: shop.Status(q.Get("status")), LowStock: q.Get("low") == "1", Deleted: q.Get("deleted") == "1",
		Limit: limit, Offset: offset})
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
	writeJSON(w, http.StatusOK, s.view(p, u))
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
	r.Body = http.MaxBytesReader(nil, r.Body, shop.MaxPhotoBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		return badRequest("表单过大或格式错误 (form too large or malformed)")
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
	in.Color, in.Location, in.RequestID = get("color"), get("location"), get("request_id")
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
	if fhs := r.MultipartForm.File["photo"]; len(fhs) > 0 {
		fh := fhs[0]
		if fh.Size > shop.MaxPhotoBytes {
			return badRequest("图片不能超过 5 MB")
		}
		file, err := fh.Open()
		if err != nil {
			return badRequest("无法读取图片")
		}
		defer file.Close()
		if in.Photo, err = io.ReadAll(io.LimitReader(file, shop.MaxPhotoBytes+1)); err != nil {
			return badRequest("无法读取图片")
		}
		in.PhotoName = in.Code + "-" + strconv.FormatInt(s.cfg.Now().UnixMilli(), 10) + ".jpg"
	}
	return nil
}

type updateJSON struct {
	Name     *string      `json:"name"`
	Brand    *string      `json:"brand"`
	Model    *string      `json:"model"`
	Color    *string      `json:"color"`
	Location *string      `json:"location"`
	Price    *shop.Money  `json:"price"`
	Floor    *shop.Money  `json:"floor"`
	Cost     *shop.Money  `json:"cost"`
	Status   *shop.Status `json:"status"`
}

func (s *Server) apiUpdate(w http.ResponseWriter, r *http.Request, u User) error {
	var in updateJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Shop.Update(r.Context(), u.actor(), r.PathValue("code"), shop.UpdateInput{
		Name: in.Name, Brand: in.Brand, Model: in.Model, Color: in.Color, Location: in.Location,
		Price: in.Price, Floor: in.Floor, Cost: in.Cost, Status: in.Status})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(p, u))
	return nil
}

type sellJSON struct {
	Price     *shop.Money `json:"price"`
	Note      string      `json:"note"`
	RequestID string      `json:"request_id"`
}

func (s *Server) apiSell(w http.ResponseWriter, r *http.Request, u User) error {
	var in sellJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.cfg.Shop.Sell(r.Context(), u.actor(), r.PathValue("code"),
		shop.SellInput{Price: in.Price, Note: in.Note, RequestID: in.RequestID})
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
	Qty       int    `json:"qty"`
	Stock     *int   `json:"stock"`
	Reason    string `json:"reason"`
	RequestID string `json:"request_id"`
}

func (s *Server) apiRestock(w http.ResponseWriter, r *http.Request, u User) error {
	var in stockJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Shop.Restock(r.Context(), u.actor(), r.PathValue("code"), in.Qty, in.Reason, in.RequestID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": p.Code, "stock": p.Stock, "product": s.view(p, u)})
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
	writeJSON(w, http.StatusOK, map[string]any{"code": p.Code, "stock": p.Stock, "product": s.view(p, u)})
	return nil
}

func (s *Server) apiMovements(w http.ResponseWriter, r *http.Request, u User) error {
	ms, err := s.cfg.Shop.Movements(r.Context(), r.PathValue("code"), 50)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []shop.Movement{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"movements": ms})
	return nil
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request, u User) error {
	if !u.Manager {
		return shop.ErrForbidden
	}
	st, err := s.cfg.Shop.Stats(r.Context())
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
