package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	_ "image/gif" // logo decoders
	_ "image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/qrcode"
)

// labelSettings are the shop's label options, kept in the store (one row of kv) so that every
// replica prints the same labels and a restart keeps them.
type labelSettings struct {
	Size     string `json:"size"`      // a key of labelSizes
	Price    bool   `json:"price"`     // print the price
	Shop     bool   `json:"shop"`      // print the shop's name
	ShopName string `json:"shop_name"` // the name printed; "" means the app's ShopName
	Logo     string `json:"logo"`      // the logo's id in the photo table, "" for none
}

// labelSize is a label stock the shop can print on.
type labelSize struct {
	Key, Title string
	W, H       float64 // mm
	Sheet      func() *qrcode.SheetOptions
}

// labelSizes are the stocks offered: the A4 24-up sticker sheet and two thermal rolls.
var labelSizes = []labelSize{
	{"a4", "A4 不干胶 70×37 mm（3×8）", 70, 37, func() *qrcode.SheetOptions { return &qrcode.SheetOptions{} }},
	{"50x30", "热敏卷纸 50×30 mm", 50, 30, func() *qrcode.SheetOptions { return qrcode.Roll(50, 30) }},
	{"40x30", "热敏卷纸 40×30 mm", 40, 30, func() *qrcode.SheetOptions { return qrcode.Roll(40, 30) }},
}

func sizeOf(key string) (labelSize, bool) {
	for _, z := range labelSizes {
		if z.Key == key {
			return z, true
		}
	}
	return labelSizes[0], false
}

// pixels is the label's size at 300 dpi (what a label printer prints).
func (z labelSize) pixels() (int, int) {
	return int(z.W/25.4*300 + 0.5), int(z.H/25.4*300 + 0.5)
}

const labelSettingsKey = "label_settings"

// maxLogoBytes bounds an uploaded logo; it is stored scaled to at most logoSide pixels.
const (
	maxLogoBytes = 5 << 20
	logoSide     = 256
)

func (s *Server) labelSettings(ctx context.Context) (labelSettings, error) {
	ls := labelSettings{Size: "a4", Price: true, Shop: true}
	v, err := s.cfg.Store.Get(ctx, labelSettingsKey)
	if err != nil || v == "" {
		return ls, err
	}
	if err := json.Unmarshal([]byte(v), &ls); err != nil {
		s.log.Warn("web: label settings unreadable; using defaults", "err", err)
		return labelSettings{Size: "a4", Price: true, Shop: true}, nil
	}
	if _, ok := sizeOf(ls.Size); !ok {
		ls.Size = "a4"
	}
	return ls, nil
}

// withQuery applies ?size=&price=&shop= (a preview or one print that differs from the settings).
func (ls labelSettings) withQuery(r *http.Request) (labelSettings, error) {
	q := r.URL.Query()
	if v := q.Get("size"); v != "" {
		if _, ok := sizeOf(v); !ok {
			return ls, badRequest("size: 标签尺寸须为 a4、50x30 或 40x30")
		}
		ls.Size = v
	}
	for _, f := range []struct {
		key string
		dst *bool
	}{{"price", &ls.Price}, {"shop", &ls.Shop}} {
		if v := q.Get(f.key); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return ls, badRequest(f.key + ": 须为 1 或 0")
			}
			*f.dst = b
		}
	}
	if q.Has("shop_name") {
		ls.ShopName = strings.TrimSpace(q.Get("shop_name"))
	}
	return ls, nil
}

// labelStyle is what a batch of labels is printed with.
type labelStyle struct {
	labelSettings
	size labelSize
	shop string
	qr   []qrcode.Option
}

// requestStyle is the label style of the stored settings with the request's overrides
// (?size=&price=&shop=&shop_name=).
func (s *Server) requestStyle(r *http.Request) (*labelStyle, error) {
	ls, err := s.labelSettings(r.Context())
	if err != nil {
		return nil, err
	}
	if ls, err = ls.withQuery(r); err != nil {
		return nil, err
	}
	return s.labelStyle(r.Context(), ls)
}

// labelStyle resolves settings into what a label is drawn with (size, lines, the logo in the QR).
func (s *Server) labelStyle(ctx context.Context, ls labelSettings) (*labelStyle, error) {
	st := &labelStyle{labelSettings: ls}
	st.size, _ = sizeOf(ls.Size)
	if ls.Shop {
		st.shop = ls.ShopName
		if st.shop == "" {
			st.shop = s.cfg.ShopName
		}
	}
	if ls.Logo != "" {
		data, _, err := s.cfg.Store.Photo(ctx, ls.Logo)
		if err != nil && !errors.Is(err, shop.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			img, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				return nil, err
			}
			st.qr = []qrcode.Option{qrcode.WithLogo(img)} // level H
		}
	}
	return st, nil
}

