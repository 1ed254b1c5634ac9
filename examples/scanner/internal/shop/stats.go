package shop

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Period sums sales over a time window, net of returns: a return or an undone sale subtracts its
// bag, its price and its cost.
type Period struct {
	Label   string `json:"label"`
	Count   int    `json:"count"` // bags sold, net
	Revenue Money  `json:"revenue"`
	Cost    Money  `json:"cost"`
	Margin  Money  `json:"margin"`
	Returns int    `json:"returns"` // reversals in the window (退货 and 撤销)
}

func (p *Period) add(x *Sale) {
	p.Count += x.Qty
	p.Revenue += x.Price
	p.Cost += x.Cost
	p.Margin += x.Price - x.Cost
	if x.Qty < 0 {
		p.Returns++
	}
}

// Seller is a product's net sales in the window.
type Seller struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Count   int    `json:"count"`
	Revenue Money  `json:"revenue"`
}

// Group is the net sales of one member (who sold; a return counts against the sale's seller) or
// one brand.
type Group struct {
	Key     string `json:"key"` // userid, or brand ("" for none)
	Count   int    `json:"count"`
	Revenue Money  `json:"revenue"`
	Cost    Money  `json:"cost"`
	Margin  Money  `json:"margin"`
	Returns int    `json:"returns"`
}

// Day is one point of the daily chart.
type Day struct {
	Date    string `json:"date"` // 2006-01-02, in the shop's zone
	Count   int    `json:"count"`
	Revenue Money  `json:"revenue"`
	Scans   int    `json:"scans"`
}

// Stats is the managers' dashboard.
type Stats struct {
	Today, Week, Month Period
	Range              Period    // the chosen window (StatsQuery)
	From, To           time.Time // the window: From's day through the day before To
	Best               []Seller  // best sellers of the window
	ByStaff            []Group
	ByBrand            []Group
	Slow               []Product // in stock, no sale in the window, oldest first
	MostScanned        []ScanCount
	StockUnits         int
	StockValue         Money // at cost
	RetailValue        Money // at list price
	Daily              []Day // the window's days, oldest first
}

// StatsQuery chooses the window of [Service.StatsFor]: From's day up to, not including, To's day,
// in the shop's zone. Zero values mean the last 30 days including today.
type StatsQuery struct {
	From, To time.Time
}

// MaxStatsDays bounds a window.
const MaxStatsDays = 366

// Stats computes the dashboard for the last 30 days.
func (s *Service) Stats(ctx context.Context) (*Stats, error) {
	return s.StatsFor(ctx, StatsQuery{})
}

// StatsFor computes the dashboard: today, 7 and 30 days, and the chosen window (sales net of
// returns, by member and by brand, the daily chart with scans, best and slow sellers, the bags
// scanned most that did not sell). Days are the shop's days (see Options.Location).
func (s *Service) StatsFor(ctx context.Context, q StatsQuery) (*Stats, error) {
	// Scans per day and the most-scanned bags count every scan so far.
	if err := s.FlushScans(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	day0 := StartOfDay(now, s.loc)
	tomorrow := day0.AddDate(0, 0, 1)
	from, to := q.From, q.To
	if to.IsZero() {
		to = tomorrow
	}
	to = StartOfDay(to, s.loc)
	if from.IsZero() {
		from = to.AddDate(0, 0, -30)
	}
	from = StartOfDay(from, s.loc)
	if !from.Before(to) {
		return nil, invalid("from", "开始日期须早于结束日期")
	}
	if to.Sub(from) > MaxStatsDays*24*time.Hour+2*time.Hour {
		return nil, invalid("from", fmt.Sprintf("最多统计 %d 天", MaxStatsDays))
	}
	st := &Stats{Today: Period{Label: "今日"}, Week: Period{Label: "近7天"}, Month: Period{Label: "近30天"},
		From: from, To: to}
	st.Range.Label = from.Format("2006-01-02") + " – " + to.AddDate(0, 0, -1).Format("2006-01-02")

	recent, err := s.store.SalesBetween(ctx, day0.AddDate(0, 0, -29), tomorrow)
	if err != nil {
		return nil, err
	}
	for i := range recent {
		x := &recent[i]
		st.Month.add(x)
		if !x.At.Before(day0.AddDate(0, 0, -6)) {
			st.Week.add(x)
		}
		if !x.At.Before(day0) {
			st.Today.add(x)
		}
	}
	sales := recent
	if !from.Equal(day0.AddDate(0, 0, -29)) || !to.Equal(tomorrow) {
		if sales, err = s.store.SalesBetween(ctx, from, to); err != nil {
			return nil, err
		}
	}
	days := map[string]*Day{}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		st.Daily = append(st.Daily, Day{Date: d.Format("2006-01-02")})
	}
	for i := range st.Daily {
		days[st.Daily[i].Date] = &st.Daily[i]
	}
	sellers := map[string]*Seller{}
	for i := range sales {
		x := &sales[i]
		st.Range.add(x)
		if d := days[x.At.In(s.loc).Format("2006-01-02")]; d != nil {
			d.Count += x.Qty
			d.Revenue += x.Price
		}
		sl := sellers[x.Code]
		if sl == nil {
			sl = &Seller{Code: x.Code, Name: x.Name}
			sellers[x.Code] = sl
		}
		sl.Count += x.Qty
		sl.Revenue += x.Price
	}
	for _, sl := range sellers {
		if sl.Count > 0 {
			st.Best = append(st.Best, *sl)
		}
	}
	sort.Slice(st.Best, func(i, j int) bool {
		a, b := st.Best[i], st.Best[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Revenue != b.Revenue {
			return a.Revenue > b.Revenue
		}
		return a.Code < b.Code
	})
	st.Best = st.Best[:min(len(st.Best), 10)]
	if st.ByStaff, err = s.store.SalesGroups(ctx, "seller", from, to); err != nil {
		return nil, err
	}
	if st.ByBrand, err = s.store.SalesGroups(ctx, "brand", from, to); err != nil {
		return nil, err
	}
	scans, err := s.store.ScanTimes(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for _, at := range scans {
		if d := days[at.In(s.loc).Format("2006-01-02")]; d != nil {
			d.Scans++
		}
	}
	if st.MostScanned, err = s.store.MostScannedUnsold(ctx, from, to, 10); err != nil {
		return nil, err
	}
	inv, err := s.store.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	st.StockUnits, st.StockValue, st.RetailValue = inv.Units, inv.Cost, inv.Retail
	// Slow movers: in stock, registered before the window, no sale in it.
	if st.Slow, err = s.store.SlowMovers(ctx, from, 10); err != nil {
		return nil, err
	}
	return st, nil
}
