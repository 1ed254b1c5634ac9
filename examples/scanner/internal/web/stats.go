package web

import (
	"net/http"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// statsQuery reads ?from=2026-03-01&to=2026-03-31 (days in the shop's zone, both included);
// missing means the last 30 days.
func statsQuery(r *http.Request, loc *time.Location) (shop.StatsQuery, error) {
	var q shop.StatsQuery
	for _, f := range []struct {
		key string
		dst *time.Time
		add int
	}{{"from", &q.From, 0}, {"to", &q.To, 1}} {
		v := r.URL.Query().Get(f.key)
		if v == "" {
			continue
		}
		d, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return q, badRequest(f.key + ": 日期格式应为 2026-03-01")
		}
		*f.dst = d.AddDate(0, 0, f.add)
	}
	return q, nil
}

// groupView is a line of the by-member or by-brand table.
type groupView struct {
	shop.Group
	Label string
}

// stats are the figures of the request's date range, for managers only.
func (s *Server) stats(r *http.Request, u User) (*shop.Stats, error) {
	if !u.Manager {
		return nil, shop.ErrForbidden
	}
	q, err := statsQuery(r, s.cfg.Location)
	if err != nil {
		return nil, err
	}
	return s.cfg.Shop.StatsFor(r.Context(), q)
}

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, u User) error {
	st, err := s.stats(r, u)
	if err != nil {
		return err
	}
	staff := make([]groupView, len(st.ByStaff))
	for i, g := range st.ByStaff {
		staff[i] = groupView{Group: g, Label: s.name(g.Key)}
	}
	brands := make([]groupView, len(st.ByBrand))
	for i, g := range st.ByBrand {
		brands[i] = groupView{Group: g, Label: g.Key}
		if g.Key == "" {
			brands[i].Label = "（无品牌）"
		}
	}
	from, to := st.From.Format("2006-01-02"), st.To.AddDate(0, 0, -1).Format("2006-01-02")
	return s.render(w, r, u, "stats.html", "经营统计", map[string]any{"S": st, "From": from, "To": to,
		"Staff": staff, "Brands": brands, "Today": s.cfg.Now().In(s.cfg.Location).Format("2006-01-02"),
		"RevenueChart": barChart(st.Daily, func(d shop.Day) float64 { return d.Revenue.Yuan() }, "元"),
		"CountChart":   barChart(st.Daily, func(d shop.Day) float64 { return float64(d.Count) }, "件"),
		"ScanChart":    barChart(st.Daily, func(d shop.Day) float64 { return float64(d.Scans) }, "次")})
}
