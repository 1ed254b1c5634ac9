package smartsheet

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"time"
)

// Record is a row (记录). Values is keyed by field title (or by field id when read with
// [Query].KeyByFieldID, or written with the …ByFieldID methods). Absent keys are empty cells.
type Record struct {
	ID     string
	Values map[string]Value

	// Read-only metadata from get_records.
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CreatorName string
	UpdaterName string
}

// Sort orders get_records results by one field. WeCom sorts by field title; a field id is
// translated. Sort cannot be combined with a filter.
type Sort struct {
	Field string // title (or id)
	Desc  bool
}

// Query selects records for [Client.GetRecords] and [Client.Records]. The zero Query (or nil) reads
// every record, keyed by title.
type Query struct {
	ViewID       string   // only records visible in this view (and in its order)
	RecordIDs    []string // only these records
	KeyByFieldID bool     // key Record.Values by field id (key_type CELL_VALUE_KEY_TYPE_FIELD_ID)
	Fields       []string // only these fields: titles, or ids with KeyByFieldID
	Sort         []Sort
	Filter       Filter      // built with Where/And/Or; resolved through the sheet's fields
	FilterSpec   *FilterSpec // a ready FilterSpec, instead of Filter
	Ver          int64       // data version (ver) to read at, as returned in RecordPage.Ver
	Offset       int         // first record (GetRecords; Records starts here)
	Limit        int         // records per call, 1…1000; 0 → the client's page size (default 1000)
}

// RecordPage is one get_records answer.
type RecordPage struct {
	Total   int  // records matching the query
	HasMore bool // more records follow: call again with Offset = Next
	Next    int
	Ver     int64 // data version of the sheet
	Records []Record
}

// Key types (key_type).
const (
	keyTitle = "CELL_VALUE_KEY_TYPE_FIELD_TITLE"
	keyID    = "CELL_VALUE_KEY_TYPE_FIELD_ID"
)

type sortWire struct {
	FieldTitle string `json:"field_title"`
	Desc       bool   `json:"desc"`
}

type getRecordsReq struct {
	DocID       string      `json:"docid"`
	SheetID     string      `json:"sheet_id"`
	ViewID      string      `json:"view_id,omitempty"`
	RecordIDs   []string    `json:"record_ids,omitempty"`
	KeyType     string      `json:"key_type"`
	FieldTitles []string    `json:"field_titles,omitempty"`
	FieldIDs    []string    `json:"field_ids,omitempty"`
	Sort        []sortWire  `json:"sort,omitempty"`
	Offset      int         `json:"offset"`
	Limit       int         `json:"limit"`
	Ver         int64       `json:"ver,omitempty"`
	FilterSpec  *FilterSpec `json:"filter_spec,omitempty"`
}

type wireRecord struct {
	RecordID    string                     `json:"record_id"`
	Values      map[string]json.RawMessage `json:"values"`
	CreateTime  json.RawMessage            `json:"create_time"`
	UpdateTime  json.RawMessage            `json:"update_time"`
	CreatorName string                     `json:"creator_name"`
	UpdaterName string                     `json:"updater_name"`
}

type getRecordsResp struct {
	Total   int          `json:"total"`
	HasMore bool         `json:"has_more"`
	Next    int          `json:"next"`
	Ver     int64        `json:"ver"`
	Records []wireRecord `json:"records"`
}

// GetRecords reads one page of records (查询记录). Cells are decoded by their column types, which are
// read once per sheet with get_fields and cached. q may be nil.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/101158
func (c *Client) GetRecords(ctx context.Context, docID, sheetID string, q *Query) (*RecordPage, error) {
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	if q == nil {
		q = &Query{}
	}
	if err := c.checkQuery(q); err != nil {
		return nil, err
	}
	sch, err := c.schema(ctx, docID, sheetID)
	if err != nil {
		return nil, err
	}
	body, err := c.recordsRequest(ctx, docID, sheetID, q, sch)
	if err != nil {
		return nil, err
	}
	var resp getRecordsResp
	if err := c.post(ctx, "smartsheet/get_records", body, &resp, true); err != nil {
		return nil, err
	}
	page := &RecordPage{Total: resp.Total, HasMore: resp.HasMore, Next: resp.Next, Ver: resp.Ver,
		Records: make([]Record, len(resp.Records))}
	stale := false
	for i, w := range resp.Records {
		page.Records[i], stale = c.decodeRecord(w, sch, q.KeyByFieldID, stale)
	}
	if stale && time.Since(sch.at) > 2*time.Second {
		// A column we do not know: re-read the fields next time (at most every 2 s, so that a column
		// get_fields never lists cannot make every page re-read them).
		c.InvalidateSchema(docID, sheetID)
	}
	return page, nil
}

