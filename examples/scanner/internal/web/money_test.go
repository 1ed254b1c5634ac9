package web

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

func TestRMB(t *testing.T) {
	for m, want := range map[shop.Money]string{
		0: "¥0.00", 5: "¥0.05", 129900: "¥1,299.00", -298000: "-\u2060¥2,980.00",
		123456789: "¥1,234,567.89", 100000: "¥1,000.00", 99999: "¥999.99",
	} {
		assert.Equal(t, want, rmb(m), "%d fen", m)
	}
}
