package shop

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultCodePattern makes codes like BAG20250308001.
const DefaultCodePattern = "BAG{date}{seq:3}"

// maxCodeLen is the longest product code (see NormalizeCode).
const maxCodeLen = 40

// ErrCodesFull is returned when the code pattern has no code left for now: the counter reached
// 999,999,999 or the code would be longer than 40 characters. It names the pattern and the
// prefix; the fix is a shorter or different CODE_PATTERN (or a code given explicitly).
var ErrCodesFull = errors.New("编码规则已无可用编码 (code pattern exhausted)")

// CodesFullError is an [ErrCodesFull] with the pattern and the prefix that ran out.
type CodesFullError struct {
	Pattern, Prefix, Why string
}

func (e *CodesFullError) Error() string {
	return fmt.Sprintf("编码规则 %s 已无可用编码（前缀 %s：%s）。请修改 CODE_PATTERN，或登记时填写编码 (code pattern exhausted)",
		e.Pattern, e.Prefix, e.Why)
}

func (e *CodesFullError) Is(target error) bool { return target == ErrCodesFull }

// CodeGen makes new product codes from a pattern: literal letters/digits, {date} (YYYYMMDD),
// {month} (YYYYMM) and {seq:N} (a counter of at least N digits, restarting with each date/month
// prefix).
type CodeGen struct {
	pattern string
	digits  int
}

var patRE = regexp.MustCompile(`^([A-Z0-9_-]*)((?:\{date\}|\{month\})?)([A-Z0-9_-]*)\{seq:([1-9])\}$`)

// NewCodeGen validates pattern.
func NewCodeGen(pattern string) (*CodeGen, error) {
	m := patRE.FindStringSubmatch(pattern)
	if m == nil {
		return nil, fmt.Errorf("shop: code pattern %q: want letters/digits, optional {date} or {month}, and a final {seq:N}", pattern)
	}
	n, _ := strconv.Atoi(m[4])
	g := &CodeGen{pattern: pattern, digits: n}
	if l := len(g.Prefix(time.Time{})) + n; l > maxCodeLen {
		return nil, fmt.Errorf("shop: code pattern %q makes codes of %d characters (at most %d)", pattern, l, maxCodeLen)
	}
	return g, nil
}

// Pattern returns the pattern.
func (g *CodeGen) Pattern() string { return g.pattern }

// Prefix returns the code prefix for now (everything before the counter). now should be in the
// shop's time zone: {date} is its calendar date.
func (g *CodeGen) Prefix(now time.Time) string {
	p := strings.TrimSuffix(g.pattern, "{seq:"+strconv.Itoa(g.digits)+"}")
	p = strings.ReplaceAll(p, "{date}", now.Format("20060102"))
	return strings.ReplaceAll(p, "{month}", now.Format("200601"))
}

// Next returns the code after the highest existing one for now. The counter has at least N digits
// and grows a digit when it runs out (BAG20250308999, then BAG202503081000), so a big import on one
// day never runs out of codes. When none is left it returns a [*CodesFullError].
func (g *CodeGen) Next(now time.Time, existing []string) (string, error) {
	prefix := g.Prefix(now)
	max := 0
	for _, c := range existing {
		rest, ok := strings.CutPrefix(c, prefix)
		if !ok || len(rest) < g.digits || len(rest) > 9 || strings.TrimLeft(rest, "0123456789") != "" {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && n > max {
			max = n
		}
	}
	if max >= 999_999_999 {
		return "", &CodesFullError{Pattern: g.pattern, Prefix: prefix, Why: "序号已到 999999999"}
	}
	code := prefix + fmt.Sprintf("%0*d", g.digits, max+1)
	if len(code) > maxCodeLen {
		return "", &CodesFullError{Pattern: g.pattern, Prefix: prefix, Why: fmt.Sprintf("下一个编码 %s 超过 %d 位", code, maxCodeLen)}
	}
	return code, nil
}
