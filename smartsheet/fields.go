package smartsheet

import (
	"context"
	"encoding/json"
	"iter"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// FieldQuery selects fields for [Client.GetFields] and [Client.Fields]. nil selects all.
type FieldQuery struct {
	ViewID      string
	FieldIDs    []string
	FieldTitles []string
	Offset      int
	Limit       int // 1…1000; 0 → 1000
}

// FieldPage is one get_fields answer.
type FieldPage struct {
	Total  int
	Fields []Field
}

type fieldsBody struct {
	DocID   string  `json:"docid"`
	SheetID string  `json:"sheet_id"`
	Fields  []Field `json:"fields"`
}

type fieldsResp struct {
	Fields []json.RawMessage `json:"fields"`
}

// AddFields adds columns (添加字段): Title and Type, plus the property of that type. A sheet holds at
// most 150 fields. It returns the new fields with their ids.
//
// The property is required for the types [FieldType.RequiresProperty] lists (number, date, link,
// select, single select, created and modified time, progress, reference, location, auto number,
// currency), and its members with a closed set of values (date formats, link type, location input
// type, currency, auto-number rules, decimal places -1–4) are checked: a missing or invalid one is
// a [*ValidationError] before anything is sent.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99904
func (c *Client) AddFields(ctx context.Context, docID, sheetID string, fields ...Field) ([]Field, error) {
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, invalidf("AddFields: no fields")
	}
	fields = append([]Field(nil), fields...) // never change the caller's slice
	for i, f := range fields {
		switch {
		case f.Title == "":
			return nil, invalidf("AddFields: field %d has no title", i)
		case f.Type == "":
			return nil, invalidf("AddFields: field %q has no type", f.Title)
		case f.Type == FieldFormula:
			return nil, invalidf("AddFields: %s columns cannot be created through the API", f.Type)
		}
		if err := validateAdd("AddFields", f); err != nil {
			return nil, err
		}
		fields[i] = forAdd(f)
	}
	defer c.InvalidateSchema(docID, sheetID)
	var resp fieldsResp
	if err := c.post(ctx, "smartsheet/add_fields", fieldsBody{docID, sheetID, fields}, &resp, false); err != nil {
		return nil, err
	}
	return decodeFields(resp.Fields), nil
}

// UpdateFields changes columns (更新字段): set ID and Type (which cannot change) and the new Title
// and/or property. Leave Title empty to keep it: WeCom rejects setting a title to its current value.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99906
func (c *Client) UpdateFields(ctx context.Context, docID, sheetID string, fields ...Field) ([]Field, error) {
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, invalidf("UpdateFields: no fields")
	}
	for i, f := range fields {
		if f.ID == "" || f.Type == "" {
			return nil, invalidf("UpdateFields: field %d needs its ID and Type", i)
		}
	}
	defer c.InvalidateSchema(docID, sheetID)
	var resp fieldsResp
	if err := c.post(ctx, "smartsheet/update_fields", fieldsBody{docID, sheetID, fields}, &resp, false); err != nil {
		return nil, err
	}
	return decodeFields(resp.Fields), nil
}

// DeleteFields deletes columns by id (删除字段) together with their cells.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99905
func (c *Client) DeleteFields(ctx context.Context, docID, sheetID string, fieldIDs ...string) error {
	if err := checkIDs(docID, sheetID); err != nil {
		return err
	}
	if len(fieldIDs) == 0 {
		return invalidf("DeleteFields: no field ids")
	}
	defer c.InvalidateSchema(docID, sheetID)
	body := struct {
		DocID    string   `json:"docid"`
		SheetID  string   `json:"sheet_id"`
		FieldIDs []string `json:"field_ids"`
	}{docID, sheetID, fieldIDs}
	return c.post(ctx, "smartsheet/delete_fields", body, nil, false)
}

// GetFields reads one page of a sheet's columns (查询字段). q may be nil.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/101157
func (c *Client) GetFields(ctx context.Context, docID, sheetID string, q *FieldQuery) (*FieldPage, error) {
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	if q == nil {
		q = &FieldQuery{}
	}
	limit, err := pageLimit("GetFields", q.Offset, q.Limit)
	if err != nil {
		return nil, err
	}
	body := struct {
		DocID       string   `json:"docid"`
		SheetID     string   `json:"sheet_id"`
		ViewID      string   `json:"view_id,omitempty"`
		FieldIDs    []string `json:"field_ids,omitempty"`
		FieldTitles []string `json:"field_titles,omitempty"`
		Offset      int      `json:"offset"`
		Limit       int      `json:"limit"`
	}{docID, sheetID, q.ViewID, q.FieldIDs, q.FieldTitles, q.Offset, limit}
	var resp struct {
		Total  int               `json:"total"`
		Fields []json.RawMessage `json:"fields"`
	}
	if err := c.post(ctx, "smartsheet/get_fields", body, &resp, true); err != nil {
		return nil, err
	}
	return &FieldPage{Total: resp.Total, Fields: decodeFields(resp.Fields)}, nil
}

