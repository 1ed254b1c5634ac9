// Package smartsheet is a typed client for the WeCom smart sheet (智能表格) and document (文档) API:
// documents, sub-sheets, views, fields and records, typed cell values, batched writes, paged reads
// as iterators, filters written with column titles, and [Table], which maps a Go struct to a sheet.
//
// # Getting started
//
// A smart sheet can only be used by the app that created it through the API (the app must be listed
// under 管理后台 →「协作」→「文档」→「API」). Create the document once and store its id: WeCom does not
// list an app's documents.
//
//	wc, err := wecom.New(corpID, appSecret, wecom.WithAgentID(agentID))
//	client := smartsheet.New(wc)
//	doc, err := client.CreateDoc(ctx, &smartsheet.CreateDocRequest{Name: "库存", AdminUsers: []string{"zhangsan"}})
//	sheets, err := client.Sheets(ctx, doc.ID, nil) // a new smart sheet has one sub-sheet
//	sheetID := sheets[0].ID
//
// A sub-sheet added later with [Client.AddSheet] is empty: no columns and no views. Give it columns
// with [Client.AddFields] (or [Table.EnsureSchema]). add_fields requires the property of most typed
// columns (number, date, link, select, created/modified time, progress, reference, location, auto
// number, currency: see [FieldType.RequiresProperty]); AddFields checks it, and the members with a
// closed set of values, before sending.
//
// # Records and values
//
// A [Record] holds cells keyed by column title. Build cells with [Text], [Number], [DateTime],
// [SelectByText], [Users], [Images] and the other constructors; read them with [Value.String],
// [Value.Float], [Value.Int], [Value.Time], [Value.Strings] and friends, which never panic (an absent
// cell is the zero Value) and convert where it makes sense.
//
//	added, err := client.AddRecords(ctx, doc.ID, sheetID, []smartsheet.Record{
//		{Values: map[string]smartsheet.Value{"名称": smartsheet.Text("托特包"), "库存": smartsheet.Number(3)}},
//	})
//
// [Client.AddRecords], [Client.UpdateRecords] and [Client.DeleteRecords] take any number of rows and
// send them in batches of 500 ([WithBatchSize]) one after another ([WithConcurrency] allows a few at
// once). [Client.Records] reads pages of up to 1000 records lazily as an iter.Seq2 and stops reading
// when the loop breaks; [Client.GetRecords] reads one page. Cells are decoded by their column types,
// which the client reads once per sheet with get_fields and caches ([WithSchemaTTL]); a cell with an
// unexpected shape keeps its JSON ([Value.Raw]) instead of failing the page.
//
// Dates are instants in Unix milliseconds. They are read in China Standard Time (UTC+8) unless
// [WithLocation] says otherwise, and a date filter with a time.Time matches that day in the same zone.
//
// # Filters
//
// [Where], [And] and [Or] build a [Filter] from column titles and Go values; the client turns it into
// WeCom's FilterSpec, with field ids, field types and, for select columns, option ids:
//
//	q := &smartsheet.Query{Filter: smartsheet.And(
//		smartsheet.Where("库存", smartsheet.LessThan, 2),
//		smartsheet.Where("状态", smartsheet.Is, "在售"),
//	)}
//	for rec, err := range client.Records(ctx, doc.ID, sheetID, q) { … }
//
// # Tables
//
// [Table] maps a struct to a sheet with `smartsheet:"标题,options"` tags. [Table.EnsureSchema] creates
// missing columns (never deleting any), and [Table.Insert], [Table.Get], [Table.Find], [Table.Update],
// [Table.Upsert], [Table.Delete] and [Table.All] read and write rows as structs.
//
// # Errors
//
// WeCom errors are *wecom.APIError values and match wecom.ErrCode with errors.Is. Bad input is
// refused before anything is sent, with an error wrapping [ErrInvalidInput] (a *[ValidationError]
// for a field definition). Smart sheets are WeCom only: on a 公众号 client every call fails with an
// error matching wecom.ErrWrongPlatform, and without a client with wecom.ErrNilClient, both before
// any request, as does every call of a Client built with an invalid [Option] ([ErrInvalidOption];
// [Client.Err] reports all three at start-up).
//
// Calls go through [wecom.Client.Do] and its one retry engine ([wecom.RetryPolicy]), with this
// package's policy ([WithRetry], default [DefaultRetryPolicy]): rate limits (45009, 45033) and
// data-version conflicts (6000) are waited out and retried; reads are also retried after errcode
// -1, HTTP 5xx and transport errors.
//
// A write that failed ambiguously (a timeout, a dropped connection, HTTP 5xx, errcode -1) may have
// been applied; [MayHaveApplied] reports it. Such an add_records call is never sent again blindly:
// AddRecords returns a *[BatchError] that says which rows were certainly written (Applied, Done),
// which may have been (Unknown) and which were not. [Table.Insert] and [Table.Upsert] resolve the
// doubt themselves by looking the keys up before writing those rows again, so they create no
// duplicates. Within one Client, writes to a sheet are serialised.
//
// # Access tokens
//
// The client calls WeCom through a [wecom.Client], which fetches, caches and refreshes the access
// token (and retries once when WeCom rejects a stale one). Share one wecom.Client and one
// smartsheet.Client per app.
//
// # Testing
//
// Package wecom/wecomtest is an in-process fake WeCom with smart sheets, call counts, latency and
// fault injection. Point the wecom.Client at it:
//
//	srv := wecomtest.NewServer()
//	defer srv.Close()
//	wc, _ := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
//		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL))
//	client := smartsheet.New(wc)
//
// The examples of this package run against it.
package smartsheet
