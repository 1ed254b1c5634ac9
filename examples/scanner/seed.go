package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
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

// seedDemo registers the demo bags and about three months of sales through the shop's own rules,
// with a clock that walks from the past to now.
func seedDemo(ctx context.Context, repo shop.Repo, now time.Time) (int, int, error) {
	rng := rand.New(rand.NewPCG(20250308, 1))
	clock := now.AddDate(0, -3, 0)
	svc := shop.NewService(repo, shop.Options{Now: func() time.Time { return clock }})
	manager := shop.Actor{UserID: "zhangsan", Name: "张三", Manager: true}
	staff := []shop.Actor{{UserID: "lisi", Name: "李四"}, {UserID: "wangwu", Name: "王五"}, manager}
	var codes []string
	for i, b := range demoBags {
		clock = now.AddDate(0, -3, 0).Add(time.Duration(i) * 37 * time.Hour)
		opening := b.stock + rng.IntN(8) + 3 // the sales below bring it down to about b.stock
		p, err := svc.Register(ctx, manager, shop.NewProduct{Name: b.name, Brand: b.brand, Model: b.model, Color: b.color,
			Price: shop.Yuan(b.price), Floor: shop.Yuan(math.Round(b.price * 0.9)), Cost: shop.Yuan(b.cost), Stock: opening,
			Location: locations[i%len(locations)], Photo: bagPhoto(b.rgb, i), PhotoName: fmt.Sprintf("demo-%02d.jpg", i)})
		if err != nil {
			return 0, 0, fmt.Errorf("seed %s: %w", b.name, err)
		}
		codes = append(codes, p.Code)
	}
	sales := 0
	for day := 88; day >= 0; day-- {
		for n := rng.IntN(5); n > 0; n-- {
			i := rng.IntN(len(codes))
			clock = time.Date(now.Year(), now.Month(), now.Day(), 10+rng.IntN(10), rng.IntN(60), 0, 0, cst).AddDate(0, 0, -day)
			if clock.After(now) {
				continue
			}
			p, err := svc.Product(ctx, codes[i])
			if err != nil {
				return 0, 0, err
			}
			if p.Stock <= demoBags[i].stock {
				continue
			}
			price := p.Price
			if rng.IntN(3) == 0 {
				price = p.MinPrice()
			}
			if _, err := svc.Sell(ctx, staff[rng.IntN(len(staff))], p.Code, shop.SellInput{Price: &price}); err != nil {
				return 0, 0, err
			}
			sales++
		}
	}
	return len(codes), sales, nil
}
