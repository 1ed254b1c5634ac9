package shop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Service applies the shop's rules on top of a [Repo]: every stock change is serialised per bag,
// written to the ledger first (idempotently), then to the product, and stock never goes below zero.
type Service struct {
	repo  Repo
	locks Locker
	cache *productCache
	codes *CodeGen
	log   *slog.Logger
	now   func() time.Time
	hooks Hooks

	dirtyMu sync.Mutex
	dirty   map[string]bool // products whose stock write failed after the ledger write
}

// Hooks are called after successful changes (notifications). They must not block for long.
type Hooks struct {
	LowStock func(p Product) // stock fell to or below the threshold
	// LowStockAt is the threshold for LowStock (default 1).
	LowStockAt int
}

// Options configures a [Service].
type Options struct {
	Locker   Locker        // default: NewLocalLocker()
	CacheTTL time.Duration // default 60 s
	Codes    *CodeGen      // default: NewCodeGen("BAG{date}{seq:3}")
	Logger   *slog.Logger
	Now      func() time.Time
	Hooks    Hooks
}

// NewService returns a service on repo.
func NewService(repo Repo, o Options) *Service {
	if o.Locker == nil {
		o.Locker = NewLocalLocker()
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = time.Minute
	}
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
	return &Service{repo: repo, locks: o.Locker, cache: newProductCache(o.CacheTTL, o.Now), codes: o.Codes,
		log: o.Logger, now: o.Now, hooks: o.Hooks, dirty: map[string]bool{}}
}

// Product returns a product, from cache when warm.
func (s *Service) Product(ctx context.Context, code string) (*Product, error) {
	code = NormalizeCode(code)
	if code == "" {
		return nil, ErrNotFound
	}
	if p, ok := s.cache.get(code); ok {
		return &p, nil
	}
	gen := s.cache.generation()
	p, err := s.repo.Product(ctx, code)
	if err != nil {
		return nil, err
	}
	s.cache.put(*p, gen)
	return p, nil
}

// Products returns every product, from cache when warm.
func (s *Service) Products(ctx context.Context) ([]Product, error) {
	if ps, ok := s.cache.getList(); ok {
		return ps, nil
	}
	gen := s.cache.generation()
	ps, err := s.repo.Products(ctx)
	if err != nil {
		return nil, err
	}
	s.cache.putList(ps, gen)
	return ps, nil
}

// Movements returns the latest ledger rows of a product, newest first, at most limit (0 = all).
// Up to 50 rows come from the cache when warm.
func (s *Service) Movements(ctx context.Context, code string, limit int) ([]Movement, error) {
	code = NormalizeCode(code)
	if code == "" {
		return nil, nil
	}
	if limit <= 0 || limit > movesCached {
		return s.repo.Movements(ctx, code, limit)
	}
	ms, ok := s.cache.getMoves(code)
	if !ok {
		gen := s.cache.generation()
		var err error
		if ms, err = s.repo.Movements(ctx, code, movesCached); err != nil {
			return nil, err
		}
		s.cache.putMoves(code, ms, gen)
	}
	if len(ms) > limit {
		ms = ms[:limit]
	}
	return append([]Movement(nil), ms...), nil
}

// SellInput is a sale request.
type SellInput struct {
	Price     *Money // nil: list price
	Note      string
	RequestID string // optional idempotency key from the client (a retried POST sells once)
}

// SellResult is the outcome of a sale.
type SellResult struct {
	Product Product
	Sale    Sale
	Replay  bool // the request ID had already been applied; nothing changed
}

// Sell sells one bag (出库): ledger row −1, sales record, product stock −1. A sold-out bag is
// [ErrSoldOut]; a price under the floor is [ErrBelowFloor].
func (s *Service) Sell(ctx context.Context, a Actor, code string, in SellInput) (*SellResult, error) {
	if utf8.RuneCountInString(in.Note) > 200 {
		return nil, invalid("note", "备注最多 200 字")
	}
	var res *SellResult
	p, err := s.change(ctx, code, in.RequestID, func(p *Product, id string, now time.Time) (*Movement, error) {
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
		if price < p.MinPrice() {
			return nil, fmt.Errorf("%w: 最低 %s 元", ErrBelowFloor, p.MinPrice())
		}
		sale := Sale{ID: id, Code: p.Code, Name: p.Name, Price: price, Cost: p.Cost,
			Note: strings.TrimSpace(in.Note), Actor: a.UserID, At: now}
		res = &SellResult{Sale: sale}
		return &Movement{ID: id, Code: p.Code, Kind: MoveSell, Qty: -1, Reason: "销售", Actor: a.UserID, At: now}, nil
	}, func(ctx context.Context, p *Product, m *Movement) error {
		return s.repo.AddSale(ctx, &res.Sale)
	})
	if errors.Is(err, errReplay) {
		p, perr := s.Product(ctx, code)
		if perr != nil {
			return nil, perr
		}
		return &SellResult{Product: *p, Replay: true}, nil
	}
	if err != nil {
		return nil, err
	}
	// The product as this sale left it (a later sale in another request may already have changed it).
	res.Product = *p
	return res, nil
}

// Restock adds qty bags (入库).
func (s *Service) Restock(ctx context.Context, a Actor, code string, qty int, reason, requestID string) (*Product, error) {
	if qty <= 0 || qty > 10000 {
		return nil, invalid("qty", "数量须为 1–10000")
	}
	return s.simpleChange(ctx, a, code, requestID, func(p *Product) (MoveKind, int, string, error) {
		return MoveRestock, qty, reason, nil
	})
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
	return s.simpleChange(ctx, a, code, requestID, func(p *Product) (MoveKind, int, string, error) {
		return MoveAdjust, counted - p.Stock, reason, nil
	})
}

