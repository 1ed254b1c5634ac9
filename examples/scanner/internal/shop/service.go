package shop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Service applies the shop's rules on top of a [Store]. Every stock change is one transaction: the
// bag is locked, the ledger row, the product's stock, the sale and the request ID are written
// together, and stock never goes below zero (the database refuses it too).
type Service struct {
	store Store
	codes *CodeGen
	log   *slog.Logger
	clock func() time.Time
	loc   *time.Location
	max   Money
	hooks Hooks
	scans scanLog // scan records not written yet
}

// Hooks configure what a change triggers besides the data itself.
type Hooks struct {
	// LowStockAt is the stock at or below which a sale queues a low-stock notice (default 1).
	LowStockAt int
	// AfterLock, when set, runs inside a change's transaction right after the bag was locked
	// (tests use it to prove that changes of one bag are serialised).
	AfterLock func(code string, stock int)
}

// TopicLowStock is the outbox topic of low-stock notices; the entity is the product code.
const TopicLowStock = "lowstock"

// Options configures a [Service].
type Options struct {
	Codes  *CodeGen // default: NewCodeGen("BAG{date}{seq:3}")
	Logger *slog.Logger
	Now    func() time.Time
	// Location is the shop's time zone: "today", code dates and daily figures follow it, never the
	// server's zone (default Asia/Shanghai, see [DefaultLocation]).
	Location *time.Location
	// MaxPrice is the highest price a bag may be listed or sold at (default ¥1,000,000): a typo
	// such as ¥99,999,999 is refused outright.
	MaxPrice Money
	Hooks    Hooks
}

// DefaultMaxPrice is the default of [Options.MaxPrice].
const DefaultMaxPrice = Money(1_000_000 * 100)

// NewService returns a service on st.
func NewService(st Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Codes == nil {
		o.Codes, _ = NewCodeGen(DefaultCodePattern)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Hooks.LowStockAt <= 0 {
		o.Hooks.LowStockAt = 1
	}
	if o.Location == nil {
		o.Location = DefaultLocation()
	}
	if o.MaxPrice <= 0 {
		o.MaxPrice = DefaultMaxPrice
	}
	return &Service{store: st, codes: o.Codes, log: o.Logger, clock: o.Now, loc: o.Location, max: o.MaxPrice, hooks: o.Hooks}
}

// now is the current time in the shop's zone.
func (s *Service) now() time.Time { return s.clock().In(s.loc) }

// Now returns the current time in the shop's time zone.
func (s *Service) Now() time.Time { return s.now() }

// Location returns the shop's time zone.
func (s *Service) Location() *time.Location { return s.loc }

// MaxPrice returns the highest price a bag may be listed or sold at.
func (s *Service) MaxPrice() Money { return s.max }

// Store returns the service's store.
func (s *Service) Store() Store { return s.store }

// LowStockAt returns the low-stock threshold.
func (s *Service) LowStockAt() int { return s.hooks.LowStockAt }

// Product returns a product.
func (s *Service) Product(ctx context.Context, code string) (*Product, error) {
	code = NormalizeCode(code)
	if code == "" {
		return nil, ErrNotFound
	}
	return s.store.Product(ctx, code)
}

// Movements returns the latest ledger rows of a product, newest first, at most limit (≤ 0: 50).
func (s *Service) Movements(ctx context.Context, code string, limit int) ([]Movement, error) {
	code = NormalizeCode(code)
	if code == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = 50
	}
	return s.store.Movements(ctx, code, limit)
}

// SellInput is a sale request.
type SellInput struct {
	Price      *Money // nil: list price
	Note       string
	CustomerID int64  // optional: the buyer (客户)
	Confirm    bool   // the seller confirmed an unusual price (see checkPrice)
	RequestID  string // optional idempotency key from the client (a retried POST sells once)
}

// SellResult is the outcome of a sale.
type SellResult struct {
	Product Product
	Sale    Sale
	Replay  bool // the request ID had already been applied; nothing changed
}

