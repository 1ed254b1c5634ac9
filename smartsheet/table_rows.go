package smartsheet

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
)

// Row encoding, decoding and key lookups of [Table].

// readFields is the mapped columns the sheet has (nil: all).
func (t *Table[T]) readFields(sch *schema) []string {
	var out []string
	for _, col := range t.m.cols {
		if sch.byTitle[col.title] != nil {
			out = append(out, col.title)
		}
	}
	return out
}

// lookup finds records by key: key → id of the first record with it. A few keys are looked up with
// a filter, many with one scan of the key column.
func (t *Table[T]) lookup(ctx context.Context, keys []string) (map[string]string, error) {
	found := make(map[string]string, len(keys))
	if len(keys) == 0 {
		return found, nil
	}
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	q := &Query{Fields: []string{t.m.keyTitle}}
	if len(want) <= lookupByFilter {
		fs := make([]Filter, 0, len(want))
		for k := range want {
			fs = append(fs, Where(t.m.keyTitle, Is, k))
		}
		q.Filter = Or(fs...)
	}
	for rec, err := range t.c.Records(ctx, t.docID, t.sheetID, q) {
		if err != nil {
			return nil, err
		}
		if k := keyString(rec.Values[t.m.keyTitle]); want[k] && found[k] == "" {
			found[k] = rec.ID
		}
	}
	return found, nil
}

// lookupByFilter is the most keys looked up with an OR filter rather than a scan.
const lookupByFilter = 20

// encodeRows turns rows into records (keyed by title) and their keys (nil without a key field).
func (t *Table[T]) encodeRows(sch *schema, rows []T, skipEmpty bool) ([]Record, []string, error) {
	recs := make([]Record, len(rows))
	var keys []string
	if t.m.key >= 0 {
		keys = make([]string, len(rows))
	}
	seen := map[string]int{}
	for i := range rows {
		rv := reflect.ValueOf(&rows[i]).Elem()
		rec := Record{ID: t.recordID(rv), Values: make(map[string]Value, len(t.m.cols))}
		for _, col := range t.m.cols {
			typ, err := t.colType(sch, &col)
			if err != nil {
				return nil, nil, err
			}
			fv, err := rv.FieldByIndexErr(col.index)
			if err != nil { // through a nil embedded pointer: empty
				continue
			}
			v, ok, err := col.encode(fv, typ, skipEmpty)
			if err != nil {
				return nil, nil, fmt.Errorf("row %d: %w", i, err)
			}
			if ok {
				rec.Values[col.title] = v
			}
		}
		if keys != nil {
			k, err := t.rowKey(sch, rv)
			if err != nil {
				return nil, nil, fmt.Errorf("row %d: %w", i, err)
			}
			if j, dup := seen[k]; dup {
				return nil, nil, invalidf("rows %d and %d have the same key %q", j, i, k)
			}
			seen[k], keys[i] = i, k
		}
		recs[i] = rec
	}
	return recs, keys, nil
}

// colType is the type of the sheet's column, or the declared type when the sheet lacks it.
func (t *Table[T]) colType(sch *schema, col *column) (FieldType, error) {
	f := sch.byTitle[col.title]
	if f == nil {
		return col.typ, nil
	}
	if !col.accepts(f.Type) {
		return "", &SchemaError{Problems: []string{fmt.Sprintf("column %q is %s, which the Go field cannot hold", col.title, f.Type)}}
	}
	return f.Type, nil
}

// rowKey is the canonical key of a row; an empty key is an error.
func (t *Table[T]) rowKey(sch *schema, rv reflect.Value) (string, error) {
	col := &t.m.cols[t.m.key]
	typ, err := t.colType(sch, col)
	if err != nil {
		return "", err
	}
	fv, err := rv.FieldByIndexErr(col.index)
	if err != nil {
		return "", invalidf("key %q is not set", col.title)
	}
	v, ok, err := col.encode(fv, typ, true)
	if err != nil {
		return "", err
	}
	k := keyString(v)
	if !ok || k == "" {
		return "", invalidf("key %q is empty", col.title)
	}
	return k, nil
}

