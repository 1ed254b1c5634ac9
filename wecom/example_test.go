package wecom_test

import (
	"errors"
	"fmt"

	"github.com/qiwei-go/qiwei/wecom"
)

func ExampleIsTokenExpired() {
	err := fmt.Errorf("send: %w", &wecom.APIError{Code: wecom.CodeAccessTokenExpired, Msg: "access_token expired", Path: "/cgi-bin/message/send"})
	fmt.Println(wecom.IsTokenExpired(err), wecom.IsRateLimited(err), errors.Is(err, wecom.CodeAccessTokenExpired))
	fmt.Println(err)
	// Output:
	// true false true
	// send: wecom: /cgi-bin/message/send: errcode 42001: access_token expired
}

func ExampleErrorCode() {
	err := fmt.Errorf("import: %w", &wecom.APIError{Code: wecom.CodeRateLimited, Path: "/cgi-bin/wedoc/smartsheet/add_records"})
	if wecom.IsRateLimited(err) {
		fmt.Println("back off; errcode", int(wecom.ErrorCode(err)))
	}
	// Output: back off; errcode 45009
}

// The official JS-SDK signature example (JS-SDK使用权限签名算法).
func ExampleSignJSAPI() {
	sig := wecom.SignJSAPI(
		"sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
		"Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value#fragment-is-ignored")
	fmt.Println(sig)
	// Output: 0f9de62fce790f9a083d5c99e95740ceb90c27ed
}
