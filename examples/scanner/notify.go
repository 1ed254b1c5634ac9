package main

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/url"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/wecom"
)

// notifier sends managers textcard messages: low stock right away, and a daily summary.
type notifier struct {
	wc        *wecom.Client
	shop      *shop.Service
	managers  []string
	publicURL string
	log       *slog.Logger
	dedupe    wecom.Deduper
}

var cst = time.FixedZone("CST", 8*3600)

// lowStock is the shop's LowStock hook: it must not block the sale, so it sends in the background.
func (n *notifier) lowStock(p shop.Product) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		desc := fmt.Sprintf(`<div class="gray">%s</div><div class="normal">%s · %s</div><div class="highlight">库存仅剩 %d</div>`,
			time.Now().In(cst).Format("01月02日 15:04"), html.EscapeString(p.Name), html.EscapeString(p.Code), p.Stock)
		_, err := n.wc.Messages().SendTextCard(ctx, &wecom.SendTextCardRequest{ToUsers: n.managers, Title: "低库存提醒",
			Description: desc, URL: n.publicURL + "/p/" + url.PathEscape(p.Code), ButtonText: "查看"})
		if err != nil {
			n.log.Warn("scanner: low-stock message failed", "code", p.Code, "err", err)
		}
	}()
}

// summaryLoop sends the daily summary at hour (CST) once a day, once across replicas.
func (n *notifier) summaryLoop(ctx context.Context, hour int) {
	if hour < 0 {
		return
	}
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			now = now.In(cst)
			if now.Hour() != hour {
				continue
			}
			first, err := n.dedupe.Claim(ctx, "scanner:summary:"+now.Format("20060102"), 26*time.Hour)
			if err != nil || !first {
				continue
			}
			if err := n.sendSummary(ctx); err != nil {
				n.log.Warn("scanner: daily summary failed", "err", err)
			}
		}
	}
}

func (n *notifier) sendSummary(ctx context.Context) error {
	st, err := n.shop.Stats(ctx)
	if err != nil {
		return err
	}
	best := "—"
	if len(st.Best) > 0 {
		best = html.EscapeString(st.Best[0].Name)
	}
	desc := fmt.Sprintf(`<div class="gray">%s</div><div class="highlight">今日售出 %d 件，销售额 ¥%s，毛利 ¥%s</div><div class="normal">近7天 %d 件 · ¥%s；库存 %d 件</div><div class="normal">畅销：%s</div>`,
		time.Now().In(cst).Format("2006年01月02日"), st.Today.Count, st.Today.Revenue, st.Today.Margin,
		st.Week.Count, st.Week.Revenue, st.StockUnits, best)
	_, err = n.wc.Messages().SendTextCard(ctx, &wecom.SendTextCardRequest{ToUsers: n.managers, Title: "今日经营小结",
		Description: desc, URL: n.publicURL + "/stats", ButtonText: "详情"})
	return err
}
