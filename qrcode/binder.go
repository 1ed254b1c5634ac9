package qrcode

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/wecom"
)

// Binder errors. Use errors.Is.
var (
	ErrUnknownScene = errors.New("qrcode: binding code unknown or expired")
	ErrAlreadyUsed  = errors.New("qrcode: binding code already used")
	ErrStaleCode    = errors.New("qrcode: binding code was replaced by a newer one")
)

// Binder implements "scan to bind" (扫码绑定): [Binder.Issue] creates a temporary QR_STR_SCENE code
// for an entity (a merchant, a photo batch…) and remembers scene → entity for as long as the code
// lives; [Binder.Resolve] turns the scan event back into the entity, exactly once.
//
// State lives in a [wecom.TokenStore] that is also a [wecom.CompareAndDeleter]: wecom.NewMemoryStore
// in one process, wecom/redisstore across replicas.
type Binder struct {
	t      *Tickets
	store  wecom.TokenStore
	cad    wecom.CompareAndDeleter
	prefix string
	scene  func(entityID string) string
	now    func() time.Time
}

// BinderOption configures a [Binder].
type BinderOption func(*Binder)

// WithSceneFunc sets how a scene string is derived from an entity id, e.g.
// func(id string) string { return "bind_business_" + id }. Default: "bind_" plus 16 random
// characters (unguessable, new for every code). The result must be 1–64 bytes.
func WithSceneFunc(f func(entityID string) string) BinderOption {
	return func(b *Binder) { b.scene = f }
}

// WithKeyPrefix sets the store key prefix (default "qiwei:bind:").
func WithKeyPrefix(p string) BinderOption { return func(b *Binder) { b.prefix = p } }

// WithBinderClock sets the clock (tests).
func WithBinderClock(now func() time.Time) BinderOption { return func(b *Binder) { b.now = now } }

// NewBinder returns a binder creating codes with t and keeping state in store. t must be on a
// 公众号 client: a nil or WeCom client fails here (wecom.ErrNilClient, wecom.ErrWrongPlatform).
func NewBinder(t *Tickets, store wecom.TokenStore, opts ...BinderOption) (*Binder, error) {
	if err := t.check("NewBinder"); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("qrcode: NewBinder: nil store")
	}
	cad, ok := store.(wecom.CompareAndDeleter)
	if !ok {
		return nil, errors.New("qrcode: NewBinder: store must implement wecom.CompareAndDeleter")
	}
	b := &Binder{t: t, store: store, cad: cad, prefix: "qiwei:bind:", scene: randomScene, now: time.Now}
	for _, o := range opts {
		o(b)
	}
	return b, nil
}

// Binding is an issued code.
type Binding struct {
	*Ticket
	Scene     string
	EntityID  string
	ExpiresAt time.Time
}

// Issue creates a temporary code for entityID valid for ttl and records scene → entity with the same
// lifetime. Issuing again for the same scene replaces the previous code.
func (b *Binder) Issue(ctx context.Context, entityID string, ttl time.Duration) (*Binding, error) {
	if entityID == "" || strings.ContainsRune(entityID, '\x1f') {
		return nil, errors.New("qrcode: Binder.Issue: empty or invalid entity id")
	}
	scene := b.scene(entityID)
	tk, err := b.t.Temporary(ctx, StrScene(scene), ttl)
	if err != nil {
		return nil, err
	}
	exp := b.now().Add(time.Duration(tk.ExpireSeconds) * time.Second)
	if tk.ExpireSeconds <= 0 {
		exp = b.now().Add(ttl)
	}
	val := entityID + "\x1f" + tk.Ticket + "\x1f" + strconv.FormatInt(exp.UnixMilli(), 10)
	if err := b.store.Set(ctx, b.prefix+scene, val, exp.Sub(b.now())); err != nil {
		return nil, fmt.Errorf("qrcode: Binder.Issue: store: %w", err)
	}
	// A fresh code makes the scene usable again.
	if err := b.store.Delete(ctx, b.usedKey(scene)); err != nil {
		return nil, fmt.Errorf("qrcode: Binder.Issue: store: %w", err)
	}
	return &Binding{Ticket: tk, Scene: scene, EntityID: entityID, ExpiresAt: exp}, nil
}

// Resolve returns the entity a scan event's code was issued for, and consumes the code: a second
// Resolve of the same code is [ErrAlreadyUsed]; an expired or unknown one [ErrUnknownScene]; an
// older code of a scene that was re-issued [ErrStaleCode]. A plain follow is [ErrNotScanEvent].
func (b *Binder) Resolve(ctx context.Context, e *ScanEvent) (entityID string, err error) {
	if e == nil || !e.IsScan() {
		return "", ErrNotScanEvent
	}
	key := b.prefix + e.Scene
	val, ok, err := b.store.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("qrcode: Binder.Resolve: store: %w", err)
	}
	if !ok {
		if _, used, err := b.store.Get(ctx, b.usedKey(e.Scene)); err == nil && used {
			return "", ErrAlreadyUsed
		}
		return "", ErrUnknownScene
	}
	parts := strings.Split(val, "\x1f")
	if len(parts) != 3 {
		return "", ErrUnknownScene
	}
	entity, ticket := parts[0], parts[1]
	expMs, _ := strconv.ParseInt(parts[2], 10, 64)
	exp := time.UnixMilli(expMs)
	if !b.now().Before(exp) {
		return "", ErrUnknownScene
	}
	if e.Ticket != "" && e.Ticket != ticket {
		return "", ErrStaleCode
	}
	deleted, err := b.cad.CompareAndDelete(ctx, key, val)
	if err != nil {
		return "", fmt.Errorf("qrcode: Binder.Resolve: store: %w", err)
	}
	if !deleted {
		return "", ErrAlreadyUsed // a concurrent Resolve won
	}
	if ttl := exp.Sub(b.now()); ttl > 0 {
		_ = b.store.Set(ctx, b.usedKey(e.Scene), ticket, ttl)
	}
	return entity, nil
}

func (b *Binder) usedKey(scene string) string { return b.prefix + "used:" + scene }

const sceneAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomScene(string) string {
	var r [16]byte
	_, _ = rand.Read(r[:])
	for i := range r {
		r[i] = sceneAlphabet[int(r[i])%len(sceneAlphabet)]
	}
	return "bind_" + string(r[:])
}