// Sell sells one bag (出库): ledger row −1, sales record, product stock −1. A sold-out bag is
// [ErrSoldOut]; a price outside the usual range needs confirming (see checkPrice).
func (s *Service) Sell(ctx context.Context, a Actor, code string, in SellInput) (*SellResult, error) {
	if utf8.RuneCountInString(in.Note) > 200 {
		return nil, invalid("note", "备注最多 200 字")
	}
	if in.CustomerID != 0 {
		if _, err := s.store.Customer(ctx, in.CustomerID); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, invalid("customer_id", "客户不存在")
			}
			return nil, err
		}
	}
	var sale *Sale
	p, err := s.change(ctx, code, in.RequestID, "sell", func(p *Product, id string, now time.Time) (*Movement, error) {
		if p.Deleted {
			return nil, ErrDeleted
		}
		if p.Status == StatusInactive {
			return nil, ErrInactive
		}
		if p.Stock <= 0 {
			return nil, ErrSoldOut
		}
		price := p.Price
		if in.Price != nil {
			price = *in.Price
		}
		if err := s.checkPrice(a, p, price, in.Confirm); err != nil {
			return nil, err
		}
		sale = &Sale{ID: id, Code: p.Code, Name: p.Name, Price: price, Cost: p.Cost, Kind: SaleSell, Qty: 1,
			Note: strings.TrimSpace(in.Note), Actor: a.UserID, At: now, CustomerID: in.CustomerID}
		return &Movement{ID: id, Code: p.Code, Kind: MoveSell, Qty: -1, Reason: "销售", Actor: a.UserID, At: now}, nil
	}, func(ctx context.Context, tx Tx) error {
		return tx.AddSale(ctx, sale)
	})
	if errors.Is(err, errReplay) {
		return &SellResult{Product: *p, Replay: true}, nil
	}
	if err != nil {
		return nil, err
	}
	return &SellResult{Product: *p, Sale: *sale}, nil
}

// Restock adds qty bags (入库).
func (s *Service) Restock(ctx context.Context, a Actor, code string, qty int, reason, requestID string) (*Product, error) {
	return s.RestockWith(ctx, a, code, RestockInput{Qty: qty, Reason: reason, RequestID: requestID})
}

// RestockInput is a restock (入库): how many, from which supplier, at what unit cost.
type RestockInput struct {
	Qty        int
	Reason     string
	SupplierID int64  // 0: not recorded
	UnitCost   *Money // 进货价 per bag (managers): recorded on the ledger row and becomes the product's cost
	RequestID  string
}

// RestockWith adds bags (入库) with their supplier and unit cost.
func (s *Service) RestockWith(ctx context.Context, a Actor, code string, in RestockInput) (*Product, error) {
	if in.Qty <= 0 || in.Qty > 10000 {
		return nil, invalid("qty", "数量须为 1–10000")
	}
	if in.UnitCost != nil && !a.Manager {
		return nil, ErrForbidden
	}
	if in.UnitCost != nil && (*in.UnitCost < 0 || *in.UnitCost > s.max) {
		return nil, invalid("unit_cost", "进货价无效")
	}
	if in.SupplierID != 0 {
		if _, err := s.store.Supplier(ctx, in.SupplierID); errors.Is(err, ErrNotFound) {
			return nil, invalid("supplier_id", "供应商不存在")
		} else if err != nil {
			return nil, err
		}
	}
	p, err := s.change(ctx, code, in.RequestID, "restock", func(p *Product, id string, now time.Time) (*Movement, error) {
		if p.Deleted {
			return nil, ErrDeleted
		}
		if utf8.RuneCountInString(in.Reason) > 200 {
			return nil, invalid("reason", "原因最多 200 字")
		}
		m := &Movement{ID: id, Code: p.Code, Kind: MoveRestock, Qty: in.Qty, Reason: strings.TrimSpace(in.Reason),
			Actor: a.UserID, At: now, SupplierID: in.SupplierID}
		if in.UnitCost != nil {
			m.UnitCost, p.Cost = *in.UnitCost, *in.UnitCost
		}
		if in.SupplierID != 0 {
			p.SupplierID = in.SupplierID
		}
		return m, nil
	}, nil)
	if errors.Is(err, errReplay) {
		return p, nil
	}
	return p, err
}

