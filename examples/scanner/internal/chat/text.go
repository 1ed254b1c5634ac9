package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// normalize folds what people type on phones into one form: full-width digits, letters and
// signs (１２９９, ＃, ￥, ：) to ASCII, every kind of space to ' ', and drops emoji, invisible
// characters and WeCom's text emoticons ("[微笑]", "[666]"). A label printer has no emoji glyphs,
// so names lose them too.
func normalize(s string) []rune {
	s = emoticons.Replace(s)
	out := make([]rune, 0, utf8.RuneCountInString(s))
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
			r -= 0xFEE0
		case r == '＃', r == '．', r == '～', r == '：', r == '＄', r == '＊', r == '％':
			r -= 0xFEE0
		case r == '￥':
			r = '¥'
		case r == '\uFE5F': // small number sign
			r = '#'
		case unicode.IsSpace(r):
			r = ' '
		case r == utf8.RuneError, isEmoji(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r), unicode.IsControl(r):
			continue
		}
		out = append(out, r)
	}
	return out
}

// isEmoji reports pictographs and their modifiers (skin tones, keycaps, variation selectors).
func isEmoji(r rune) bool {
	switch {
	case r < 0x80:
		return false
	case r >= 0xFE00 && r <= 0xFE0F, r == 0x20E3, r >= 0x1F3FB && r <= 0x1F3FF, r >= 0xE0020 && r <= 0xE007F:
		return true
	}
	return unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r)
}

func lowerRunes(rs []rune) []rune {
	out := make([]rune, len(rs))
	for i, r := range rs {
		out[i] = unicode.ToLower(r)
	}
	return out
}

// emoticons are WeCom's built-in emoticons as they arrive in a text message.
var emoticons = func() *strings.Replacer {
	names := strings.Fields(`微笑 撇嘴 色 发呆 得意 流泪 害羞 闭嘴 睡 大哭 尴尬 发怒 调皮 呲牙 惊讶 难过 酷 冷汗 抓狂 吐
		偷笑 愉快 白眼 傲慢 饥饿 困 惊恐 流汗 憨笑 悠闲 奋斗 咒骂 疑问 嘘 晕 疯了 衰 骷髅 敲打 再见 擦汗 抠鼻 鼓掌
		糗大了 坏笑 左哼哼 右哼哼 哈欠 鄙视 委屈 快哭了 阴险 亲亲 吓 可怜 菜刀 西瓜 啤酒 咖啡 饭 猪头 玫瑰 凋谢
		嘴唇 爱心 心碎 蛋糕 炸弹 便便 月亮 太阳 礼物 拥抱 强 弱 握手 胜利 抱拳 勾引 拳头 OK 跳跳 发抖 怄火
		转圈 捂脸 奸笑 机智 皱眉 耶 吃瓜 加油 汗 天啊 Emm 社会社会 旺柴 好的 打脸 哇 翻白眼 666 让我看看 叹气
		苦涩 裂开 嘿哈 红包 發 福 烟花 爆竹 庆祝 合十 点赞 鼓励 Yeah`)
	pairs := make([]string, 0, 2*len(names))
	for _, n := range names {
		pairs = append(pairs, "["+n+"]", " ")
	}
	return strings.NewReplacer(pairs...)
}()

// commandKey is a whole message reduced for matching commands: lower case, without spaces and
// closing punctuation.
func commandKey(rs []rune) string {
	s := strings.ToLower(strings.TrimSpace(string(rs)))
	s = strings.TrimRight(s, " 。.!！~～")
	return strings.ReplaceAll(s, " ", "")
}

var commands = map[string]Command{
	"取消": CmdCancel, "cancel": CmdCancel, "撤销": CmdCancel, "不要了": CmdCancel, "算了": CmdCancel, "重来": CmdCancel,
	"清空": CmdCancel, "取消入库": CmdCancel,
	"帮助": CmdHelp, "help": CmdHelp, "?": CmdHelp, "？": CmdHelp, "怎么用": CmdHelp, "说明": CmdHelp, "菜单": CmdHelp,
	"状态": CmdStatus, "查看": CmdStatus, "草稿": CmdStatus, "status": CmdStatus,
	"确认": CmdConfirm, "确定": CmdConfirm, "是": CmdConfirm, "是的": CmdConfirm, "对": CmdConfirm, "对的": CmdConfirm,
	"没错": CmdConfirm, "好": CmdConfirm, "好的": CmdConfirm, "ok": CmdConfirm, "yes": CmdConfirm, "y": CmdConfirm,
	"嗯": CmdConfirm, "可以": CmdConfirm, "确认入库": CmdConfirm,
	"不是": CmdReject, "不对": CmdReject, "否": CmdReject, "错了": CmdReject, "no": CmdReject, "n": CmdReject, "不": CmdReject,
}

// finishWords finish a registration like "#".
var finishWords = map[string]bool{"完成": true, "入库": true, "完成入库": true, "done": true}

// namePrefixes label a name ("名称：焦糖色托特包").
var namePrefixes = []string{"商品名称", "商品名", "名称", "名字", "品名"}

// cleanName turns what is left of a message once the price and "#" are taken out into a name:
// spaces collapsed, separators trimmed from both ends; "" when no letter or digit is left.
func cleanName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const edges = " ,，.。:;；、!！?？~-—_/|·*"
	s = strings.Trim(s, edges)
	for _, p := range namePrefixes {
		if rest, ok := strings.CutPrefix(s, p); ok && (strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, " ")) {
			s = strings.Trim(rest, edges)
			break
		}
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return ""
	}
	return s
}
