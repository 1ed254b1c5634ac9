package qrcode_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// A 公众号 parametric QR code: create a temporary ticket for a scene, show its image, and read the
// scene back from the subscribe or SCAN event the 公众号 pushes when someone scans it. Here the
// 公众号 is a wecomtest fake, and SimulateScan plays the WeChat user.
func ExampleTickets() {
	srv := wecomtest.NewServer()
	defer srv.Close()
	mp, err := wecom.NewOfficialAccount(wecomtest.DefaultAppID, wecomtest.DefaultAppSecret, wecom.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	ticket, err := qrcode.NewTickets(mp).Temporary(ctx, qrcode.StrScene("shop_42"), 24*time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ticket.ExpireSeconds, strings.HasPrefix(ticket.ImageURL(), srv.URL+"/cgi-bin/showqrcode?ticket="))

	// The 公众号's callback URL: decrypt the event and parse it.
	events := make(chan *qrcode.ScanEvent, 2)
	handler, err := wecom.NewCallbackHandler(mp, wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey,
		func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
			if ev, err := qrcode.ParseScanEvent(m.Raw); err == nil {
				events <- ev
			}
			return nil, nil
		})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(handler)
	defer app.Close()
	err = srv.SetOfficialAccountCallback(wecomtest.CallbackConfig{URL: app.URL, Token: wecomtest.DefaultCallbackToken,
		EncodingAESKey: wecomtest.DefaultEncodingAESKey, Mode: wecomtest.ModeSafe})
	if err != nil {
		log.Fatal(err)
	}

	// A new user scans (subscribe event), then scans again as a follower (SCAN event).
	for _, following := range []bool{false, true} {
		if _, err := srv.SimulateScan(ctx, wecomtest.DefaultOpenID, "shop_42", following); err != nil {
			log.Fatal(err)
		}
		ev := <-events
		fmt.Println(ev.Scene, ev.NewFollower, ev.OpenID == wecomtest.DefaultOpenID, ev.Ticket == ticket.Ticket)
	}
	// Output:
	// 86400 true
	// shop_42 true true true
	// shop_42 false true true
}
