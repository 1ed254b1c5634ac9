package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// rmb formats an amount for people: "¥1,299.00", "-¥2,980.00" (a return).
func rmb(m shop.Money) string { return m.Display() }

// funcs are the templates' functions; times show in the shop's zone loc.
func funcs(loc *time.Location) template.FuncMap {
	return template.FuncMap{
		"rmb": rmb,
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(loc).Format("2006-01-02 15:04")
		},
		"signed": func(n int) string {
			if n > 0 {
				return fmt.Sprintf("+%d", n)
			}
			return fmt.Sprint(n)
		},
		"pathesc": url.PathEscape,
		"deref": func(m *shop.Money) shop.Money {
			if m == nil {
				return 0
			}
			return *m
		},
		"list": func(ps ...shop.Period) []shop.Period { return ps },
		"ints": func(n ...int) []int { return n },
		"pct": func(part, whole shop.Money) string {
			if whole == 0 {
				return "–"
			}
			return fmt.Sprintf("%.0f%%", float64(part)*100/float64(whole))
		},
	}
}

type pageData struct {
	Shop    string
	Title   string
	User    User
	Path    string
	Demo    bool
	Syncing int // outbox rows not yet in the smart sheet
	Failing int
	Data    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, u User, name, title string, data any) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	pd := pageData{Shop: s.cfg.ShopName, Title: title, User: u, Path: r.URL.Path, Demo: s.cfg.Demo, Data: data}
	if s.cfg.Sync != nil {
		pd.Syncing, pd.Failing = s.cfg.Sync.Pending(), s.cfg.Sync.Failing()
	}
	return s.pages.ExecuteTemplate(w, name, pd)
}

// pageSize is how many products one page of the list shows, unless the list asks for another.
const pageSize = 100

// homeFilters are the list's query parameters that a page link keeps.
var homeFilters = []string{"q", "brand", "status", "low", "deleted", "sort", "supplier", "size"}

func (s *Server) home(w http.ResponseWriter, r *http.Request, u User) error {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	size, _ := strconv.Atoi(q.Get("size"))
	if size != 50 && size != 200 {
		size = pageSize
	}
	sid, _ := strconv.ParseInt(q.Get("supplier"), 10, 64)
	ps, total, err := s.cfg.Shop.Search(r.Context(), shop.Query{Text: q.Get("q"), Brand: q.Get("brand"),
		Status: shop.Status(q.Get("status")), LowStock: q.Get("low") == "1", Deleted: q.Get("deleted") == "1",
		SupplierID: sid, Sort: q.Get("sort"), Limit: size, Offset: (page - 1) * size})
	if err != nil {
		return err
	}
	brands, err := s.cfg.Shop.Brands(r.Context())
	if err != nil {
		return err
	}
	link := func(p int) string {
		v := url.Values{}
		for _, k := range homeFilters {
			if x := q.Get(k); x != "" {
				v.Set(k, x)
			}
		}
		v.Set("page", strconv.Itoa(p))
		return "/?" + v.Encode()
	}
	pages := max((total+size-1)/size, 1)
	data := map[string]any{
		"Products": ps, "Total": total, "Page": page, "Pages": pages, "Size": size,
		"Q": q.Get("q"), "Brand": q.Get("brand"), "Status": q.Get("status"), "Low": q.Get("low") == "1",
		"Deleted": q.Get("deleted") == "1", "Sort": q.Get("sort"), "Sorts": shop.Sorts,
		"Brands": brands, "Statuses": []shop.Status{shop.StatusOnSale, shop.StatusSoldOut, shop.StatusInactive},
		"From": min((page-1)*size+1, total), "To": min(page*size, total), "Supplier": q.Get("supplier"),
		"LabelsQuery": url.Values{"q": {q.Get("q")}, "status": {q.Get("status")}}.Encode(),
	}
	if page > 1 {
		data["Prev"], data["First"] = link(page-1), link(1)
	}
	if page < pages {
		data["Next"], data["Last"] = link(page+1), link(pages)
	}
	return s.render(w, r, u, "home.html", "商品", data)
}

