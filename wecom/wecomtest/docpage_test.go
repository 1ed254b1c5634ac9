package wecomtest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/browsertest"
	"github.com/qiwei-go/qiwei/internal/testsvc"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// screensDir keeps the screenshots of TestDocPageBrowser for review.
const screensDir = "testdata/screens"

// shopSheet fills the member fixture's 商品 sheet like a small bag shop: a status and a date column,
// and n products.
func shopSheet(t *testing.T, f *memberFixture, n int) []string {
	t.Helper()
	m := f.call("add_fields", map[string]any{"fields": []any{
		map[string]any{"field_title": "名称", "field_type": "FIELD_TYPE_TEXT"},
		map[string]any{"field_title": "状态", "field_type": "FIELD_TYPE_SINGLE_SELECT", "property_single_select": map[string]any{
			"options": []any{map[string]any{"text": "在售", "style": 16}, map[string]any{"text": "售罄", "style": 18}}}},
		map[string]any{"field_title": "上架日期", "field_type": "FIELD_TYPE_DATE_TIME", "property_date_time": map[string]any{"format": "yyyy-mm-dd"}},
	}})
	require.EqualValues(t, 0, m["errcode"], "%v", m)
	names := []string{"焦糖色托特包", "黑色斜挎包", "酒红色手提包", "米白色水桶包", "墨绿色双肩包", "驼色腋下包"}
	var recs []map[string]any
	for i := range n {
		status := "在售"
		if i%4 == 3 {
			status = "售罄"
		}
		recs = append(recs, map[string]any{"产品编码": text(fmt.Sprintf("BAG-%04d", 100+i)), "名称": text(names[i%len(names)]),
			"售价": float64(399 + 100*(i%9)), "库存": float64((i * 7) % 5), "状态": []any{map[string]any{"text": status}},
			"上架日期": fmt.Sprint(time.Date(2025, 3, 1+i%28, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli())})
	}
	return f.add(recs...)
}

func TestDocPageRendering(t *testing.T) {
	f := newMemberFixture(t)
	ids := shopSheet(t, f, 250)
	page := func(q string) string {
		status, body := f.c.do("GET", "/wecomtest/doc/"+f.doc+q, nil, nil)
		require.Equal(t, 200, status)
		return string(body)
	}
	body := page("?sheet=" + f.sheet)
	assert.Contains(t, body, "共 253 条记录，显示第 1–100 条")
	assert.Contains(t, body, "第 1 / 3 页")
	assert.Contains(t, body, `aria-current="page">商品</a>`, "the sheet's tab")
	assert.Contains(t, body, `>智能表</a>`, "the document's other sheet")
	assert.Contains(t, body, `data-kind="date" data-raw="2025-03-01">2025-03-01</td>`, "dates in Beijing time")
	assert.Contains(t, body, `data-kind="select" data-raw="在售" data-options="在售|售罄">在售</td>`)
	assert.Contains(t, body, `<option value="zhangsan" selected>张三（zhangsan）</option>`, "the current user edits by default")
	assert.Regexp(t, `class="ro">\s*</td>`, body, "MODIFIED_USER is read-only and empty after API writes")

	body = page("?sheet=" + f.sheet + "&page=3&as=lisi")
	assert.Contains(t, body, "显示第 201–253 条")
	assert.Contains(t, body, `<option value="lisi" selected>`)
	assert.Contains(t, body, `data-rec="`+ids[len(ids)-1]+`"`)
	assert.Contains(t, page("?sheet="+f.sheet+"&page=99"), "第 3 / 3 页", "a page past the end shows the last one")

	body = page("?sheet=" + f.sheet + "&q=BAG-0107")
	assert.Contains(t, body, "找到 1 条 / 共 253 条")
	assert.Contains(t, body, `data-rec="`+ids[7]+`"`)
	assert.Contains(t, page("?sheet="+f.sheet+"&q=%E4%B8%8D%E5%AD%98%E5%9C%A8"), "没有匹配的记录")

	require.NoError(t, f.srv.EditRecordsAsMember(t.Context(), "lisi", f.doc, "商品", []wecomtest.MemberEdit{{RecordID: f.ids[0], Values: map[string]any{"库存": 4.0}}}))
	assert.Contains(t, page("?sheet="+f.sheet), `class="ro">李四</td>`, "members by name")

	m := f.c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_sheet", tq(f.tok), map[string]any{"docid": f.doc, "properties": map[string]any{"title": "空表"}})
	assert.Contains(t, page("?sheet="+m["properties"].(map[string]any)["sheet_id"].(string)), "这个子表还没有字段")
}

// TestDocPageBrowser edits the smart sheet in headless Chromium as members would in the WeCom client
// and checks that each change reaches the app as smart_sheet_change. Screenshots at 1280×800 and
// 390×844 go to testdata/screens (QIWEI_SCREENS=1).
func TestDocPageBrowser(t *testing.T) {
	testsvc.Chromium(t)
	f := newMemberFixture(t)
	ids := shopSheet(t, f, 40)
	ctx := browsertest.New(t, 60*time.Second)
	dir := browsertest.ScreensDir(t, screensDir)
	shot := func(name string) chromedp.Action { return browsertest.Shot(dir, name) }
	poll := func(expr string) chromedp.Action {
		return chromedp.Poll(expr, nil, chromedp.WithPollingTimeout(15*time.Second))
	}
	toastSays := func(s string) chromedp.Action {
		return poll(fmt.Sprintf(`document.querySelector('#toast').classList.contains('show') && document.querySelector('#toast').textContent.includes(%q)`, s))
	}
	cellOf := func(rec, field string) string { return fmt.Sprintf(`tr[data-rec=%q] td[data-field=%q]`, rec, field) }
	pageURL := f.srv.URL + "/wecomtest/doc/" + f.doc + "?sheet=" + f.sheet

	// 张三 (the default member) changes a price: click, type, Enter.
	require.NoError(t, chromedp.Run(ctx,
		chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(1)),
		chromedp.Navigate(pageURL),
		chromedp.WaitVisible(`#grid table`, chromedp.ByQuery),
		shot("doc-desktop.png"),
		chromedp.Click(cellOf(f.ids[0], "售价"), chromedp.ByQuery),
		chromedp.WaitVisible(cellOf(f.ids[0], "售价")+" input", chromedp.ByQuery),
		chromedp.SetValue(cellOf(f.ids[0], "售价")+" input", "1099", chromedp.ByQuery),
		chromedp.SendKeys(cellOf(f.ids[0], "售价")+" input", kb.Enter, chromedp.ByQuery),
		toastSays("推送 smart_sheet_change"),
		poll(fmt.Sprintf(`document.querySelector(%q).textContent.trim() === '1099'`, cellOf(f.ids[0], "售价"))),
		shot("doc-edited-desktop.png"),
	))
	assert.Equal(t, 1099.0, f.record(f.ids[0])["values"].(map[string]any)["售价"])

	// 李四 marks a bag sold out and sets a date; a bad number is refused on the page.
	var refused string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SetValue(`#member`, "lisi", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#member').dispatchEvent(new Event('change'))`, nil),
		chromedp.Click(cellOf(ids[0], "状态"), chromedp.ByQuery),
		chromedp.SetValue(cellOf(ids[0], "状态")+" input", "售罄", chromedp.ByQuery),
		chromedp.SendKeys(cellOf(ids[0], "状态")+" input", kb.Enter, chromedp.ByQuery),
		toastSays("李四"),
		poll(fmt.Sprintf(`document.querySelector(%q).textContent.trim() === '售罄'`, cellOf(ids[0], "状态"))),
		chromedp.Click(cellOf(ids[1], "上架日期"), chromedp.ByQuery),
		chromedp.SetValue(cellOf(ids[1], "上架日期")+" input", "2025-06-18", chromedp.ByQuery),
		chromedp.SendKeys(cellOf(ids[1], "上架日期")+" input", kb.Enter, chromedp.ByQuery),
		poll(fmt.Sprintf(`document.querySelector(%q).textContent.trim() === '2025-06-18'`, cellOf(ids[1], "上架日期"))),
		chromedp.Click(cellOf(ids[2], "产品编码"), chromedp.ByQuery),
		chromedp.SendKeys(cellOf(ids[2], "产品编码")+" input", kb.Escape, chromedp.ByQuery),
		chromedp.Click(cellOf(ids[2], "库存"), chromedp.ByQuery),
		chromedp.Evaluate(fmt.Sprintf(`(() => { const i = document.querySelector(%q); i.type = 'text'; i.value = '很多'; })()`, cellOf(ids[2], "库存")+" input"), nil),
		chromedp.SendKeys(cellOf(ids[2], "库存")+" input", kb.Enter, chromedp.ByQuery),
		toastSays("未保存"),
		chromedp.Text(`#toast`, &refused, chromedp.ByQuery),
	))
	assert.Contains(t, refused, "请输入数字")
	assert.Equal(t, "李四", f.record(ids[0])["updater_name"])
	assert.Equal(t, fmt.Sprint(time.Date(2025, 6, 18, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli()),
		f.record(ids[1])["values"].(map[string]any)["上架日期"], "a date is midnight Beijing time")

	// Delete a row, add one (the page moves to the last page).
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Click(fmt.Sprintf(`tr[data-rec=%q] button.del`, ids[3]), chromedp.ByQuery),
		poll(fmt.Sprintf(`!document.querySelector('tr[data-rec=%q]')`, ids[3])),
	))
	_, err := chromedp.RunResponse(ctx, chromedp.Click(`#add`, chromedp.ByQuery)) // adds, then opens the last page
	require.NoError(t, err)
	require.NoError(t, chromedp.Run(ctx,
		toastSays("已新增"),
		poll(`document.querySelector('.count').textContent.includes('共 43 条')`),
	))

	// A phone.
	var scrollable bool
	require.NoError(t, chromedp.Run(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(pageURL+"&as=lisi"),
		chromedp.WaitVisible(`#grid table`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('.grid-wrap').scrollWidth > document.querySelector('.grid-wrap').clientWidth`, &scrollable),
		shot("doc-phone.png"),
		chromedp.Click(cellOf(f.ids[1], "库存"), chromedp.ByQuery),
		chromedp.SetValue(cellOf(f.ids[1], "库存")+" input", "6", chromedp.ByQuery),
		chromedp.SendKeys(cellOf(f.ids[1], "库存")+" input", kb.Enter, chromedp.ByQuery),
		toastSays("推送 smart_sheet_change"),
		shot("doc-edited-phone.png"),
	))
	assert.True(t, scrollable, "the table scrolls sideways inside its frame, the page does not")

	var got []string
	for _, e := range f.events(t) {
		got = append(got, e.FromUserName+" "+e.ChangeType+" "+strings.Join(e.RecordIDs, ","))
		assert.Equal(t, wecom.EventSmartSheetChange, e.Event)
	}
	assert.Equal(t, []string{
		"zhangsan update_record " + f.ids[0],
		"lisi update_record " + ids[0],
		"lisi update_record " + ids[1],
		"lisi delete_record " + ids[3],
		"lisi add_record " + lastID(t, f),
		"lisi update_record " + f.ids[1],
	}, got, "each change reached the app once, from the member who made it")
}

// lastID is the id of the sheet's last record.
func lastID(t *testing.T, f *memberFixture) string {
	t.Helper()
	ids := recordIDs(f.get(map[string]any{"offset": 42}))
	require.NotEmpty(t, ids)
	return ids[len(ids)-1]
}
