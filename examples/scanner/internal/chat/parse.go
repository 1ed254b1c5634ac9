package chat

import (
	"math/big"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// MaxMessageBytes bounds a text the parser reads: WeCom's text messages are at most 2048 bytes
// (发送应用消息, text.content). A longer text is not scanned at all.
const MaxMessageBytes = 2048

// Command is a whole-message command.
type Command int

// Commands a member may send instead of registration data.
const (
	CmdNone    Command = iota
	CmdCancel          // 取消: drop the draft
	CmdHelp            // 帮助
	CmdStatus          // 状态: show the draft
	CmdConfirm         // 确认: accept the reading that was asked about
	CmdReject          // 不对: drop the reading that was asked about
)

// Doubt says why a reading must be confirmed (or corrected) before it is used.
type Doubt int

// Doubts, from the least to the most serious.
const (
	DoubtNone     Doubt = iota
	DoubtDecimals       // more than two decimals: "1.299" (a dot as thousands separator?), "12.345"
	DoubtModel          // the only number looks like a model or a year: "LV 2023 款"
	DoubtNumbers        // several numbers could be the price: "35 1299", "1299-1399"
	DoubtQuantity       // a quantity: "2个 1299#" (a chat registration is one bag)
	DoubtZero           // a price of 0: never saved
	DoubtTooHigh        // above the shop's hard maximum: never saved
)

// Confirmable reports whether the reading may be saved once the member confirms it; a price of 0
// or above the maximum must be sent again instead.
func (d Doubt) Confirmable() bool { return d != DoubtNone && d < DoubtZero }

// Reading is what one text message says. When Doubt is set, Name and Price are the best guess,
// to be confirmed before they are saved.
type Reading struct {
	Command Command
	Name    string     // the bag's name ("" when the message names none)
	Price   shop.Money // the price read; meaningful when Priced
	Priced  bool       // the message holds a price (possibly 0 or absurd: see Doubt)
	Finish  bool       // "#" or "＃": finish the registration
	Doubt   Doubt
	Numbers []string // with DoubtNumbers: the numbers that could be the price, as written ("35", "1,299")
	Hint    string   // the words behind a doubt: "2个", "2023款", "1.299", the absurd number
	TooLong bool     // longer than MaxMessageBytes: nothing was read
}

// Empty reports whether the message carried nothing the registration can use.
func (r Reading) Empty() bool {
	return r.Command == CmdNone && r.Name == "" && !r.Priced && !r.Finish && !r.TooLong
}

// Parse reads one chat message of a registration: a price with or without ¥/￥/元/块/RMB,
// thousands separators (1,299 and 1，299), full-width digits, decimals (fen), 万/k/w
// multipliers, a name, "#" to finish, or a command. Numbers glued to letters ("M40995") and
// labelled as sizes ("30cm") are part of the name. It never guesses silently: whatever could be
// read two ways sets Doubt. max is the shop's hard maximum price. Parse is pure and its work is
// linear in the input (at most MaxMessageBytes are read).
func Parse(text string, max shop.Money) Reading {
	if len(text) > MaxMessageBytes {
		return Reading{TooLong: true}
	}
	rs := normalize(text)
	key := commandKey(rs)
	if c, ok := commands[key]; ok {
		return Reading{Command: c}
	}
	if finishWords[key] {
		return Reading{Finish: true}
	}
	p := &parser{rs: rs, lower: lowerRunes(rs), drop: make([]bool, len(rs))}
	var r Reading
	r.Finish = p.finishMarks()
	p.scan()
	p.choose(&r, max)
	r.Name = cleanName(p.rest())
	return r
}

// numKind is what a number's surroundings make of it.
type numKind int

const (
	kindPlain numKind = iota // a bare number: a price if it is the only one
	kindPrice                // marked as money: ¥, 元, 价格, RMB, 万…
	kindQty                  // a quantity: 2个, x2
	kindModel                // a model or a year: 2023款
	kindUnit                 // a size or an ordinal, part of the name: 30cm, 第3
)

type number struct {
	from, to   int    // the number's runes, in-chunk prefix and suffix included
	dropFrom   int    // where the number and its money markers start (dropped from the name)
	dropTo     int    // … and end
	text       string // as written (normalised digits)
	hint       string // with its unit: "2个"
	fen        *big.Int
	kind       numKind
	inexact    bool // more than two decimals
	thousands  bool // "1.299": the dot may be a thousands separator
	multiplier int64
}

type parser struct {
	rs, lower []rune
	drop      []bool
	nums      []*number
}

// rest is the text that is not dropped.
func (p *parser) rest() string {
	var b strings.Builder
	for i, r := range p.rs {
		if !p.drop[i] {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (p *parser) dropSpan(from, to int) {
	for i := max(from, 0); i < to && i < len(p.drop); i++ {
		p.drop[i] = true
	}
}

// finishMarks drops the "#" marks: a run of # at the start or the end of the message, or between
// spaces. A # inside a word ("3#色") is part of the name.
func (p *parser) finishMarks() bool {
	rs, found := p.rs, false
	first, last := 0, len(rs)
	for first < last && rs[first] == ' ' {
		first++
	}
	for last > first && rs[last-1] == ' ' {
		last--
	}
	for i := first; i < last; {
		if rs[i] != '#' {
			i++
			continue
		}
		j := i
		for j < last && rs[j] == '#' {
			j++
		}
		if (i == first || rs[i-1] == ' ') || (j == last || rs[j] == ' ') {
			p.dropSpan(i, j)
			found = true
		}
		i = j
	}
	return found
}

// chunkRE reads a chunk of ASCII letters and digits that holds a number.
var chunkRE = regexp.MustCompile(`^(?i:(rmb|cny|x))?((?:\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.\d+)?)(?i:(k|w|rmb|cny|yuan|cm|mm|pcs))?$`)

var numberRE = regexp.MustCompile(`^(?:\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.\d+)?$`)

func isChunkRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
		strings.ContainsRune(".,-_/~", r)) || r == '，'
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// scan finds the numbers: chunks of ASCII letters, digits and separators that hold digits.
func (p *parser) scan() {
	rs := p.rs
	for i := 0; i < len(rs); {
		if !isChunkRune(rs[i]) || p.drop[i] {
			i++
			continue
		}
		j := i
		for j < len(rs) && isChunkRune(rs[j]) && !p.drop[j] {
			j++
		}
		p.chunk(i, j)
		i = j
	}
}

// chunk reads the chunk rs[from:to].
func (p *parser) chunk(from, to int) {
	for from < to && !isDigit(p.rs[from]) && !isASCIILetter(p.rs[from]) {
		from++
	}
	for to > from && !isDigit(p.rs[to-1]) && !isASCIILetter(p.rs[to-1]) {
		to--
	}
	s := string(p.rs[from:to])
	if !strings.ContainsFunc(s, isDigit) {
		return
	}
	if m := chunkRE.FindStringSubmatchIndex(s); m != nil {
		pre, suf := "", ""
		if m[2] >= 0 {
			pre = strings.ToLower(s[m[2]:m[3]])
		}
		if m[6] >= 0 {
			suf = strings.ToLower(s[m[6]:m[7]])
		}
		n := p.add(from, to, s[m[4]:m[5]])
		n.hint = s
		switch {
		case pre == "x":
			n.kind = kindQty
		case pre != "" || suf == "rmb" || suf == "cny" || suf == "yuan":
			n.kind = kindPrice
		case suf == "k" || suf == "w":
			n.kind, n.multiplier = kindPrice, map[string]int64{"k": 1000, "w": 10000}[suf]
		case suf == "cm" || suf == "mm":
			n.kind = kindUnit
		case suf == "pcs":
			n.kind = kindQty
		}
		if pre == "" && suf == "" {
			p.context(n)
		}
		return
	}
	if strings.ContainsFunc(s, isASCIILetter) {
		return // a model number or a word: "M40995", "2023SS", "No.5"
	}
	// Digits and separators that are not one number: "1299-1399", "12,99", "12/3".
	runes := []rune(s)
	for i := 0; i < len(runes); {
		j := i
		for j < len(runes) && !strings.ContainsRune(",，-/~_", runes[j]) {
			j++
		}
		if part := string(runes[i:j]); numberRE.MatchString(part) {
			p.context(p.add(from+i, from+j, part))
		}
		i = j + 1
	}
}

func (p *parser) add(from, to int, text string) *number {
	n := &number{from: from, to: to, dropFrom: from, dropTo: to, text: text, hint: text, multiplier: 1}
	p.nums = append(p.nums, n)
	return n
}

// Words around a number. Longer words come first where one ends another.
var (
	pricePrefixes = []string{"零售价", "吊牌价", "价格", "售价", "价钱", "标价", "定价", "单价", "卖价", "价", "卖",
		"¥", "$", "price", "rmb", "cny"}
	modelPrefixes = []string{"型号", "款号", "货号", "编号", "尺码", "尺寸", "第", "no.", "no"}
	qtyPrefixes   = []string{"数量", "×", "*", "共"}
	multipliers   = map[string]int64{"万": 10000, "千": 1000}
	moneySuffixes = []string{"元整", "元", "块钱", "块", "圆", "人民币", "rmb", "cny", "yuan"}
	modelSuffixes = []string{"年款", "款", "年", "型", "代", "系列", "季"}
	unitSuffixes  = []string{"厘米", "毫米", "公分", "cm", "mm", "寸", "码", "号", "#", "%", "折", "色", "层", "格", "度", "克",
		"斤", "成新", "成", "新", "月", "日", "点", "天"}
	qtySuffixes = []string{"个", "只", "件", "条", "套", "支", "张", "pcs"}
	perUnit     = []string{"/个", "/件", "/只", "/条", "每个", "每件", "一个", "一件"}
)

// context classifies a number by the words before and after it.
func (p *parser) context(n *number) {
	// Before: skip spaces and colons.
	i := n.from
	for i > 0 && (p.rs[i-1] == ' ' || p.rs[i-1] == ':') {
		i--
	}
	if w, ok := p.endsWith(i, pricePrefixes); ok {
		n.kind, n.dropFrom = kindPrice, i-len([]rune(w))
	} else if _, ok := p.endsWith(i, modelPrefixes); ok {
		n.kind = kindUnit
	} else if _, ok := p.endsWith(i, qtyPrefixes); ok {
		n.kind = kindQty
	}
	// After: a multiplier, then a unit.
	j := n.to
	for j < len(p.rs) && p.rs[j] == ' ' {
		j++
	}
	if j < len(p.rs) && !p.drop[j] {
		if m, ok := multipliers[string(p.rs[j])]; ok && n.multiplier == 1 {
			n.multiplier, n.kind, n.dropTo = m, kindPrice, j+1
			n.hint = n.text + string(p.rs[j])
			j++
			for j < len(p.rs) && p.rs[j] == ' ' {
				j++
			}
		}
	}
	if w, ok := p.startsWith(j, moneySuffixes); ok {
		n.kind, n.dropTo = kindPrice, j+len([]rune(w))
		j = n.dropTo
	}
	if n.kind == kindPrice {
		if w, ok := p.startsWith(j, perUnit); ok { // "1299元/个": the price of one
			n.dropTo = j + len([]rune(w))
		}
		return
	}
	for _, c := range []struct {
		words []string
		kind  numKind
	}{{modelSuffixes, kindModel}, {qtySuffixes, kindQty}, {unitSuffixes, kindUnit}} {
		if w, ok := p.startsWith(j, c.words); ok {
			n.kind, n.hint = c.kind, n.text+w
			return
		}
	}
}

// endsWith reports which of words ends at rune i (ASCII words must not continue a word).
func (p *parser) endsWith(i int, words []string) (string, bool) {
	for _, w := range words {
		wr := []rune(w)
		k := i - len(wr)
		if k < 0 || slices.Contains(p.drop[k:i], true) || string(p.lower[k:i]) != w {
			continue
		}
		if isASCIILetter(wr[0]) && k > 0 && isASCIILetter(p.rs[k-1]) {
			continue
		}
		return w, true
	}
	return "", false
}

// startsWith reports which of words starts at rune j (ASCII words must end a word).
func (p *parser) startsWith(j int, words []string) (string, bool) {
	for _, w := range words {
		wr := []rune(w)
		k := j + len(wr)
		if k > len(p.rs) || slices.Contains(p.drop[j:k], true) || string(p.lower[j:k]) != w {
			continue
		}
		if isASCIILetter(wr[len(wr)-1]) && k < len(p.rs) && isASCIILetter(p.rs[k]) {
			continue
		}
		return w, true
	}
	return "", false
}

// value computes the number in fen.
func (n *number) value() {
	digits := strings.NewReplacer(",", "", "，", "").Replace(n.text)
	ip, fp, _ := strings.Cut(digits, ".")
	v, _ := new(big.Int).SetString(ip+fp, 10)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(fp))), nil)
	v.Mul(v, big.NewInt(100*n.multiplier))
	q, r := new(big.Int).QuoRem(v, scale, new(big.Int))
	if r.Sign() != 0 {
		n.inexact = true
		if r.Mul(r, big.NewInt(2)).Cmp(scale) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		// "1.299": the dot may be a thousands separator.
		if n.multiplier == 1 && len(fp) == 3 && len(ip) <= 3 && ip[0] != '0' && !strings.ContainsAny(n.text, ",，") {
			n.thousands = true
		}
	}
	n.fen = q
}

