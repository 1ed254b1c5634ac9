package oauth_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/oauth"
	"github.com/qiwei-go/qiwei/wecom"
)

const mockBase = "https://wecom.test"

func fixture(name string) []byte { return httpmock.File("testdata/" + name).Bytes() }

// newMocked returns a WeCom client on a per-test mock transport that already answers gettoken.
func newMocked(t testing.TB) (*wecom.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, mockBase+"/cgi-bin/gettoken",
		httpmock.NewBytesResponder(200, fixture("gettoken/ok.json")))
	c, err := wecom.New("wwCORP", "s3cret", wecom.WithAgentID(1000002), wecom.WithBaseURL(mockBase),
		wecom.WithHTTPClient(&http.Client{Transport: mt}), wecom.WithRetry(wecom.RetryPolicy{Attempts: 1}))
	require.NoError(t, err)
	return c, mt
}

// newMockedMP returns a 公众号 client on a per-test mock transport.
func newMockedMP(t *testing.T) (*wecom.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	c, err := wecom.NewOfficialAccount("wxAPP", "mpS3cret", wecom.WithBaseURL(mockBase),
		wecom.WithHTTPClient(&http.Client{Transport: mt}), wecom.WithRetry(wecom.RetryPolicy{Attempts: 1}))
	require.NoError(t, err)
	return c, mt
}

func TestExchange(t *testing.T) {
	tests := []struct {
		name    string
		code    string
		fixture string
		want    *oauth.Identity
		wantErr error
		calls   int
	}{
		{"member", "CODE", "auth_getuserinfo/member.json",
			&oauth.Identity{UserID: "USERID", UserTicket: "USER_TICKET"}, nil, 1},
		{"non-member", "CODE", "auth_getuserinfo/non_member.json",
			&oauth.Identity{OpenID: "OPENID", ExternalUserID: "EXTERNAL_USERID"}, nil, 1},
		{"invalid code", "CODE", "auth_getuserinfo/40029.json", nil, wecom.CodeInvalidOAuthCode, 1},
		{"nobody", "CODE", "auth_getuserinfo/empty.json", nil, oauth.ErrNoIdentity, 1},
		{"system busy", "CODE", "auth_getuserinfo/-1.json", nil, wecom.CodeSystemBusy, 1},
		{"empty code: no request", "", "auth_getuserinfo/member.json", nil, wecom.CodeInvalidOAuthCode, 0},
		{"over-long code: no request", strings.Repeat("c", 513), "auth_getuserinfo/member.json", nil, wecom.CodeInvalidOAuthCode, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			mt.RegisterResponder(http.MethodGet, mockBase+"/cgi-bin/auth/getuserinfo",
				func(r *http.Request) (*http.Response, error) {
					assert.Equal(t, tt.code, r.URL.Query().Get("code"))
					assert.Equal(t, "ACCESS_TOKEN", r.URL.Query().Get("access_token"))
					return httpmock.NewBytesResponse(200, fixture(tt.fixture)), nil
				})
			id, err := oauth.Exchange(t.Context(), c, tt.code)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, id)
				assert.NotContains(t, err.Error(), "ACCESS_TOKEN")
				assert.NotContains(t, err.Error(), "s3cret")
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.want, id)
				assert.Equal(t, tt.want.UserID != "", id.IsMember())
			}
			assert.Equal(t, tt.calls, mt.GetCallCountInfo()["GET "+mockBase+"/cgi-bin/auth/getuserinfo"])
		})
	}
}

func TestExchangeLegacyCamelCase(t *testing.T) {
	c, mt := newMocked(t)
	mt.RegisterResponder(http.MethodGet, mockBase+"/cgi-bin/auth/getuserinfo",
		httpmock.NewStringResponder(200, `{"errcode":0,"errmsg":"ok","UserId":"lisi","DeviceId":"d"}`))
	id, err := oauth.Exchange(t.Context(), c, "CODE")
	require.NoError(t, err)
	assert.Equal(t, "lisi", id.UserID)
}

func TestExchangeNilClient(t *testing.T) {
	_, err := oauth.Exchange(t.Context(), nil, "CODE")
	assert.Error(t, err)
	_, err = oauth.UserDetail(t.Context(), nil, "T")
	assert.Error(t, err)
	_, err = oauth.ExchangeMP(t.Context(), nil, "CODE")
	assert.Error(t, err)
	_, err = oauth.MPUserInfo(t.Context(), nil, &oauth.MPToken{AccessToken: "a", OpenID: "o"})
	assert.Error(t, err)
	_, err = oauth.RefreshMPToken(t.Context(), nil, "r")
	assert.Error(t, err)
}

