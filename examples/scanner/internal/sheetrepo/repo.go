// Package sheetrepo stores the scanner's products, stock ledger and sales in a WeCom smart sheet
// (智能表格) through qiwei's smartsheet.Table: 商品, plus 库存流水YYYY and 销售记录YYYY per year.
package sheetrepo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// cst is the shop's clock for yearly rollover.
var cst = time.FixedZone("CST", 8*3600)

// Repo implements shop.Repo on one smart-sheet document.
type Repo struct {
	c     *smartsheet.Client
	docID string
	log   *slog.Logger

	products *smartsheet.Table[productRow]

	mu     sync.Mutex
	sheets map[string]string // title → sheet id
	moves  map[int]*smartsheet.Table[moveRow]
	sales  map[int]*smartsheet.Table[saleRow]
}

var _ shop.Repo = (*Repo)(nil)

// DocName is the name of the document created on first start.
const DocName = "箱包库存 (qiwei scanner)"

// CreateDoc creates the shop's smart sheet with admins as document admins and returns its id.
// An app may only use smart sheets it created itself, so the id must be stored.
func CreateDoc(ctx context.Context, c *smartsheet.Client, admins []string) (string, error) {
	doc, err := c.CreateDoc(ctx, &smartsheet.CreateDocRequest{Name: DocName, AdminUsers: admins})
	if err != nil {
		return "", fmt.Errorf("create smart sheet: %w", err)
	}
	return doc.ID, nil
}

// Open prepares the document: the 商品 sheet (renaming the default sub-sheet of a new document)
// with its columns, and the current year's ledger and sales sheets.
func Open(ctx context.Context, c *smartsheet.Client, docID string, log *slog.Logger) (*Repo, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Repo{c: c, docID: docID, log: log, sheets: map[string]string{},
		moves: map[int]*smartsheet.Table[moveRow]{}, sales: map[int]*smartsheet.Table[saleRow]{}}
	sheets, err := c.Sheets(ctx, docID, nil)
	if err != nil {
		return nil, fmt.Errorf("list sheets: %w", err)
	}
	for _, s := range sheets {
		r.sheets[s.Title] = s.ID
	}
	pid, ok := r.sheets[ProductsSheet]
	if !ok {
		if len(sheets) == 1 && !isOurs(sheets[0].Title) {
			// A new document's default sub-sheet becomes 商品.
			if err := c.RenameSheet(ctx, docID, sheets[0].ID, ProductsSheet); err != nil {
				return nil, fmt.Errorf("rename default sheet: %w", err)
			}
			pid = sheets[0].ID
			delete(r.sheets, sheets[0].Title)
		} else if pid, err = r.addSheet(ctx, ProductsSheet); err != nil {
			return nil, err
		}
		r.sheets[ProductsSheet] = pid
	}
	if r.products, err = smartsheet.NewTable[productRow](c, docID, pid); err != nil {
		return nil, err
	}
	if _, err := r.products.EnsureSchema(ctx); err != nil {
		return nil, fmt.Errorf("商品 columns: %w", err)
	}
	year := time.Now().In(cst).Year()
	if _, err := r.movesTable(ctx, year, true); err != nil {
		return nil, err
	}
	if _, err := r.salesTable(ctx, year, true); err != nil {
		return nil, err
	}
	return r, nil
}

func isOurs(title string) bool {
	return title == ProductsSheet || strings.HasPrefix(title, movesPrefix) || strings.HasPrefix(title, salesPrefix)
}

// DocID returns the document id.
func (r *Repo) DocID() string { return r.docID }

func (r *Repo) addSheet(ctx context.Context, title string) (string, error) {
	s, err := r.c.AddSheet(ctx, r.docID, &smartsheet.AddSheetRequest{Title: title})
	if err != nil {
		return "", fmt.Errorf("add sheet %s: %w", title, err)
	}
	return s.ID, nil
}

// yearTable returns the table of prefix+year, creating the sheet (and its columns) when create is
// set; without create a missing sheet is (nil, nil).
func yearTable[T any](ctx context.Context, r *Repo, cache map[int]*smartsheet.Table[T], prefix string, year int, create bool) (*smartsheet.Table[T], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := cache[year]; t != nil {
		return t, nil
	}
	title := prefix + strconv.Itoa(year)
	id, ok := r.sheets[title]
	if !ok {
		if !create {
			return nil, nil
		}
		var err error
		if id, err = r.addSheet(ctx, title); err != nil {
			return nil, err
		}
		r.sheets[title] = id
	}
	t, err := smartsheet.NewTable[T](r.c, r.docID, id)
	if err != nil {
		return nil, err
	}
	if _, err := t.EnsureSchema(ctx); err != nil {
		return nil, fmt.Errorf("%s columns: %w", title, err)
	}
	cache[year] = t
	return t, nil
}

func (r *Repo) movesTable(ctx context.Context, year int, create bool) (*smartsheet.Table[moveRow], error) {
	return yearTable(ctx, r, r.moves, movesPrefix, year, create)
}

func (r *Repo) salesTable(ctx context.Context, year int, create bool) (*smartsheet.Table[saleRow], error) {
	return yearTable(ctx, r, r.sales, salesPrefix, year, create)
}

// years lists the years that have a sheet with prefix, newest first.
func (r *Repo) years(prefix string) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ys []int
	for title := range r.sheets {
		if y, err := strconv.Atoi(strings.TrimPrefix(title, prefix)); err == nil && strings.HasPrefix(title, prefix) {
			ys = append(ys, y)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ys)))
	return ys
}

