package sheetsync

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// partRows is how many rows the app puts in one yearly sub-sheet before it starts the next part
// (a sub-sheet holds at most 100,000 rows; members may add some).
const partRows = 90_000

// DocName is the name of the document the app creates on first start.
const DocName = "箱包库存 (qiwei scanner)"

// CreateDoc creates the shop's smart sheet with admins as document admins and returns its id. An
// app may only use smart sheets it created itself, so the caller must keep the id.
func CreateDoc(ctx context.Context, c *smartsheet.Client, admins []string) (string, error) {
	doc, err := c.CreateDoc(ctx, &smartsheet.CreateDocRequest{Name: DocName, AdminUsers: admins})
	if err != nil {
		return "", fmt.Errorf("create smart sheet: %w", err)
	}
	return doc.ID, nil
}

// sheetFor returns the sub-sheet a row of t from year goes to, creating it when needed; rows is
// how many rows are about to be added (a full part starts the next one).
func (s *Syncer) sheetFor(ctx context.Context, t *table, year, rows int) (store.Sheet, error) {
	known, err := s.st.Sheets(ctx)
	if err != nil {
		return store.Sheet{}, err
	}
	if !t.yearly {
		for _, sh := range known {
			if sh.Name == t.topic {
				return sh, s.ensureSchema(ctx, t, sh)
			}
		}
		return s.createSheet(ctx, t, 0, 0)
	}
	part, last := 0, store.Sheet{}
	prefix := t.topic + ":" + strconv.Itoa(year) + ":"
	for _, sh := range known {
		if rest, ok := strings.CutPrefix(sh.Name, prefix); ok {
			if n, err := strconv.Atoi(rest); err == nil && n > part {
				part, last = n, sh
			}
		}
	}
	if part > 0 && last.RowCount+rows <= partRows {
		return last, s.ensureSchema(ctx, t, last)
	}
	return s.createSheet(ctx, t, year, part+1)
}

// createSheet finds the sub-sheet by its title in the document or adds it, makes sure it has the
// table's columns and a view, and records it in the store.
func (s *Syncer) createSheet(ctx context.Context, t *table, year, part int) (store.Sheet, error) {
	title := sheetTitle(t, year, part)
	sh := store.Sheet{Name: sheetName(t, year, part), Title: title}
	existing, err := s.ss.Sheets(ctx, s.docID, nil)
	if err != nil {
		return sh, fmt.Errorf("list sheets: %w", err)
	}
	for _, x := range existing {
		if x.Title == title {
			sh.SheetID = x.ID
		}
	}
	if sh.SheetID == "" && t == productsTable && len(existing) == 1 && !ours(existing[0].Title) {
		// A new document's default sub-sheet becomes 商品.
		if err := s.ss.RenameSheet(ctx, s.docID, existing[0].ID, title); err != nil {
			return sh, fmt.Errorf("rename the default sheet: %w", err)
		}
		sh.SheetID = existing[0].ID
	}
	if sh.SheetID == "" {
		// add_sheet makes a sub-sheet with no fields and no views (添加子表,
		// https://developer.work.weixin.qq.com/document/path/99896).
		x, err := s.ss.AddSheet(ctx, s.docID, &smartsheet.AddSheetRequest{Title: title})
		if err != nil {
			return sh, fmt.Errorf("add sheet %s: %w", title, err)
		}
		sh.SheetID = x.ID
	}
	if err := s.ensureColumns(ctx, t, sh.SheetID); err != nil {
		return sh, fmt.Errorf("%s: %w", title, err)
	}
	if err := s.ensureView(ctx, sh.SheetID); err != nil {
		return sh, fmt.Errorf("%s: %w", title, err)
	}
	err = s.st.WriteTx(ctx, func(tx *store.Tx) error {
		if err := tx.SaveSheet(ctx, sh); err != nil {
			return err
		}
		return tx.Set(ctx, schemaKey(sh), t.schema())
	})
	if err == nil {
		s.schemaOK.Store(sh.Name, true)
	}
	return sh, err
}

func ours(title string) bool {
	return title == ProductsTitle || title == SuppliersTitle || title == CustomersTitle ||
		strings.HasPrefix(title, LedgerTitle) || strings.HasPrefix(title, SalesTitle)
}

// schema names a table's columns: when a new version of the app maps more columns, the sheets it
// made before are given them (ensureSchema).
func (t *table) schema() string {
	titles := make([]string, len(t.columns))
	for i, f := range t.columns {
		titles[i] = f.Title
	}
	return strings.Join(titles, ",")
}

