package crypto_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	wxcrypto "github.com/qiwei-go/qiwei/crypto"
)

// The configuration of test vector C (from WxJava's WxCryptUtilTest; see testdata/vectors.json).
const (
	token          = "pamtest"
	encodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	appID          = "wxb11529c136998cb6"
)

func ExampleNew() {
	c, err := wxcrypto.New(token, encodingAESKey, appID)
	fmt.Println(c != nil, err)

	_, err = wxcrypto.New(token, "not-43-characters", appID)
	fmt.Println(errors.Is(err, wxcrypto.ErrInvalidKey), wxcrypto.Code(err))
	// Output:
	// true <nil>
	// true -40004
}

func ExampleCryptor_EncryptMessage() {
	// A fixed random prefix makes the output reproducible; never do this in production.
	c, err := wxcrypto.New(token, encodingAESKey, appID,
		wxcrypto.WithRandom(strings.NewReader("aaaabbbbccccdddd")))
	if err != nil {
		panic(err)
	}
	reply, err := c.EncryptMessage([]byte("我是中文abcd123"), "1409304348", "xxxxxx")
	if err != nil {
		panic(err)
	}
	fmt.Println(string(reply))
	// Output:
	// <xml>
	// <Encrypt><![CDATA[jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==]]></Encrypt>
	// <MsgSignature><![CDATA[82c962d39941aa48552f90ef55aa323dc620cc10]]></MsgSignature>
	// <TimeStamp>1409304348</TimeStamp>
	// <Nonce><![CDATA[xxxxxx]]></Nonce>
	// </xml>
}

func ExampleCryptor_DecryptMessage() {
	c, err := wxcrypto.New(token, encodingAESKey, appID)
	if err != nil {
		panic(err)
	}
	// A POST body as a 公众号 in safe mode sends it; the query carries the other three values.
	body := []byte(`<xml>
    <ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>
    <Encrypt><![CDATA[jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==]]></Encrypt>
</xml>`)
	plain, err := c.DecryptMessage("82c962d39941aa48552f90ef55aa323dc620cc10", "1409304348", "xxxxxx", body)
	fmt.Println(string(plain), err)

	_, err = c.DecryptMessage("82c962d39941aa48552f90ef55aa323dc620cc10", "1409304349", "xxxxxx", body)
	fmt.Println(errors.Is(err, wxcrypto.ErrInvalidSignature), wxcrypto.Code(err))
	// Output:
	// 我是中文abcd123 <nil>
	// true -40001
}

func ExampleCryptor_VerifyURL() {
	c, err := wxcrypto.New(token, encodingAESKey, appID)
	if err != nil {
		panic(err)
	}
	const echoStr = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
	echo, err := c.VerifyURL("82c962d39941aa48552f90ef55aa323dc620cc10", "1409304348", "xxxxxx", echoStr)
	fmt.Println(string(echo), err) // respond with exactly these bytes
	// Output: 我是中文abcd123 <nil>
}

func ExampleVerifyPlain() {
	// 公众号 plain mode: GET /wx?signature=...&timestamp=...&nonce=...&echostr=...
	ok := wxcrypto.VerifyPlain("AAAAA", "899cf89e464efb63f54ddac96b0a0a235f53aa78", "1714037059", "486452656")
	fmt.Println(ok)
	// Output: true
}

func ExampleSignature() {
	// 3 parts: the 公众号 plain-mode signature; 4 parts: msg_signature over the Encrypt text.
	fmt.Println(wxcrypto.Signature("test", "1410685589", "test"))
	fmt.Println(wxcrypto.Signature(token, "1409304348", "xxxxxx",
		"jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="))
	// Output:
	// f21891de399b4e33a1a93c9a7b8a8fffb5a443ff
	// 82c962d39941aa48552f90ef55aa323dc620cc10
}

func ExampleCode() {
	err := fmt.Errorf("callback: %w", wxcrypto.ErrReceiverMismatch)
	fmt.Println(wxcrypto.Code(err), wxcrypto.Code(nil))
	// Output: -40005 0
}

func ExampleCryptor_DecryptJSON() {
	// The WeCom AI bot (智能机器人) has an empty ReceiveId.
	c, err := wxcrypto.New(token, encodingAESKey, "")
	if err != nil {
		panic(err)
	}
	// Simulate the bot's callback with the package itself.
	reply, err := c.EncryptJSON([]byte(`{"msgtype":"text","text":{"content":"hi"}}`), "1700000000", "n1")
	if err != nil {
		panic(err)
	}
	var env struct{ MsgSignature, Timestamp, Nonce string }
	if err := json.Unmarshal(reply, &env); err != nil {
		panic(err)
	}
	plain, err := c.DecryptJSON(env.MsgSignature, env.Timestamp, env.Nonce, reply)
	fmt.Println(string(plain), err)
	// Output: {"msgtype":"text","text":{"content":"hi"}} <nil>
}

// A complete callback endpoint for a WeCom app: URL verification (GET) and messages (POST).
func Example_callbackHandler() {
	c, err := wxcrypto.New(token, encodingAESKey, "ww0123456789abcdef")
	if err != nil {
		panic(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query() // proper query decoding keeps '+' in the base64 echostr
		sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
		if r.Method == http.MethodGet {
			echo, err := c.VerifyURL(sig, ts, nonce, q.Get("echostr"))
			if err != nil {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
			w.Write(echo)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		plain, err := c.DecryptMessage(sig, ts, nonce, body)
		if err != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		var msg struct{ FromUserName, Content string }
		if err := xml.Unmarshal(plain, &msg); err != nil {
			http.Error(w, "bad message", http.StatusBadRequest)
			return
		}
		fmt.Printf("%s says %q\n", msg.FromUserName, msg.Content)
		w.WriteHeader(http.StatusOK) // empty 200: acknowledged, reply later via message/send
	})

	// WeCom's side, simulated with the same Cryptor.
	deliver := func(method, plaintext string) *httptest.ResponseRecorder {
		env, err := c.EncryptMessage([]byte(plaintext), "1700000000", "1320562132")
		if err != nil {
			panic(err)
		}
		var e struct{ Encrypt, MsgSignature string }
		if err := xml.Unmarshal(env, &e); err != nil {
			panic(err)
		}
		q := url.Values{"msg_signature": {e.MsgSignature}, "timestamp": {"1700000000"}, "nonce": {"1320562132"}}
		var body io.Reader
		if method == http.MethodGet {
			q.Set("echostr", e.Encrypt)
		} else {
			body = strings.NewReader(string(env))
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(method, "/callback?"+q.Encode(), body))
		return rec
	}

	rec := deliver(http.MethodGet, "8472936482938472")
	fmt.Println(rec.Code, rec.Body.String())
	rec = deliver(http.MethodPost, "<xml><FromUserName><![CDATA[zhangsan]]></FromUserName><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>")
	fmt.Println(rec.Code)
	// Output:
	// 200 8472936482938472
	// zhangsan says "你好"
	// 200
}
