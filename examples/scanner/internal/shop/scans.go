package shop

import (
	"time"
)

// ScanSource tells how a product page was reached.
type ScanSource string

const (
	ScanLabel  ScanSource = "label"  // a label's signed URL (WeCom 扫一扫, the app's scanner, a phone camera)
	ScanSearch ScanSource = "search" // a code typed or scanned from a barcode in the app
)

// Scan is one scan record (扫码记录): who opened which bag's page, when, and how.
type Scan struct {
	Code   string     `json:"code"`
	Actor  string     `json:"actor"` // userid
	Source ScanSource `json:"source"`
	At     time.Time  `json:"at"`
}

// ScanCount is a product and how often it was scanned.
type ScanCount struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Stock int    `json:"stock"`
	Scans int    `json:"scans"`
}