// checkQuery validates q before anything is sent.
func (c *Client) checkQuery(q *Query) error {
	switch {
	case q.Limit < 0 || q.Limit > MaxPageSize:
		return invalidf("limit %d is not within 1…%d", q.Limit, MaxPageSize)
	case q.Offset < 0:
		return invalidf("negative offset %d", q.Offset)
	case q.Filter.Err() != nil:
		return q.Filter.Err()
	case !q.Filter.IsZero() && q.FilterSpec != nil:
		return invalidf("set Query.Filter or Query.FilterSpec, not both")
	case (!q.Filter.IsZero() || q.FilterSpec != nil) && len(q.Sort) > 0:
		return invalidf("get_records cannot combine a filter with sort")
	}
	return nil
}

func (c *Client) recordsRequest(ctx context.Context, docID, sheetID string, q *Query, sch *schema) (*getRecordsReq, error) {
	limit := q.Limit
	if limit == 0 {
		limit = c.pageSize
	}
	body := &getRecordsReq{DocID: docID, SheetID: sheetID, ViewID: q.ViewID, RecordIDs: q.RecordIDs,
		KeyType: keyTitle, Offset: q.Offset, Limit: limit, Ver: q.Ver, FilterSpec: q.FilterSpec}
	if q.KeyByFieldID {
		body.KeyType, body.FieldIDs = keyID, q.Fields
	} else {
		body.FieldTitles = q.Fields
	}
	for _, s := range q.Sort {
		title := s.Field
		if f := sch.field(s.Field); f != nil {
			title = f.Title
		}
		body.Sort = append(body.Sort, sortWire{FieldTitle: title, Desc: s.Desc})
	}
	if !q.Filter.IsZero() {
		spec, err := c.resolveFilter(ctx, docID, sheetID, q.Filter, sch)
		if err != nil {
			return nil, err
		}
		body.FilterSpec = spec
	}
	return body, nil
}

// decodeRecord decodes a record; stale is set when a key is not a known column.
func (c *Client) decodeRecord(w wireRecord, sch *schema, byID, stale bool) (Record, bool) {
	rec := Record{ID: w.RecordID, Values: make(map[string]Value, len(w.Values)),
		CreatorName: w.CreatorName, UpdaterName: w.UpdaterName}
	if t, ok := decodeTime(w.CreateTime, c.loc); ok {
		rec.CreatedAt = t
	}
	if t, ok := decodeTime(w.UpdateTime, c.loc); ok {
		rec.UpdatedAt = t
	}
	for k, raw := range w.Values {
		var typ FieldType
		if f := sch.lookup(k, byID); f != nil {
			typ = f.Type
		} else {
			stale = true
		}
		rec.Values[k] = decodeCell(raw, typ, c.loc)
	}
	return rec, stale
}

// Records iterates over the records q selects (all when q is nil), reading pages of up to 1000
// records lazily; it stops reading when the loop breaks. An error ends the sequence.
//
//	for rec, err := range client.Records(ctx, docID, sheetID, nil) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(rec.Values["名称"])
//	}
func (c *Client) Records(ctx context.Context, docID, sheetID string, q *Query) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		var qq Query
		if q != nil {
			qq = *q // never change the caller's query
		}
		for {
			page, err := c.GetRecords(ctx, docID, sheetID, &qq)
			if err != nil {
				yield(Record{}, err)
				return
			}
			for _, r := range page.Records {
				if !yield(r, nil) {
					return
				}
			}
			if !page.HasMore || len(page.Records) == 0 {
				return
			}
			next := page.Next
			if next <= qq.Offset { // a server that does not move on: step past what we got
				next = qq.Offset + len(page.Records)
			}
			qq.Offset = next
		}
	}
}

// AddRecords adds records (添加记录), any number of them, in batches of [WithBatchSize] rows (500 by
// default) sent one after another. It returns the added records, in input order, with their new ids
// and the values as sent (read them back to see what WeCom made of them, e.g. new option ids).
// Record.ID is ignored, and read-only cells are skipped.
//
// If a batch fails, later batches are not sent and the error is a *[BatchError] that says which rows
// were certainly added (BatchError.Done) and which batch failed. A batch that failed ambiguously
// (timeout, transport error, HTTP 5xx, errcode -1) may have been added and is never re-sent blindly:
// look its rows up before adding them again, or use [Table.Insert] / [Table.Upsert], which do.
// Rate limits (45009, 45033) are waited out and retried (see [WithRetry]).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99907
func (c *Client) AddRecords(ctx context.Context, docID, sheetID string, recs []Record) ([]Record, error) {
	return c.locked(ctx, docID, sheetID, func() ([]Record, error) { return c.addRecords(ctx, docID, sheetID, keyTitle, recs) })
}

