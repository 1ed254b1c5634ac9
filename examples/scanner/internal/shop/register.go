package shop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/photo"
)

// NewProduct is the input of [Service.Register] (新品入库).
type NewProduct struct {
	Code       string   `json:"code"` // optional: generated from the code pattern when empty
	Name       string   `json:"name"`
	Brand      string   `json:"brand"`
	Model      string   `json:"model"`
	Color      string   `json:"color"`
	Price      Money    `json:"price"`
	Floor      Money    `json:"floor"`
	Cost       Money    `json:"cost"` // 成本 / 进货价
	Stock      int      `json:"stock"`
	Location   string   `json:"location"`
	Notes      string   `json:"notes"`
	SupplierID int64    `json:"supplier_id"` // 进货来源
	PhotoURL   string   `json:"photo_url"`
	Photo      []byte   `json:"-"` // one photo (kept for callers with one); Photos may hold more
	Photos     [][]byte `json:"-"` // photos to keep, in order (at most MaxPhotos)
	PhotoName  string   `json:"-"`
	RequestID  string   `json:"request_id"` // optional idempotency key
}

// MaxPhotoBytes bounds an uploaded photo (a phone camera's full-size JPEG); stored photos are
// scaled down (see package photo).
const MaxPhotoBytes = photo.MaxBytes

// MaxPhotos is the most photos a product keeps.
const MaxPhotos = 9

func (n *NewProduct) validate() error {
	n.Name, n.Brand, n.Model = strings.TrimSpace(n.Name), strings.TrimSpace(n.Brand), strings.TrimSpace(n.Model)
	n.Color, n.Location, n.Notes = strings.TrimSpace(n.Color), strings.TrimSpace(n.Location), strings.TrimSpace(n.Notes)
	if len(n.Photo) > 0 {
		n.Photos = append([][]byte{n.Photo}, n.Photos...)
		n.Photo = nil
	}
	switch {
	case n.Name == "":
		return invalid("name", "请填写名称")
	case utf8.RuneCountInString(n.Name) > 100:
		return invalid("name", "名称最多 100 字")
	case utf8.RuneCountInString(n.Brand) > 50 || utf8.RuneCountInString(n.Model) > 50 ||
		utf8.RuneCountInString(n.Color) > 30 || utf8.RuneCountInString(n.Location) > 50:
		return invalid("brand", "品牌/型号/颜色/位置过长")
	case utf8.RuneCountInString(n.Notes) > 500:
		return invalid("notes", "备注最多 500 字")
	case n.Price <= 0:
		return invalid("price", "售价须大于 0")
	case n.Price > Yuan(10_000_000):
		return invalid("price", "售价过大")
	case n.Floor < 0 || n.Floor > n.Price:
		return invalid("floor", "最低售价须在 0 与售价之间")
	case n.Cost < 0:
		return invalid("cost", "成本不能为负")
	case n.Stock < 0 || n.Stock > 10000:
		return invalid("stock", "库存须为 0–10000")
	case n.SupplierID < 0:
		return invalid("supplier_id", "供应商不存在")
	case len(n.Photos) > MaxPhotos:
		return invalid("photo", fmt.Sprintf("最多 %d 张照片", MaxPhotos))
	}
	for _, p := range n.Photos {
		if len(p) > MaxPhotoBytes {
			return invalid("photo", photo.ErrTooLarge.Error())
		}
	}
	if n.Code != "" {
		c := NormalizeCode(n.Code)
		if c == "" {
			return invalid("code", "编码只能含字母、数字、- 和 _，最多 40 位")
		}
		n.Code = c
	}
	if n.PhotoURL != "" && !strings.HasPrefix(n.PhotoURL, "https://") && !strings.HasPrefix(n.PhotoURL, "http://") {
		return invalid("photo_url", "图片链接须为 http(s)")
	}
	return nil
}

// preparePhotos scales the photos of a registration before its transaction (decoding a camera
// photo takes a while; the database's writer is not held meanwhile).
func preparePhotos(raw [][]byte) ([]*photo.Prepared, error) {
	out := make([]*photo.Prepared, 0, len(raw))
	for _, b := range raw {
		p, err := photo.Prepare(b)
		if err != nil {
			return nil, invalid("photo", err.Error())
		}
		out = append(out, p)
	}
	return out, nil
}

