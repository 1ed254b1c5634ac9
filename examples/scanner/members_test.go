package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// Member names are learnt from WeCom (读取成员) in the background, kept in the store, and shown in
// place of userids; actors that are not members are never looked up.
func TestMemberNames(t *testing.T) {
	fake := wecomtest.NewServer(wecomtest.WithMember(wecomtest.Member{UserID: "zhaoliu", Name: "赵六"}))
	t.Cleanup(fake.Close)
	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
		wecom.WithBaseURL(fake.URL))
	require.NoError(t, err)
	st := storetest.Open(t, store.SQLite)
	m, err := newMembers(t.Context(), st, wc, map[string]string{"zhangsan": "张三"}, testLogger(t))
	require.NoError(t, err)

	assert.Equal(t, "张三", m.Display("zhangsan"))
	assert.Equal(t, "zhaoliu", m.Display("zhaoliu"), "not known yet: the userid")
	m.Learn("zhaoliu")
	m.Learn("表格") // an actor that is no member: no lookup
	m.Learn("nobody")
	require.Eventually(t, func() bool { return m.Name("zhaoliu") == "赵六" }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, "", m.Name("表格"))
	require.Eventually(t, func() bool { // the failed lookup of "nobody" has ended too
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.busy) == 0 && !m.tried["nobody"].IsZero()
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, "nobody", m.Display("nobody"))

	again, err := newMembers(t.Context(), st, wc, nil, testLogger(t))
	require.NoError(t, err)
	assert.Equal(t, "赵六", again.Display("zhaoliu"), "kept in the store")
	assert.Equal(t, "张三", again.Display("zhangsan"))
}
