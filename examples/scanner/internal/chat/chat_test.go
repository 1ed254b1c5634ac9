package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
	"github.com/qiwei-go/qiwei/qrcode"
)

// chatEnv is a flow on a fresh SQLite store whose downloader serves generated pictures by media id.
type chatEnv struct {
	st     *store.Store
	flow   *Flow
	mu     sync.Mutex
	media  map[string][]byte
	gets   map[string]int
	msgSeq int
}

func newChatEnv(t *testing.T) *chatEnv {
	t.Helper()
	return newChatEnvOn(t, store.SQLite)
}

func newChatEnvOn(t *testing.T, d store.Dialect) *chatEnv {
	t.Helper()
	e := &chatEnv{st: storetest.Open(t, d), media: map[string][]byte{}, gets: map[string]int{}}
	e.flow = e.newFlow(e.st)
	return e
}

func (e *chatEnv) newFlow(d Drafts) *Flow {
	svc := shop.NewService(e.st, shop.Options{})
	return New(svc, d, e.download, func(code string) string { return "https://shop.example/labels/" + code }, nil)
}

func (e *chatEnv) download(_ context.Context, id string) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.gets[id]++
	if b, ok := e.media[id]; ok {
		return b, nil
	}
	return nil, errors.New("media expired (42001)")
}

// picture registers a distinct picture under media id.
func (e *chatEnv) picture(t *testing.T, id string) {
	t.Helper()
	png, err := qrcode.PNG("bag photo "+id, 96)
	require.NoError(t, err)
	e.mu.Lock()
	e.media[id] = png
	e.mu.Unlock()
}

func (e *chatEnv) say(t *testing.T, user, text string) string {
	t.Helper()
	return e.send(t, Message{From: user, Type: "text", Content: text})
}

func (e *chatEnv) photo(t *testing.T, user, id string) string {
	t.Helper()
	return e.send(t, Message{From: user, Type: "image", MediaID: id})
}

func (e *chatEnv) send(t *testing.T, m Message) string {
	t.Helper()
	if m.MsgID == "" {
		e.msgSeq++
		m.MsgID = strconv.Itoa(e.msgSeq)
	}
	r, err := e.flow.Handle(t.Context(), m)
	require.NoError(t, err)
	return r
}

func (e *chatEnv) products(t *testing.T) []shop.Product {
	t.Helper()
	ps, _, err := e.st.Search(t.Context(), shop.Query{Limit: 100})
	require.NoError(t, err)
	return ps
}

// Three photos, then "¥1,299 #" → one bag at ¥1299 with the three photos (SQLite and PostgreSQL).
func TestChatThreePhotosAndPriceWithHash(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(fmt.Sprint(d), func(t *testing.T) { threePhotosAndPrice(t, newChatEnvOn(t, d)) })
	}
}

func threePhotosAndPrice(t *testing.T, e *chatEnv) {
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("M%d", i)
		e.picture(t, id)
		reply := e.photo(t, "lisi", id)
		assert.Contains(t, reply, fmt.Sprintf("已收到第 %d 张照片", i))
		assert.Contains(t, reply, fmt.Sprintf("目前：名称 未填｜价格 未填｜照片 %d 张", i))
	}
	reply := e.say(t, "lisi", "¥1,299 #")
	assert.Contains(t, reply, "已入库：新品 ")
	assert.Contains(t, reply, "售价 ¥1,299.00，照片 3 张")
	assert.Contains(t, reply, "https://shop.example/labels/BAG")
	ps := e.products(t)
	require.Len(t, ps, 1)
	assert.Equal(t, shop.Yuan(1299), ps[0].Price)
	require.Len(t, ps[0].Photos, 3, "every photo is kept")
	for _, id := range ps[0].Photos {
		img, ct, err := e.st.Photo(t.Context(), id)
		require.NoError(t, err)
		assert.Equal(t, "image/jpeg", ct)
		assert.NotEmpty(t, img)
		thumb, err := e.st.Thumb(t.Context(), id)
		require.NoError(t, err)
		assert.NotEmpty(t, thumb)
	}
	assert.Equal(t, 1, e.gets["M1"], "downloaded once, on receipt")
	assert.Contains(t, e.say(t, "lisi", "#"), "还没有价格", "the draft is gone")
}