// Product implements shop.Repo.
func (r *Repo) Product(ctx context.Context, code string) (*shop.Product, error) {
	row, err := r.products.Get(ctx, code)
	if errors.Is(err, smartsheet.ErrNotFound) {
		return nil, shop.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	p := row.product()
	return &p, nil
}

// Products implements shop.Repo.
func (r *Repo) Products(ctx context.Context) ([]shop.Product, error) {
	var out []shop.Product
	for row, err := range r.products.All(ctx) {
		if err != nil {
			return nil, err
		}
		if row.Code == "" {
			continue // a blank row someone added in the client
		}
		out = append(out, row.product())
	}
	return out, nil
}

// CreateProduct implements shop.Repo.
func (r *Repo) CreateProduct(ctx context.Context, p *shop.Product) error {
	rows, err := r.products.Insert(ctx, toProductRow(p))
	if err != nil {
		return err
	}
	if len(rows) == 1 {
		p.RecordID = rows[0].RecordID
	}
	return nil
}

// UpdateProduct implements shop.Repo.
func (r *Repo) UpdateProduct(ctx context.Context, p *shop.Product) error {
	err := r.products.Update(ctx, toProductRow(p))
	if errors.Is(err, smartsheet.ErrNotFound) {
		return shop.ErrNotFound
	}
	return err
}

// AddMovement implements shop.Repo: one row in the ledger sheet of the movement's year.
func (r *Repo) AddMovement(ctx context.Context, m *shop.Movement) error {
	t, err := r.movesTable(ctx, m.At.In(cst).Year(), true)
	if err != nil {
		return err
	}
	_, err = t.Insert(ctx, toMoveRow(m))
	return err
}

// HasMovement implements shop.Repo, looking in the sheets of at's year and the year before.
func (r *Repo) HasMovement(ctx context.Context, id string, at time.Time) (bool, error) {
	y := at.In(cst).Year()
	for _, year := range []int{y, y - 1} {
		t, err := r.movesTable(ctx, year, false)
		if err != nil || t == nil {
			if err != nil {
				return false, err
			}
			continue
		}
		_, err = t.Get(ctx, id)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, smartsheet.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}

// Movements implements shop.Repo, newest first across the yearly sheets.
func (r *Repo) Movements(ctx context.Context, code string, limit int) ([]shop.Movement, error) {
	var out []shop.Movement
	for _, y := range r.years(movesPrefix) {
		t, err := r.movesTable(ctx, y, false)
		if err != nil {
			return nil, err
		}
		if t == nil {
			continue
		}
		var year []shop.Movement
		for row, err := range t.Find(ctx, smartsheet.Where("产品编码", smartsheet.Is, code)) {
			if err != nil {
				return nil, err
			}
			if row.Code == code {
				year = append(year, row.movement())
			}
		}
		out = append(out, newestFirst(year)...)
		if limit > 0 && len(out) >= limit {
			return out[:limit], nil
		}
	}
	return out, nil
}

// MovementsSince implements shop.Repo.
func (r *Repo) MovementsSince(ctx context.Context, since time.Time) ([]shop.Movement, error) {
	var out []shop.Movement
	err := eachYear(ctx, r, movesPrefix, since, r.movesTable, func(row moveRow) {
		if !row.At.Before(since) && row.ID != "" {
			out = append(out, row.movement())
		}
	})
	return out, err
}

// AddSale implements shop.Repo.
func (r *Repo) AddSale(ctx context.Context, s *shop.Sale) error {
	t, err := r.salesTable(ctx, s.At.In(cst).Year(), true)
	if err != nil {
		return err
	}
	// Upsert: a retried sale (same 单号) rewrites its row instead of adding a second one.
	_, err = t.Upsert(ctx, toSaleRow(s))
	return err
}

// SalesSince implements shop.Repo.
func (r *Repo) SalesSince(ctx context.Context, since time.Time) ([]shop.Sale, error) {
	var out []shop.Sale
	err := eachYear(ctx, r, salesPrefix, since, r.salesTable, func(row saleRow) {
		if !row.At.Before(since) && row.ID != "" {
			out = append(out, row.sale())
		}
	})
	return out, err
}

func eachYear[T any](ctx context.Context, r *Repo, prefix string, since time.Time,
	table func(context.Context, int, bool) (*smartsheet.Table[T], error), f func(T)) error {
	from := since.In(cst).Year()
	for _, y := range r.years(prefix) {
		if y < from {
			continue
		}
		t, err := table(ctx, y, false)
		if err != nil {
			return err
		}
		if t == nil {
			continue
		}
		rows := t.All(ctx)
		if y == from && !since.IsZero() {
			// Only the first year is filtered server-side, by day and from the day before, so the
			// filter's day semantics can only widen the result; callers still compare exact times.
			rows = t.Find(ctx, smartsheet.Where("时间", smartsheet.GreaterOrEqual, since.In(cst).AddDate(0, 0, -1)))
		}
		for row, err := range rows {
			if err != nil {
				return err
			}
			f(row)
		}
	}
	return nil
}

// UploadImage implements shop.Repo (wedoc/image_upload).
func (r *Repo) UploadImage(ctx context.Context, _ string, data []byte) (string, error) {
	img, err := r.c.UploadImage(ctx, r.docID, data)
	if err != nil {
		return "", err
	}
	return img.URL, nil
}