func (st *labelStyle) spec(s *Server, p *shop.Product) qrcode.LabelSpec {
	spec := s.spec(p)
	spec.Shop = st.shop
	if st.Price {
		spec.Price = priceLabel(p.Price)
	}
	return spec
}

// labelOptions renders one label as a 300 dpi PNG of the chosen stock.
func (st *labelStyle) labelOptions() *qrcode.LabelOptions {
	w, h := st.size.pixels()
	return &qrcode.LabelOptions{Width: w, Height: h, Landscape: true, QR: st.qr}
}

func (st *labelStyle) sheetOptions() *qrcode.SheetOptions {
	o := st.size.Sheet()
	o.QR = st.qr
	return o
}

// priceLabel formats a price for a label: ¥1,299 or ¥89.50.
func priceLabel(m shop.Money) string {
	yuan := int64(m / 100)
	digits := strconv.FormatInt(yuan, 10)
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if cents := int64(m % 100); cents != 0 {
		b.WriteString("." + strconv.FormatInt(100+cents, 10)[1:])
	}
	return "¥" + b.String()
}

type labelSettingsJSON struct {
	labelSettings
	LogoURL string          `json:"logo_url,omitempty"`
	Sizes   []labelSizeJSON `json:"sizes"`
	Default string          `json:"default_shop_name"`
	Preview string          `json:"preview_url"`
}

type labelSizeJSON struct {
	Key   string  `json:"key"`
	Title string  `json:"title"`
	W     float64 `json:"width_mm"`
	H     float64 `json:"height_mm"`
}

func (s *Server) settingsJSON(ls labelSettings) labelSettingsJSON {
	out := labelSettingsJSON{labelSettings: ls, Default: s.cfg.ShopName, Preview: "/labels/preview.png"}
	if ls.Logo != "" {
		out.LogoURL = "/labels/logo.png?v=" + ls.Logo
	}
	for _, z := range labelSizes {
		out.Sizes = append(out.Sizes, labelSizeJSON{z.Key, z.Title, z.W, z.H})
	}
	return out
}

func (s *Server) apiLabelSettings(w http.ResponseWriter, r *http.Request, u User) error {
	ls, err := s.labelSettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.settingsJSON(ls))
	return nil
}