func TestUserDetail(t *testing.T) {
	c, mt := newMocked(t)
	mt.RegisterResponder(http.MethodPost, mockBase+"/cgi-bin/auth/getuserdetail",
		func(r *http.Request) (*http.Response, error) {
			body, _ := io.ReadAll(r.Body)
			assert.JSONEq(t, string(fixture("auth_getuserdetail/request.json")), string(body))
			return httpmock.NewBytesResponse(200, fixture("auth_getuserdetail/ok.json")), nil
		})
	d, err := oauth.UserDetail(t.Context(), c, "USER_TICKET")
	require.NoError(t, err)
	assert.Equal(t, &oauth.UserDetailInfo{UserID: "lisi", Gender: "1", Avatar: "http://shp.qpic.cn/bizmp/xxxxxxxxxxx/0",
		QRCode: "https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=vcfc13b01dfs78e981c", Mobile: "13800000000",
		Email: "zhangsan@gzdev.com", BizMail: "zhangsan@qyycs2.wecom.work", Address: "广州市海珠区新港中路"}, d)

	_, err = oauth.UserDetail(t.Context(), c, "")
	assert.Error(t, err)
}

func TestUserDetailNumericGender(t *testing.T) {
	c, mt := newMocked(t)
	mt.RegisterResponder(http.MethodPost, mockBase+"/cgi-bin/auth/getuserdetail",
		httpmock.NewStringResponder(200, `{"errcode":0,"errmsg":"ok","userid":"u","gender":2}`))
	d, err := oauth.UserDetail(t.Context(), c, "T")
	require.NoError(t, err)
	assert.Equal(t, "2", d.Gender)
}

func TestExchangeMP(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		want    *oauth.MPToken
		wantErr error
	}{
		{"userinfo scope, snapshot user", "sns_access_token/ok.json", &oauth.MPToken{AccessToken: "WEB_ACCESS_TOKEN",
			ExpiresIn: 7200e9, RefreshToken: "REFRESH_TOKEN", OpenID: "OPENID", UnionID: "UNIONID",
			Scope: "snsapi_userinfo", IsSnapshotUser: true}, nil},
		{"base scope", "sns_access_token/base.json", &oauth.MPToken{AccessToken: "WEB_ACCESS_TOKEN",
			ExpiresIn: 7200e9, RefreshToken: "REFRESH_TOKEN", OpenID: "OPENID", Scope: "snsapi_base"}, nil},
		{"invalid code", "sns_access_token/40029.json", nil, wecom.CodeInvalidOAuthCode},
		{"code already used", "sns_access_token/40163.json", nil, wecom.CodeInvalidOAuthCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockedMP(t)
			mt.RegisterResponder(http.MethodGet, mockBase+"/sns/oauth2/access_token",
				func(r *http.Request) (*http.Response, error) {
					q := r.URL.Query()
					assert.Equal(t, "wxAPP", q.Get("appid"))
					assert.Equal(t, "mpS3cret", q.Get("secret"))
					assert.Equal(t, "CODE", q.Get("code"))
					assert.Equal(t, "authorization_code", q.Get("grant_type"))
					assert.Empty(t, q.Get("access_token"), "the base token is not sent")
					return httpmock.NewBytesResponse(200, fixture(tt.fixture)), nil
				})
			tok, err := oauth.ExchangeMP(t.Context(), c, "CODE")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), "mpS3cret")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, tok)
			for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v", *tok), fmt.Sprintf("%+v", *tok), logged(tok)} {
				assert.NotContains(t, s, "WEB_ACCESS_TOKEN")
				assert.NotContains(t, s, "REFRESH_TOKEN")
			}

			id, err := oauth.Exchange(t.Context(), c, "CODE")
			require.NoError(t, err)
			assert.Equal(t, &oauth.Identity{OpenID: "OPENID", UnionID: tt.want.UnionID}, id)
		})
	}
}

func logged(v any) string {
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "v", v)
	return b.String()
}

func TestExchangeMPCodeUsedKeepsItsCode(t *testing.T) {
	c, mt := newMockedMP(t)
	mt.RegisterResponder(http.MethodGet, mockBase+"/sns/oauth2/access_token",
		httpmock.NewBytesResponder(200, fixture("sns_access_token/40163.json")))
	_, err := oauth.ExchangeMP(t.Context(), c, "CODE")
	assert.ErrorIs(t, err, oauth.CodeOAuthCodeUsed)
	assert.ErrorIs(t, err, wecom.CodeInvalidOAuthCode)
	assert.Equal(t, oauth.CodeOAuthCodeUsed, wecom.ErrorCode(err))
	t.Log(err)
}

