package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/photo"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// demoBag describes one seeded bag.
type demoBag struct {
	brand, model, name, color string
	rgb                       color.RGBA
	price, cost               float64
	stock                     int
}

var demoBags = []demoBag{
	{"Coach", "Tabby 26", "Tabby 26 肩背包", "黑色", color.RGBA{30, 30, 32, 255}, 3280, 1650, 3},
	{"Coach", "Willow", "Willow 托特包", "焦糖色", color.RGBA{176, 112, 58, 255}, 2980, 1480, 2},
	{"Coach", "Rogue 25", "Rogue 25 手提包", "酒红色", color.RGBA{110, 22, 38, 255}, 4580, 2300, 1},
	{"Michael Kors", "Jet Set", "Jet Set 大号托特包", "棕色老花", color.RGBA{120, 84, 52, 255}, 1899, 880, 4},
	{"Michael Kors", "Parker", "Parker 链条斜挎包", "米白色", color.RGBA{236, 228, 210, 255}, 1599, 760, 2},
	{"Michael Kors", "Voyager", "Voyager 公文包", "深蓝色", color.RGBA{28, 44, 86, 255}, 2299, 1100, 1},
	{"Tory Burch", "Kira", "Kira 绗缝单肩包", "黑色", color.RGBA{24, 24, 24, 255}, 3890, 1950, 2},
	{"Tory Burch", "Ella", "Ella 尼龙托特包", "藏青色", color.RGBA{30, 40, 70, 255}, 1790, 820, 5},
	{"Tory Burch", "Fleming", "Fleming 软包", "奶茶色", color.RGBA{205, 176, 146, 255}, 4290, 2150, 1},
	{"Kate Spade", "Knott", "Knott 中号手提包", "粉色", color.RGBA{232, 170, 180, 255}, 2590, 1200, 3},
	{"Kate Spade", "Spade Flower", "印花零钱包", "白色", color.RGBA{246, 244, 240, 255}, 699, 280, 6},
	{"Kate Spade", "Morgan", "Morgan 翻盖斜挎包", "森林绿", color.RGBA{40, 88, 60, 255}, 1890, 860, 0},
	{"Longchamp", "Le Pliage", "Le Pliage 饺子包 中号", "海军蓝", color.RGBA{26, 36, 72, 255}, 1150, 520, 8},
	{"Longchamp", "Le Pliage", "Le Pliage 饺子包 大号", "黑色", color.RGBA{20, 20, 20, 255}, 1290, 590, 6},
	{"Longchamp", "Roseau", "Roseau 竹节手提包", "驼色", color.RGBA{190, 150, 100, 255}, 3450, 1700, 1},
	{"MCM", "Stark", "Stark 双肩包", "干邑色", color.RGBA{150, 90, 40, 255}, 6800, 3500, 1},
	{"MCM", "Aren", "Aren 购物袋", "干邑色", color.RGBA{160, 96, 44, 255}, 5200, 2600, 2},
	{"Furla", "Metropolis", "Metropolis 小方包", "橄榄绿", color.RGBA{110, 120, 70, 255}, 1980, 900, 3},
	{"Furla", "1927", "1927 迷你托特包", "灰色", color.RGBA{150, 150, 150, 255}, 2380, 1100, 2},
	{"Samsonite", "Red Ivoire", "商务电脑包", "黑色", color.RGBA{35, 35, 40, 255}, 899, 400, 5},
	{"小CK", "CK2-70701", "链条小方包", "杏色", color.RGBA{226, 200, 170, 255}, 459, 180, 7},
	{"小CK", "CK2-20781", "水桶包", "黑色", color.RGBA{28, 28, 28, 255}, 499, 190, 4},
	{"小CK", "CK6-10701", "马鞍包", "棕色", color.RGBA{130, 80, 45, 255}, 529, 210, 0},
	{"稻草人", "MTL9013", "真皮斜挎包", "咖啡色", color.RGBA{100, 66, 40, 255}, 368, 150, 6},
	{"稻草人", "MTL9021", "女士钱包 长款", "红色", color.RGBA{190, 40, 40, 255}, 198, 70, 10},
	{"Songmont", "山下有松 菜篮子", "菜篮子 中号", "巧克力色", color.RGBA{90, 56, 36, 255}, 1899, 900, 2},
	{"Songmont", "山下有松 挂耳", "挂耳包 大号", "燕麦色", color.RGBA{214, 196, 168, 255}, 2199, 1050, 1},
	{"古良吉吉", "Mini 云朵", "云朵包", "白色", color.RGBA{245, 245, 245, 255}, 1380, 600, 3},
	{"Cnolés", "蔻一", "月牙包", "黑色", color.RGBA{26, 26, 26, 255}, 1699, 780, 2},
	{"Charles & Keith", "CK2-50", "枕头包", "薄荷绿", color.RGBA{170, 220, 200, 255}, 559, 220, 4},
}