func TestChatStepByStep(t *testing.T) {
	e := newChatEnv(t)
	e.picture(t, "M1")
	assert.Contains(t, e.say(t, "lisi", "#"), "还没有价格")
	assert.Contains(t, e.photo(t, "lisi", "M1"), "第 1 张")
	assert.Contains(t, e.photo(t, "lisi", "M1"), "这张照片和第 1 张相同，未重复添加", "the same picture twice")
	reply := e.say(t, "lisi", "1299")
	assert.Contains(t, reply, "价格 ¥1,299.00 已记录。")
	assert.Contains(t, reply, "目前：名称 未填｜价格 ¥1,299.00｜照片 1 张")
	reply = e.say(t, "lisi", "焦糖色托特包")
	assert.Contains(t, reply, "名称「焦糖色托特包」已记录。")
	assert.Contains(t, reply, "目前：名称「焦糖色托特包」｜价格 ¥1,299.00｜照片 1 张")
	assert.Contains(t, e.say(t, "lisi", "状态"), "目前：名称「焦糖色托特包」｜价格 ¥1,299.00｜照片 1 张")
	hash := Message{MsgID: "77", From: "lisi", Type: "text", Content: "#"}
	reply = e.send(t, hash)
	assert.Contains(t, reply, "已入库：焦糖色托特包")
	// WeCom retries the "#" delivery: the draft is gone, so nothing new is created.
	e.send(t, hash)
	ps := e.products(t)
	require.Len(t, ps, 1)
	assert.Equal(t, "焦糖色托特包", ps[0].Name)
	assert.Len(t, ps[0].Photos, 1)
	assert.Contains(t, e.say(t, "lisi", "取消"), "已取消")
}

func TestChatNameAndPriceInOneMessage(t *testing.T) {
	e := newChatEnv(t)
	e.picture(t, "A")
	e.photo(t, "wangwu", "A")
	reply := e.say(t, "wangwu", "棕色托特包 1299 #")
	assert.Contains(t, reply, "已入库：棕色托特包")
	ps := e.products(t)
	require.Len(t, ps, 1)
	assert.Equal(t, "棕色托特包", ps[0].Name)
	assert.Equal(t, shop.Yuan(1299), ps[0].Price)
	// Decimals are kept in fen; full-width input works.
	e.say(t, "wangwu", "价格１２９９．５０")
	assert.Contains(t, e.say(t, "wangwu", "小号 ＃"), "售价 ¥1,299.50")
}

func TestChatNinePhotosAtMost(t *testing.T) {
	e := newChatEnv(t)
	for i := 1; i <= 10; i++ {
		e.picture(t, "P"+strconv.Itoa(i))
	}
	for i := 1; i <= 9; i++ {
		assert.Contains(t, e.photo(t, "u", "P"+strconv.Itoa(i)), fmt.Sprintf("已收到第 %d 张照片", i))
	}
	reply := e.photo(t, "u", "P10")
	assert.Contains(t, reply, "最多 9 张照片，这张（第 10 张）未保存。")
	assert.Contains(t, reply, "照片 9 张")
	assert.Zero(t, e.gets["P10"], "the tenth is not even downloaded")
	assert.Contains(t, e.say(t, "u", "链条包 899 #"), "照片 9 张")
	ps := e.products(t)
	require.Len(t, ps, 1)
	assert.Len(t, ps[0].Photos, 9)
}

func TestChatAsksBeforeSaving(t *testing.T) {
	e := newChatEnv(t)
	e.picture(t, "A")
	e.photo(t, "u", "A")

	// A quantity: asked, nothing saved; 确认 registers one bag.
	reply := e.say(t, "u", "2个 1299#")
	assert.Contains(t, reply, "「2个」像是数量")
	assert.Contains(t, reply, "我的理解：名称 未填｜价格 ¥1,299.00｜照片 1 张")
	assert.Contains(t, reply, "回复「确认」按此入库")
	assert.Empty(t, e.products(t))
	assert.Contains(t, e.say(t, "u", "#"), "还有一处待确认", "# does not skip the question")
	assert.Empty(t, e.products(t))
	reply = e.say(t, "u", "确认")
	assert.Contains(t, reply, "已入库")
	require.Len(t, e.products(t), 1)
	assert.Equal(t, shop.Yuan(1299), e.products(t)[0].Price)

	// A model year without a price: asked; 不对 drops it.
	reply = e.say(t, "v", "LV 2023 款")
	assert.Contains(t, reply, "「2023款」可能是型号或年份")
	assert.Contains(t, reply, "我的理解：名称「LV 2023 款」｜价格 ¥2,023.00｜照片 0 张")
	assert.Contains(t, e.say(t, "v", "不对"), "目前：名称 未填｜价格 未填")
	assert.Contains(t, e.say(t, "v", "确认"), "没有需要确认的内容")
	// Once the price is known, the same words are just the name.
	e.say(t, "v", "1299")
	assert.Contains(t, e.say(t, "v", "LV 2023 款"), "名称「LV 2023 款」已记录")

	// Two numbers: asked; a clear message replaces the question.
	reply = e.say(t, "w", "Speedy 25 1299")
	assert.Contains(t, reply, "几个数字（25、1299）")
	assert.Contains(t, reply, "我的理解：名称「Speedy 25」｜价格 ¥1,299.00")
	reply = e.say(t, "w", "Speedy 25 ¥1299")
	assert.Contains(t, reply, "名称「Speedy 25」、价格 ¥1,299.00 已记录")
	assert.Contains(t, e.say(t, "w", "#"), "已入库：Speedy 25")
}