// keyFromAny turns a Get key into the canonical key text.
func (t *Table[T]) keyFromAny(key any) (string, error) {
	col := &t.m.cols[t.m.key]
	numeric := col.kind != kString
	var s string
	switch k := key.(type) {
	case string:
		s = k
		if numeric {
			f, err := strconv.ParseFloat(k, 64)
			if err != nil {
				return "", invalidf("key %q is not a number", k)
			}
			s = strconv.FormatFloat(f, 'f', -1, 64)
		}
	case fmt.Stringer:
		s = k.String()
	default:
		f, ok := toFloat(key)
		if !ok {
			return "", invalidf("key of type %T is not a string or a number", key)
		}
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	if s == "" {
		return "", invalidf("empty key")
	}
	return s, nil
}

// resolveIDs fills recs[i].ID from RecordID or, failing that, the key.
func (t *Table[T]) resolveIDs(ctx context.Context, recs []Record, rows []T) error {
	var keys []string
	var idx []int
	for i := range recs {
		if recs[i].ID != "" {
			continue
		}
		if t.m.key < 0 {
			return invalidf("row %d has no record id and %v has no key field", i, t.m.typ)
		}
		sch, err := t.c.schema(ctx, t.docID, t.sheetID)
		if err != nil {
			return err
		}
		k, err := t.rowKey(sch, reflect.ValueOf(&rows[i]).Elem())
		if err != nil {
			return err
		}
		keys, idx = append(keys, k), append(idx, i)
	}
	found, err := t.lookup(ctx, keys)
	if err != nil {
		return err
	}
	for j, i := range idx {
		id := found[keys[j]]
		if id == "" {
			return fmt.Errorf("%w: %s = %q", ErrNotFound, t.m.keyTitle, keys[j])
		}
		recs[i].ID = id
	}
	return nil
}

func (t *Table[T]) recordID(rv reflect.Value) string {
	if t.m.id == nil {
		return ""
	}
	if fv, err := rv.FieldByIndexErr(t.m.id); err == nil {
		return fv.String()
	}
	return ""
}

// withIDs returns copies of rows with their record ids set (where known).
func (t *Table[T]) withIDs(rows []T, ids []string) []T {
	out := make([]T, len(rows))
	copy(out, rows)
	if t.m.id == nil {
		return out
	}
	for i := range out {
		if i < len(ids) && ids[i] != "" {
			fieldAlloc(reflect.ValueOf(&out[i]).Elem(), t.m.id).SetString(ids[i])
		}
	}
	return out
}

// decodeRow fills a T from a record, leniently.
func (t *Table[T]) decodeRow(rec Record) T {
	var row T
	rv := reflect.ValueOf(&row).Elem()
	for _, col := range t.m.cols {
		v, ok := rec.Values[col.title]
		if !ok {
			continue
		}
		col.decode(fieldAlloc(rv, col.index), v)
	}
	if t.m.id != nil {
		fieldAlloc(rv, t.m.id).SetString(rec.ID)
	}
	if t.m.created != nil {
		fieldAlloc(rv, t.m.created).Set(reflect.ValueOf(rec.CreatedAt))
	}
	if t.m.updated != nil {
		fieldAlloc(rv, t.m.updated).Set(reflect.ValueOf(rec.UpdatedAt))
	}
	return row
}

// fieldAlloc is FieldByIndex that allocates nil embedded struct pointers on the way.
func fieldAlloc(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// dropEmpty removes values that clear cells: pointless when adding a record.
func dropEmpty(r Record) Record {
	out := Record{ID: "", Values: make(map[string]Value, len(r.Values))}
	for k, v := range r.Values {
		if !v.IsEmpty() || v.shape == shapeNumber || v.shape == shapeBool {
			out.Values[k] = v
		}
	}
	return out
}
