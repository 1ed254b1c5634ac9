package wecom_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"time"

	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// The first thing most apps do: create a client for the app (corp id, app secret, agent id) and
// send a text message to members. Here the client talks to a wecomtest fake; in production drop
// WithBaseURL. The client fetches and caches the access token itself.
func ExampleMessageService_SendText() {
	srv := wecomtest.NewServer()
	defer srv.Close()

	client, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.Messages().SendText(context.Background(), &wecom.SendTextRequest{
		Recipients: wecom.ToUsers("zhangsan", "nobody"),
		Content:    "BAG-001 已售出，库存 2",
	})
	if err != nil {
		log.Fatal(err)
	}
	// errcode 0 even when some recipients are unknown: check the result.
	fmt.Println("all delivered:", res.AllDelivered(), "invalid:", res.InvalidUsers)
	sent := srv.Messages(wecomtest.MessageApp)
	fmt.Println(sent[0].ToUser, sent[0].MsgType, sent[0].Content)
	// Output:
	// all delivered: false invalid: [nobody]
	// zhangsan|nobody text BAG-001 已售出，库存 2
}

// Do calls any endpoint, wrapped by the SDK or not: it adds the access token, decodes errcode
// into a typed error and the rest of the answer into out.
func ExampleClient_Do() {
	srv := wecomtest.NewServer()
	defer srv.Close()
	client, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	var member struct {
		UserID string `json:"userid"`
		Name   string `json:"name"`
	}
	err = client.Do(ctx, &wecom.Request{Path: "/cgi-bin/user/get", Query: url.Values{"userid": {"zhangsan"}}}, &member)
	fmt.Println(member.UserID, member.Name, err)

	err = client.Do(ctx, &wecom.Request{Path: "/cgi-bin/user/get", Query: url.Values{"userid": {"ghost"}}}, nil)
	var apiErr *wecom.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("errcode", int(apiErr.Code), "at", apiErr.Path)
	}
	// Output:
	// zhangsan 张三 <nil>
	// errcode 60111 at /cgi-bin/user/get
}

// JSSDKConfig signs a page for wx.config and wx.agentConfig; serve the result as JSON to the page,
// which passes it to the JS-SDK before calling, say, scanQRCode. The URL is the page's location.href
// without #fragment.
func ExampleClient_JSSDKConfig() {
	srv := wecomtest.NewServer()
	defer srv.Close()
	now := time.Date(2026, 5, 16, 10, 0, 0, 0, time.UTC)
	client, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL),
		wecom.WithClock(func() time.Time { return now })) // a fixed timestamp, for the output below
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	const page = "https://shop.example.com/p/BAG-001?from=scan"
	cfg, err := client.JSSDKConfig(ctx, page, "scanQRCode")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Config.AppID, cfg.Config.Timestamp, cfg.Config.Beta, cfg.Config.JSAPIList)
	fmt.Println(cfg.AgentConfig.AgentID, cfg.AgentConfig.JSAPIList)

	// The signature is SignJSAPI over the cached jsapi_ticket, the nonce, the timestamp and the URL.
	ticket, _ := client.JSAPITicket(ctx)
	fmt.Println(cfg.Config.Signature == wecom.SignJSAPI(ticket, cfg.Config.NonceStr, cfg.Config.Timestamp, page))

	_, err = client.JSSDKConfig(ctx, "/p/BAG-001", "scanQRCode")
	fmt.Println(errors.Is(err, wecom.ErrInvalidRequest))
	// Output:
	// ww1234567890abcdef 1778925600 true [scanQRCode]
	// 1000002 [scanQRCode]
	// true
	// true
}
