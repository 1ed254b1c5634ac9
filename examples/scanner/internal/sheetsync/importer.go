package sheetsync

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// Import fills an empty store from a document an earlier version of the app wrote (the sheet was
// its database then): 商品, then every 库存流水 and 销售记录 sub-sheet, page by page. It is resumable:
// finished steps are recorded in the store, and re-reading a page inserts nothing twice. Products
// whose 库存 differs from their ledger get a 表格修改 row so that stock equals the ledger sum from
// then on. It runs once, at the first start on an existing document.
func (s *Syncer) Import(ctx context.Context) error {
	if done, err := s.st.Get(ctx, "import:done"); err != nil || done != "" {
		return err
	}
	inDoc, err := s.ss.Sheets(ctx, s.docID, nil)
	if err != nil {
		return fmt.Errorf("list the document's sheets: %w", err)
	}
	var ledgers, sales []smartsheet.Sheet
	for _, x := range inDoc {
		switch {
		case x.Title == ProductsTitle:
			if err := s.importSheet(ctx, productsTable, x, 0, 0); err != nil {
				return err
			}
		case strings.HasPrefix(x.Title, LedgerTitle):
			ledgers = append(ledgers, x)
		case strings.HasPrefix(x.Title, SalesTitle):
			sales = append(sales, x)
		}
	}
	if err := s.importLedger(ctx, ledgers); err != nil {
		return err
	}
	for _, x := range sales {
		year, part, ok := parseTitle(x.Title, SalesTitle)
		if !ok {
			continue
		}
		if err := s.importSheet(ctx, salesTable, x, year, part); err != nil {
			return err
		}
	}
	if err := s.balanceLedger(ctx); err != nil {
		return err
	}
	return s.st.Set(ctx, "import:done", s.o.Now().Format("2006-01-02 15:04:05"))
}

// parseTitle reads 库存流水2026 or 库存流水2026 (2).
func parseTitle(title, prefix string) (year, part int, ok bool) {
	rest := strings.TrimPrefix(title, prefix)
	part = 1
	if y, p, found := strings.Cut(rest, " ("); found {
		rest = y
		n, err := strconv.Atoi(strings.TrimSuffix(p, ")"))
		if err != nil {
			return 0, 0, false
		}
		part = n
	}
	year, err := strconv.Atoi(rest)
	return year, part, err == nil && year > 2000 && year < 3000
}

// register records a sub-sheet of the document in the store (adding the columns this version
// needs, such as 序号 and 最后编辑时间).
func (s *Syncer) register(ctx context.Context, t *table, x smartsheet.Sheet, year, part int) (store.Sheet, error) {
	sh := store.Sheet{Name: sheetName(t, year, part), SheetID: x.ID, Title: x.Title}
	if err := s.ensureColumns(ctx, t, x.ID); err != nil {
		return sh, fmt.Errorf("%s: %w", x.Title, err)
	}
	return sh, s.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.SaveSheet(ctx, sh) })
}

// importSheet copies 商品 or a sales sub-sheet, a page per transaction, resuming at the page
// recorded in the store.
func (s *Syncer) importSheet(ctx context.Context, t *table, x smartsheet.Sheet, year, part int) error {
	sh, err := s.register(ctx, t, x, year, part)
	if err != nil {
		return err
	}
	key := "import:" + sh.Name
	offset := 0
	if v, _ := s.st.Get(ctx, key); v != "" {
		if offset, err = strconv.Atoi(v); err != nil {
			return err
		}
	}
	for offset >= 0 {
		page, err := s.ss.GetRecords(ctx, s.docID, x.ID, &smartsheet.Query{Offset: offset, Limit: smartsheet.MaxPageSize})
		if err != nil {
			return fmt.Errorf("read %s: %w", x.Title, err)
		}
		next := -1
		if page.HasMore {
			next = page.Next
		}
		err = s.st.WriteTx(ctx, func(tx *store.Tx) error {
			placed := 0
			for _, rec := range page.Records {
				ok, err := s.importRecord(ctx, tx, t, sh, rec)
				if err != nil {
					return err
				}
				if ok {
					placed++
				}
			}
			if err := tx.AddSheetRows(ctx, sh.Name, placed); err != nil {
				return err
			}
			return tx.Set(ctx, key, strconv.Itoa(next))
		})
		if err != nil {
			return err
		}
		s.log.Info("sheetsync: importing the existing sheet", "sheet", x.Title, "rows", offset+len(page.Records), "of", page.Total)
		offset = next
	}
	return nil
}

// importRecord writes one row of 商品 or of a sales sheet to the store, with its place in the sheet.
func (s *Syncer) importRecord(ctx context.Context, tx *store.Tx, t *table, sh store.Sheet, rec smartsheet.Record) (bool, error) {
	cur := t.read(rec)
	row := store.SheetRow{Topic: t.topic, Sheet: sh.Name, RecordID: rec.ID}
	if t == productsTable {
		p := productFromSheet(cur, rec)
		if p == nil {
			return false, nil // a blank or unfinished row: the reconcile registers it once complete
		}
		if _, err := tx.ImportProduct(ctx, p); err != nil {
			return false, err
		}
		row.Entity, row.Pushed = p.Code, cur.String()
		return true, tx.SaveSheetRow(ctx, row)
	}
	x := &shop.Sale{ID: cur[colSaleID], Code: cur[colCode], Name: cur[colName], Price: money2(cur[colSalePrice]),
		Cost: money2(cur[colCost]), Note: cur[colNote], Actor: cur[colSeller], At: rec.Values[colTime].Time()}
	if x.ID == "" || x.Code == "" {
		return false, nil
	}
	if _, err := tx.ImportSale(ctx, x); err != nil {
		return false, err
	}
	row.Entity = x.ID
	return true, tx.SaveSheetRow(ctx, row)
}

