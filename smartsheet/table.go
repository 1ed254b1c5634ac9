package smartsheet

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"strings"
)

// Table maps a Go struct type T to a sub-sheet: one struct field per column, named by struct tags.
//
//	type Bag struct {
//		ID    string    `smartsheet:"-,id"`                  // the record id
//		Code  string    `smartsheet:"产品编码,key"`            // the key of Get and Upsert
//		Name  string    `smartsheet:"名称"`
//		Price float64   `smartsheet:"价格,type=currency"`     // CNY, 2 decimals
//		Stock int       `smartsheet:"库存"`                   // a number column, 0 decimals
//		State string    `smartsheet:"状态,type=single_select,options=在售|售罄"`
//		Tags  []string  `smartsheet:"标签"`                   // a multi-select column
//		Seen  time.Time `smartsheet:"-,updated"`              // the record's update time
//	}
//
// Tag options: key; type=text|number|checkbox|date|image|attachment|user|url|select|single_select|
// phone|email|barcode|location|reference|currency|percentage|progress|autonumber|created_time|
// modified_time|created_user|modified_user (or a FIELD_TYPE_… name); decimals=N; currency=USD;
// format=date|datetime|chinese|… (or a WeCom format string); options=a|b|c; multiple; notify; scan;
// link=icon (url columns); input=auto (location columns); sheet=SHEETID (the sub-sheet a reference
// column links to; default: the same sheet). Every column is created with the property add_fields
// requires for its type (see [FieldType.RequiresProperty]), so EnsureSchema never sends a bare one;
// an invalid tag value (a format WeCom does not list, decimals outside -1–4) fails NewTable.
// "-" skips a field; "-,id", "-,created" and "-,updated" receive the record id (string) and times
// (time.Time). Untagged exported fields map to a column named like the field. Supported Go types:
// string, integers, floats, bool, time.Time, []string (select options, userids or record ids),
// []Image, []Attachment, []User, []SelectOption, Location, [Value], and pointers to them (nil is an
// empty cell).
//
// Writes to one sheet are serialised within a Client. Insert and Upsert never create duplicates after
// an ambiguous failure: they look the keys up before sending those rows again.
type Table[T any] struct {
	c       *Client
	docID   string
	sheetID string
	m       *mapping
}

// ErrNotFound is returned when no record has the key.
var ErrNotFound = errors.New("smartsheet: record not found")

// SchemaError is returned by [Table.EnsureSchema] when existing columns cannot hold the mapped Go
// fields.
type SchemaError struct {
	Problems []string
}

func (e *SchemaError) Error() string {
	return "smartsheet: sheet does not fit the struct: " + strings.Join(e.Problems, "; ")
}

