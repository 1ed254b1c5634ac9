package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/url"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/wecom"
)

// notifier sends managers textcard messages: low stock (queued in the outbox by the change that
// caused it, so a restart loses none), and a daily summary.
type notifier struct {
	wc        *wecom.Client
	st        *store.Store
	shop      *shop.Service
	managers  []string
	publicURL string
	log       *slog.Logger
	owner     string
	loc       *time.Location // the shop's time zone
}

// run delivers queued low-stock notices until ctx ends, one replica at a time.
func (n *notifier) run(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		if err := n.deliver(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("scanner: low-stock notice failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *notifier) deliver(ctx context.Context) error {
	// An idle loop only reads: a write costs an fsync and, on SQLite, every reader's page cache.
	if due, err := n.st.Outbox(ctx, shop.TopicLowStock, time.Now(), 1); err != nil || len(due) == 0 {
		return err
	}
	held, err := n.st.Lease(ctx, "notify", n.owner, time.Minute)
	if err != nil || !held {
		return err
	}
	items, err := n.st.Outbox(ctx, shop.TopicLowStock, time.Now(), 50)
	if err != nil {
		return err
	}
	for _, it := range items {
		err := n.lowStock(ctx, it.Entity)
		if err != nil && !errors.Is(err, shop.ErrNotFound) {
			next := time.Now().Add(min(time.Duration(1<<min(it.Attempts, 8))*10*time.Second, time.Hour))
			_ = n.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.OutboxRetry(ctx, []int64{it.Seq}, next, err.Error()) })
			return err
		}
		if err := n.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.OutboxDone(ctx, []int64{it.Seq}) }); err != nil {
			return err
		}
	}
	return nil
}

// lowStock sends one notice, with the product as it is now. WeCom's duplicate check drops a
// resend of the same card within an hour (a crash between sending and recording it).
func (n *notifier) lowStock(ctx context.Context, code string) error {
	p, err := n.shop.Product(ctx, code)
	if err != nil {
		return err
	}
	if p.Stock > n.shop.LowStockAt() || p.Deleted || p.Status == shop.StatusInactive {
		return nil // restocked meanwhile
	}
	desc := fmt.Sprintf(`<div class="gray">%s</div><div class="normal">%s · %s</div><div class="highlight">库存仅剩 %d</div>`,
		p.UpdatedAt.In(n.loc).Format("01月02日 15:04"), html.EscapeString(p.Name), html.EscapeString(p.Code), p.Stock)
	_, err = n.wc.Messages().SendTextCard(ctx, &wecom.SendTextCardRequest{Recipients: wecom.ToUsers(n.managers...), Title: "低库存提醒",
		Description: desc, URL: n.publicURL + "/p/" + url.PathEscape(p.Code), ButtonText: "查看",
		SendOptions: wecom.SendOptions{DuplicateCheck: true, DuplicateCheckInterval: time.Hour}})
	return err
}

// summaryLoop sends the daily summary at hour (the shop's time) once a day, once across replicas (a lease per
// day in the store).
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
		case <-t.C:
			now := n.shop.Now()
			if now.Hour() != hour {
				continue
			}
			first, err := n.st.Lease(ctx, "summary:"+now.Format("20060102"), n.owner, 48*time.Hour)
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
		n.shop.Now().Format("2006年01月02日"), st.Today.Count, st.Today.Revenue, st.Today.Margin,
		st.Week.Count, st.Week.Revenue, st.StockUnits, best)
	_, err = n.wc.Messages().SendTextCard(ctx, &wecom.SendTextCardRequest{Recipients: wecom.ToUsers(n.managers...), Title: "今日经营小结",
		Description: desc, URL: n.publicURL + "/stats", ButtonText: "详情"})
	return err
}
