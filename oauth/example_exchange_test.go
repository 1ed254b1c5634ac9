package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"time"

	"github.com/qiwei-go/qiwei/oauth"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// The in-app login of a WeCom member: send the browser to AuthCodeURL with a signed state; WeCom
// redirects it back with a code; check the state and Exchange the code for the member's UserID.
// Here WeCom is a wecomtest fake whose authorize page approves its default member at once, and a
// plain http.Client plays the browser.
func ExampleExchange() {
	srv := wecomtest.NewServer()
	defer srv.Close()
	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	// The callback URL must be on the app's trusted domain (可信域名); the fake trusts its own host.
	cfg := oauth.NewConfig(wc, srv.URL+"/oauth/callback")
	states := oauth.NewStateSigner([]byte("use 32 random bytes in real life!"), 10*time.Minute)

	// The browser follows AuthCodeURL; WeCom answers with a redirect to the callback.
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(cfg.AuthCodeURL(states.Issue("/p/BAG-001")))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	callback, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		log.Fatal(err)
	}

	// The callback handler: verify the state, then exchange the code (once: codes are single-use).
	returnTo, err := states.Verify(callback.Query().Get("state"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	id, err := oauth.Exchange(ctx, wc, callback.Query().Get("code"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(callback.Path, returnTo, id.UserID, id.IsMember())

	_, err = oauth.Exchange(ctx, wc, callback.Query().Get("code"))
	fmt.Println(errors.Is(err, wecom.CodeInvalidOAuthCode))
	// Output:
	// /oauth/callback /p/BAG-001 zhangsan true
	// true
}
