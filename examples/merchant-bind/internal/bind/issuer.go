package bind

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/wecom"
)

// ScenePrefix starts the scene string of every binding code: bind_business_<merchant id>.
const ScenePrefix = "bind_business_"

// Scene returns the scene string of a merchant's binding codes.
func Scene(merchantID int64) string { return ScenePrefix + strconv.FormatInt(merchantID, 10) }

// ParseScene returns the merchant id of a binding scene.
func ParseScene(scene string) (int64, bool) {
	rest, ok := strings.CutPrefix(scene, ScenePrefix)
	if !ok || rest == "" || rest[0] == '0' || rest[0] == '+' {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// Issued is a freshly created QR code.
type Issued struct {
	Scene     string
	Ticket    string
	URL       string // the QR code's content
	ExpiresAt time.Time
}

// Issuer creates binding QR codes. [BinderIssuer] is the real one.
type Issuer interface {
	Issue(ctx context.Context, merchantID int64, ttl time.Duration) (*Issued, error)
	// ImageURL returns the showqrcode link of a ticket.
	ImageURL(ticket string) string
}

// Consumer is told about a successful binding, after the database commit. [BinderIssuer] consumes
// its mirrored code there.
type Consumer interface {
	Consume(ctx context.Context, ev *qrcode.ScanEvent) error
}

// BinderIssuer issues codes with a [qrcode.Binder] on a 公众号 client.
type BinderIssuer struct {
	b     *qrcode.Binder
	mpWeb string
}

// NewBinderIssuer returns an issuer whose Binder keeps its mirror in store (a wecom.MemoryStore, or
// redisstore when several replicas run).
func NewBinderIssuer(c *wecom.Client, store wecom.TokenStore, now func() time.Time) (*BinderIssuer, error) {
	if now == nil {
		now = time.Now
	}
	b, err := qrcode.NewBinder(qrcode.NewTickets(c), store,
		qrcode.WithSceneFunc(func(id string) string { return ScenePrefix + id }),
		qrcode.WithKeyPrefix("code:"), qrcode.WithBinderClock(now))
	if err != nil {
		return nil, err
	}
	return &BinderIssuer{b: b, mpWeb: c.BaseURL(wecom.HostMPWeb)}, nil
}

// Issue implements [Issuer].
func (i *BinderIssuer) Issue(ctx context.Context, merchantID int64, ttl time.Duration) (*Issued, error) {
	bd, err := i.b.Issue(ctx, strconv.FormatInt(merchantID, 10), ttl)
	if err != nil {
		return nil, fmt.Errorf("bind: create QR code: %w", err)
	}
	return &Issued{Scene: bd.Scene, Ticket: bd.Ticket.Ticket, URL: bd.URL, ExpiresAt: bd.ExpiresAt}, nil
}

// ImageURL implements [Issuer].
func (i *BinderIssuer) ImageURL(ticket string) string {
	return i.mpWeb + "/cgi-bin/showqrcode?ticket=" + url.QueryEscape(ticket)
}

// Consume implements [Consumer]: the Binder's mirror of the code is resolved once.
func (i *BinderIssuer) Consume(ctx context.Context, ev *qrcode.ScanEvent) error {
	_, err := i.b.Resolve(ctx, ev)
	return err
}
