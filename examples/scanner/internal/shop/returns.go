package shop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Price errors. Each is a [*PriceError] too, with the amounts.
var (
	// ErrConfirmPrice: the price is above 3 × the list price; the seller must confirm it.
	ErrConfirmPrice = errors.New("成交价异常，请确认 (unusual price: confirm)")
	// ErrPriceLimit: the price is above the shop's maximum; it is refused outright.
	ErrPriceLimit = errors.New("成交价超过上限 (price over the maximum)")
)

// PriceError explains why a sale price was refused.
type PriceError struct {
	Err         error // ErrBelowFloor, ErrConfirmPrice or ErrPriceLimit
	Price, List Money
	Limit       Money // the floor (ErrBelowFloor) or the maximum (ErrPriceLimit)
	Confirmable bool  // sending the sale again with Confirm set goes through
}

func (e *PriceError) Error() string {
	switch e.Err {
	case ErrBelowFloor:
		if e.Confirmable {
			return fmt.Sprintf("成交价 ¥%s 低于最低售价 ¥%s，请确认 (below the floor: confirm)", e.Price, e.Limit)
		}
		return fmt.Sprintf("成交价 ¥%s 低于最低售价 ¥%s，请找店长 (below the floor)", e.Price, e.Limit)
	case ErrConfirmPrice:
		return fmt.Sprintf("成交价 ¥%s 是标价 ¥%s 的 %s 倍，是否输错？请确认 (over 3 × the list price: confirm)",
			e.Price, e.List, ratio(e.Price, e.List))
	}
	return fmt.Sprintf("成交价 ¥%s 超过上限 ¥%s，请检查是否输错 (over the maximum)", e.Price, e.Limit)
}

func (e *PriceError) Is(target error) bool { return target == e.Err }

func ratio(a, b Money) string {
	if b <= 0 {
		return "?"
	}
	r := float64(a) / float64(b)
	if r >= 10 {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.1f", r)
}

// checkPrice applies the price rules of a sale: never above the shop's maximum; above 3 × the
// list price only when confirmed; below the floor only when a manager confirms.
func (s *Service) checkPrice(a Actor, p *Product, price Money, confirm bool) error {
	switch {
	case price > s.max:
		return &PriceError{Err: ErrPriceLimit, Price: price, List: p.Price, Limit: s.max}
	case price < 0:
		return invalid("price", "成交价不能为负")
	case price < p.MinPrice() && !(a.Manager && confirm):
		return &PriceError{Err: ErrBelowFloor, Price: price, List: p.Price, Limit: p.MinPrice(), Confirmable: a.Manager}
	case price > 3*p.Price && !confirm:
		return &PriceError{Err: ErrConfirmPrice, Price: price, List: p.Price, Confirmable: true}
	}
	return nil
}

// Reversal errors.
var (
	ErrReversed   = errors.New("这笔销售已退货或撤销 (sale already reversed)")
	ErrNotASale   = errors.New("只能退货一笔销售 (not a sale)")
	ErrTooOldSale = errors.New("店员只能撤销或退货当天的销售，请找店长 (staff reverse today's sales only)")
)

// ReturnInput reverses a sale.
type ReturnInput struct {
	Kind      SaleKind // SaleReturn (退货, the default) or SaleUndo (撤销销售)
	Reason    string   // required: why
	RequestID string   // optional idempotency key
}

// ReturnResult is the outcome of a reversal.
type ReturnResult struct {
	Product  Product
	Reversal Sale // the new sales row (Qty −1)
	Replay   bool // the request ID had already been applied; nothing changed
}

// Return reverses a sale (退货 or 撤销销售) in one transaction: a ledger row puts the bag back
// (+1), a sales row with Qty −1 and negated amounts cancels the sale in every sum, and the product
// becomes 在售 again if it had sold out. A sale is reversed at most once (the database refuses a
// second reversal). Staff may reverse the day's sales; managers any.
func (s *Service) Return(ctx context.Context, a Actor, saleID string, in ReturnInput) (*ReturnResult, error) {
	if in.Kind == "" {
		in.Kind = SaleReturn
	}
	if in.Kind != SaleReturn && in.Kind != SaleUndo {
		return nil, invalid("kind", "类型须为 退货 或 撤销")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Reason == "":
		return nil, invalid("reason", "请填写原因")
	case utf8.RuneCountInString(in.Reason) > 200:
		return nil, invalid("reason", "原因最多 200 字")
	}
	orig, err := s.store.Sale(ctx, saleID)
	if err != nil {
		return nil, err
	}
	if orig.IsReversal() {
		return nil, ErrNotASale
	}
	kind := MoveReturn
	if in.Kind == SaleUndo {
		kind = MoveUndo
	}
	var rev *Sale
	p, err := s.change(ctx, orig.Code, in.RequestID, "return", func(p *Product, id string, now time.Time) (*Movement, error) {
		if !a.Manager && orig.At.Before(StartOfDay(now, s.loc)) {
			return nil, ErrTooOldSale
		}
		rev = &Sale{ID: id, Code: orig.Code, Name: orig.Name, Price: -orig.Price, Cost: -orig.Cost, Note: orig.Note,
			Actor: a.UserID, At: now, Kind: in.Kind, Qty: -1, Reverses: orig.ID, Reason: in.Reason, CustomerID: orig.CustomerID}
		return &Movement{ID: id, Code: p.Code, Kind: kind, Qty: 1, Reason: in.Reason, Actor: a.UserID, At: now}, nil
	}, func(ctx context.Context, tx Tx) error {
		return tx.AddSale(ctx, rev) // ErrReversed when the sale was reversed already
	})
	if errors.Is(err, errReplay) {
		return &ReturnResult{Product: *p, Replay: true}, nil
	}
	if err != nil {
		return nil, err
	}
	return &ReturnResult{Product: *p, Reversal: *rev}, nil
}
