package shop

import "errors"

// Domain errors; the web layer maps them to HTTP statuses.
var (
	ErrNotFound   = errors.New("商品不存在 (product not found)")
	ErrSoldOut    = errors.New("已售罄，无法出售 (sold out)")
	ErrBelowFloor = errors.New("售价低于最低售价 (price below the floor)")
	ErrForbidden  = errors.New("仅店长可操作 (managers only)")
	ErrInvalid    = errors.New("输入无效 (invalid input)")
	ErrInactive   = errors.New("商品已下架 (product inactive)")
	ErrDeleted    = errors.New("商品已在表格中删除 (product deleted in the smart sheet)")
)

// InputError is an [ErrInvalid] with a field-level message.
type InputError struct {
	Field, Msg string
}

func (e *InputError) Error() string        { return e.Field + ": " + e.Msg }
func (e *InputError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, msg string) error { return &InputError{Field: field, Msg: msg} }
