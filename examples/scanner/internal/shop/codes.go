package shop

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultCodePattern makes codes like BAG20250308001.
const DefaultCodePattern = "BAG{date}{seq:3}"

// CodeGen makes new product codes from a pattern: literal letters/digits, {date} (YYYYMMDD),
// {month} (YYYYMM) and {seq:N} (a counter of N digits, restarting with each date/month prefix).
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
	return &CodeGen{pattern: pattern, digits: n}, nil
}

// Prefix returns the code prefix for now (everything before the counter).
func (g *CodeGen) Prefix(now time.Time) string {
	p := strings.TrimSuffix(g.pattern, "{seq:"+strconv.Itoa(g.digits)+"}")
	p = strings.ReplaceAll(p, "{date}", now.Format("20060102"))
	return strings.ReplaceAll(p, "{month}", now.Format("200601"))
}

// Next returns the code after the highest existing one for now. The counter has at least N digits
// and grows a digit when it runs out (BAG20250308999, then BAG202503081000), so a big import on one
// day never runs out of codes.
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
		return "", fmt.Errorf("shop: code counter for %s exhausted", prefix)
	}
	return prefix + fmt.Sprintf("%0*d", g.digits, max+1), nil
}
