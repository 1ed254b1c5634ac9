package shop

import (
	"sync"
	"time"
)

// DefaultZone is the shop's time zone unless configured: Beijing time.
const DefaultZone = "Asia/Shanghai"

// DefaultLocation returns Asia/Shanghai. The zone database comes from the system or from the
// binary (the app imports time/tzdata); without either it is a fixed UTC+8, which is the same
// (China has no daylight saving time).
var DefaultLocation = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation(DefaultZone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
})

// StartOfDay returns midnight of t's day in loc.
func StartOfDay(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}
