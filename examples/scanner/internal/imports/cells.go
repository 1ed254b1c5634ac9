package imports

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

var (
	plainNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	groupedInt  = regexp.MustCompile(`^[0-9]{1,3}(,[0-9]{3})+$`)
	sciNumber   = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?e[+-]?[0-9]+$`) // Excel's raw value of a large or tiny number
)

// squeeze folds a cell for reading a number: full-width digits, ￥ and ，become ASCII (NFKC), case
// and every space go.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\'' {
			return -1
		}
		return unicode.ToLower(r)
	}, norm.NFKC.String(s))
}

func trimAny(s string, prefix bool, list ...string) string {
	for again := true; again; {
		again = false
		for _, p := range list {
			if prefix && strings.HasPrefix(s, p) {
				s, again = strings.TrimPrefix(s, p), true
			} else if !prefix && strings.HasSuffix(s, p) {
				s, again = strings.TrimSuffix(s, p), true
			}
		}
	}
	return s
}

// parseMoney reads an amount of yuan as shops write it: 1299, 1299.00, ¥1,299, ￥１，２９９,
// 1 299 元, RMB 1299, 1.2万, or the raw value of an Excel number cell. It refuses negative amounts,
// a comma that is not a thousands separator (1,2) and anything else that is not a number.
func parseMoney(cell string) (shop.Money, error) {
	s := squeeze(cell)
	s = trimAny(s, true, "¥", "rmb", "cny", "人民币", "价格:", "售价:")
	s = trimAny(s, false, "元整", "元", "块", "rmb", "cny", "/件", "/个", "/只")
	mult := 1.0
	if strings.HasSuffix(s, "万") {
		s, mult = strings.TrimSuffix(s, "万"), 10000
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if strings.Contains(intPart, ",") {
		if !groupedInt.MatchString(intPart) {
			return 0, errBadNumber
		}
		intPart = strings.ReplaceAll(intPart, ",", "")
		s = intPart
		if hasFrac {
			s += "." + frac
		}
	}
	if !plainNumber.MatchString(s) && !sciNumber.MatchString(s) {
		return 0, errBadNumber
	}
	y, err := strconv.ParseFloat(s, 64)
	if err != nil || y*mult > 1e10 {
		return 0, errBadNumber
	}
	return shop.Yuan(y * mult), nil
}

var errBadNumber = errors.New("not a number")

// parseCount reads a stock count: 2, ２, 2件, 2.0 (an Excel number).
func parseCount(cell string) (int, error) {
	s := trimAny(squeeze(cell), false, "件", "个", "只", "pcs", "pc")
	if !plainNumber.MatchString(s) && !sciNumber.MatchString(s) {
		return 0, errBadNumber
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) || f > 1e9 {
		return 0, errBadNumber
	}
	return int(f), nil
}

// isTotalRow tells a 合计/总计 row at the end of a list from a product.
func isTotalRow(name string) bool {
	switch strings.Trim(fold(name), ":：") {
	case "合计", "总计", "小计", "共计", "total", "sum", "subtotal":
		return true
	}
	return false
}
