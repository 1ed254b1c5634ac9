package shop

import (
	"context"
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

// RecordScan keeps a scan record. It writes no outbox row: scans stay in the app.
func (s *Service) RecordScan(ctx context.Context, a Actor, code string, src ScanSource) error {
	if src != ScanLabel && src != ScanSearch {
		src = ScanSearch
	}
	sc := Scan{Code: NormalizeCode(code), Actor: a.UserID, Source: src, At: s.now()}
	if sc.Code == "" {
		return ErrNotFound
	}
	return s.store.Write(ctx, func(tx Tx) error { return tx.AddScan(ctx, sc) })
}

// Scans returns how often a product was scanned and its latest scans, newest first.
func (s *Service) Scans(ctx context.Context, code string, limit int) (int, []Scan, error) {
	code = NormalizeCode(code)
	if code == "" {
		return 0, nil, ErrNotFound
	}
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	return s.store.Scans(ctx, code, limit)
}