// Adjust sets the counted stock (盘点). Managers only; the reason is required.
func (s *Service) Adjust(ctx context.Context, a Actor, code string, counted int, reason, requestID string) (*Product, error) {
	if !a.Manager {
		return nil, ErrForbidden
	}
	if counted < 0 || counted > 100000 {
		return nil, invalid("stock", "盘点数量须为 0–100000")
	}
	if strings.TrimSpace(reason) == "" {
		return nil, invalid("reason", "请填写盘点原因")
	}
	return s.simpleChange(ctx, a, code, requestID, "adjust", func(p *Product) (MoveKind, int, string, error) {
		return MoveAdjust, counted - p.Stock, reason, nil
	})
}

func (s *Service) simpleChange(ctx context.Context, a Actor, code, requestID, op string,
	f func(p *Product) (MoveKind, int, string, error)) (*Product, error) {
	p, err := s.change(ctx, code, requestID, op, func(p *Product, id string, now time.Time) (*Movement, error) {
		if p.Deleted {
			return nil, ErrDeleted
		}
		kind, qty, reason, err := f(p)
		if err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(reason) > 200 {
			return nil, invalid("reason", "原因最多 200 字")
		}
		return &Movement{ID: id, Code: p.Code, Kind: kind, Qty: qty, Reason: strings.TrimSpace(reason), Actor: a.UserID, At: now}, nil
	}, nil)
	if errors.Is(err, errReplay) {
		return p, nil
	}
	return p, err
}

var errReplay = errors.New("shop: request already applied")

// change runs one stock change in one transaction: lock the bag, look the request ID up, decide,
// then write the ledger row, the product and (also) the dependent rows. It returns the product as
// the change left it, or as it is now with errReplay when the request ID was applied before.
func (s *Service) change(ctx context.Context, code, requestID, op string,
	decide func(p *Product, id string, now time.Time) (*Movement, error),
	also func(ctx context.Context, tx Tx) error) (*Product, error) {
	code = NormalizeCode(code)
	if code == "" {
		return nil, ErrNotFound
	}
	if requestID != "" && (len(requestID) > 64 || !isToken(requestID)) {
		return nil, invalid("request_id", "须为 1–64 位字母数字")
	}
	var out *Product
	replay := false
	err := s.store.Write(ctx, func(tx Tx) error {
		p, err := tx.Lock(ctx, code)
		if err != nil {
			return err
		}
		if s.hooks.AfterLock != nil {
			s.hooks.AfterLock(code, p.Stock)
		}
		now := s.now()
		id := requestID
		if id != "" {
			r, found, err := tx.Request(ctx, id)
			if err != nil {
				return err
			}
			if found {
				if r.Code != code || r.Op != op {
					return ErrRequestReused
				}
				out, replay = p, true
				return nil
			}
		} else {
			id = NewID(now)
		}
		m, err := decide(p, id, now)
		if err != nil {
			return err
		}
		if m.Qty == 0 && m.Kind != MoveAdjust && m.Kind != MoveSheetEdit {
			return invalid("qty", "数量不能为 0")
		}
		if p.Stock+m.Qty < 0 {
			return ErrSoldOut
		}
		m.Balance = p.Stock + m.Qty
		if err := tx.AddMovement(ctx, m); err != nil {
			return err
		}
		before := p.Stock
		p.Stock = m.Balance
		p.Status = p.statusFor(p.Stock)
		p.UpdatedAt = now
		if err := tx.SaveProduct(ctx, p); err != nil {
			return err
		}
		if also != nil {
			if err := also(ctx, tx); err != nil {
				return err
			}
		}
		if requestID != "" {
			if err := tx.AddRequest(ctx, Request{ID: requestID, Op: op, Code: code, At: now}); err != nil {
				return err
			}
		}
		if err := s.lowStock(ctx, tx, p, before); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	if replay {
		return out, errReplay
	}
	return out, nil
}

// lowStock queues a low-stock notice when a change brings stock down to the threshold or below.
func (s *Service) lowStock(ctx context.Context, tx Tx, p *Product, before int) error {
	if p.Stock >= before || p.Stock > s.hooks.LowStockAt || p.Status == StatusInactive {
		return nil
	}
	return tx.Enqueue(ctx, TopicLowStock, p.Code)
}

// NewID returns a ledger/sale id: time-ordered and unique, e.g. 20250308T101502-9f3a6c1e.
func NewID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// NormalizeCode trims and upper-cases a product code; it returns "" for anything that is not a
// plausible code (letters, digits, - and _, at most 40).
func NormalizeCode(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) > 40 || !isToken(code) {
		return ""
	}
	return code
}
