package wecom_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
	"github.com/qiwei-go/qiwei/wecom"
)

// A WeCom app's callback URL: WeCom POSTs an encrypted message, the handler decrypts it, calls
// the MessageHandler and encrypts its passive reply. Here WeCom's side is simulated with package
// crypto so that the whole round trip runs offline.
func ExampleCallbackHandler() {
	const (
		corpID = "ww1234567890"
		token  = "QDG6eK"                                      // 接收消息 Token
		aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C" // 接收消息 EncodingAESKey
	)
	client, err := wecom.New(corpID, "app-secret", wecom.WithAgentID(1000002))
	if err != nil {
		panic(err)
	}
	handler, err := wecom.NewCallbackHandler(client, token, aesKey,
		func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
			switch {
			case m.MsgType == wecom.MsgTypeText:
				return wecom.TextReply{Content: "收到：" + m.Content}, nil
			case m.Event == wecom.EventScanCodeWaitMsg:
				return wecom.TextReply{Content: "扫到 " + m.ScanCodeInfo.ScanResult}, nil
			}
			return nil, nil // acknowledge without a reply
		})
	if err != nil {
		panic(err)
	}
	// http.Handle("/wecom/callback", handler) in a real server.

	// WeCom's side: encrypt a message, sign it, POST it.
	wecomSide, _ := wxcrypto.New(token, aesKey, corpID)
	plain := `<xml><ToUserName><![CDATA[ww1234567890]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>` +
		`<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content>` +
		`<MsgId>7000000000000000001</MsgId><AgentID>1000002</AgentID></xml>`
	sealed, _ := wecomSide.EncryptMessage([]byte(plain), "1700000000", "nonce42")
	var env struct{ Encrypt, MsgSignature, TimeStamp, Nonce string }
	_ = xml.Unmarshal(sealed, &env)
	q := url.Values{"msg_signature": {env.MsgSignature}, "timestamp": {"1700000000"}, "nonce": {"nonce42"}}
	body := "<xml><ToUserName><![CDATA[ww1234567890]]></ToUserName><Encrypt><![CDATA[" + env.Encrypt + "]]></Encrypt></xml>"
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/wecom/callback?"+q.Encode(), strings.NewReader(body)))

	// WeCom's side again: decrypt the passive reply.
	_ = xml.Unmarshal(rec.Body.Bytes(), &env)
	replyXML, err := wecomSide.DecryptMessage(env.MsgSignature, env.TimeStamp, env.Nonce, rec.Body.Bytes())
	if err != nil {
		panic(err)
	}
	reply, _ := wecom.ParseMessage(replyXML)
	fmt.Println(rec.Code, reply.MsgType, reply.ToUserName, reply.Content)

	// The same delivery again (WeCom retries when it gets no answer within 5 s) is dropped.
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/wecom/callback?"+q.Encode(), strings.NewReader(body)))
	fmt.Printf("%d %q\n", rec.Code, rec.Body.String())
	// Output:
	// 200 text zhangsan 收到：你好
	// 200 ""
}

// A 公众号 in plain mode (明文模式): URL verification echoes echostr when the signature matches.
func ExampleNewCallbackHandler_officialAccount() {
	mp, _ := wecom.NewOfficialAccount("wx0123456789abcdef", "app-secret")
	handler, _ := wecom.NewCallbackHandler(mp, "AAAAA", "", // no EncodingAESKey: plain mode only
		func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) { return nil, nil })

	q := url.Values{"signature": {"f464b24fc39322e44b38aa78f5edd27bd1441696"}, "timestamp": {"1714036504"},
		"nonce": {"1514711492"}, "echostr": {"4375120948345356249"}}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mp/callback?"+q.Encode(), nil))
	fmt.Println(rec.Code, rec.Body.String())

	q.Set("signature", wxcrypto.Signature("AAAAA", "1714036504", "1514711492")+"0")
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mp/callback?"+q.Encode(), nil))
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 200 4375120948345356249
	// 403 invalid signature
}

func ExampleParseMessage() {
	m, err := wecom.ParseMessage([]byte(`<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
<FromUserName><![CDATA[oOPENID]]></FromUserName><CreateTime>123456789</CreateTime>
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>
<EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket></xml>`))
	if err != nil {
		panic(err)
	}
	fmt.Println(m.IsEvent(), m.Event, m.EventKey, m.FromUserName)
	// Output: true subscribe qrscene_123123 oOPENID
}
