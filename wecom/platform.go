package wecom

import (
	"errors"
	"fmt"
)

// ErrWrongPlatform is matched (errors.Is) by every error returned, before any request is sent, when
// a call exists only for 公众号 clients ([NewOfficialAccount]) and was made on a WeCom client
// ([New]), or the reverse: e.g. application messages on a 公众号 client, template messages or
// qrcode tickets on a WeCom client. The concrete error is a [*PlatformError].
var ErrWrongPlatform = errors.New("wecom: call not available for this kind of client")

// ErrNilClient is returned by calls made on a nil *Client (and by constructors of other packages
// given one), instead of a panic.
var ErrNilClient = errors.New("wecom: nil client")

// Platform is the kind of account a [Client] talks to.
type Platform uint8

const (
	PlatformWeCom           Platform = iota + 1 // 企业微信 self-built app: New
	PlatformOfficialAccount                     // 公众号: NewOfficialAccount
)

func (p Platform) String() string {
	switch p {
	case PlatformWeCom:
		return "WeCom (wecom.New)"
	case PlatformOfficialAccount:
		return "公众号 (wecom.NewOfficialAccount)"
	}
	return "unknown platform"
}

// PlatformError reports a call made on the wrong kind of client. It matches [ErrWrongPlatform] and,
// depending on Want, [ErrWeComOnly] or [ErrOfficialAccountOnly] with errors.Is.
type PlatformError struct {
	Call string   // e.g. "Messages.SendText"
	Want Platform // the platform the call needs
}

func (e *PlatformError) Error() string {
	return "wecom: " + e.Call + " needs a " + e.Want.String() + " client"
}

// Is makes errors.Is(err, ErrWrongPlatform) true, and ErrWeComOnly / ErrOfficialAccountOnly for
// the platform the call needs.
func (e *PlatformError) Is(target error) bool {
	switch target {
	case ErrWrongPlatform:
		return true
	case ErrWeComOnly:
		return e.Want == PlatformWeCom
	case ErrOfficialAccountOnly:
		return e.Want == PlatformOfficialAccount
	}
	return false
}

// Platform returns the kind of account c was created for. It is 0 for a nil client.
func (c *Client) Platform() Platform {
	switch {
	case c == nil:
		return 0
	case c.kind == kindOfficialAccount:
		return PlatformOfficialAccount
	}
	return PlatformWeCom
}

// Require returns nil when c was created for platform p; otherwise it returns [ErrNilClient] or a
// [*PlatformError] naming call. Packages built on the client (qrcode, oauth, smartsheet) use it to
// refuse a wrong client before sending anything.
func (c *Client) Require(p Platform, call string) error {
	if c == nil {
		return fmt.Errorf("%w (%s)", ErrNilClient, call)
	}
	if c.Platform() != p {
		return &PlatformError{Call: call, Want: p}
	}
	return nil
}