func money2(s string) shop.Money {
	f, _ := strconv.ParseFloat(s, 64)
	return shop.Yuan(f)
}

func productFromSheet(cur snapshot, rec smartsheet.Record) *shop.Product {
	code := shop.NormalizeCode(cur[colCode])
	if code == "" || cur[colName] == "" {
		return nil
	}
	stock, _ := strconv.Atoi(cur[colStock])
	p := &shop.Product{Code: code, Name: cur[colName], Brand: cur[colBrand], Model: cur[colModel], Color: cur[colColor],
		Price: money2(cur[colPrice]), Floor: money2(cur[colFloor]), Cost: money2(cur[colCost]), Stock: max(stock, 0),
		Location: cur[colLocation], Status: shop.Status(cur[colStatus]), PhotoURL: cur[colPhoto],
		CreatedAt: rec.Values[colCreated].Time(), UpdatedAt: rec.Values[colUpdated].Time()}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = rec.CreatedAt
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	if p.Status != shop.StatusInactive {
		p.Status = shop.StatusOnSale
		if p.Stock == 0 {
			p.Status = shop.StatusSoldOut
		}
	}
	return p
}

// importLedger copies every ledger sub-sheet in one transaction, in operation order (time, then
// the balance chain), so that the sequence numbers order the imported rows as they happened.
func (s *Syncer) importLedger(ctx context.Context, sheets []smartsheet.Sheet) error {
	if v, _ := s.st.Get(ctx, "import:ledger"); v != "" {
		return nil
	}
	type placed struct {
		m   shop.Movement
		row store.SheetRow
	}
	byCode := map[string][]shop.Movement{}
	where := map[string]store.SheetRow{}
	var regs []store.Sheet
	for _, x := range sheets {
		year, part, ok := parseTitle(x.Title, LedgerTitle)
		if !ok {
			continue
		}
		sh, err := s.register(ctx, ledgerTable, x, year, part)
		if err != nil {
			return err
		}
		regs = append(regs, sh)
		for rec, err := range s.ss.Records(ctx, s.docID, x.ID, nil) {
			if err != nil {
				return fmt.Errorf("read %s: %w", x.Title, err)
			}
			cur := ledgerTable.read(rec)
			qty, _ := strconv.Atoi(cur[colQty])
			bal, _ := strconv.Atoi(cur[colBalance])
			m := shop.Movement{ID: cur[colMoveID], Code: cur[colCode], Kind: shop.MoveKind(cur[colKind]), Qty: qty, Balance: bal,
				Reason: cur[colReason], Actor: cur[colActor], At: rec.Values[colTime].Time()}
			if m.ID == "" || m.Code == "" {
				continue
			}
			byCode[m.Code] = append(byCode[m.Code], m)
			where[m.ID] = store.SheetRow{Topic: store.TopicLedger, Entity: m.ID, Sheet: sh.Name, RecordID: rec.ID}
		}
	}
	var all []placed
	for _, ms := range byCode {
		for _, m := range oldestFirst(ms) {
			all = append(all, placed{m, where[m.ID]})
		}
	}
	// Across products, by time; within one product the chain order is kept (a stable sort).
	slices.SortStableFunc(all, func(a, b placed) int { return a.m.At.Compare(b.m.At) })
	return s.st.WriteTx(ctx, func(tx *store.Tx) error {
		count := map[string]int{}
		for i := range all {
			ok, err := tx.ImportMovement(ctx, &all[i].m)
			if err != nil {
				return err
			}
			if ok {
				if err := tx.SaveSheetRow(ctx, all[i].row); err != nil {
					return err
				}
				count[all[i].row.Sheet]++
			}
		}
		for _, sh := range regs {
			if err := tx.AddSheetRows(ctx, sh.Name, count[sh.Name]); err != nil {
				return err
			}
		}
		s.log.Info("sheetsync: imported the existing ledger", "rows", len(all))
		return tx.Set(ctx, "import:ledger", "done")
	})
}

// balanceLedger adds a 表格修改 row for every product whose 库存 differs from its ledger sum, so that
// stock = ledger sum holds from the import on.
func (s *Syncer) balanceLedger(ctx context.Context) error {
	sums, err := s.st.LedgerSums(ctx)
	if err != nil {
		return err
	}
	bad, err := s.st.LedgerMismatches(ctx)
	if err != nil {
		return err
	}
	now := s.o.Now()
	return s.st.WriteTx(ctx, func(tx *store.Tx) error {
		for code, v := range bad {
			stock, sum := v[0], sums[code]
			m := &shop.Movement{ID: shop.NewID(now), Code: code, Kind: shop.MoveSheetEdit, Qty: stock - sum, Balance: stock,
				Reason: fmt.Sprintf("导入：表格库存 %d，流水合计 %d", stock, sum), Actor: "导入", At: now}
			if err := tx.AddMovement(ctx, m); err != nil {
				return err
			}
		}
		if len(bad) > 0 {
			s.log.Warn("sheetsync: imported products whose 库存 differed from the ledger got a 表格修改 row", "products", len(bad))
		}
		return nil
	})
}
