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

// Stats computes the dashboard at now (in now's location) from the last 30 days of sales, all from
// the store (a sale and its ledger row are written in one transaction).
func (s *Service) Stats(ctx context.Context) (*Stats, error) {
	now := s.now()
	day0 := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	since := day0.AddDate(0, 0, -29)
	sales, err := s.store.SalesSince(ctx, since)
	if err != nil {
		return nil, err
	}
	inv, err := s.store.Inventory(ctx)
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
		if sale.At.Before(since) {
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
	st.StockUnits, st.StockValue, st.RetailValue = inv.Units, inv.Cost, inv.Retail
	// Slow movers: in stock, created before the window, no sale in it.
	if st.Slow, err = s.store.SlowMovers(ctx, since, 10); err != nil {
		return nil, err
	}
	return st, nil
}