func TestChatRefusesZeroAndAbsurdPrices(t *testing.T) {
	e := newChatEnv(t)
	e.say(t, "u", "899")
	reply := e.say(t, "u", "0#")
	assert.Contains(t, reply, "价格不能为 0，未保存")
	assert.Contains(t, reply, "价格 ¥899.00", "the draft keeps its price")
	reply = e.say(t, "u", "¥99,999,999 #")
	assert.Contains(t, reply, "价格「99,999,999」超过本店上限 ¥1,000,000.00")
	assert.Contains(t, e.say(t, "u", "确认"), "没有需要确认的内容", "an absurd price cannot be confirmed")
	assert.Empty(t, e.products(t))
}

func TestChatPhotoFailures(t *testing.T) {
	e := newChatEnv(t)
	assert.Contains(t, e.photo(t, "u", "gone"), "图片下载失败，请重新发送照片。")
	e.mu.Lock()
	e.media["text"] = []byte("not a picture at all")
	e.mu.Unlock()
	reply := e.photo(t, "u", "text")
	assert.Contains(t, reply, "照片未保存：照片须为 JPG、PNG、GIF 或 WebP")
	assert.Contains(t, reply, "照片 0 张")
}

// forgetful is a store whose kept photos have expired.
type forgetful struct{ *store.Store }

func (forgetful) ChatImage(context.Context, string, time.Duration) ([]byte, error) { return nil, nil }

func TestChatExpiredPhotos(t *testing.T) {
	e := newChatEnv(t)
	for _, id := range []string{"A", "B", "C"} {
		e.picture(t, id)
		e.photo(t, "u", id)
	}
	e.say(t, "u", "1299")
	// The kept copies are gone: A and C are downloaded again, B's media has expired.
	e.flow = e.newFlow(forgetful{e.st})
	e.mu.Lock()
	delete(e.media, "B")
	e.mu.Unlock()
	reply := e.say(t, "u", "#")
	assert.Contains(t, reply, "第 2 张照片已过期或无法下载，已从草稿中去掉，尚未入库。")
	assert.Contains(t, reply, "照片 2 张")
	assert.Empty(t, e.products(t))
	assert.Contains(t, e.say(t, "u", "#"), "照片 2 张")
	ps := e.products(t)
	require.Len(t, ps, 1)
	assert.Len(t, ps[0].Photos, 2)
}

// A draft saved by an earlier version (media ids only) still registers with its photos.
func TestChatLegacyDraft(t *testing.T) {
	e := newChatEnv(t)
	e.picture(t, "OLD1")
	require.NoError(t, e.st.EditDraft(t.Context(), "u", func([]byte, time.Time) ([]byte, error) {
		return []byte(`{"photos":["OLD1"],"price":129900,"name":"旧草稿"}`), nil
	}))
	assert.Contains(t, e.say(t, "u", "#"), "已入库：旧草稿")
	ps := e.products(t)
	require.Len(t, ps, 1)
	assert.Len(t, ps[0].Photos, 1)
}

// A draft lives in the store: a second flow (a restarted app, another replica) carries on with it,
// photos included.
func TestDraftSurvivesARestart(t *testing.T) {
	e := newChatEnv(t)
	e.picture(t, "A")
	e.photo(t, "u", "A")
	e.say(t, "u", "899")
	e.say(t, "u", "链条包")
	e.flow = e.newFlow(e.st)
	e.mu.Lock()
	e.media = map[string][]byte{} // the photo comes from the store, not a new download
	e.mu.Unlock()
	reply := e.say(t, "u", "#")
	assert.Contains(t, reply, "已入库：链条包")
	assert.Contains(t, reply, "照片 1 张")
	ps := e.products(t)
	require.Len(t, ps, 1)
	assert.Equal(t, shop.Yuan(899), ps[0].Price)
	assert.Contains(t, e.say(t, "u", "#"), "还没有价格", "the draft is gone once registered")
}

