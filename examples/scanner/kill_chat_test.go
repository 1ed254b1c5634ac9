package main

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// TestKill9WithChatMessagesInTheInbox runs the app as a child process while three members register
// bags by chat ("名称 ¥1299 #", through the demo's fake WeCom and the encrypted callback), and kills
// it with SIGKILL right after a random acknowledged message. After a restart every acknowledged
// registration is in the store exactly once, whether it was handled before the kill or after the
// restart, and nothing is left waiting.
func TestKill9WithChatMessagesInTheInbox(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the app")
	}
	dir := t.TempDir()
	c := startChild(t, dir)
	killAt := int64(5 + rand.IntN(25))
	var (
		mu    sync.Mutex
		acked []string
		n     atomic.Int64
		wg    sync.WaitGroup
	)
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, member := range []string{"zhangsan", "lisi", "wangwu"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				name := "崩溃测试包" + member + letters(i)
				resp, err := hc.PostForm(c.base+"/demo/chat", url.Values{"user": {member}, "text": {name + " ¥1299 #"}})
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
				if n.Add(1) == killAt {
					c.kill()
				}
			}
		}()
	}
	wg.Wait()
	c.kill()
	st, err := store.Open(t.Context(), filepath.Join(dir, "scanner.db"))
	require.NoError(t, err)
	defer st.Close()
	waiting, _, err := st.InboxCounts(t.Context())
	require.NoError(t, err)
	t.Logf("killed after %d acknowledged chat registrations, %d messages waiting in the inbox", killAt, waiting)

	startChild(t, dir)
	waitInbox(t, st)
	ps, _, err := st.Search(context.Background(), shop.Query{Text: "崩溃测试包", Limit: 1000})
	require.NoError(t, err)
	count := map[string]int{}
	for _, p := range ps {
		count[p.Name]++
	}
	for name, k := range count {
		assert.Equal(t, 1, k, "%s registered once", name)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d acknowledged, %d bags registered", len(acked), len(ps))
	require.GreaterOrEqual(t, len(acked), int(killAt))
	for _, name := range acked {
		assert.Equal(t, 1, count[name], "acknowledged registration %s kept", name)
	}
	_, failed, err := st.InboxCounts(t.Context())
	require.NoError(t, err)
	assert.Zero(t, failed)
}

// letters spells i in the letters a–z (0 → "a", 26 → "ba"): names without digits, which the chat
// would read as a price or a quantity.
func letters(i int) string {
	var b strings.Builder
	for {
		b.WriteByte(byte('a' + i%26))
		i /= 26
		if i == 0 {
			break
		}
	}
	r := []byte(b.String())
	for l, h := 0, len(r)-1; l < h; l, h = l+1, h-1 {
		r[l], r[h] = r[h], r[l]
	}
	return string(r)
}