// AddRecordsByFieldID is [Client.AddRecords] with Record.Values keyed by field id, which keeps
// working when someone renames a column.
func (c *Client) AddRecordsByFieldID(ctx context.Context, docID, sheetID string, recs []Record) ([]Record, error) {
	return c.locked(ctx, docID, sheetID, func() ([]Record, error) { return c.addRecords(ctx, docID, sheetID, keyID, recs) })
}

// locked runs f holding the sheet's write lock (writes to one sheet are serialised per Client).
func (c *Client) locked(ctx context.Context, docID, sheetID string, f func() ([]Record, error)) ([]Record, error) {
	if err := checkIDs(docID, sheetID); err != nil {
		return nil, err
	}
	unlock, err := c.locks.lock(ctx, sheetKey{docID, sheetID})
	if err != nil {
		return nil, err
	}
	defer unlock()
	return f()
}

// addRecords sends the batches; the caller holds the sheet's write lock.
func (c *Client) addRecords(ctx context.Context, docID, sheetID, keyType string, recs []Record) ([]Record, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	wire, err := encodeRecords(recs, false)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(recs))
	err = c.runBatches(ctx, "add_records", len(recs), func(ctx context.Context, lo, hi int) error {
		var resp idsResp
		body := recordsBody(docID, sheetID, keyType, wire[lo:hi])
		if err := c.post(ctx, "smartsheet/add_records", body, &resp, false); err != nil {
			return err
		}
		if len(resp.Records) != hi-lo {
			return &responseError{op: "add_records", want: hi - lo, got: len(resp.Records)}
		}
		for i, w := range resp.Records {
			out[lo+i] = Record{ID: w.RecordID, Values: recs[lo+i].Values}
		}
		return nil
	}, func(be *BatchError) { be.Done = collect(out, be.Applied) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// responseError is a success answer that does not match the request; the write was applied.
type responseError struct {
	op        string
	want, got int
}

func (e *responseError) Error() string {
	return fmt.Sprintf("smartsheet: %s: answer has %d records for %d sent", e.op, e.got, e.want)
}

// UpdateRecords changes the given cells of existing records (更新记录); cells not in Values are left
// alone. Every record needs its ID. It returns the records as sent. Batching, errors and retries are as for [Client.AddRecords],
// except that an ambiguous failure is retried: writing the same cells twice gives the same result.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99909
func (c *Client) UpdateRecords(ctx context.Context, docID, sheetID string, recs []Record) ([]Record, error) {
	return c.locked(ctx, docID, sheetID, func() ([]Record, error) { return c.updateRecords(ctx, docID, sheetID, keyTitle, recs) })
}

// UpdateRecordsByFieldID is [Client.UpdateRecords] with Record.Values keyed by field id.
func (c *Client) UpdateRecordsByFieldID(ctx context.Context, docID, sheetID string, recs []Record) ([]Record, error) {
	return c.locked(ctx, docID, sheetID, func() ([]Record, error) { return c.updateRecords(ctx, docID, sheetID, keyID, recs) })
}

func (c *Client) updateRecords(ctx context.Context, docID, sheetID, keyType string, recs []Record) ([]Record, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	wire, err := encodeRecords(recs, true)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(recs))
	err = c.runBatches(ctx, "update_records", len(recs), func(ctx context.Context, lo, hi int) error {
		body := recordsBody(docID, sheetID, keyType, wire[lo:hi])
		if err := c.post(ctx, "smartsheet/update_records", body, nil, true); err != nil {
			return err
		}
		copy(out[lo:hi], recs[lo:hi])
		return nil
	}, func(be *BatchError) { be.Done = collect(out, be.Applied) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteRecords deletes records by id (删除记录), in batches like [Client.AddRecords]. On failure the
// error is a *[BatchError] whose Applied ranges index ids.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99908
func (c *Client) DeleteRecords(ctx context.Context, docID, sheetID string, ids []string) error {
	if err := checkIDs(docID, sheetID); err != nil {
		return err
	}
	unlock, err := c.locks.lock(ctx, sheetKey{docID, sheetID})
	if err != nil {
		return err
	}
	defer unlock()
	return c.deleteRecords(ctx, docID, sheetID, ids)
}

func (c *Client) deleteRecords(ctx context.Context, docID, sheetID string, ids []string) error {
	for i, id := range ids {
		if id == "" {
			return invalidf("record id %d is empty", i)
		}
	}
	return c.runBatches(ctx, "delete_records", len(ids), func(ctx context.Context, lo, hi int) error {
		body := struct {
			DocID     string   `json:"docid"`
			SheetID   string   `json:"sheet_id"`
			RecordIDs []string `json:"record_ids"`
		}{docID, sheetID, ids[lo:hi]}
		return c.post(ctx, "smartsheet/delete_records", body, nil, false)
	}, nil)
}

// collect concatenates out's records of the given ranges.
func collect(out []Record, rs []Range) []Record {
	var done []Record
	for _, r := range rs {
		done = append(done, out[r.From:r.To]...)
	}
	return done
}
