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
	for _, bad := range []string{"", "BAG", "bag{seq:3}", "{seq:0}", "A{date}{seq:3}X"} {
		_, err := NewCodeGen(bad)
		assert.Error(t, err, bad)
	}
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
