package wecomtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// A fake WeCom on a loopback port, called with plain net/http: gettoken, then an API call.
func ExampleNewServer() {
	srv := wecomtest.NewServer()
	defer srv.Close()

	q := url.Values{"corpid": {wecomtest.DefaultCorpID}, "corpsecret": {wecomtest.DefaultSecret}}
	resp, err := http.Get(srv.URL + "/cgi-bin/gettoken?" + q.Encode())
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var tok struct {
		ErrCode     int    `json:"errcode"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		panic(err)
	}
	fmt.Println("errcode:", tok.ErrCode, "expires_in:", tok.ExpiresIn, "token issued:", tok.AccessToken != "")
	fmt.Println("gettoken calls:", srv.Calls("GET /cgi-bin/gettoken"))
	// Output:
	// errcode: 0 expires_in: 7200 token issued: true
	// gettoken calls: 1
}

// getJSON GETs a URL and decodes the JSON answer into v.
func getJSON(u string, v any) {
	resp, err := http.Get(u)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		panic(err)
	}
}

// ExpireTokens makes the next call with an old token fail with 42001, to exercise refresh paths.
func ExampleHandler_ExpireTokens() {
	srv := wecomtest.NewServer()
	defer srv.Close()
	token := func() string {
		var r struct {
			AccessToken string `json:"access_token"`
		}
		getJSON(srv.URL+"/cgi-bin/gettoken?corpid="+wecomtest.DefaultCorpID+"&corpsecret="+wecomtest.DefaultSecret, &r)
		return r.AccessToken
	}
	errcode := func(tok string) int {
		var r struct {
			ErrCode int `json:"errcode"`
		}
		getJSON(srv.URL+"/cgi-bin/get_jsapi_ticket?access_token="+url.QueryEscape(tok), &r)
		return r.ErrCode
	}
	tok := token()
	fmt.Println(errcode(tok))
	srv.ExpireTokens()
	fmt.Println(errcode(tok))
	fmt.Println(errcode(token()))
	// Output:
	// 0
	// 42001
	// 0
}

// InjectFault makes the next call of an endpoint fail, e.g. with errcode -1 (系统繁忙).
func ExampleHandler_InjectFault() {
	srv := wecomtest.NewServer()
	defer srv.Close()
	if err := srv.InjectFault("GET /cgi-bin/gettoken", 1, wecomtest.ErrCodeFault(-1)); err != nil {
		panic(err)
	}
	for range 2 {
		var r struct {
			ErrCode int `json:"errcode"`
		}
		getJSON(srv.URL+"/cgi-bin/gettoken?corpid="+wecomtest.DefaultCorpID+"&corpsecret="+wecomtest.DefaultSecret, &r)
		fmt.Println(r.ErrCode)
	}
	// Output:
	// -1
	// 0
}

// SimulateScan needs a QR ticket the app created with qrcode/create; an unknown scene is an error.
func ExampleHandler_SimulateScan() {
	srv := wecomtest.NewServer()
	defer srv.Close()
	_, err := srv.SimulateScan(context.Background(), wecomtest.DefaultOpenID, "no-such-scene", false)
	fmt.Println(err)
	// Output: wecomtest: no valid QR ticket for this scene
}
