package main

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In demo mode PUBLIC_URL is the address browsers use: a phone signs in through it and the labels
// point at it, while the app still reaches its embedded fake on the listener's own address.
func TestDemoPublicURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	require.NoError(t, ln.Close())
	public := "http://localhost:" + port // another name for the listener, as a LAN address would be
	in := startDemoWith(t, options{Addr: "127.0.0.1:" + port, DemoBags: 3}, "PUBLIC_URL", public)

	phone := newBrowser(t, public)
	assert.Equal(t, "zhangsan", phone.login(t, "/"))
	st, m := phone.json(t, "POST", "/api/products", map[string]any{"name": "棕色托特包", "price": 1299, "stock": 1})
	require.Equal(t, http.StatusCreated, st, m)
	code := m["code"].(string)
	st, m = phone.json(t, "GET", "/api/products/"+code, nil)
	require.Equal(t, http.StatusOK, st, m)
	assert.True(t, strings.HasPrefix(m["url"].(string), public+"/p/"+code+"?s="), "the label: %s", m["url"])
	resp, _ := phone.raw(t, "GET", m["url"].(string), "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the label opens on the phone")
	assert.NotEmpty(t, in.app.docID, "the app reached its fake")

	t.Setenv("PUBLIC_URL", "not a url")
	err = serve(t.Context(), options{Addr: "127.0.0.1:0", DataDir: t.TempDir()}, testLogger(t), func(*instance) {
		t.Error("started with a bad PUBLIC_URL")
	})
	assert.ErrorContains(t, err, "PUBLIC_URL")
}

// Switching members in the demo is per browser: one browser becomes 李四, another is still 张三.
func TestDemoMemberPerBrowser(t *testing.T) {
	in := startDemoIn(t, t.TempDir(), 3)
	a, b := newBrowser(t, in.base), newBrowser(t, in.base)
	assert.Equal(t, "zhangsan", a.login(t, "/"))
	assert.Equal(t, "lisi", a.login(t, "/demo/login-as?user=lisi"))
	assert.Equal(t, "zhangsan", b.login(t, "/"), "the other browser is not switched")
	assert.Equal(t, "zhangsan", b.login(t, "/logout"))
	assert.Equal(t, "lisi", a.login(t, "/logout"), "signing in again keeps the browser's member")
	resp, _ := a.raw(t, "GET", "/demo/login-as?user=nobody", "", nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}
