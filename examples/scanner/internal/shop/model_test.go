package shop

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMoneyJSON(t *testing.T) {
	var m Money
	require.NoError(t, m.UnmarshalJSON([]byte("1299.5")))
	assert.Equal(t, Money(129950), m)
	b, _ := m.MarshalJSON()
	assert.Equal(t, "1299.5", string(b))
	assert.Error(t, m.UnmarshalJSON([]byte("1.234")))
	assert.Error(t, m.UnmarshalJSON([]byte(`"12"`)))
	assert.Equal(t, "-3.05", Money(-305).String())
}

func TestCodeGen(t *testing.T) {
	g, err := NewCodeGen("BAG{date}{seq:3}")
	require.NoError(t, err)
	now := time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)
	c, err := g.Next(now, []string{"BAG20250308009", "BAG20250307999", "X"})
	require.NoError(t, err)
	assert.Equal(t, "BAG20250308010", c)
	c, err = g.Next(now, []string{"BAG20250308999", "BAG20250308ABC"})
	require.NoError(t, err)
	assert.Equal(t, "BAG202503081000", c, "the counter grows a digit")
	c, err = g.Next(now, []string{"BAG202503081000", "BAG20250308999"})
	require.NoError(t, err)
	assert.Equal(t, "BAG202503081001", c)
	for _, bad := range []string{"", "BAG", "bag{seq:3}", "{seq:0}", "A{date}{seq:3}X",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF{date}{seq:3}"} {
		_, err := NewCodeGen(bad)
		assert.Error(t, err, bad)
	}
}

// A pattern with no code left is a typed error that names the pattern and why, never a crash or
// a misleading "WeCom unavailable".
func TestCodeGenFull(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	g, err := NewCodeGen("BAG{date}{seq:3}")
	require.NoError(t, err)
	_, err = g.Next(now, []string{"BAG20261203999999999"})
	require.ErrorIs(t, err, ErrCodesFull)
	assert.Contains(t, err.Error(), "BAG{date}{seq:3}")
	assert.Contains(t, err.Error(), "999999999")

	g, err = NewCodeGen("SHOPWIDE-LONG-PREFIX-2026-{date}{seq:4}") // 26 + 8 + 4 = 38 characters
	require.NoError(t, err)
	c, err := g.Next(now, []string{"SHOPWIDE-LONG-PREFIX-2026-202612039999"})
	require.NoError(t, err, "39 characters still fit")
	assert.Equal(t, "SHOPWIDE-LONG-PREFIX-2026-2026120310000", c)
	_, err = g.Next(now, []string{"SHOPWIDE-LONG-PREFIX-2026-20261203999999"})
	require.ErrorIs(t, err, ErrCodesFull)
	assert.Contains(t, err.Error(), "超过 40 位")
}

func TestSheetEditKeepsInvalidValuesOut(t *testing.T) {
	p := &Product{Name: "托特包", Price: Yuan(100), Floor: Yuan(90), Status: StatusOnSale, Stock: 1}
	empty, zero, high := "  ", Money(0), Yuan(500)
	name := " 新名称 "
	applySheetFields(p, &SheetEdit{Name: &empty, Price: &zero, Floor: &high})
	assert.Equal(t, "托特包", p.Name, "an empty name is refused")
	assert.Equal(t, Yuan(100), p.Price, "a price of 0 is refused")
	assert.Equal(t, Yuan(90), p.Floor, "a floor above the price is refused")
	applySheetFields(p, &SheetEdit{Name: &name})
	assert.Equal(t, "新名称", p.Name)
	inactive := StatusInactive
	applySheetFields(p, &SheetEdit{Status: &inactive})
	assert.Equal(t, StatusInactive, p.Status)
}