func TestChatRetryRaceCreatesOneBag(t *testing.T) {
	e := newChatEnv(t)
	e.say(t, "u", "100")
	// Two deliveries of the same "#" arriving together.
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = e.flow.Handle(context.Background(), Message{MsgID: "9", From: "u", Type: "text", Content: "#"})
		}()
	}
	wg.Wait()
	assert.Len(t, e.products(t), 1)
}

func TestChatEveryReplySaysWhatItUnderstood(t *testing.T) {
	e := newChatEnv(t)
	e.picture(t, "A")
	for _, in := range []Message{
		{Type: "image", MediaID: "A"}, {Type: "image", MediaID: "gone"}, {Type: "text", Content: "1299"},
		{Type: "text", Content: "托特包"}, {Type: "text", Content: "35 1299"}, {Type: "text", Content: "不对"},
		{Type: "text", Content: "0"}, {Type: "text", Content: "👍"}, {Type: "text", Content: "状态"}, {Type: "text", Content: "确认"},
		{Type: "text", Content: "帮助"}, {Type: "text", Content: strings.Repeat("很长的名字", 30)},
		{Type: "text", Content: strings.Repeat("长", 3000)}, {Type: "text", Content: "取消"},
	} {
		in.From = "u"
		reply := e.send(t, in)
		assert.Regexp(t, `名称.*｜价格 .*｜照片 \d 张`, reply, "%+v", in)
	}
}

func TestSafeID(t *testing.T) {
	assert.Equal(t, "aibot123", safeID("aibot:123"))
	assert.Equal(t, "x", safeID(":::"))
	long := safeID(string(make([]byte, 0)) + fmt.Sprintf("%070d", 1))
	assert.Len(t, long, 32)
}

// A finishing message handled again after its registration went through and its draft was cleared
// (a crash before the app marked it done) registers nothing and answers 已入库 again; so does a
// photo handled twice (nothing added twice).
func TestHandledTwiceAfterACrash(t *testing.T) {
	e := newChatEnv(t)
	ctx := t.Context()
	e.picture(t, "p1")
	pic := Message{MsgID: "m1", From: "lisi", Type: "image", MediaID: "p1", At: time.Now()}
	_, err := e.flow.Handle(ctx, pic)
	require.NoError(t, err)
	again, err := e.flow.Handle(ctx, pic)
	require.NoError(t, err)
	assert.Contains(t, again, "照片 1 张", "the photo is in the draft once")
	_, err = e.flow.Handle(ctx, Message{MsgID: "m2", From: "lisi", Type: "text", Content: "1299", At: time.Now()})
	require.NoError(t, err)
	hash := Message{MsgID: "m3", From: "lisi", Type: "text", Content: "#", At: time.Now()}
	first, err := e.flow.Handle(ctx, hash)
	require.NoError(t, err)
	require.Contains(t, first, "已入库")
	second, err := e.flow.Handle(ctx, hash)
	require.NoError(t, err)
	assert.Equal(t, first, second)

	// The same for a registration finished by 确认.
	ask, err := e.flow.Handle(ctx, Message{MsgID: "m4", From: "lisi", Type: "text", Content: "2个 899#", At: time.Now()})
	require.NoError(t, err)
	require.Contains(t, ask, "像是数量")
	yes := Message{MsgID: "m5", From: "lisi", Type: "text", Content: "确认", At: time.Now()}
	first, err = e.flow.Handle(ctx, yes)
	require.NoError(t, err)
	require.Contains(t, first, "已入库")
	second, err = e.flow.Handle(ctx, yes)
	require.NoError(t, err)
	assert.Equal(t, first, second)

	// A "#" that registered nothing still says what is missing.
	none, err := e.flow.Handle(ctx, Message{MsgID: "m6", From: "lisi", Type: "text", Content: "#", At: time.Now()})
	require.NoError(t, err)
	assert.Contains(t, none, "还没有价格")
	ps, _, err := e.st.Search(ctx, shop.Query{Limit: 10})
	require.NoError(t, err)
	assert.Len(t, ps, 2)
}
