package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/imports"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/qrcode"
)

// qrPNG serves /qr/{code}.png: the label's QR code (the signed product URL) as a PNG.
func (s *Server) qrPNG(w http.ResponseWriter, r *http.Request, u User) error {
	code, err := codeFromFile(r.PathValue("file"), ".png")
	if err != nil {
		return &httpError{http.StatusNotFound, "not_found", "not found"}
	}
	if _, err := s.cfg.Shop.Product(r.Context(), code); err != nil {
		return err
	}
	png, err := qrcode.PNG(s.cfg.Signer.URL(code), 320)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(png)
	return nil
}

func (s *Server) spec(p *shop.Product) qrcode.LabelSpec {
	name := p.Name
	if p.Color != "" && !strings.Contains(name, p.Color) {
		name += " · " + p.Color
	}
	return qrcode.LabelSpec{Content: s.cfg.Signer.URL(p.Code), Code: p.Code, Name: name}
}

// labelPNG serves /label/{code}.png: the printable bag label (QR + code + name).
func (s *Server) labelPNG(w http.ResponseWriter, r *http.Request, u User) error {
	code, err := codeFromFile(r.PathValue("file"), ".png")
	if err != nil {
		return &httpError{http.StatusNotFound, "not_found", "not found"}
	}
	p, err := s.cfg.Shop.Product(r.Context(), code)
	if err != nil {
		return err
	}
	png, err := qrcode.Label(s.spec(p), nil)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=600")
	_, _ = w.Write(png)
	return nil
}

// maxLabels bounds one PDF.
const maxLabels = 2000

// labelsPDF serves /labels.pdf?codes=A,B,C, ?job=ID (the bags an import created) or ?today=1
// (every product registered today) as an A4 sheet of labels for sticker paper.
func (s *Server) labelsPDF(w http.ResponseWriter, r *http.Request, u User) error {
	q := r.URL.Query()
	var ps []shop.Product
	codes := q.Get("codes")
	if id := q.Get("job"); id != "" {
		j, err := s.cfg.Store.Job(r.Context(), id)
		if err != nil {
			return err
		}
		var rs []imports.Result
		_ = json.Unmarshal([]byte(j.Results), &rs)
		var list []string
		for _, x := range rs {
			if x.Code != "" {
				list = append(list, x.Code)
			}
		}
		codes = strings.Join(list, ",")
	}
	switch {
	case q.Get("today") == "1":
		day := shop.StartOfDay(s.cfg.Now(), s.cfg.Location)
		all, total, err := s.cfg.Shop.Search(r.Context(), shop.Query{Since: day, Limit: 1000})
		if err != nil {
			return err
		}
		if total > len(all) {
			return badRequest(fmt.Sprintf("今日新品 %d 件，一次最多打印 %d 张标签", total, len(all)))
		}
		ps = all
	case codes != "":
		seen := map[string]bool{}
		for _, c := range strings.Split(codes, ",") {
			c = shop.NormalizeCode(c)
			if c == "" || seen[c] {
				continue
			}
			seen[c] = true
			p, err := s.cfg.Shop.Product(r.Context(), c)
			if err != nil {
				return fmt.Errorf("%s: %w", c, err)
			}
			ps = append(ps, *p)
		}
	default:
		return badRequest("请指定 codes=编码1,编码2、job=导入任务 或 today=1")
	}
	if len(ps) == 0 {
		return &httpError{http.StatusNotFound, "not_found", "没有需要打印的标签 (no labels)"}
	}
	if len(ps) > maxLabels {
		return badRequest(fmt.Sprintf("一次最多打印 %d 张标签", maxLabels))
	}
	specs := make([]qrcode.LabelSpec, len(ps))
	for i := range ps {
		specs[i] = s.spec(&ps[i])
	}
	var buf bytes.Buffer
	if err := qrcode.WriteSheet(r.Context(), &buf, specs, nil); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="labels.pdf"`)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// photoCache keeps recently served pictures that live outside the store (set in the smart sheet).
type photoCache struct {
	mu    sync.Mutex
	items map[string]photoItem
	size  int
}

type photoItem struct {
	data  []byte
	ctype string
	at    time.Time
}

const (
	photoCacheBytes = 64 << 20
	photoTTL        = 30 * time.Minute
	maxPhoto        = 8 << 20
)

var photos = &photoCache{items: map[string]photoItem{}}

func (c *photoCache) get(key string) (photoItem, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok || time.Since(it.at) > photoTTL {
		return photoItem{}, false
	}
	return it, true
}

func (c *photoCache) put(key string, it photoItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.items { // evict (map order: arbitrary) until it fits
		if c.size+len(it.data) <= photoCacheBytes {
			break
		}
		c.size -= len(v.data)
		delete(c.items, k)
	}
	if old, ok := c.items[key]; ok {
		c.size -= len(old.data)
	}
	c.items[key] = it
	c.size += len(it.data)
}

// photo serves a product's photo through the server, so pages never depend on where it is stored.
func (s *Server) photo(w http.ResponseWriter, r *http.Request, u User) error {
	p, err := s.cfg.Shop.Product(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	if p.PhotoID != "" {
		data, ct, err := s.cfg.Store.Photo(r.Context(), p.PhotoID)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "private, max-age=86400")
		_, _ = w.Write(data)
		return nil
	}
	if p.PhotoURL == "" {
		return &httpError{http.StatusNotFound, "not_found", "no photo"}
	}
	it, ok := photos.get(p.PhotoURL)
	if !ok {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, p.PhotoURL, nil)
		if err != nil {
			return &httpError{http.StatusNotFound, "not_found", "bad photo URL"}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("photo: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &httpError{http.StatusBadGateway, "upstream", "photo unavailable"}
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxPhoto+1))
		if err != nil || len(data) > maxPhoto {
			return &httpError{http.StatusBadGateway, "upstream", "photo unavailable"}
		}
		it = photoItem{data: data, ctype: http.DetectContentType(data), at: time.Now()}
		if !strings.HasPrefix(it.ctype, "image/") {
			return &httpError{http.StatusBadGateway, "upstream", "photo is not an image"}
		}
		photos.put(p.PhotoURL, it)
	}
	w.Header().Set("Content-Type", it.ctype)
	w.Header().Set("Cache-Control", "private, max-age=600")
	_, _ = w.Write(it.data)
	return nil
}
