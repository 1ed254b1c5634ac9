package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/imports"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
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

// labelPNG serves /label/{code}.png: the printable bag label (QR, code, name, price, shop name,
// logo as set on /labels) at 300 dpi for the chosen stock.
func (s *Server) labelPNG(w http.ResponseWriter, r *http.Request, u User) error {
	code, err := codeFromFile(r.PathValue("file"), ".png")
	if err != nil {
		return &httpError{http.StatusNotFound, "not_found", "not found"}
	}
	p, err := s.cfg.Shop.Product(r.Context(), code)
	if err != nil {
		return err
	}
	st, err := s.requestStyle(r)
	if err != nil {
		return err
	}
	png, err := qrcode.Label(st.spec(s, p), st.labelOptions())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store") // the price or the settings may change
	_, _ = w.Write(png)
	return nil
}

// maxLabels bounds one PDF.
const maxLabels = 2000

// labelsPDF serves /labels.pdf?codes=A,B,C, ?job=ID (the bags an import created) or ?today=1
// (every product registered today) as a PDF of labels for the chosen stock (A4 sticker sheet or a
// thermal roll; ?size= overrides the setting).
func (s *Server) labelsPDF(w http.ResponseWriter, r *http.Request, u User) error {
	q := r.URL.Query()
	var ps []shop.Product
	codes := q.Get("codes")
	if id := q.Get("job"); id != "" {
		j, err := s.cfg.Store.Job(r.Context(), id)
		if err != nil {
			return err
		}
		if j.State == store.JobFailed {
			return &httpError{http.StatusConflict, "job_failed", "这次导入失败了，没有可打印的标签 (the import failed)"}
		}
		if j.State != store.JobDone {
			return &httpError{http.StatusConflict, "not_done", "导入尚未完成，请稍候再打印 (import still running)"}
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
			if len(seen) > maxLabels {
				return badRequest(fmt.Sprintf("一次最多打印 %d 张标签", maxLabels))
			}
			p, err := s.cfg.Shop.Product(r.Context(), c)
			if errors.Is(err, shop.ErrNotFound) {
				return &httpError{http.StatusNotFound, "not_found", "没有这件商品：" + c}
			}
			if err != nil {
				return err
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
	st, err := s.requestStyle(r)
	if err != nil {
		return err
	}
	specs := make([]qrcode.LabelSpec, len(ps))
	for i := range ps {
		specs[i] = st.spec(s, &ps[i])
	}
	var buf bytes.Buffer
	if err := qrcode.WriteSheet(r.Context(), &buf, specs, st.sheetOptions()); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="labels.pdf"`)
	_, _ = w.Write(buf.Bytes())
	return nil
}
