package sheetsync

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// Reconcile heals what callbacks missed. For each of the app's sub-sheets it reads one record to
// learn the sheet's data version (ver) and row count: an unchanged version means nothing to do.
// Otherwise it reads the rows of 商品 edited since the last reconcile (a filter on the 最后编辑时间
// column) and applies members' edits, and when the row count differs from what the app placed
// there it reads the key column to find rows missing from the sheet (written again) and rows
// added by members. A sub-sheet deleted from the document is made again with all its rows.
// One replica reconciles at a time.
func (s *Syncer) Reconcile(ctx context.Context) error {
	held, err := s.st.Lease(ctx, "reconcile", s.o.Owner, 10*time.Minute)
	if err != nil || !held {
		return err
	}
	defer s.st.ReleaseLease(context.WithoutCancel(ctx), "reconcile", s.o.Owner) //nolint:errcheck
	started := s.o.Now()
	inDoc, err := s.ss.Sheets(ctx, s.docID, nil)
	if err != nil {
		return fmt.Errorf("list the document's sheets: %w", err)
	}
	present := map[string]bool{}
	for _, x := range inDoc {
		present[x.ID] = true
	}
	known, err := s.st.Sheets(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, sh := range known {
		if !present[sh.SheetID] {
			s.log.Warn("sheetsync: a sub-sheet is missing from the document; it is made again with all its rows", "sheet", sh.Title)
			errs = append(errs, s.st.WriteTx(ctx, func(tx *store.Tx) error {
				if err := tx.ForgetSheet(ctx, sh.Name); err != nil {
					return err
				}
				return tx.DeleteSheet(ctx, sh.Name)
			}))
			continue
		}
		if err := s.reconcileSheet(ctx, sh, started); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", sh.Title, err))
		}
	}
	s.Kick()
	return errors.Join(errs...)
}

func (s *Syncer) reconcileSheet(ctx context.Context, sh store.Sheet, started time.Time) error {
	t := tableOf(sh.Name)
	if t == nil {
		return nil
	}
	page, err := s.ss.GetRecords(ctx, s.docID, sh.SheetID, &smartsheet.Query{Fields: []string{t.key}, Limit: 1})
	if err != nil {
		return err
	}
	placed, err := s.st.CountSheetRows(ctx, sh.Name)
	if err != nil {
		return err
	}
	state := strconv.FormatInt(page.Ver, 10) + "/" + strconv.Itoa(page.Total) + "/" + strconv.Itoa(placed)
	verKey := "reconcile:" + sh.Name
	last, err := s.st.Get(ctx, verKey)
	if err != nil || last == state {
		return err // nothing changed since the last reconcile
	}
	if t == productsTable {
		if err := s.reconcileEdits(ctx, sh, started); err != nil {
			return err
		}
	}
	if page.Total != placed {
		if err := s.reconcileRows(ctx, t, sh); err != nil {
			return err
		}
	}
	return s.st.Set(ctx, verKey, state)
}

// reconcileEdits applies the edits of rows of 商品 changed since the last reconcile (from the day
// before it: the filter compares days).
func (s *Syncer) reconcileEdits(ctx context.Context, sh store.Sheet, started time.Time) error {
	const key = "reconcile:products:since"
	since := started.Add(-24 * time.Hour)
	if v, _ := s.st.Get(ctx, key); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			since = time.UnixMilli(n).Add(-24 * time.Hour)
		}
	}
	q := &smartsheet.Query{Filter: smartsheet.Where(colEdited, smartsheet.GreaterOrEqual, since.In(s.o.Location))}
	var batch []smartsheet.Record
	for rec, err := range s.ss.Records(ctx, s.docID, sh.SheetID, q) {
		if err != nil {
			return err
		}
		if batch = append(batch, rec); len(batch) == 500 {
			if err := s.applyProductRecords(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := s.applyProductRecords(ctx, batch); err != nil {
		return err
	}
	return s.st.Set(ctx, key, strconv.FormatInt(started.UnixMilli(), 10))
}

// reconcileRows reads the key column: rows the app placed that are gone are written again (in
// full); rows of 商品 the store does not know are linked or registered.
func (s *Syncer) reconcileRows(ctx context.Context, t *table, sh store.Sheet) error {
	var placed []store.SheetRow
	rows := map[string]bool{}
	if err := s.st.SheetRowsOf(ctx, sh.Name, func(r store.SheetRow) error {
		if r.RecordID != "" {
			rows[r.RecordID] = true
			placed = append(placed, r)
		}
		return nil
	}); err != nil {
		return err
	}
	inSheet := map[string]bool{}
	var unknown []string
	for rec, err := range s.ss.Records(ctx, s.docID, sh.SheetID, &smartsheet.Query{Fields: []string{t.key}}) {
		if err != nil {
			return err
		}
		inSheet[rec.ID] = true
		if !rows[rec.ID] {
			unknown = append(unknown, rec.ID)
		}
	}
	missing := 0
	if err := s.st.WriteTx(ctx, func(tx *store.Tx) error {
		for _, r := range placed {
			if inSheet[r.RecordID] {
				continue
			}
			missing++
			if err := tx.SaveSheetRow(ctx, store.SheetRow{Topic: r.Topic, Entity: r.Entity}); err != nil {
				return err
			}
			if err := tx.EnqueueFull(ctx, r.Topic, r.Entity); err != nil {
				return err
			}
		}
		return tx.AddSheetRows(ctx, sh.Name, -missing)
	}); err != nil {
		return err
	}
	if missing > 0 {
		s.log.Warn("sheetsync: rows missing from the sheet are written again", "sheet", sh.Title, "rows", missing)
	}
	if t != productsTable || len(unknown) == 0 {
		return nil
	}
	for len(unknown) > 0 {
		n := min(len(unknown), smartsheet.MaxPageSize)
		page, err := s.ss.GetRecords(ctx, s.docID, sh.SheetID, &smartsheet.Query{RecordIDs: unknown[:n]})
		if err != nil {
			return err
		}
		if err := s.applyProductRecords(ctx, page.Records); err != nil {
			return err
		}
		unknown = unknown[n:]
	}
	return nil
}