func (s *Server) productPage(w http.ResponseWriter, r *http.Request, u User) error {
	code := shop.NormalizeCode(r.PathValue("code"))
	q := r.URL.Query()
	src := shop.ScanSource("")
	if q.Has("s") {
		if _, err := s.cfg.Signer.VerifyRequest(r); err != nil {
			w.WriteHeader(http.StatusNotFound)
			return s.render(w, r, u, "error.html", "标签无效", map[string]any{"Status": 404,
				"Message": "标签签名无效，可能是伪造的标签 (label signature invalid)"})
		}
		src = shop.ScanLabel
	} else if q.Get("via") == "search" {
		src = shop.ScanSearch
	}
	ctx := r.Context()
	p, err := s.cfg.Shop.Product(ctx, code)
	if err != nil {
		return err
	}
	if src != "" {
		if err := s.cfg.Shop.RecordScan(ctx, u.actor(), code, src); err != nil {
			s.log.Warn("web: scan record", "code", code, "err", err)
		}
	}
	ms, err := s.cfg.Shop.Movements(ctx, code, 10)
	if err != nil {
		return err
	}
	xs, err := s.cfg.Shop.Sales(ctx, shop.SaleQuery{Code: code, Limit: 10})
	if err != nil {
		return err
	}
	sales, err := s.salesView(ctx, xs, u)
	if err != nil {
		return err
	}
	n, scans, err := s.cfg.Shop.Scans(ctx, code, 5)
	if err != nil {
		return err
	}
	sups, _, err := s.cfg.Shop.Suppliers(ctx, shop.PartnerQuery{Limit: 500})
	if err != nil {
		return err
	}
	return s.render(w, r, u, "product.html", p.Name, map[string]any{"P": s.view(p, u, s.supplierOf(r, p)),
		"Moves": s.moveViews(ms), "Sales": sales, "ScanCount": n, "Scans": s.scanViews(scans), "Suppliers": sups})
}

// moveView is a ledger row as the product page shows it (formatted here: the page is the app's
// hottest, and template functions cost a reflective call each).
type moveView struct {
	At, Kind, Qty, Actor string
	Balance              int
}

func (s *Server) moveViews(ms []shop.Movement) []moveView {
	out := make([]moveView, len(ms))
	for i, m := range ms {
		kind := string(m.Kind)
		if m.Reason != "" && m.Reason != kind {
			kind += " " + m.Reason
		}
		qty := strconv.Itoa(m.Qty)
		if m.Qty > 0 {
			qty = "+" + qty
		}
		out[i] = moveView{At: m.At.In(s.cfg.Location).Format("2006-01-02 15:04"), Kind: kind, Qty: qty,
			Actor: s.name(m.Actor), Balance: m.Balance}
	}
	return out
}

// scanView is a scan record as pages show it.
type scanView struct {
	At, Who, Source string
}

var sourceNames = map[shop.ScanSource]string{shop.ScanLabel: "扫标签", shop.ScanSearch: "输入编码"}

func (s *Server) scanViews(scans []shop.Scan) []scanView {
	out := make([]scanView, len(scans))
	for i, sc := range scans {
		out[i] = scanView{At: sc.At.In(s.cfg.Location).Format("01-02 15:04"), Who: s.name(sc.Actor), Source: sourceNames[sc.Source]}
	}
	return out
}

// apiScans returns a product's scan count and latest scans.
func (s *Server) apiScans(w http.ResponseWriter, r *http.Request, u User) error {
	n, scans, err := s.cfg.Shop.Scans(r.Context(), r.PathValue("code"), 20)
	if err != nil {
		return err
	}
	type scanJSON struct {
		shop.Scan
		ActorName string `json:"actor_name"`
	}
	out := make([]scanJSON, len(scans))
	for i, sc := range scans {
		out[i] = scanJSON{Scan: sc, ActorName: s.name(sc.Actor)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": n, "scans": out})
	return nil
}

// editPage edits a product: every field for managers, location and notes for staff.
func (s *Server) editPage(w http.ResponseWriter, r *http.Request, u User) error {
	p, err := s.cfg.Shop.Product(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	sups, _, err := s.cfg.Shop.Suppliers(r.Context(), shop.PartnerQuery{Limit: 500})
	if err != nil {
		return err
	}
	return s.render(w, r, u, "edit.html", "编辑 "+p.Name, map[string]any{"P": s.view(p, u, s.supplierOf(r, p)),
		"Suppliers": sups, "MaxPhotos": shop.MaxPhotos})
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request, u User) error {
	sups, _, err := s.cfg.Shop.Suppliers(r.Context(), shop.PartnerQuery{Limit: 500})
	if err != nil {
		return err
	}
	return s.render(w, r, u, "new.html", "新品入库", map[string]any{"Suppliers": sups, "MaxPhotos": shop.MaxPhotos})
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, u User) error {
	jobs, err := s.cfg.Store.RecentJobs(r.Context(), 10)
	if err != nil {
		return err
	}
	return s.render(w, r, u, "import.html", "批量导入", map[string]any{"Jobs": jobs})
}

func (s *Server) labelPage(w http.ResponseWriter, r *http.Request, u User) error {
	p, err := s.cfg.Shop.Product(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	return s.render(w, r, u, "label.html", "标签 "+p.Code, map[string]any{"P": s.view(p, u)})
}

func (s *Server) publicHost() string {
	u, err := url.Parse(s.cfg.Signer.URL("X"))
	if err != nil {
		return ""
	}
	return u.Host
}

var errBadFile = errors.New("bad file name")

// codeFromFile parses "CODE.png".
func codeFromFile(file, ext string) (string, error) {
	c, ok := strings.CutSuffix(file, ext)
	if !ok {
		return "", errBadFile
	}
	if c = shop.NormalizeCode(c); c == "" {
		return "", errBadFile
	}
	return c, nil
}
