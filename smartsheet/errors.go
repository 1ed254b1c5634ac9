package smartsheet

import (
	"errors"
	"fmt"
	"net"

	"github.com/qiwei-go/qiwei/wecom"
)

// MayHaveApplied reports whether err leaves it unknown if WeCom applied the write: a timeout or
// cancellation, a transport error after the request was sent, an HTTP 5xx, errcode -1 (系统繁忙), or an
// unreadable success response. Such a write must be checked (e.g. by looking its key up) before it
// is sent again; [Table] does that. Errors WeCom answered with any other errcode, HTTP 4xx answers and
// dial failures mean the write was not applied.
func MayHaveApplied(err error) bool {
	if err == nil {
		return false
	}
	var be *BatchError
	if errors.As(err, &be) {
		return be.MayHaveApplied()
	}
	var ae *wecom.APIError
	if errors.As(err, &ae) {
		return ae.Code == wecom.CodeSystemBusy
	}
	var he *wecom.HTTPError
	if errors.As(err, &he) {
		return he.StatusCode >= 500
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	if errors.Is(err, ErrNoClient) || errors.Is(err, ErrInvalidInput) || errors.Is(err, ErrInvalidOption) ||
		errors.Is(err, wecom.ErrWrongPlatform) || errors.Is(err, wecom.ErrNilClient) {
		return false // refused before anything was sent
	}
	return true
}

// ErrInvalidInput is wrapped by errors about the caller's input, found before anything was sent.
var ErrInvalidInput = errors.New("smartsheet: invalid input")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, args...)...)
}
