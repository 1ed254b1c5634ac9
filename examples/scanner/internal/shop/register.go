package shop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// NewProduct is the input of [Service.Register] (新品入库).
type NewProduct struct {
	Code      string `json:"code"` // optional: generated from the code pattern when empty
	Name      string `json:"name"`
	Brand     string `json:"brand"`
	Model     string `json:"model"`
	Color     string `json:"color"`
	Price     Money  `json:"price"`
	Floor     Money  `json:"floor"`
	Cost      Money  `json:"cost"`
	Stock     int    `json:"stock"`
	Location  string `json:"location"`
	PhotoURL  string `json:"photo_url"`
	Photo     []byte `json:"-"` // uploaded as the product photo when set
	PhotoName string `json:"-"`
	RequestID string `json:"request_id"` // optional idempotency key
}

// MaxPhotoBytes bounds an uploaded photo.
const MaxPhotoBytes = 5 << 20

func (n *NewProduct) validate() error {
	n.Name, n.Brand, n.Model = strings.TrimSpace(n.Name), strings.TrimSpace(n.Brand), strings.TrimSpace(n.Model)
	n.Color, n.Location = strings.TrimSpace(n.Color), strings.TrimSpace(n.Location)
	switch {
	case n.Name == "":
		return invalid("name", "请填写名称")
	case utf8.RuneCountInString(n.Name) > 100:
		return invalid("name", "名称最多 100 字")
	case utf8.RuneCountInString(n.Brand) > 50 || utf8.RuneCountInString(n.Model) > 50 ||
		utf8.RuneCountInString(n.Color) > 30 || utf8.RuneCountInString(n.Location) > 50:
		return invalid("brand", "品牌/型号/颜色/位置过长")
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
	case len(n.Photo) > MaxPhotoBytes:
		return invalid("photo", "图片不能超过 5 MB")
	}
	if len(n.Photo) > 0 {
		if ct := http.DetectContentType(n.Photo); ct != "image/jpeg" && ct != "image/png" && ct != "image/gif" && ct != "image/webp" {
			return invalid("photo", "图片须为 JPG/PNG")
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

// ErrCodeTaken is returned when a registration names an existing code.
var ErrCodeTaken = errors.New("编码已存在 (code already exists)")

// Register creates a product (新品入库) with its opening ledger row. The code comes from the code
// pattern unless given. With a RequestID, a retried registration returns the first result.
func (s *Service) Register(ctx context.Context, a Actor, in NewProduct) (*Product, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	unlock, err := s.locks.Lock(ctx, "register")
	if err != nil {
		return nil, fmt.Errorf("shop: lock: %w", err)
	}
	defer unlock()
	now := s.now()
	if in.RequestID != "" && (len(in.RequestID) > 64 || !isToken(in.RequestID)) {
		return nil, invalid("request_id", "须为 1–64 位字母数字")
	}
	// The recent ledger tells a retried registration (its opening row carries the request ID) and
	// the codes of registrations whose product row was never written.
	recent, err := s.repo.MovementsSince(ctx, now.AddDate(0, 0, -2))
	if err != nil {
		return nil, err
	}
	var resume *Movement // this request's opening row, written by an earlier try
	for i, m := range recent {
		if in.RequestID != "" && m.ID == in.RequestID && m.Kind == MoveRegister {
			resume = &recent[i]
		}
	}
	if resume != nil {
		p, err := s.repo.Product(ctx, resume.Code)
		if !errors.Is(err, ErrNotFound) {
			return p, err // done before (or a storage error)
		}
		// The ledger row was written, the product row was not: finish with the same code.
		in.Code, in.Stock = resume.Code, resume.Qty
	}
	all, err := s.repo.Products(ctx)
	if err != nil {
		return nil, err
	}
	code := in.Code
	switch {
	case resume != nil:
	case code == "":
		codes := make([]string, 0, len(all)+len(recent))
		for _, p := range all {
			codes = append(codes, p.Code)
		}
		for _, m := range recent {
			codes = append(codes, m.Code) // never reuse the code of an unfinished registration
		}
		if code, err = s.codes.Next(now, codes); err != nil {
			return nil, err
		}
	default:
		for _, p := range all {
			if p.Code == code {
				return nil, ErrCodeTaken
			}
		}
	}
	photo := in.PhotoURL
	if len(in.Photo) > 0 {
		name := in.PhotoName
		if name == "" {
			name = code + ".jpg"
		}
		if photo, err = s.repo.UploadImage(ctx, name, in.Photo); err != nil {
			return nil, fmt.Errorf("上传图片失败: %w", err)
		}
	}
	p := &Product{Code: code, Name: in.Name, Brand: in.Brand, Model: in.Model, Color: in.Color,
		Price: in.Price, Floor: in.Floor, Cost: in.Cost, Stock: in.Stock, Location: in.Location,
		PhotoURL: photo, CreatedAt: now, UpdatedAt: now}
	p.Status = p.statusFor(p.Stock)
	if resume == nil {
		// Ledger first, also for an opening stock of 0: the row makes a retry with the same
		// request ID find this registration instead of creating a second bag.
		id := in.RequestID
		if id == "" {
			id = NewID(now)
		}
		m := &Movement{ID: id, Code: code, Kind: MoveRegister, Qty: in.Stock, Balance: in.Stock,
			Reason: "新品入库", Actor: a.UserID, At: now}
		if err := s.repo.AddMovement(ctx, m); err != nil {
			return nil, err
		}
	}
	if err := s.repo.CreateProduct(ctx, p); err != nil {
		return nil, err
	}
	s.cache.store(*p)
	return p, nil
}

// UpdateInput changes a product's descriptive fields (not its stock). Nil fields stay.
type UpdateInput struct {
	Name, Brand, Model, Color, Location *string
	Price, Floor, Cost                  *Money
	Status                              *Status
}

// Update edits a product. Price, floor, cost and status changes are for managers.
func (s *Service) Update(ctx context.Context, a Actor, code string, in UpdateInput) (*Product, error) {
	if (in.Price != nil || in.Floor != nil || in.Cost != nil || in.Status != nil) && !a.Manager {
		return nil, ErrForbidden
	}
	code = NormalizeCode(code)
	unlock, err := s.locks.Lock(ctx, "bag:"+code)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, err := s.repo.Product(ctx, code)
	if err != nil {
		return nil, err
	}
	n := NewProduct{Name: p.Name, Brand: p.Brand, Model: p.Model, Color: p.Color, Location: p.Location,
		Price: p.Price, Floor: p.Floor, Cost: p.Cost}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&n.Name, in.Name)
	set(&n.Brand, in.Brand)
	set(&n.Model, in.Model)
	set(&n.Color, in.Color)
	set(&n.Location, in.Location)
	for dst, v := range map[*Money]*Money{&n.Price: in.Price, &n.Floor: in.Floor, &n.Cost: in.Cost} {
		if v != nil {
			*dst = *v
		}
	}
	if err := n.validate(); err != nil {
		return nil, err
	}
	p.Name, p.Brand, p.Model, p.Color, p.Location = n.Name, n.Brand, n.Model, n.Color, n.Location
	p.Price, p.Floor, p.Cost = n.Price, n.Floor, n.Cost
	if in.Status != nil {
		switch *in.Status {
		case StatusInactive:
			p.Status = StatusInactive
		case StatusOnSale, StatusSoldOut:
			p.Status = ""
			p.Status = p.statusFor(p.Stock)
		default:
			return nil, invalid("status", "未知状态")
		}
	}
	p.UpdatedAt = s.now()
	if err := s.repo.UpdateProduct(ctx, p); err != nil {
		s.cache.invalidate(code)
		return nil, err
	}
	s.cache.store(*p)
	return p, nil
}