var locations = []string{"A-1 货架", "A-2 货架", "A-3 货架", "B-1 橱窗", "B-2 橱窗", "C-1 仓库", "C-2 仓库"}

// bagPhoto draws a simple bag in the bag's colour (demo photos; real ones come from staff phones).
func bagPhoto(c color.RGBA, seed int) []byte {
	const w, h = 480, 360
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{244, 241, 236, 255}}, image.Point{}, draw.Src)
	dark := color.RGBA{uint8(float64(c.R) * .7), uint8(float64(c.G) * .7), uint8(float64(c.B) * .7), 255}
	// handle: a thick arc
	cx, cy := w/2, 140
	for y := 60; y < 150; y++ {
		for x := 140; x < 340; x++ {
			dx, dy := float64(x-cx)/100, float64(y-cy)/80
			if d := math.Hypot(dx, dy); d > 0.82 && d < 1.0 && y < cy {
				img.Set(x, y, dark)
			}
		}
	}
	// body: a trapezoid with rounded bottom corners
	for y := 130; y < 320; y++ {
		inset := (320 - y) / 6
		for x := 90 + inset; x < 390-inset; x++ {
			if y > 300 && (x < 110+inset || x > 370-inset) {
				continue
			}
			img.Set(x, y, c)
		}
	}
	// flap and clasp
	for y := 130; y < 170; y++ {
		for x := 98; x < 382; x++ {
			img.Set(x, y, dark)
		}
	}
	for y := 160; y < 185; y++ {
		for x := 228; x < 252; x++ {
			img.Set(x, y, color.RGBA{212, 175, 55, 255})
		}
	}
	_ = seed
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	return buf.Bytes()
}

// seedIfNew seeds the demo shop on its first start: n bags and a year of sales, written to the store
// in bulk (one transaction) with their outbox rows; the sheet sync then writes them to the smart
// sheet in batches while the shop is already open.
func seedIfNew(ctx context.Context, a *app, n int, log *slog.Logger) error {
	if v, err := a.st.Get(ctx, "demo:seeded"); err != nil || v != "" {
		return err
	}
	if count, err := a.st.ProductCount(ctx); err != nil || count > 0 {
		if err == nil {
			err = a.st.Set(ctx, "demo:seeded", "existing data")
		}
		return err
	}
	begin := time.Now()
	photos, err := saveDemoPhotos(ctx, a.st)
	if err != nil {
		return err
	}
	ps, moves, sales := demoData(n, a.shop.Now(), photos)
	if err := a.st.BulkLoad(ctx, ps, moves, sales); err != nil {
		return err
	}
	if err := a.st.Set(ctx, "demo:seeded", time.Now().Format(time.DateTime)); err != nil {
		return err
	}
	a.sync.Kick()
	log.Info("scanner: demo data ready", "bags", len(ps), "sales", len(sales), "ledger_rows", len(moves),
		"took", time.Since(begin).Round(time.Millisecond))
	return nil
}

// saveDemoPhotos keeps a photo of each demo bag design in the store and returns their ids.
func saveDemoPhotos(ctx context.Context, st *store.Store) ([]string, error) {
	photos := make([]string, len(demoBags))
	err := st.WriteTx(ctx, func(tx *store.Tx) error {
		for i, b := range demoBags {
			img := bagPhoto(b.rgb, i)
			thumb, err := photo.Thumbnail(img)
			if err != nil {
				return err
			}
			if photos[i], err = tx.SavePhoto(ctx, img, thumb); err != nil {
				return err
			}
		}
		return nil
	})
	return photos, err
}

// demoColors vary the demo bags beyond the first 30.
var demoColors = []string{"黑色", "白色", "棕色", "米色", "红色", "藏青色", "灰色", "驼色", "酒红色", "墨绿色"}

