package chat

import (
	"fmt"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

const help = "拍照入库：1) 发送包的照片（最多 9 张）；2) 发送价格，如 1299、¥1,299、1299元；" +
	"3) 可选：发送名称，也可和价格一起发，如「棕色托特包 1299」；4) 发送 # 完成入库，也可写在价格后，如「1299 #」。" +
	"发送“状态”查看草稿，“取消”放弃。"

// status says what the draft holds.
func status(d *draft) string {
	name, price := " 未填", "未填"
	if d.Name != "" {
		name = "「" + d.Name + "」"
	}
	if d.Price > 0 {
		price = d.Price.Display()
	}
	return fmt.Sprintf("目前：名称%s｜价格 %s｜照片 %d 张", name, price, len(d.Images))
}

// nextStep says what the member can send next.
func nextStep(d *draft) string {
	switch {
	case d.Price <= 0:
		return "请发送价格（如 1299），再发送 # 完成入库。"
	case len(d.Images) == 0:
		return "可先发送照片；发送 # 完成入库。"
	}
	return "发送 # 完成入库（可先发送名称或更多照片）。"
}

// recorded says what a clear message changed.
func recorded(r Reading) string {
	switch {
	case r.Name != "" && r.Priced:
		return fmt.Sprintf("名称「%s」、价格 %s 已记录。", r.Name, r.Price.Display())
	case r.Priced:
		return fmt.Sprintf("价格 %s 已记录。", r.Price.Display())
	case r.Name != "":
		return fmt.Sprintf("名称「%s」已记录。", r.Name)
	}
	return "已记录。"
}

// question explains a doubt.
func question(r Reading, max shop.Money) string {
	switch r.Doubt {
	case DoubtNumbers:
		return fmt.Sprintf("这条消息里有几个数字（%s），不确定哪个是价格。", strings.Join(r.Numbers, "、"))
	case DoubtQuantity:
		return fmt.Sprintf("「%s」像是数量：拍照入库每次登记 1 件（库存可在商品页修改）。", r.Hint)
	case DoubtModel:
		return fmt.Sprintf("「%s」可能是型号或年份，不一定是价格。", r.Hint)
	case DoubtDecimals:
		return fmt.Sprintf("「%s」的小数超过两位，价格可能是 %s。", r.Hint, r.Price.Display())
	case DoubtZero:
		return "价格不能为 0，未保存。请重新发送价格，如 1299。"
	case DoubtTooHigh:
		return fmt.Sprintf("价格「%s」超过本店上限 %s，可能多输了位数，未保存。请重新发送价格。", r.Hint, max.Display())
	}
	return ""
}

// ask explains the draft's pending reading and asks for 确认.
func ask(d *draft) string {
	r := d.Pending.reading()
	guess := *d
	guess.apply(r)
	then := "按此记录"
	if r.Finish {
		then = "按此入库"
	}
	return question(r, 0) + "\n我的理解：" + strings.TrimPrefix(status(&guess), "目前：") +
		"\n回复「确认」" + then + "，回复「不对」放弃；也可直接重新发送，价格前加 ¥ 更明确，如「¥1299 #」。"
}
