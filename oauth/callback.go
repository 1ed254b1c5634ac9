package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/qiwei-go/qiwei/wecom"
)

// callback handles the browser coming back from WeCom or WeChat with code and state.
func (a *authenticator) callback(w http.ResponseWriter, r *http.Request, mp bool) {
	ctx := r.Context()
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	returnTo, err := a.signer.Verify(q.Get("state"))
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelInfo, "oauth: callback rejected", slog.String("reason", err.Error()))
		a.page(w, http.StatusBadRequest, "登录链接无效或已过期 · This sign-in link is invalid or has expired.",
			"重新登录 · Sign in again", "/")
		return
	}
	if id, _, _ := a.session(r); id != nil { // a reload or a second tab: already signed in
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, returnTo, http.StatusFound)
		return
	}
	code := q.Get("code")
	if code == "" { // the user declined, or closed the login page
		a.page(w, http.StatusForbidden, "登录已取消 · Sign-in was cancelled.", "重新登录 · Sign in again", returnTo)
		return
	}
	var id *Identity
	if mp {
		id, err = a.exchangeMP(ctx, code)
	} else {
		id, err = Exchange(ctx, a.o.Client, code)
	}
	var denied *deniedError
	switch {
	case errors.As(err, &denied):
		a.log.LogAttrs(ctx, slog.LevelInfo, "oauth: sign-in refused", slog.String("reason", denied.reason))
		a.page(w, http.StatusForbidden, denied.msg, "重新登录 · Sign in again", returnTo)
		return
	case errors.Is(err, wecom.CodeInvalidOAuthCode):
		a.log.LogAttrs(ctx, slog.LevelInfo, "oauth: code rejected", slog.String("err", err.Error()))
		a.page(w, http.StatusBadRequest, "登录码已失效 · This sign-in code has expired or was already used.",
			"重新登录 · Sign in again", returnTo)
		return
	case err != nil:
		a.log.LogAttrs(ctx, slog.LevelWarn, "oauth: code exchange failed", slog.String("err", err.Error()))
		a.page(w, http.StatusBadGateway, "暂时无法登录，请稍后再试 · Sign-in failed, please try again.",
			"重试 · Try again", returnTo)
		return
	}
	if !mp && !a.o.AllowNonMembers && !id.IsMember() {
		a.log.LogAttrs(ctx, slog.LevelInfo, "oauth: non-member refused", slog.String("openid", id.OpenID))
		a.page(w, http.StatusForbidden, "仅限本企业成员 · Only members of the organisation may sign in.",
			"返回 · Back", "/")
		return
	}
	if a.o.Allow != nil && !a.o.Allow(id) {
		a.log.LogAttrs(ctx, slog.LevelInfo, "oauth: identity not allowed", slog.String("userid", id.UserID),
			slog.String("openid", id.OpenID))
		a.page(w, http.StatusForbidden, "无权访问 · Your account may not use this app.", "返回 · Back", "/")
		return
	}
	exp := a.o.Now().Add(a.ttl)
	value, err := a.codec.encode(id, exp)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelError, "oauth: session cookie", slog.String("err", err.Error()))
		a.page(w, http.StatusInternalServerError, "登录失败 · Sign-in failed.", "重试 · Try again", returnTo)
		return
	}
	a.setCookie(w, r, value, exp)
	a.log.LogAttrs(ctx, slog.LevelInfo, "oauth: signed in", slog.String("userid", id.UserID),
		slog.String("openid", id.OpenID))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, returnTo, http.StatusFound)
}

// deniedError is a successful exchange whose user may not sign in (e.g. a snapshot-page user).
type deniedError struct{ reason, msg string }

func (e *deniedError) Error() string { return "oauth: sign-in denied: " + e.reason }

// exchangeMP exchanges a 公众号 code and, with snsapi_userinfo, adds the nickname and avatar.
func (a *authenticator) exchangeMP(ctx context.Context, code string) (*Identity, error) {
	t, err := ExchangeMP(ctx, a.o.MPClient, code)
	if err != nil {
		return nil, err
	}
	if t.IsSnapshotUser {
		return nil, &deniedError{reason: "snapshot page user",
			msg: "请点击“使用完整服务”后登录 · Open the full page (not the snapshot) to sign in."}
	}
	id := &Identity{OpenID: t.OpenID, UnionID: t.UnionID}
	if t.HasScope(ScopeUserInfo) {
		u, err := MPUserInfo(ctx, a.o.MPClient, t)
		if err != nil { // the openid alone is enough to sign in
			a.log.LogAttrs(ctx, slog.LevelWarn, "oauth: 公众号 userinfo failed", slog.String("err", err.Error()))
		} else {
			id.Name, id.Avatar = u.Nickname, u.HeadImgURL
			id.UnionID = orDefault(id.UnionID, u.UnionID)
		}
	}
	return id, nil
}