// demoData makes n bags registered over the past year and a year of sales (about three a day for a
// small shop, one sale per bag a year for a big one). A bag is sold only after it was registered
// and while it is in stock; most designs are restocked (a 补货 row between two sales) when they run
// out, one in four is not and stays sold out. It is deterministic but for the ids. Ledger rows come
// in time order, each bag's balances a chain.
func demoData(n int, now time.Time, photos []string) ([]shop.Product, []shop.Movement, []shop.Sale) {
	rng := rand.New(rand.NewPCG(20250308, uint64(n)))
	day0 := shop.StartOfDay(now, now.Location())
	start := day0.AddDate(0, 0, -365)
	manager := "zhangsan"
	staff := []string{"lisi", "wangwu", manager}
	type event struct {
		at   time.Time
		bag  int
		kind shop.MoveKind
		qty  int
	}
	ps := make([]shop.Product, n)
	perDay := map[string]int{}
	var events []event
	for i := range ps {
		b := demoBags[i%len(demoBags)]
		v := i / len(demoBags)
		created := start.Add(time.Duration(i) * 300 * 24 * time.Hour / time.Duration(max(n, 1))).
			Add(9*time.Hour + time.Duration(rng.IntN(600))*time.Minute)
		date := created.Format("20060102")
		perDay[date]++
		p := shop.Product{Code: fmt.Sprintf("BAG%s%03d", date, perDay[date]), Name: b.name, Brand: b.brand, Model: b.model,
			Color: b.color, Price: shop.Yuan(b.price), Floor: shop.Yuan(math.Round(b.price * 0.9)), Cost: shop.Yuan(b.cost),
			Location: locations[i%len(locations)], PhotoID: photos[i%len(photos)], CreatedAt: created}
		if v > 0 {
			p.Color = demoColors[v%len(demoColors)]
			p.Price += shop.Yuan(float64(v%5) * 100)
			p.Floor = shop.Yuan(math.Round(p.Price.Yuan() * 0.9))
			p.Location = fmt.Sprintf("%s-%d", locations[i%len(locations)], v%50+1)
		}
		ps[i] = p
		events = append(events, event{at: created, bag: i, kind: shop.MoveRegister, qty: 2 + rng.IntN(5)})
	}
	daily := max(3, n*8/10/365)
	for d := 0; d < 365; d++ {
		day := start.AddDate(0, 0, d)
		for k := daily/2 + rng.IntN(daily+1); k > 0; k-- {
			at := day.Add(10*time.Hour + time.Duration(rng.IntN(600))*time.Minute)
			if at.After(now) {
				continue
			}
			bag := rng.IntN(n)
			if ps[bag].CreatedAt.After(at) {
				continue // not in the shop yet
			}
			events = append(events, event{at: at, bag: bag, kind: shop.MoveSell, qty: -1})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	var moves []shop.Movement
	var sales []shop.Sale
	stock := make([]int, n)
	last := make([]time.Time, n) // each bag's latest ledger row
	add := func(e event, reason, actor string) shop.Movement {
		stock[e.bag] += e.qty
		last[e.bag] = e.at
		m := shop.Movement{ID: shop.NewID(e.at), Code: ps[e.bag].Code, Kind: e.kind, Qty: e.qty, Balance: stock[e.bag],
			Reason: reason, Actor: actor, At: e.at}
		moves = append(moves, m)
		return m
	}
	for _, e := range events {
		switch e.kind {
		case shop.MoveRegister:
			add(e, "新品入库", manager)
		case shop.MoveSell:
			if stock[e.bag] == 0 {
				// One design in four is not reordered: it stays sold out (售罄). The others are
				// restocked between their last sale and this one.
				if e.bag%4 == 3 {
					continue
				}
				at := last[e.bag].Add(e.at.Sub(last[e.bag]) / 2)
				add(event{at: at, bag: e.bag, kind: shop.MoveRestock, qty: 2 + rng.IntN(4)}, "补货", manager)
			}
			actor := staff[rng.IntN(len(staff))]
			m := add(e, "销售", actor)
			p := &ps[e.bag]
			price := p.Price
			if rng.IntN(3) == 0 {
				price = p.MinPrice()
			}
			sales = append(sales, shop.Sale{ID: m.ID, Code: p.Code, Name: p.Name, Kind: shop.SaleSell, Qty: 1, Price: price,
				Cost: p.Cost, Actor: actor, At: e.at})
		}
	}
	// Restocks are dated between two rows of their bag, so the ledger is put back in time order.
	slices.SortStableFunc(moves, func(a, b shop.Movement) int { return a.At.Compare(b.At) })
	for i := range ps {
		ps[i].Stock = stock[i]
		ps[i].Status = shop.StatusOnSale
		if stock[i] == 0 {
			ps[i].Status = shop.StatusSoldOut
		}
		ps[i].UpdatedAt = ps[i].CreatedAt
	}
	return ps, moves, sales
}
