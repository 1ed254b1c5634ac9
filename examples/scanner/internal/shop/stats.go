package shop

import (
	"context"
	"sort"
	"time"
)

// Period sums sales over a time window.
type Period struct {
	Label   string `json:"label"`
	Count   int    `json:"count"`
	Revenue Money  `json:"revenue"`
	Cost    Money  `json:"cost"`
	Margin  Money  `json:"margin"`
}

// Seller is a product's sales in the last 30 days.
type Seller struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Count   int    `json:"count"`
	Revenue Money  `json:"revenue"`
}

// Day is one point of the daily chart.
type Day struct {
	Date    string `json:"date"` // 2006-01-02
	Count   int    `json:"count"`
	Revenue Money  `json:"revenue"`
}

// Stats is the managers' dashboard.
type Stats struct {
	Today, Week, Month Period
	Best               []Seller
	Slow               []Product // in stock, no sale in 30 days, oldest first
	StockUnits         int
	StockValue         Money // at cost
	RetailValue        Money // at list price
	Daily              []Day // last 30 days, oldest first
}

// Stats computes the dashboard at now (in now's location) from the last 30 days of sales.
// Sales without their ledger row (an interrupted write) are not counted.
func (s *Service) Stats(ctx context.Context) (*Stats, error) {
	now := s.now()
	day0 := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	since := day0.AddDate(0, 0, -29)
	sales, err := s.repo.SalesSince(ctx, since)
	if err != nil {
		return nil, err
	}
	moves, err := s.repo.MovementsSince(ctx, since)
	if err != nil {
		return nil, err
	}
	valid := make(map[string]bool, len(moves))
	for _, m := range moves {
		if m.Kind == MoveSell {
			valid[m.ID] = true
		}
	}
	products, err := s.Products(ctx)
	if err != nil {
		return nil, err
	}
	st := &Stats{Today: Period{Label: "今日"}, Week: Period{Label: "近7天"}, Month: Period{Label: "近30天"}}
	days := map[string]*Day{}
	for i := 0; i < 30; i++ {
		d := Day{Date: since.AddDate(0, 0, i).Format("2006-01-02")}
		st.Daily = append(st.Daily, d)
	}
	for i := range st.Daily {
		days[st.Daily[i].Date] = &st.Daily[i]
	}
	sellers := map[string]*Seller{}
	for _, sale := range sales {
		if !valid[sale.ID] || sale.At.Before(since) {
			continue
		}
		at := sale.At.In(now.Location())
		add := func(p *Period) {
			p.Count++
			p.Revenue += sale.Price
			p.Cost += sale.Cost
			p.Margin += sale.Price - sale.Cost
		}
		add(&st.Month)
		if !at.Before(day0.AddDate(0, 0, -6)) {
			add(&st.Week)
		}
		if !at.Before(day0) {
			add(&st.Today)
		}
		if d := days[at.Format("2006-01-02")]; d != nil {
			d.Count++
			d.Revenue += sale.Price
		}
		sl := sellers[sale.Code]
		if sl == nil {
			sl = &Seller{Code: sale.Code, Name: sale.Name}
			sellers[sale.Code] = sl
		}
		sl.Count++
		sl.Revenue += sale.Price
	}
	for _, sl := range sellers {
		st.Best = append(st.Best, *sl)
	}
	sort.Slice(st.Best, func(i, j int) bool {
		if st.Best[i].Count != st.Best[j].Count {
			return st.Best[i].Count > st.Best[j].Count
		}
		return st.Best[i].Revenue > st.Best[j].Revenue
	})
	if len(st.Best) > 10 {
		st.Best = st.Best[:10]
	}
	for _, p := range products {
		if p.Status == StatusInactive {
			continue
		}
		st.StockUnits += p.Stock
		st.StockValue += p.Cost * Money(p.Stock)
		st.RetailValue += p.Price * Money(p.Stock)
		if p.Stock > 0 && sellers[p.Code] == nil && p.CreatedAt.Before(since) {
			st.Slow = append(st.Slow, p)
		}
	}
	sort.Slice(st.Slow, func(i, j int) bool { return st.Slow[i].CreatedAt.Before(st.Slow[j].CreatedAt) })
	if len(st.Slow) > 10 {
		st.Slow = st.Slow[:10]
	}
	return st, nil
}
