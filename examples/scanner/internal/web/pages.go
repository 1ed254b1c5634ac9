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

// funcs are the templates' functions; times show in the shop's zone loc.
func funcs(loc *time.Location) template.FuncMap {
	return template.FuncMap{
		"yuan": func(m shop.Money) string { return m.String() },
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

// pageSize is how many products one page of the list shows.
const pageSize = 100

func (s *Server) home(w http.ResponseWriter, r *http.Request, u User) error {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	ps, total, err := s.cfg.Shop.Search(r.Context(), shop.Query{Text: q.Get("q"), Brand: q.Get("brand"),
		Status: shop.Status(q.Get("status")), LowStock: q.Get("low") == "1", Deleted: q.Get("deleted") == "1",
		Limit: pageSize, Offset: (page - 1) * pageSize})
	if err != nil {
		return err
	}
	brands, err := s.cfg.Shop.Brands(r.Context())
	if err != nil {
		return err
	}
	link := func(p int) string {
		v := url.Values{}
		for _, k := range []string{"q", "brand", "status", "low", "deleted"} {
			if x := q.Get(k); x != "" {
				v.Set(k, x)
			}
		}
		v.Set("page", strconv.Itoa(p))
		return "/?" + v.Encode()
	}
	data := map[string]any{
		"Products": ps, "Total": total, "Page": page, "Pages": (total + pageSize - 1) / pageSize,
		"Q": q.Get("q"), "Brand": q.Get("brand"), "Status": q.Get("status"), "Low": q.Get("low") == "1",
		"Deleted": q.Get("deleted") == "1",
		"Brands":  brands, "Statuses": []shop.Status{shop.StatusOnSale, shop.StatusSoldOut, shop.StatusInactive},
	}
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if page*pageSize < total {
		data["Next"] = link(page + 1)
	}
	return s.render(w, r, u, "home.html", "商品", data)
}

func (s *Server) productPage(w http.ResponseWriter, r *http.Request, u User) error {
	code := shop.NormalizeCode(r.PathValue("code"))
	forged := false
	if r.URL.Query().Has("s") {
		if _, err := s.cfg.Signer.VerifyRequest(r); err != nil {
			forged = true
		}
	}
	if forged {
		w.WriteHeader(http.StatusNotFound)
		return s.render(w, r, u, "error.html", "标签无效", map[string]any{"Status": 404,
			"Message": "标签签名无效，可能是伪造的标签 (label signature invalid)"})
	}
	p, err := s.cfg.Shop.Product(r.Context(), code)
	if err != nil {
		return err
	}
	ms, err := s.cfg.Shop.Movements(r.Context(), code, 10)
	if err != nil {
		s.log.Warn("web: movements", "code", code, "err", err)
	}
	return s.render(w, r, u, "product.html", p.Name, map[string]any{"P": s.view(p, u), "Moves": moveViews(ms, s.cfg.Location)})
}

// moveView is a ledger row as the product page shows it (formatted here: the page is the app's
// hottest, and template functions cost a reflective call each).
type moveView struct {
	At, Kind, Qty, Actor string
	Balance              int
}

func moveViews(ms []shop.Movement, loc *time.Location) []moveView {
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
		out[i] = moveView{At: m.At.In(loc).Format("2006-01-02 15:04"), Kind: kind, Qty: qty, Actor: m.Actor, Balance: m.Balance}
	}
	return out
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request, u User) error {
	return s.render(w, r, u, "new.html", "新品入库", nil)
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, u User) error {
	jobs, err := s.cfg.Store.RecentJobs(r.Context(), 10)
	if err != nil {
		return err
	}
	return s.render(w, r, u, "import.html", "批量导入", map[string]any{"Jobs": jobs})
}

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, u User) error {
	if !u.Manager {
		return shop.ErrForbidden
	}
	st, err := s.cfg.Shop.Stats(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, u, "stats.html", "经营统计", map[string]any{"S": st,
		"RevenueChart": barChart(st.Daily, func(d shop.Day) float64 { return d.Revenue.Yuan() }, "元"),
		"CountChart":   barChart(st.Daily, func(d shop.Day) float64 { return float64(d.Count) }, "件")})
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
