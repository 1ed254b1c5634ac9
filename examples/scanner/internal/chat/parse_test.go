package chat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// TestParse reads messages as staff really type them on a phone: Chinese and English, spaces or
// none, full-width digits and signs, emoji, WeCom's text emoticons.
func TestParse(t *testing.T) {
	const none = -1.0 // no price
	tests := []struct {
		in     string
		name   string
		price  float64 // yuan; none when the message holds no price
		finish bool
		doubt  Doubt
	}{
		// A price alone, in every dress.
		{"1299", "", 1299, false, DoubtNone},
		{"1299#", "", 1299, true, DoubtNone},
		{"#1299", "", 1299, true, DoubtNone},
		{"1299 #", "", 1299, true, DoubtNone},
		{"¥1299", "", 1299, false, DoubtNone},
		{"￥1299", "", 1299, false, DoubtNone},
		{"¥1,299 #", "", 1299, true, DoubtNone},
		{"¥ 1,299", "", 1299, false, DoubtNone},
		{"1，299元", "", 1299, false, DoubtNone},
		{"１２９９元", "", 1299, false, DoubtNone},
		{"１２９９＃", "", 1299, true, DoubtNone},
		{"￥１，２９９", "", 1299, false, DoubtNone},
		{"1299元 #", "", 1299, true, DoubtNone},
		{"1299 元", "", 1299, false, DoubtNone},
		{"1299块", "", 1299, false, DoubtNone},
		{"1299块钱", "", 1299, false, DoubtNone},
		{"价格1299 #", "", 1299, true, DoubtNone},
		{"价格：899.5", "", 899.5, false, DoubtNone},
		{"售价: 1599", "", 1599, false, DoubtNone},
		{"零售价 2999元", "", 2999, false, DoubtNone},
		{"price 12", "", 12, false, DoubtNone},
		{"Price: 899 #", "", 899, true, DoubtNone},
		{"RMB 1299", "", 1299, false, DoubtNone},
		{"1299rmb", "", 1299, false, DoubtNone},
		{"1299 RMB", "", 1299, false, DoubtNone},
		{"1299.50", "", 1299.5, false, DoubtNone},
		{"1299.5元#", "", 1299.5, true, DoubtNone},
		{"12,999.00", "", 12999, false, DoubtNone},
		{"1.2万", "", 12000, false, DoubtNone},
		{"1.5w #", "", 15000, true, DoubtNone},
		{"3k", "", 3000, false, DoubtNone},
		{"2万元", "", 20000, false, DoubtNone},
		{"1299。", "", 1299, false, DoubtNone},
		{"1299元/个", "", 1299, false, DoubtNone},
		{"¥1299 一个 #", "", 1299, true, DoubtNone},
		{"  1299  ", "", 1299, false, DoubtNone},
		// A name and a price together.
		{"棕色托特包 1299 #", "棕色托特包", 1299, true, DoubtNone},
		{"棕色托特包1299元", "棕色托特包", 1299, false, DoubtNone},
		{"焦糖色托特包，¥1,299，#", "焦糖色托特包", 1299, true, DoubtNone},
		{"Coach Tabby 26 ¥3,280 #", "Coach Tabby 26", 3280, true, DoubtNone},
		{"M40995 1299", "M40995", 1299, false, DoubtNone},
		{"LV M40995 老花 ¥12,800 #", "LV M40995 老花", 12800, true, DoubtNone},
		{"30cm 托特包 ¥1299", "30cm 托特包", 1299, false, DoubtNone},
		{"LV 2023 款 1299 #", "LV 2023 款", 1299, true, DoubtNone},
		{"2023年新款链条包 售价1888", "2023年新款链条包", 1888, false, DoubtNone},
		{"95新 香奈儿 CF 23000", "95新 香奈儿 CF", 23000, false, DoubtNone},
		{"货号 2023 1299#", "货号 2023", 1299, true, DoubtNone},
		{"第3 1299", "第3", 1299, false, DoubtNone},
		{"Red bag 899 #", "Red bag", 899, true, DoubtNone},
		{"👜棕色包 1299 👍#", "棕色包", 1299, true, DoubtNone},
		{"[微笑]新款斜挎包 ¥699 [强]", "新款斜挎包", 699, false, DoubtNone},
		{"[666] 1299#", "", 1299, true, DoubtNone},
		{"名称：焦糖色托特包", "焦糖色托特包", none, false, DoubtNone},
		{"焦糖色托特包", "焦糖色托特包", none, false, DoubtNone},
		{"托特包（大号）", "托特包（大号）", none, false, DoubtNone},
		{"3#色 托特包", "3#色 托特包", none, false, DoubtNone},
		{"ＬＶ　老花　１２９９", "LV 老花", 1299, false, DoubtNone},
		{"一千二百九十九", "一千二百九十九", none, false, DoubtNone},
		{"小号 #", "小号", none, true, DoubtNone},
		// Finishing.
		{"#", "", none, true, DoubtNone},
		{"＃", "", none, true, DoubtNone},
		{"##", "", none, true, DoubtNone},
		{" # ", "", none, true, DoubtNone},
		{"完成", "", none, true, DoubtNone},
		// Asked about, never guessed.
		{"2个 1299#", "", 1299, true, DoubtQuantity},
		{"x2 1299", "", 1299, false, DoubtQuantity},
		{"1299 两个 3件", "两个", 1299, false, DoubtQuantity},
		{"LV 2023 款", "LV 2023 款", 2023, false, DoubtModel},
		{"2023款", "2023款", 2023, false, DoubtModel},
		{"35 1299", "35", 1299, false, DoubtNumbers},
		{"1299-1399", "1299", 1399, false, DoubtNumbers},
		{"1299/1399 #", "1299", 1399, true, DoubtNumbers},
		{"¥1299 ¥1399", "¥1299", 1399, false, DoubtNumbers},
		{"Speedy 25 1299", "Speedy 25", 1299, false, DoubtNumbers},
		{"12,99", "12", 99, false, DoubtNumbers},
		{"1.299", "", 1299, false, DoubtDecimals},
		{"12.345", "", 12345, false, DoubtDecimals},
		{"12.3456", "", 12.35, false, DoubtDecimals},
		{"0#", "", 0, true, DoubtZero},
		{"¥0", "", 0, false, DoubtZero},
		{"０元", "", 0, false, DoubtZero},
		{"0.001", "", 0, false, DoubtZero},
		{"¥99,999,999", "", 99999999, false, DoubtTooHigh},
		{"13800138000", "", 13800138000, false, DoubtTooHigh},
		{"99999999999999999999999999", "", 90071992547409.92, false, DoubtTooHigh},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r := Parse(tt.in, shop.DefaultMaxPrice)
			assert.Equal(t, CmdNone, r.Command)
			assert.Equal(t, tt.name, r.Name, "name")
			assert.Equal(t, tt.price != none, r.Priced, "priced")
			if tt.price != none {
				assert.Equal(t, shop.Yuan(tt.price), r.Price, "price")
			}
			assert.Equal(t, tt.finish, r.Finish, "finish")
			assert.Equal(t, tt.doubt, r.Doubt, "doubt")
		})
	}
	assert.GreaterOrEqual(t, len(tests), 40)
}

