package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/photo"
)

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

// photo serves a product's photo through the server, so pages never depend on where it is stored:
// /photo/{code} the first, /photo/{code}/{n} the n-th (from 0).
func (s *Server) photo(w http.ResponseWriter, r *http.Request, u User) error {
	p, err := s.cfg.Shop.Product(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	ids := p.PhotoIDs()
	if n := r.PathValue("n"); n != "" {
		i, err := strconv.Atoi(n)
		if err != nil || i < 0 || i >= len(ids) {
			return &httpError{http.StatusNotFound, "not_found", "没有这张照片 (no such photo)"}
		}
		ids = ids[i:]
	}
	if len(ids) > 0 {
		data, ct, err := s.cfg.Store.Photo(r.Context(), ids[0])
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

// thumb serves the first photo's 112 px thumbnail (made on first use for photos kept before
// thumbnails existed); a product with only an external picture is sent to it.
func (s *Server) thumb(w http.ResponseWriter, r *http.Request, u User) error {
	p, err := s.cfg.Shop.Product(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	if p.PhotoID == "" {
		if p.PhotoURL == "" {
			return &httpError{http.StatusNotFound, "not_found", "no photo"}
		}
		http.Redirect(w, r, "/photo/"+url.PathEscape(p.Code), http.StatusFound)
		return nil
	}
	th, err := s.cfg.Store.Thumb(r.Context(), p.PhotoID)
	if err != nil {
		return err
	}
	if len(th) == 0 {
		data, _, err := s.cfg.Store.Photo(r.Context(), p.PhotoID)
		if err != nil {
			return err
		}
		if th, err = photo.Thumbnail(data); err != nil {
			return err
		}
		if err := s.cfg.Store.SetThumb(r.Context(), p.PhotoID, th); err != nil {
			s.log.Warn("web: keep thumbnail", "code", p.Code, "err", err)
		}
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, max-age=300") // the first photo may change
	_, _ = w.Write(th)
	return nil
}
