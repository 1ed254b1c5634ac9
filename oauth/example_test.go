package oauth_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"time"

	"github.com/qiwei-go/qiwei/oauth"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func ExampleConfig_AuthCodeURL() {
	cfg := oauth.Config{CorpID: "ww1234567890abcdef", AgentID: 1000002,
		RedirectURL: "https://shop.example.com/oauth/callback"}
	fmt.Println(cfg.AuthCodeURL("STATE"))
	fmt.Println(cfg.WebLoginURL("STATE"))
	// Output:
	// https://open.weixin.qq.com/connect/oauth2/authorize?appid=ww1234567890abcdef&redirect_uri=https%3A%2F%2Fshop.example.com%2Foauth%2Fcallback&response_type=code&scope=snsapi_base&state=STATE&agentid=1000002#wechat_redirect
	// https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=ww1234567890abcdef&agentid=1000002&redirect_uri=https%3A%2F%2Fshop.example.com%2Foauth%2Fcallback&state=STATE
}

func ExampleMPConfig_AuthCodeURL() {
	cfg := oauth.MPConfig{AppID: "wx1234567890abcdef", RedirectURL: "https://m.example.com/mp/callback",
		Scope: oauth.ScopeUserInfo}
	fmt.Println(cfg.AuthCodeURL("STATE"))
	// Output:
	// https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1234567890abcdef&redirect_uri=https%3A%2F%2Fm.example.com%2Fmp%2Fcallback&response_type=code&scope=snsapi_userinfo&state=STATE#wechat_redirect
}

func ExampleStateSigner() {
	key := []byte("use 32 random bytes in real life!")
	issued := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	now := issued
	signer := oauth.NewStateSigner(key, 10*time.Minute).WithClock(func() time.Time { return now })

	state := signer.Issue("/p/BAG42?src=qr")
	fmt.Println(state, len(state))

	returnTo, err := signer.Verify(state)
	fmt.Println(returnTo, err)

	_, err = signer.Verify(state[:len(state)-1] + "x") // tampered
	fmt.Println(err)

	now = issued.Add(11 * time.Minute)
	_, err = signer.Verify(state)
	fmt.Println(err)

	fmt.Println(signer.Issue("//evil.example/phish") == signer.Issue("/")) // unsafe paths become "/"
	// Output:
	// 4c9ksPIeRuyNGtl0kIRF2d4dwUyDywIWCpDRkKwEnXuT6hwAS 49
	// /p/BAG42?src=qr <nil>
	// oauth: invalid state
	// oauth: state expired
	// true
}

// ExampleMiddleware signs a desktop browser in through the web login page of the fake server
// wecomtest, which approves its default member at once.
func ExampleMiddleware() {
	fake := wecomtest.NewServer()
	defer fake.Close()
	client, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(fake.URL))
	if err != nil {
		panic(err)
	}

	opts := &oauth.MiddlewareOptions{
		Client:     client,
		SessionKey: []byte("use 32 random bytes in real life!"),
		Public:     []string{"/healthz"},
	}
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/p/{code}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := oauth.IdentityFrom(r.Context())
		fmt.Fprintf(w, "product %s for %s", r.PathValue("code"), id.UserID)
	})
	app := httptest.NewServer(oauth.Middleware(mux, opts))
	defer app.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(app.URL + "/p/BAG42") // → web login → callback → /p/BAG42
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))

	resp, err = http.Get(app.URL + "/api/products/BAG42") // no cookie jar: no session
	if err != nil {
		panic(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output:
	// 200 product BAG42 for zhangsan
	// 401 {"error":"unauthorized"}
}
