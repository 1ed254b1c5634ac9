package wecomtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/qiwei-go/qiwei/wecom"
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

// A member edits the smart sheet an app created, as in the WeCom client: the app's callback gets
// smart_sheet_change with the record ids, and reads the records back.
func ExampleHandler_EditRecordsAsMember() {
	srv := wecomtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	client, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	call := func(path string, body, out any) {
		if err := client.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/wedoc/" + path, Body: body}, out); err != nil {
			panic(err)
		}
	}

	// The app's callback URL (接收消息服务器), registered with the fake.
	events := make(chan *wecom.Message, 1)
	handler, err := wecom.NewCallbackHandler(client, wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey,
		func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
			events <- m
			return nil, nil
		})
	if err != nil {
		panic(err)
	}
	app := httptest.NewServer(handler)
	defer app.Close()
	if err := srv.SetAppCallback(wecomtest.DefaultAgentID, wecomtest.CallbackConfig{URL: app.URL,
		Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey}); err != nil {
		panic(err)
	}

	// The app creates a smart sheet: a document, a sub-sheet 商品 (add_sheet: no fields), two fields,
	// one record.
	var doc struct {
		DocID string `json:"docid"`
	}
	call("create_doc", map[string]any{"doc_type": 10, "doc_name": "箱包库存"}, &doc)
	var sheet struct {
		Properties struct {
			SheetID string `json:"sheet_id"`
		} `json:"properties"`
	}
	call("smartsheet/add_sheet", map[string]any{"docid": doc.DocID, "properties": map[string]any{"title": "商品"}}, &sheet)
	call("smartsheet/add_fields", map[string]any{"docid": doc.DocID, "sheet_id": sheet.Properties.SheetID, "fields": []any{
		map[string]any{"field_title": "产品编码", "field_type": "FIELD_TYPE_TEXT"},
		map[string]any{"field_title": "售价", "field_type": "FIELD_TYPE_NUMBER", "property_number": map[string]any{"decimal_places": 0}},
	}}, nil)
	var added struct {
		Records []struct {
			RecordID string `json:"record_id"`
		} `json:"records"`
	}
	call("smartsheet/add_records", map[string]any{"docid": doc.DocID, "sheet_id": sheet.Properties.SheetID, "records": []any{
		map[string]any{"values": map[string]any{"产品编码": []any{map[string]any{"type": "text", "text": "BAG-1"}}, "售价": 1299}},
	}}, &added)

	// 张三 changes the price in the WeCom client.
	err = srv.EditRecordsAsMember(ctx, wecomtest.DefaultUserID, doc.DocID, "商品", []wecomtest.MemberEdit{
		{RecordID: added.Records[0].RecordID, Values: map[string]any{"售价": 1199.0}},
	})
	if err != nil {
		panic(err)
	}
	e := <-events
	fmt.Println(e.Event, e.ChangeType, "by", e.FromUserName, "records:", len(e.RecordIDs))

	var got struct {
		Records []struct {
			Values      map[string]any `json:"values"`
			UpdaterName string         `json:"updater_name"`
		} `json:"records"`
	}
	call("smartsheet/get_records", map[string]any{"docid": e.DocID, "sheet_id": e.SheetID, "record_ids": e.RecordIDs}, &got)
	fmt.Println(got.Records[0].Values["售价"], got.Records[0].UpdaterName)
	// Output:
	// smart_sheet_change update_record by zhangsan records: 1
	// 1199 张三
}

// The OAuth pages redirect only to the app's trusted domains (可信域名). By default that is the fake's
// own host, so a demo that mounts the fake is no open redirect.
func ExampleApp_trustedDomains() {
	srv := wecomtest.NewServer(wecomtest.WithApp(wecomtest.App{AgentID: wecomtest.DefaultAgentID,
		Secret: wecomtest.DefaultSecret, TrustedDomains: []string{"shop.example.com"}}))
	defer srv.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, redirect := range []string{"https://shop.example.com/oauth/callback", "https://evil.example/"} {
		q := url.Values{"appid": {wecomtest.DefaultCorpID}, "redirect_uri": {redirect}, "response_type": {"code"},
			"scope": {"snsapi_base"}, "state": {"s1"}, "agentid": {fmt.Sprint(wecomtest.DefaultAgentID)}}
		resp, err := noFollow.Get(srv.URL + "/connect/oauth2/authorize?" + q.Encode())
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		loc, _ := resp.Location()
		host := ""
		if loc != nil {
			host = loc.Host
		}
		fmt.Println(resp.StatusCode, host)
	}
	// Output:
	// 302 shop.example.com
	// 400
}
