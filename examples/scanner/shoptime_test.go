package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// beijing is the shop's default zone.
var beijing = shop.DefaultLocation()

// clockAt returns a clock that starts at t and runs in real time.
func clockAt(t time.Time) func() time.Time {
	began := time.Now()
	return func() time.Time { return t.Add(time.Since(began)) }
}

// TestManyBagsInOneDay registers 1,200 bags on one day through the API, eight clients at once:
// every registration succeeds with its own code, and the default pattern's counter grows past 999
// (BAG20261203999 → BAG202612031000).
func TestManyBagsInOneDay(t *testing.T) {
	if testing.Short() {
		t.Skip("1,200 registrations")
	}
	in := startDemoWith(t, options{DemoBags: 30, Now: clockAt(time.Date(2026, 12, 3, 9, 0, 0, 0, beijing))})
	const clients, each = 8, 150
	codes := make(chan string, clients*each)
	var wg sync.WaitGroup
	for c := range clients {
		b := newBrowser(t, in.base)
		b.login(t, "/")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				st, m := b.json(t, "POST", "/api/products", map[string]any{"name": fmt.Sprintf("导入包 %d-%d", c, i), "price": 399, "stock": 1})
				if !assert.Equal(t, http.StatusCreated, st, m) {
					return
				}
				codes <- m["code"].(string)
			}
		}()
	}
	wg.Wait()
	close(codes)
	seen := map[string]bool{}
	for c := range codes {
		assert.False(t, seen[c], "code %s given twice", c)
		seen[c] = true
		assert.Regexp(t, `^BAG20261203\d{3,4}$`, c)
	}
	assert.Len(t, seen, clients*each)
	assert.True(t, seen["BAG20261203999"] && seen["BAG202612031000"] && seen["BAG202612031200"],
		"the counter grows a digit past 999")
}

// TestShopTimeZone runs the app as a child process on servers in other zones (the process's TZ):
// a bag registered now gets Beijing's date in its code and its sale counts in Beijing's 今日. The
// shop's clock is set to moments when the server's date differs from Beijing's.
func TestShopTimeZone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the app three times")
	}
	cases := []struct {
		tz      string
		beijing time.Time // the shop's clock at start
	}{
		// 2026-03-10 00:00:30 in Beijing is 2026-03-09 in Los Angeles (PDT) and in UTC.
		{"America/Los_Angeles", time.Date(2026, 3, 10, 0, 0, 30, 0, beijing)},
		{"UTC", time.Date(2026, 3, 10, 0, 0, 30, 0, beijing)},
		// 2026-03-10 23:30 in Beijing is already 2026-03-11 in Tokyo (UTC+9).
		{"Asia/Tokyo", time.Date(2026, 3, 10, 23, 30, 0, 0, beijing)},
	}
	for _, tc := range cases {
		t.Run(tc.tz, func(t *testing.T) {
			c := startChild(t, t.TempDir(), "TZ="+tc.tz, "SCANNER_CHILD_CLOCK="+tc.beijing.Format(time.RFC3339))
			b := newBrowser(t, c.base)
			b.login(t, "/")
			_, before := b.json(t, "GET", "/api/stats", nil)
			st, m := b.json(t, "POST", "/api/products", map[string]any{"name": "时区测试包", "price": 1299, "stock": 2})
			require.Equal(t, http.StatusCreated, st, m)
			code := m["code"].(string)
			assert.Regexp(t, `^BAG20260310\d{3}$`, code, "Beijing's date, not the server's")
			st, m = b.json(t, "POST", "/api/products/"+code+"/sell", map[string]any{})
			require.Equal(t, http.StatusOK, st, m)

			_, after := b.json(t, "GET", "/api/stats", nil)
			today := func(s map[string]any) float64 { return s["Today"].(map[string]any)["count"].(float64) }
			assert.Equal(t, today(before)+1, today(after), "the sale counts in 今日")
			daily := after["Daily"].([]any)
			last := daily[len(daily)-1].(map[string]any)
			assert.Equal(t, "2026-03-10", last["date"], "the chart's last day is Beijing's today")
			assert.Equal(t, today(after), last["count"], "今日 is that day")
			if tc.beijing.Hour() == 0 {
				// The demo's seeded sales happen 10:00–20:00: Beijing's day has just begun, so the
				// new sale is the only one. A server-zone "today" would hold yesterday evening's.
				assert.Equal(t, 1.0, today(after))
			}
			resp, _ := b.raw(t, "GET", "/labels.pdf?today=1", "", nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode, "the bag is among today's new bags")
		})
	}
}