// NewTable maps struct type T (see [Table]) to sheet sheetID of document docID.
func NewTable[T any](c *Client, docID, sheetID string) (*Table[T], error) {
	if c == nil {
		return nil, ErrNoClient
	}
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	m, err := newMapping(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	return &Table[T]{c: c, docID: docID, sheetID: sheetID, m: m}, nil
}

// EnsureSchema creates the columns of T the sheet lacks, with the types and properties of the tags,
// and returns them. It never deletes or retypes a column; an existing column whose type cannot hold
// its Go field is reported as a *[SchemaError].
//
// A new smart sheet comes with one default text column (「智能表列」). When that column is the sheet's
// only column, is not mapped and holds no data, EnsureSchema renames it to T's first missing text
// column (the key, if it is text) instead of adding one, so the sheet has no stray column.
func (t *Table[T]) EnsureSchema(ctx context.Context) ([]Field, error) {
	var created []Field
	rounds := max(t.c.retry.Attempts, 3)
	for round := 1; ; round++ {
		t.c.InvalidateSchema(t.docID, t.sheetID)
		sch, err := t.c.schema(ctx, t.docID, t.sheetID)
		if err != nil {
			return created, err
		}
		var missing []Field
		var problems []string
		for _, col := range t.m.cols {
			f := sch.byTitle[col.title]
			switch {
			case f == nil:
				missing = append(missing, col.field)
			case !col.accepts(f.Type):
				problems = append(problems, fmt.Sprintf("column %q is %s, which the Go field cannot hold", col.title, f.Type))
			}
		}
		if len(problems) > 0 {
			return created, &SchemaError{Problems: problems}
		}
		if len(missing) == 0 {
			return created, nil
		}
		if f, rest, err := t.renameDefault(ctx, sch, missing); err != nil {
			if !MayHaveApplied(err) || round >= rounds {
				return created, err
			}
			continue
		} else if f != nil {
			created, missing = append(created, *f), rest
		}
		if len(missing) > 0 {
			added, err := t.c.AddFields(ctx, t.docID, t.sheetID, missing...)
			if err != nil {
				if !MayHaveApplied(err) || round >= rounds {
					return created, err
				}
				if t.c.retry.Wait(ctx, round) != nil {
					return created, err
				}
				continue // re-read the columns: the call may have been applied
			}
			created = append(created, added...)
		}
		t.c.InvalidateSchema(t.docID, t.sheetID)
		return created, nil
	}
}

// renameDefault renames the default column (see EnsureSchema) when it applies.
func (t *Table[T]) renameDefault(ctx context.Context, sch *schema, missing []Field) (*Field, []Field, error) {
	if len(sch.fields) != 1 || sch.fields[0].Type != FieldText {
		return nil, missing, nil
	}
	def := sch.fields[0]
	pick := -1
	for i, f := range missing {
		if f.Type == FieldText && (pick < 0 || f.Title == t.m.keyTitle) {
			pick = i
		}
	}
	if pick < 0 {
		return nil, missing, nil
	}
	page, err := t.c.GetRecords(ctx, t.docID, t.sheetID, &Query{Filter: Where(def.ID, IsNotEmpty, nil), Limit: 1})
	if err != nil || len(page.Records) > 0 {
		return nil, missing, err
	}
	upd, err := t.c.UpdateFields(ctx, t.docID, t.sheetID, Field{ID: def.ID, Type: FieldText, Title: missing[pick].Title})
	if err != nil {
		return nil, missing, err
	}
	f := Field{ID: def.ID, Title: missing[pick].Title, Type: FieldText}
	if len(upd) == 1 {
		f = upd[0]
	}
	rest := append(append([]Field(nil), missing[:pick]...), missing[pick+1:]...)
	return &f, rest, nil
}

// Insert adds rows and returns them with their record ids set. With a key field, a batch that
// failed ambiguously is checked by key before it is sent again, so no row is added twice; Insert
// assumes the keys are new (use Upsert otherwise). On error the returned rows are those certainly
// added.
func (t *Table[T]) Insert(ctx context.Context, rows ...T) ([]T, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	unlock, err := t.c.locks.lock(ctx, sheetKey{t.docID, t.sheetID})
	if err != nil {
		return nil, err
	}
	defer unlock()
	sch, err := t.c.schema(ctx, t.docID, t.sheetID)
	if err != nil {
		return nil, err
	}
	recs, keys, err := t.encodeRows(sch, rows, true)
	if err != nil {
		return nil, err
	}
	ids, err := t.insert(ctx, recs, keys)
	return t.withIDs(rows, ids), err
}

// Upsert writes rows by key: a row whose key exists updates that record (every mapped column is
// written, empty fields clear their cells), the others are added. It returns the rows with their
// record ids. Keys must be set and unique among rows. Ambiguous failures are resolved by looking the
// keys up, so the sheet ends with exactly one record per key written (unless it already held
// duplicates).
func (t *Table[T]) Upsert(ctx context.Context, rows ...T) ([]T, error) {
	if t.m.key < 0 {
		return nil, invalidf("Upsert: %v has no key field", t.m.typ)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	unlock, err := t.c.locks.lock(ctx, sheetKey{t.docID, t.sheetID})
	if err != nil {
		return nil, err
	}
	defer unlock()
	sch, err := t.c.schema(ctx, t.docID, t.sheetID)
	if err != nil {
		return nil, err
	}
	recs, keys, err := t.encodeRows(sch, rows, false)
	if err != nil {
		return nil, err
	}
	existing, err := t.lookup(ctx, keys)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	var upd []Record
	var insIdx []int
	for i, k := range keys {
		if id := existing[k]; id != "" {
			recs[i].ID, ids[i] = id, id
			upd = append(upd, recs[i])
		} else {
			insIdx = append(insIdx, i)
		}
	}
	if _, err := t.c.updateRecords(ctx, t.docID, t.sheetID, keyTitle, upd); err != nil {
		return nil, err
	}
	ins := make([]Record, len(insIdx))
	insKeys := make([]string, len(insIdx))
	for j, i := range insIdx {
		ins[j], insKeys[j] = dropEmpty(recs[i]), keys[i]
	}
	newIDs, err := t.insert(ctx, ins, insKeys)
	for j, i := range insIdx {
		ids[i] = newIDs[j]
	}
	out := t.withIDs(rows, ids)
	if err != nil {
		return out, err
	}
	return out, nil
}

// insert adds recs; keys (nil without a key field) resolve ambiguous failures. ids[i] is "" for a
// record not certainly added.
func (t *Table[T]) insert(ctx context.Context, recs []Record, keys []string) ([]string, error) {
	ids := make([]string, len(recs))
	pending := make([]int, len(recs))
	for i := range pending {
		pending[i] = i
	}
	rounds := max(t.c.retry.Attempts, 3)
	for round := 1; len(pending) > 0; round++ {
		batch := make([]Record, len(pending))
		for j, i := range pending {
			batch[j] = recs[i]
		}
		out, err := t.c.addRecords(ctx, t.docID, t.sheetID, keyTitle, batch)
		if err == nil {
			for j, i := range pending {
				ids[i] = out[j].ID
			}
			return ids, nil
		}
		var be *BatchError
		if !errors.As(err, &be) {
			return ids, err
		}
		done := be.Done
		for _, r := range be.Applied {
			for j := r.From; j < r.To; j++ {
				ids[pending[j]], done = done[0].ID, done[1:]
			}
		}
		if keys == nil || !be.MayHaveApplied() || round >= rounds || ctx.Err() != nil {
			return ids, err
		}
		var rest []int
		for _, i := range pending {
			if ids[i] == "" {
				rest = append(rest, i)
			}
		}
		t.c.log.DebugContext(ctx, "smartsheet: add_records may have been applied; checking keys",
			"rows", len(rest), "err", err.Error())
		if t.c.retry.Wait(ctx, round) != nil {
			return ids, err
		}
		restKeys := make([]string, len(rest))
		for j, i := range rest {
			restKeys[j] = keys[i]
		}
		found, lerr := t.lookup(ctx, restKeys)
		if lerr != nil {
			return ids, fmt.Errorf("%w (and looking the keys up failed: %v)", err, lerr)
		}
		pending = pending[:0]
		for _, i := range rest {
			if id := found[keys[i]]; id != "" {
				ids[i] = id
			} else {
				pending = append(pending, i)
			}
		}
	}
	return ids, nil
}

// Update writes rows to their records, found by RecordID (the "-,id" field) or else by key. Every
// mapped column is written; empty fields clear their cells. A row whose record does not exist makes
// Update fail with [ErrNotFound] before anything is written.
func (t *Table[T]) Update(ctx context.Context, rows ...T) error {
	if len(rows) == 0 {
		return nil
	}
	unlock, err := t.c.locks.lock(ctx, sheetKey{t.docID, t.sheetID})
	if err != nil {
		return err
	}
	defer unlock()
	sch, err := t.c.schema(ctx, t.docID, t.sheetID)
	if err != nil {
		return err
	}
	recs, _, err := t.encodeRows(sch, rows, false)
	if err != nil {
		return err
	}
	if err := t.resolveIDs(ctx, recs, rows); err != nil {
		return err
	}
	_, err = t.c.updateRecords(ctx, t.docID, t.sheetID, keyTitle, recs)
	return err
}

// Delete deletes the records of rows, found by RecordID or else by key; rows whose record does not
// exist are skipped. An ambiguous failure is resolved by checking which records still exist.
func (t *Table[T]) Delete(ctx context.Context, rows ...T) error {
	if len(rows) == 0 {
		return nil
	}
	unlock, err := t.c.locks.lock(ctx, sheetKey{t.docID, t.sheetID})
	if err != nil {
		return err
	}
	defer unlock()
	var ids, keys []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for i := range rows {
		rv := reflect.ValueOf(&rows[i]).Elem()
		if id := t.recordID(rv); id != "" {
			add(id)
			continue
		}
		if t.m.key < 0 {
			return invalidf("Delete: row %d has no record id and %v has no key field", i, t.m.typ)
		}
		sch, err := t.c.schema(ctx, t.docID, t.sheetID)
		if err != nil {
			return err
		}
		k, err := t.rowKey(sch, rv)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		found, err := t.lookup(ctx, keys)
		if err != nil {
			return err
		}
		for _, k := range keys {
			add(found[k])
		}
	}
	rounds := max(t.c.retry.Attempts, 3)
	for round := 1; ; round++ {
		err := t.c.deleteRecords(ctx, t.docID, t.sheetID, ids)
		var be *BatchError
		if err == nil || !errors.As(err, &be) || !be.MayHaveApplied() || round >= rounds {
			return err
		}
		gone := map[string]bool{}
		for _, r := range be.Applied {
			for _, id := range ids[r.From:r.To] {
				gone[id] = true
			}
		}
		var rest []string
		for _, id := range ids {
			if !gone[id] {
				rest = append(rest, id)
			}
		}
		if t.c.retry.Wait(ctx, round) != nil {
			return err
		}
		if ids, err = t.existing(ctx, rest); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
	}
}

// existing returns those of ids that are still records of the sheet.
func (t *Table[T]) existing(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	for lo := 0; lo < len(ids); lo += t.c.batchSize {
		chunk := ids[lo:min(lo+t.c.batchSize, len(ids))]
		for rec, err := range t.c.Records(ctx, t.docID, t.sheetID, &Query{RecordIDs: chunk}) {
			if err != nil {
				return nil, err
			}
			out = append(out, rec.ID)
		}
	}
	return out, nil
}

// Get returns the record whose key column equals key, or [ErrNotFound]. key is a string or a number.
func (t *Table[T]) Get(ctx context.Context, key any) (T, error) {
	var zero T
	if t.m.key < 0 {
		return zero, invalidf("Get: %v has no key field", t.m.typ)
	}
	ks, err := t.keyFromAny(key)
	if err != nil {
		return zero, err
	}
	for row, err := range t.find(ctx, Where(t.m.keyTitle, Is, ks), ks) {
		return row, err
	}
	return zero, fmt.Errorf("%w: %s = %q", ErrNotFound, t.m.keyTitle, ks)
}

// Find iterates over the records f matches (see [Where]).
func (t *Table[T]) Find(ctx context.Context, f Filter) iter.Seq2[T, error] {
	return t.find(ctx, f, "")
}

// All iterates over every record of the sheet.
func (t *Table[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return t.find(ctx, Filter{}, "")
}

// find iterates over records matching f; with key set, only records whose key equals it exactly.
func (t *Table[T]) find(ctx context.Context, f Filter, key string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		sch, err := t.c.schema(ctx, t.docID, t.sheetID)
		if err != nil {
			yield(zero, err)
			return
		}
		q := &Query{Filter: f, Fields: t.readFields(sch)}
		for rec, err := range t.c.Records(ctx, t.docID, t.sheetID, q) {
			if err != nil {
				yield(zero, err)
				return
			}
			if key != "" && keyString(rec.Values[t.m.keyTitle]) != key {
				continue
			}
			if !yield(t.decodeRow(rec), nil) {
				return
			}
		}
	}
}