func (s *Service) simpleChange(ctx context.Context, a Actor, code, requestID string,
	f func(p *Product) (MoveKind, int, string, error)) (*Product, error) {
	p, err := s.change(ctx, code, requestID, func(p *Product, id string, now time.Time) (*Movement, error) {
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
		return s.Product(ctx, code)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

var errReplay = errors.New("shop: request already applied")

// change runs one stock change under the bag's lock: read fresh, decide, dependent rows (before),
// ledger row, product update. A failed product update leaves the product marked dirty; the next change (or
// Reconcile) repairs its stock from the ledger. It returns the product as the change left it.
func (s *Service) change(ctx context.Context, code, requestID string,
	decide func(p *Product, id string, now time.Time) (*Movement, error),
	before func(ctx context.Context, p *Product, m *Movement) error) (*Product, error) {
	code = NormalizeCode(code)
	if code == "" {
		return nil, ErrNotFound
	}
	unlock, err := s.locks.Lock(ctx, "bag:"+code)
	if err != nil {
		return nil, fmt.Errorf("shop: lock %s: %w", code, err)
	}
	defer unlock()
	now := s.now()
	id := requestID
	if id != "" {
		if len(id) > 64 || !isToken(id) {
			return nil, invalid("request_id", "须为 1–64 位字母数字")
		}
		done, err := s.repo.HasMovement(ctx, id, now)
		if err != nil {
			return nil, err
		}
		if done {
			// A retry of a change whose product write failed: repair the stock before answering.
			if s.isDirty(code) {
				p, err := s.repo.Product(ctx, code)
				if err == nil {
					err = s.repairLocked(ctx, p)
				}
				if err != nil {
					return nil, err
				}
			}
			return nil, errReplay
		}
	} else {
		id = NewID(now)
	}
	p, err := s.repo.Product(ctx, code)
	if err != nil {
		return nil, err
	}
	if s.isDirty(code) {
		if err := s.repairLocked(ctx, p); err != nil {
			return nil, err
		}
	}
	m, err := decide(p, id, now)
	if err != nil {
		return nil, err
	}
	if m.Qty == 0 && m.Kind != MoveAdjust {
		return nil, invalid("qty", "数量不能为 0")
	}
	if p.Stock+m.Qty < 0 {
		return nil, ErrSoldOut
	}
	m.Balance = p.Stock + m.Qty
	// A sale row is written before its ledger row: a sale whose ledger row is missing (the ledger
	// write failed) is ignored by the reports and rewritten by a retry with the same request ID.
	if before != nil {
		if err := before(ctx, p, m); err != nil {
			return nil, err
		}
	}
	if err := s.repo.AddMovement(ctx, m); err != nil {
		s.markDirty(code) // the row may have been written before the error: re-check on next change
		return nil, err
	}
	p.Stock = m.Balance
	p.Status = p.statusFor(p.Stock)
	p.UpdatedAt = now
	if err := s.repo.UpdateProduct(ctx, p); err != nil {
		s.markDirty(code)
		s.cache.invalidate(code)
		return nil, err
	}
	s.cache.store(*p)
	if m.Qty < 0 && p.Stock <= s.hooks.LowStockAt && s.hooks.LowStock != nil {
		s.hooks.LowStock(*p)
	}
	return p, nil
}

func (s *Service) isDirty(code string) bool {
	s.dirtyMu.Lock()
	defer s.dirtyMu.Unlock()
	return s.dirty[code]
}

func (s *Service) markDirty(code string) {
	s.dirtyMu.Lock()
	s.dirty[code] = true
	s.dirtyMu.Unlock()
	s.log.Warn("shop: product stock write failed after the ledger write; will repair", "code", code)
}

// repairLocked sets p.Stock to its ledger sum. The caller holds the bag's lock.
func (s *Service) repairLocked(ctx context.Context, p *Product) error {
	ms, err := s.repo.Movements(ctx, p.Code, 0)
	if err != nil {
		return err
	}
	sum := 0
	for _, m := range ms {
		sum += m.Qty
	}
	if sum != p.Stock {
		s.log.Warn("shop: repairing stock from the ledger", "code", p.Code, "stock", p.Stock, "ledger", sum)
		p.Stock = sum
		p.Status = p.statusFor(sum)
		p.UpdatedAt = s.now()
		if err := s.repo.UpdateProduct(ctx, p); err != nil {
			return err
		}
	}
	s.dirtyMu.Lock()
	delete(s.dirty, p.Code)
	s.dirtyMu.Unlock()
	s.cache.store(*p)
	return nil
}

// Reconcile checks every product's stock against the ledger and repairs differences. It returns the
// codes it repaired. Run it at start-up.
func (s *Service) Reconcile(ctx context.Context) ([]string, error) {
	ps, err := s.repo.Products(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := s.repo.MovementsSince(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	sums := map[string]int{}
	for _, m := range ms {
		sums[m.Code] += m.Qty
	}
	var fixed []string
	for _, p := range ps {
		if sums[p.Code] == p.Stock {
			continue
		}
		unlock, err := s.locks.Lock(ctx, "bag:"+p.Code)
		if err != nil {
			return fixed, err
		}
		fresh, err := s.repo.Product(ctx, p.Code)
		if err == nil {
			s.markDirtyQuiet(p.Code)
			err = s.repairLocked(ctx, fresh)
		}
		unlock()
		if err != nil {
			return fixed, err
		}
		fixed = append(fixed, p.Code)
	}
	return fixed, nil
}

func (s *Service) markDirtyQuiet(code string) {
	s.dirtyMu.Lock()
	s.dirty[code] = true
	s.dirtyMu.Unlock()
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