// maxNumbers bounds the numbers a Reading lists (a reply quotes them).
const maxNumbers = 6

// maxFen bounds the price kept in a Reading (far above any shop's maximum).
var maxFen = big.NewInt(1 << 53)

// choose picks the price among the numbers and sets the doubt.
func (p *parser) choose(r *Reading, max shop.Money) {
	var prices, plain, qty, model []*number
	for _, n := range p.nums {
		n.value()
		switch n.kind {
		case kindPrice:
			prices = append(prices, n)
		case kindPlain:
			plain = append(plain, n)
		case kindQty:
			qty = append(qty, n)
		case kindModel:
			model = append(model, n)
		}
	}
	var chosen *number
	switch {
	case len(prices) == 1:
		chosen = prices[0] // bare numbers beside a marked price belong to the name: "Tabby 26 ¥3,280"
	case len(prices) > 1:
		chosen, r.Doubt = largest(prices), DoubtNumbers
	case len(plain) == 1:
		chosen = plain[0]
	case len(plain) > 1:
		chosen, r.Doubt = largest(plain), DoubtNumbers
	case len(model) > 0 && len(qty) == 0:
		chosen, r.Doubt, r.Hint = model[0], DoubtModel, short(model[0].hint)
	}
	if r.Doubt == DoubtNumbers {
		for _, n := range append(prices, plain...) {
			if len(r.Numbers) == maxNumbers {
				r.Numbers = append(r.Numbers, "…")
				break
			}
			r.Numbers = append(r.Numbers, short(n.text))
		}
	}
	if len(qty) > 0 {
		r.Doubt, r.Hint = DoubtQuantity, short(qty[0].hint)
		for _, n := range qty {
			p.dropSpan(n.from, n.to)
			p.dropUnit(n)
		}
	}
	if chosen == nil {
		return
	}
	r.Priced = true
	if chosen.fen.Cmp(maxFen) > 0 {
		r.Price = shop.Money(maxFen.Int64())
	} else {
		r.Price = shop.Money(chosen.fen.Int64())
	}
	switch {
	case r.Price > max:
		r.Doubt, r.Hint = DoubtTooHigh, short(chosen.text)
	case r.Price <= 0:
		r.Doubt, r.Hint = DoubtZero, short(chosen.text)
	case chosen.inexact && r.Doubt == DoubtNone:
		r.Doubt, r.Hint = DoubtDecimals, short(chosen.text)
		if chosen.thousands {
			r.Price = shop.Money(thousandsYuan(chosen.text) * 100)
		}
	}
	if r.Doubt != DoubtModel {
		p.dropSpan(chosen.dropFrom, chosen.dropTo)
	}
}

// dropUnit drops the quantity word after a quantity ("2个").
func (p *parser) dropUnit(n *number) {
	j := n.to
	for j < len(p.rs) && p.rs[j] == ' ' {
		j++
	}
	if w, ok := p.startsWith(j, qtySuffixes); ok {
		p.dropSpan(n.to, j+len([]rune(w)))
	}
	i := n.from
	for i > 0 && p.rs[i-1] == ' ' {
		i--
	}
	if w, ok := p.endsWith(i, qtyPrefixes); ok {
		p.dropSpan(i-len([]rune(w)), n.from)
	}
}

// thousandsYuan reads "1.299" as 1299.
func thousandsYuan(s string) int64 {
	var v int64
	for _, r := range s {
		if isDigit(r) {
			v = v*10 + int64(r-'0')
		}
	}
	return v
}

func largest(ns []*number) *number {
	best := ns[0]
	for _, n := range ns[1:] {
		if n.fen.Cmp(best.fen) > 0 {
			best = n
		}
	}
	return best
}

// short keeps a quoted number readable in a reply.
func short(s string) string {
	if utf8.RuneCountInString(s) <= 24 {
		return s
	}
	return string([]rune(s)[:23]) + "…"
}