// Fields iterates over a sheet's columns, reading pages lazily. q may be nil.
func (c *Client) Fields(ctx context.Context, docID, sheetID string, q *FieldQuery) iter.Seq2[Field, error] {
	return func(yield func(Field, error) bool) {
		var qq FieldQuery
		if q != nil {
			qq = *q
		}
		for {
			page, err := c.GetFields(ctx, docID, sheetID, &qq)
			if err != nil {
				yield(Field{}, err)
				return
			}
			for _, f := range page.Fields {
				if !yield(f, nil) {
					return
				}
			}
			qq.Offset += len(page.Fields)
			if len(page.Fields) == 0 || qq.Offset >= page.Total {
				return
			}
		}
	}
}

// decodeFields decodes fields one by one: a field whose property has an unexpected shape keeps its
// id, title and type instead of failing the whole answer.
func decodeFields(raws []json.RawMessage) []Field {
	out := make([]Field, 0, len(raws))
	for _, raw := range raws {
		var f Field
		if json.Unmarshal(raw, &f) != nil {
			var basic struct {
				ID    string    `json:"field_id"`
				Title string    `json:"field_title"`
				Type  FieldType `json:"field_type"`
			}
			_ = json.Unmarshal(raw, &basic)
			f = Field{ID: basic.ID, Title: basic.Title, Type: basic.Type}
		}
		out = append(out, f)
	}
	return out
}

// schema is the cached column list of a sheet.
type schema struct {
	fields  []Field
	byTitle map[string]*Field
	byID    map[string]*Field
	at      time.Time
}

func newSchema(fields []Field) *schema {
	s := &schema{fields: fields, byTitle: make(map[string]*Field, len(fields)),
		byID: make(map[string]*Field, len(fields)), at: time.Now()}
	for i := range s.fields {
		f := &s.fields[i]
		s.byTitle[f.Title] = f
		s.byID[f.ID] = f
	}
	return s
}

// field finds a column by title, then by id.
func (s *schema) field(name string) *Field {
	if f := s.byTitle[name]; f != nil {
		return f
	}
	return s.byID[name]
}

func (s *schema) lookup(key string, byID bool) *Field {
	if byID {
		return s.byID[key]
	}
	return s.byTitle[key]
}

type schemaCache struct {
	mu  sync.Mutex
	m   map[sheetKey]*schema
	gen map[sheetKey]uint64 // bumped by every invalidation, so a load that raced one is not kept
	sf  singleflight.Group
}

// schema returns the sheet's columns, from the cache when fresh.
func (c *Client) schema(ctx context.Context, docID, sheetID string) (*schema, error) {
	k := sheetKey{docID, sheetID}
	c.schemas.mu.Lock()
	s := c.schemas.m[k]
	c.schemas.mu.Unlock()
	if s != nil && time.Since(s.at) < c.schemaTTL {
		return s, nil
	}
	return c.loadSchema(ctx, docID, sheetID)
}

// loadSchema reads the sheet's columns with get_fields, once for concurrent callers.
func (c *Client) loadSchema(ctx context.Context, docID, sheetID string) (*schema, error) {
	k := sheetKey{docID, sheetID}
	c.schemas.mu.Lock()
	gen := c.schemas.gen[k]
	c.schemas.mu.Unlock()
	key := docID + "\x00" + sheetID + "\x00" + strconv.FormatUint(gen, 10)
	ch := c.schemas.sf.DoChan(key, func() (any, error) {
		// Detached from the first caller's cancellation, bounded by our own timeout.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		var fields []Field
		for f, err := range c.Fields(lctx, docID, sheetID, nil) {
			if err != nil {
				return nil, err
			}
			fields = append(fields, f)
		}
		s := newSchema(fields)
		c.schemas.mu.Lock()
		if c.schemas.m == nil {
			c.schemas.m = map[sheetKey]*schema{}
		}
		if c.schemas.gen[k] == gen {
			c.schemas.m[k] = s
		}
		c.schemas.mu.Unlock()
		return s, nil
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*schema), nil
	}
}

// InvalidateSchema drops the cached columns of a sheet, e.g. after a person changed them in the
// WeCom client. Field changes made through this Client do this themselves.
func (c *Client) InvalidateSchema(docID, sheetID string) {
	k := sheetKey{docID, sheetID}
	c.schemas.mu.Lock()
	delete(c.schemas.m, k)
	if c.schemas.gen == nil {
		c.schemas.gen = map[sheetKey]uint64{}
	}
	c.schemas.gen[k]++
	c.schemas.mu.Unlock()
}

// SheetFields returns a sheet's columns from the client's cache, reading them when needed.
func (c *Client) SheetFields(ctx context.Context, docID, sheetID string) ([]Field, error) {
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	s, err := c.schema(ctx, docID, sheetID)
	if err != nil {
		return nil, err
	}
	return append([]Field(nil), s.fields...), nil
}