func TestParseHints(t *testing.T) {
	r := Parse("2个 1299#", shop.DefaultMaxPrice)
	assert.Equal(t, "2个", r.Hint)
	r = Parse("LV 2023 款", shop.DefaultMaxPrice)
	assert.Equal(t, "2023款", r.Hint)
	r = Parse("35 1,299", shop.DefaultMaxPrice)
	assert.Equal(t, []string{"35", "1,299"}, r.Numbers)
	r = Parse("¥99,999,999", shop.DefaultMaxPrice)
	assert.Equal(t, "99,999,999", r.Hint)
	// The shop's own maximum.
	assert.Equal(t, DoubtTooHigh, Parse("¥5001", shop.Yuan(5000)).Doubt)
	assert.Equal(t, DoubtNone, Parse("¥5000", shop.Yuan(5000)).Doubt)
}

func TestParseCommands(t *testing.T) {
	for in, want := range map[string]Command{
		"取消": CmdCancel, "Cancel": CmdCancel, "取消。": CmdCancel, "算了": CmdCancel,
		"帮助": CmdHelp, "?": CmdHelp, "？": CmdHelp, "HELP": CmdHelp,
		"状态": CmdStatus, "确认": CmdConfirm, "确认！": CmdConfirm, "是": CmdConfirm, "OK": CmdConfirm, "好的": CmdConfirm,
		"不对": CmdReject, "不是": CmdReject, "no": CmdReject,
	} {
		r := Parse(in, shop.DefaultMaxPrice)
		assert.Equal(t, want, r.Command, in)
		assert.False(t, r.Priced || r.Finish || r.Name != "", in)
	}
	assert.True(t, Parse("[微笑]", shop.DefaultMaxPrice).Empty())
	assert.True(t, Parse("👍👍", shop.DefaultMaxPrice).Empty())
	assert.True(t, Parse("。。。", shop.DefaultMaxPrice).Empty())
	assert.True(t, Parse(strings.Repeat("包", MaxMessageBytes), shop.DefaultMaxPrice).TooLong)
}

func TestDoubtConfirmable(t *testing.T) {
	for d, want := range map[Doubt]bool{DoubtNone: false, DoubtDecimals: true, DoubtModel: true, DoubtNumbers: true,
		DoubtQuantity: true, DoubtZero: false, DoubtTooHigh: false} {
		assert.Equal(t, want, d.Confirmable(), "doubt %d", d)
	}
}

// FuzzParse: no panic, and what comes out is consistent with what went in. The seed corpus is in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1299#", "¥1,299 #", "棕色托特包 1299 #", "2个 1299#", "１２９９元", "LV 2023 款", "1.2万"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s, shop.DefaultMaxPrice)
		if len(s) > MaxMessageBytes {
			if !r.TooLong {
				t.Fatalf("%q: a long text was read", s)
			}
			return
		}
		if r.Price < 0 || (!r.Priced && r.Price != 0) {
			t.Fatalf("%q: price %d (priced %v)", s, r.Price, r.Priced)
		}
		if r.Priced && r.Doubt == DoubtNone && (r.Price <= 0 || r.Price > shop.DefaultMaxPrice) {
			t.Fatalf("%q: price %d accepted without a doubt", s, r.Price)
		}
		if r.Command != CmdNone && (r.Priced || r.Finish || r.Name != "") {
			t.Fatalf("%q: a command with data: %+v", s, r)
		}
		if !utf8.ValidString(r.Name) || len(r.Name) > len(s)+3*len(s) {
			t.Fatalf("%q: name %q", s, r.Name)
		}
		if r.Name != strings.TrimSpace(r.Name) || strings.Contains(r.Name, "  ") {
			t.Fatalf("%q: name %q not tidy", s, r.Name)
		}
		if again := Parse(s, shop.DefaultMaxPrice); again.Name != r.Name || again.Price != r.Price || again.Doubt != r.Doubt {
			t.Fatalf("%q: not deterministic", s)
		}
	})
}