func TestWrongPlatformCallsSendNothing(t *testing.T) {
	wc, wmt := newMocked(t)
	mp, mmt := newMockedMP(t)
	_, err := oauth.ExchangeMP(t.Context(), wc, "CODE")
	assert.ErrorIs(t, err, wecom.ErrWrongPlatform)
	_, err = oauth.RefreshMPToken(t.Context(), wc, "R")
	assert.ErrorIs(t, err, wecom.ErrWrongPlatform)
	_, err = oauth.MPUserInfo(t.Context(), wc, &oauth.MPToken{AccessToken: "a", OpenID: "o"})
	assert.ErrorIs(t, err, wecom.ErrWrongPlatform)
	_, err = oauth.UserDetail(t.Context(), mp, "TICKET")
	assert.ErrorIs(t, err, wecom.ErrWrongPlatform)
	assert.Zero(t, wmt.GetTotalCallCount()+mmt.GetTotalCallCount(), "no HTTP request")

	for _, err := range []error{
		func() error { _, err := oauth.Exchange(t.Context(), nil, "CODE"); return err }(),
		func() error { _, err := oauth.ExchangeMP(t.Context(), nil, "CODE"); return err }(),
		func() error { _, err := oauth.UserDetail(t.Context(), nil, "T"); return err }(),
	} {
		assert.ErrorIs(t, err, wecom.ErrNilClient)
	}
}

func TestMPUserInfo(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		wantErr error
	}{
		{"ok", "sns_userinfo/ok.json", nil},
		{"base scope only", "sns_userinfo/48001.json", wecom.CodeAPIUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := newMockedMP(t)
			mt.RegisterResponder(http.MethodGet, mockBase+"/sns/userinfo",
				func(r *http.Request) (*http.Response, error) {
					q := r.URL.Query()
					assert.Equal(t, "WEB_ACCESS_TOKEN", q.Get("access_token"), "the web token, not the base token")
					assert.Equal(t, "OPENID", q.Get("openid"))
					assert.Equal(t, "zh_CN", q.Get("lang"))
					assert.Empty(t, q.Get("secret"))
					return httpmock.NewBytesResponse(200, fixture(tt.fixture)), nil
				})
			u, err := oauth.MPUserInfo(t.Context(), c, &oauth.MPToken{AccessToken: "WEB_ACCESS_TOKEN", OpenID: "OPENID"})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), "WEB_ACCESS_TOKEN")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "NICKNAME", u.Nickname)
			assert.Equal(t, "o6_bmasdasdsad6_2sgVt7hMZOPfL", u.UnionID)
			assert.Equal(t, []string{"PRIVILEGE1", "PRIVILEGE2"}, u.Privilege)
			assert.True(t, strings.HasPrefix(u.HeadImgURL, "https://thirdwx.qlogo.cn/"))
		})
	}
	c, _ := newMockedMP(t)
	_, err := oauth.MPUserInfo(t.Context(), c, &oauth.MPToken{OpenID: "o"})
	assert.Error(t, err)
}

func TestRefreshMPToken(t *testing.T) {
	c, mt := newMockedMP(t)
	mt.RegisterResponder(http.MethodGet, mockBase+"/sns/oauth2/refresh_token",
		func(r *http.Request) (*http.Response, error) {
			q := r.URL.Query()
			assert.Equal(t, "wxAPP", q.Get("appid"))
			assert.Equal(t, "refresh_token", q.Get("grant_type"))
			assert.Equal(t, "REFRESH_TOKEN", q.Get("refresh_token"))
			assert.Empty(t, q.Get("secret"), "refresh needs no secret")
			return httpmock.NewBytesResponse(200, fixture("sns_access_token/base.json")), nil
		})
	tok, err := oauth.RefreshMPToken(t.Context(), c, "REFRESH_TOKEN")
	require.NoError(t, err)
	assert.Equal(t, "OPENID", tok.OpenID)
	assert.True(t, tok.HasScope(oauth.ScopeBase))
	assert.False(t, tok.HasScope(oauth.ScopeUserInfo))
	_, err = oauth.RefreshMPToken(t.Context(), c, "")
	assert.Error(t, err)
}

func TestMPTokenHasScope(t *testing.T) {
	tok := &oauth.MPToken{Scope: "snsapi_base, snsapi_userinfo"}
	assert.True(t, tok.HasScope(oauth.ScopeUserInfo))
	assert.True(t, tok.HasScope(oauth.ScopeBase))
	assert.False(t, tok.HasScope("snsapi"))
}

func TestIdentityJSONHasNoTicket(t *testing.T) {
	b, err := json.Marshal(&oauth.Identity{UserID: "u", UserTicket: "SECRET_TICKET"})
	require.NoError(t, err)
	assert.NotContains(t, string(b), "SECRET_TICKET")
	assert.NotContains(t, logged(&oauth.Identity{UserID: "u", UserTicket: "SECRET_TICKET"}), "SECRET_TICKET")
}