// apiSaveLabelSettings stores the label options (managers); the logo has its own endpoints.
func (s *Server) apiSaveLabelSettings(w http.ResponseWriter, r *http.Request, u User) error {
	if !u.Manager {
		return shop.ErrForbidden
	}
	var in struct {
		Size     *string `json:"size"`
		Price    *bool   `json:"price"`
		Shop     *bool   `json:"shop"`
		ShopName *string `json:"shop_name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ls, err := s.labelSettings(r.Context())
	if err != nil {
		return err
	}
	if in.Size != nil {
		if _, ok := sizeOf(*in.Size); !ok {
			return badRequest("size: 标签尺寸须为 a4、50x30 或 40x30")
		}
		ls.Size = *in.Size
	}
	if in.Price != nil {
		ls.Price = *in.Price
	}
	if in.Shop != nil {
		ls.Shop = *in.Shop
	}
	if in.ShopName != nil {
		name := strings.TrimSpace(*in.ShopName)
		if len([]rune(name)) > 30 {
			return badRequest("shop_name: 店名最多 30 个字")
		}
		ls.ShopName = name
	}
	if err := s.saveLabelSettings(r.Context(), ls); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.settingsJSON(ls))
	return nil
}

func (s *Server) saveLabelSettings(ctx context.Context, ls labelSettings) error {
	b, err := json.Marshal(ls)
	if err != nil {
		return err
	}
	return s.cfg.Store.Set(ctx, labelSettingsKey, string(b))
}

// apiUploadLogo keeps the shop's logo (multipart "logo": PNG, JPEG, GIF or WebP up to 5 MB),
// scaled to 256 px, in the store; every label's QR then carries it in its centre (level H).
func (s *Server) apiUploadLogo(w http.ResponseWriter, r *http.Request, u User) error {
	if !u.Manager {
		return shop.ErrForbidden
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxLogoBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge, "too_large", "标志图片太大（最大 5 MB）(logo too large)"}
		}
		return badRequest("表单格式错误 (malformed form)")
	}
	fhs := r.MultipartForm.File["logo"]
	if len(fhs) == 0 {
		return badRequest("logo: 请选择标志图片")
	}
	f, err := fhs[0].Open()
	if err != nil {
		return badRequest("无法读取图片")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxLogoBytes+1))
	f.Close()
	if err != nil {
		return badRequest("无法读取图片")
	}
	if len(data) > maxLogoBytes {
		return &httpError{http.StatusRequestEntityTooLarge, "too_large", "标志图片太大（最大 5 MB）(logo too large)"}
	}
	logo, err := prepareLogo(data)
	if err != nil {
		return err
	}
	ls, err := s.labelSettings(r.Context())
	if err != nil {
		return err
	}
	err = s.cfg.Store.WriteTx(r.Context(), func(tx *store.Tx) error {
		id, err := tx.SavePhoto(r.Context(), logo, nil)
		if err != nil {
			return err
		}
		ls.Logo = id
		b, err := json.Marshal(ls)
		if err != nil {
			return err
		}
		return tx.Set(r.Context(), labelSettingsKey, string(b))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.settingsJSON(ls))
	return nil
}

// prepareLogo decodes an uploaded logo and re-encodes it as a PNG of at most logoSide pixels,
// keeping its transparency.
func prepareLogo(data []byte) ([]byte, error) {
	notImage := badRequest("标志须为 PNG、JPG、GIF 或 WebP 图片 (not an image)")
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, notImage
	}
	if cfg.Width*cfg.Height > 40_000_000 {
		return nil, &httpError{http.StatusRequestEntityTooLarge, "too_large", "标志图片像素太多 (logo too large)"}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, notImage
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > logoSide || h > logoSide {
		if w >= h {
			w, h = logoSide, max(1, h*logoSide/w)
		} else {
			w, h = max(1, w*logoSide/h), logoSide
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	var buf bytes.Buffer
	if err := png.Encode(&buf, dst); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (s *Server) apiDeleteLogo(w http.ResponseWriter, r *http.Request, u User) error {
	if !u.Manager {
		return shop.ErrForbidden
	}
	ls, err := s.labelSettings(r.Context())
	if err != nil {
		return err
	}
	ls.Logo = ""
	if err := s.saveLabelSettings(r.Context(), ls); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.settingsJSON(ls))
	return nil
}

// labelLogo serves the stored logo.
func (s *Server) labelLogo(w http.ResponseWriter, r *http.Request, u User) error {
	ls, err := s.labelSettings(r.Context())
	if err != nil {
		return err
	}
	if ls.Logo == "" {
		return &httpError{http.StatusNotFound, "not_found", "尚未上传标志 (no logo)"}
	}
	data, ct, err := s.cfg.Store.Photo(r.Context(), ls.Logo)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=86400")
	_, _ = w.Write(data)
	return nil
}

// labelPreview renders a label with the settings (and ?size=&price=&shop=&shop_name= on top): of
// ?code= when given, else of the newest bag, else of a sample.
func (s *Server) labelPreview(w http.ResponseWriter, r *http.Request, u User) error {
	st, err := s.requestStyle(r)
	if err != nil {
		return err
	}
	var p *shop.Product
	if c := r.URL.Query().Get("code"); c != "" {
		if p, err = s.cfg.Shop.Product(r.Context(), c); err != nil {
			return err
		}
	} else if ps, _, err := s.cfg.Shop.Search(r.Context(), shop.Query{Limit: 1}); err == nil && len(ps) > 0 {
		p = &ps[0]
	} else {
		p = &shop.Product{Code: "BAG202601010001", Name: "示例 · 棕色托特包", Color: "棕色", Price: 129900}
	}
	b, err := qrcode.Label(st.spec(s, p), st.labelOptions())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
	return nil
}

// labelsPage is the label centre: the options (size, price, shop name, logo) with a preview, and
// the list with checkboxes to print a selection as one PDF.
func (s *Server) labelsPage(w http.ResponseWriter, r *http.Request, u User) error {
	ctx := r.Context()
	ls, err := s.labelSettings(ctx)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page := max(1, atoi(q.Get("page")))
	const size = 100
	ps, total, err := s.cfg.Shop.Search(ctx, shop.Query{Text: q.Get("q"), Status: shop.Status(q.Get("status")),
		Sort: q.Get("sort"), Limit: size, Offset: (page - 1) * size})
	if err != nil {
		return err
	}
	pages := max((total+size-1)/size, 1)
	link := func(p int) string {
		v := url.Values{}
		for _, k := range []string{"q", "status", "sort"} {
			if x := q.Get(k); x != "" {
				v.Set(k, x)
			}
		}
		v.Set("page", strconv.Itoa(p))
		return "/labels?" + v.Encode()
	}
	data := map[string]any{"S": s.settingsJSON(ls), "Sizes": labelSizes, "Products": ps, "Total": total,
		"Page": page, "Pages": pages, "Q": q.Get("q"), "Status": q.Get("status"), "Selected": q.Get("codes"),
		"Statuses": []shop.Status{shop.StatusOnSale, shop.StatusSoldOut, shop.StatusInactive}}
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if page < pages {
		data["Next"] = link(page + 1)
	}
	return s.render(w, r, u, "labels.html", "打印标签", data)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