// savePhotos keeps prepared photos in the store and returns their ids.
func savePhotos(ctx context.Context, tx Tx, ps []*photo.Prepared) ([]string, error) {
	ids := make([]string, 0, len(ps))
	for _, p := range ps {
		id, err := tx.SavePhoto(ctx, p.JPEG, p.Thumb)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ErrCodeTaken is returned when a registration names an existing code.
var ErrCodeTaken = errors.New("编码已存在 (code already exists)")

// Registered is the outcome of one registration of [Service.RegisterBatch].
type Registered struct {
	Product *Product // nil when Err is set
	Replay  bool     // the request ID had registered this bag before
	Err     error    // ErrInvalid, ErrCodeTaken, ErrRequestReused, ErrCodesFull: this row only
}

// Register creates a product (新品入库) with its opening ledger row, in one transaction. The code
// comes from the code pattern unless given. With a RequestID, a retried registration returns the
// first result. A photo is kept in the store; no WeCom call is made.
func (s *Service) Register(ctx context.Context, a Actor, in NewProduct) (*Product, error) {
	return s.RegisterWith(ctx, a, in, nil)
}

// RegisterWith is Register with also, which runs in the same transaction after the product was
// created (the sheet sync links a row a member added in the smart sheet this way).
func (s *Service) RegisterWith(ctx context.Context, a Actor, in NewProduct, also func(ctx context.Context, tx Tx, p *Product) error) (*Product, error) {
	res, err := s.registerBatch(ctx, a, []NewProduct{in}, also, nil)
	if err != nil {
		return nil, err
	}
	return res[0].Product, res[0].Err
}

// RegisterBatch registers many products in one transaction (imports). Each row's outcome is in the
// result; a row's own error (bad input, a taken code) does not stop the others. The error is for
// the store itself (nothing was written).
func (s *Service) RegisterBatch(ctx context.Context, a Actor, ins []NewProduct) ([]Registered, error) {
	return s.registerBatch(ctx, a, ins, nil, nil)
}

// RegisterBatchWith is RegisterBatch with after, which runs at the end of the same transaction with
// the outcomes (an import job records its progress this way, so that a restart resumes exactly).
func (s *Service) RegisterBatchWith(ctx context.Context, a Actor, ins []NewProduct,
	after func(ctx context.Context, tx Tx, res []Registered) error) ([]Registered, error) {
	return s.registerBatch(ctx, a, ins, nil, after)
}

func (s *Service) registerBatch(ctx context.Context, a Actor, ins []NewProduct,
	also func(ctx context.Context, tx Tx, p *Product) error,
	after func(ctx context.Context, tx Tx, res []Registered) error) ([]Registered, error) {
	ins = append([]NewProduct(nil), ins...)
	res := make([]Registered, len(ins))
	photos := make([][]*photo.Prepared, len(ins))
	suppliers := map[int64]error{}
	for i := range ins {
		in := &ins[i]
		if err := in.validate(); err != nil {
			res[i].Err = err
		} else if in.RequestID != "" && (len(in.RequestID) > 64 || !isToken(in.RequestID)) {
			res[i].Err = invalid("request_id", "须为 1–64 位字母数字")
		} else if in.Price > s.max {
			res[i].Err = invalid("price", fmt.Sprintf("售价超过上限 ¥%s", s.max))
		} else if in.SupplierID != 0 {
			if _, ok := suppliers[in.SupplierID]; !ok {
				_, err := s.store.Supplier(ctx, in.SupplierID)
				if errors.Is(err, ErrNotFound) {
					err = invalid("supplier_id", "供应商不存在")
				} else if err != nil {
					return nil, err
				}
				suppliers[in.SupplierID] = err
			}
			res[i].Err = suppliers[in.SupplierID]
		}
		if res[i].Err == nil && len(in.Photos) > 0 {
			photos[i], res[i].Err = preparePhotos(in.Photos)
		}
	}
	var out []Registered
	// Two replicas may pick the same new code at once; the loser's transaction fails on the
	// unique code and is run again, seeing the winner's row.
	for attempt := 1; ; attempt++ {
		out = append(out[:0], res...)
		err := s.store.Write(ctx, func(tx Tx) error {
			now := s.now()
			gen := &codeCursor{g: s.codes, now: now, tx: tx}
			for i := range ins {
				if out[i].Err != nil {
					continue
				}
				p, replay, err := s.registerOne(ctx, tx, gen, a, &ins[i], photos[i], now)
				if err == nil && !replay && also != nil {
					err = also(ctx, tx, p)
				}
				switch {
				case errors.Is(err, ErrInvalid), errors.Is(err, ErrCodeTaken), errors.Is(err, ErrRequestReused), errors.Is(err, ErrCodesFull):
					out[i].Err = err
				case err != nil:
					return err
				default:
					out[i].Product, out[i].Replay = p, replay
				}
			}
			if after != nil {
				return after(ctx, tx, out)
			}
			return nil
		})
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == 3 {
			return nil, err
		}
	}
}

func (s *Service) registerOne(ctx context.Context, tx Tx, gen *codeCursor, a Actor, in *NewProduct,
	photos []*photo.Prepared, now time.Time) (*Product, bool, error) {
	if in.RequestID != "" {
		r, found, err := tx.Request(ctx, in.RequestID)
		if err != nil {
			return nil, false, err
		}
		if found {
			if r.Op != "register" {
				return nil, false, ErrRequestReused
			}
			p, err := tx.Lock(ctx, r.Code)
			return p, true, err
		}
	}
	p := &Product{Code: in.Code, Name: in.Name, Brand: in.Brand, Model: in.Model, Color: in.Color,
		Price: in.Price, Floor: in.Floor, Cost: in.Cost, Stock: in.Stock, Location: in.Location, Notes: in.Notes,
		SupplierID: in.SupplierID, PhotoURL: in.PhotoURL, CreatedAt: now, UpdatedAt: now}
	if len(photos) > 0 {
		ids, err := savePhotos(ctx, tx, photos)
		if err != nil {
			return nil, false, err
		}
		p.Photos, p.PhotoID, p.PhotoURL = ids, ids[0], ""
	}
	p.Status = p.statusFor(p.Stock)
	for tries := 0; ; tries++ {
		if in.Code == "" {
			var err error
			if p.Code, err = gen.next(ctx); err != nil {
				return nil, false, err
			}
		}
		err := tx.CreateProduct(ctx, p)
		if err == nil {
			break
		}
		// A generated code someone gave explicitly earlier: count on.
		if in.Code != "" || !errors.Is(err, ErrCodeTaken) || tries == 100 {
			return nil, false, err
		}
	}
	code := p.Code
	id := in.RequestID
	if id == "" {
		id = NewID(now)
	}
	// The opening row, also for an opening stock of 0: every product has a ledger.
	m := &Movement{ID: id, Code: code, Kind: MoveRegister, Qty: in.Stock, Balance: in.Stock,
		Reason: "新品入库", Actor: a.UserID, At: now, SupplierID: in.SupplierID, UnitCost: in.Cost}
	if err := tx.AddMovement(ctx, m); err != nil {
		return nil, false, err
	}
	if in.RequestID != "" {
		if err := tx.AddRequest(ctx, Request{ID: in.RequestID, Op: "register", Code: code, At: now}); err != nil {
			return nil, false, err
		}
	}
	return p, false, nil
}

// codeCursor hands out new codes for one transaction: it reads the existing codes of today's
// prefix once, then counts on.
type codeCursor struct {
	g     *CodeGen
	now   time.Time
	tx    Tx
	codes []string
	read  bool
}

func (c *codeCursor) next(ctx context.Context) (string, error) {
	if !c.read {
		prefix := c.g.Prefix(c.now)
		codes, err := c.tx.Codes(ctx, prefix)
		if err != nil {
			return "", err
		}
		c.codes, c.read = codes, true
	}
	code, err := c.g.Next(c.now, c.codes)
	if err != nil {
		return "", err
	}
	c.codes = append(c.codes[:0], code) // the next code counts on from this one
	return code, nil
}