func schemaKey(sh store.Sheet) string { return "schema:" + sh.Name }

// ensureSchema adds the columns a sub-sheet made by an earlier version lacks, once (the store
// remembers the column list each sheet was given; this process checks it once per sheet).
func (s *Syncer) ensureSchema(ctx context.Context, t *table, sh store.Sheet) error {
	if _, ok := s.schemaOK.Load(sh.Name); ok {
		return nil
	}
	have, err := s.st.Get(ctx, schemaKey(sh))
	if err != nil {
		return err
	}
	if have != t.schema() {
		added, err := s.addMissingColumns(ctx, t, sh.SheetID)
		if err != nil {
			return fmt.Errorf("%s: %w", sh.Title, err)
		}
		if added {
			s.log.Info("sheetsync: columns added to a sheet made by an earlier version", "sheet", sh.Title)
		}
		if err := s.st.Set(ctx, schemaKey(sh), t.schema()); err != nil {
			return err
		}
	}
	s.schemaOK.Store(sh.Name, true)
	return nil
}

// ensureColumns adds the table's columns the sub-sheet lacks, with their properties. A lone empty
// default text column (a new document's 「智能表列」) is renamed to the key column instead. It
// reports whether it added any.
func (s *Syncer) ensureColumns(ctx context.Context, t *table, sheetID string) error {
	_, err := s.addMissingColumns(ctx, t, sheetID)
	return err
}

func (s *Syncer) addMissingColumns(ctx context.Context, t *table, sheetID string) (bool, error) {
	s.ss.InvalidateSchema(s.docID, sheetID)
	have, err := s.ss.SheetFields(ctx, s.docID, sheetID)
	if err != nil {
		return false, fmt.Errorf("read columns: %w", err)
	}
	byTitle := map[string]smartsheet.Field{}
	for _, f := range have {
		byTitle[f.Title] = f
	}
	var missing []smartsheet.Field
	var problems []string
	for _, f := range t.columns {
		got, ok := byTitle[f.Title]
		switch {
		case !ok:
			missing = append(missing, f)
		case got.Type != f.Type && !(f.Type == smartsheet.FieldText && got.Type == smartsheet.FieldBarcode):
			problems = append(problems, fmt.Sprintf("column %s is %s, want %s", f.Title, got.Type, f.Type))
		}
	}
	if len(problems) > 0 {
		return false, fmt.Errorf("the sheet's columns do not fit: %s", strings.Join(problems, "; "))
	}
	if len(missing) == 0 {
		return false, nil
	}
	if len(have) == 1 && have[0].Type == smartsheet.FieldText && missing[0].Title == t.key {
		empty, err := s.columnEmpty(ctx, sheetID, have[0].ID)
		if err != nil {
			return false, err
		}
		if empty {
			if _, err := s.ss.UpdateFields(ctx, s.docID, sheetID, smartsheet.Field{ID: have[0].ID, Type: smartsheet.FieldText, Title: t.key}); err != nil {
				return false, fmt.Errorf("rename the default column: %w", err)
			}
			missing = missing[1:]
		}
	}
	if len(missing) > 0 {
		if _, err := s.ss.AddFields(ctx, s.docID, sheetID, missing...); err != nil {
			return false, fmt.Errorf("add columns: %w", err)
		}
	}
	s.ss.InvalidateSchema(s.docID, sheetID)
	return true, nil
}

func (s *Syncer) columnEmpty(ctx context.Context, sheetID, fieldID string) (bool, error) {
	page, err := s.ss.GetRecords(ctx, s.docID, sheetID, &smartsheet.Query{
		Filter: smartsheet.Where(fieldID, smartsheet.IsNotEmpty, nil), Limit: 1})
	if err != nil {
		return false, err
	}
	return len(page.Records) == 0, nil
}

// ensureView adds a grid view when the sub-sheet has none.
func (s *Syncer) ensureView(ctx context.Context, sheetID string) error {
	page, err := s.ss.GetViews(ctx, s.docID, sheetID, &smartsheet.ViewQuery{Limit: 1})
	if err != nil {
		return fmt.Errorf("read views: %w", err)
	}
	if page.Total > 0 || len(page.Views) > 0 {
		return nil
	}
	if _, err := s.ss.AddView(ctx, s.docID, sheetID, &smartsheet.AddViewRequest{Title: "全部记录", Type: smartsheet.ViewGrid}); err != nil {
		return fmt.Errorf("add view: %w", err)
	}
	return nil
}
