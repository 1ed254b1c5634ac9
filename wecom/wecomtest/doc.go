// Package wecomtest is an in-process fake of the WeCom (企业微信) and WeChat Official Account (公众号)
// server APIs, in the spirit of net/http/httptest and slack-go's slacktest. It speaks the real wire
// formats, so tests, and the demo mode of the example apps, run real client code over real HTTP.
//
// # Quick start
//
//	srv := wecomtest.NewServer()
//	defer srv.Close()
//	client, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
//		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL))
//
// [NewServer] listens on a loopback port ([Server.URL]); [NewHandler] gives the same fake as an
// http.Handler to mount in your own server (use [WithPublicURL] when it sits under a path prefix).
// Every host (qyapi.weixin.qq.com, api.weixin.qq.com, open.weixin.qq.com, login.work.weixin.qq.com,
// mp.weixin.qq.com) is served on the one base URL. The defaults ([DefaultCorpID], [DefaultSecret],
// [DefaultAgentID], [DefaultAppID], [DefaultAppSecret], [DefaultUserID], [DefaultOpenID], …) are
// exported constants; options such as [WithApp], [WithMember] and [WithOfficialAccount] change them.
//
// # Errors
//
// Like WeCom, the fake answers errors with HTTP 200 and {"errcode","errmsg"}; successful 公众号 answers
// of token, stable_token, qrcode/create and sns/* carry no errcode. The smart-sheet pages document few
// errcodes, so the fake uses the global codes (全局错误码) that fit:
//
//	40058   invalid parameter: bad JSON or value shapes, unknown sheet/field/view/record ids,
//	        duplicate titles, read-only fields, a missing required field property, limits (150
//	        fields, 200 views, 100,000 rows, limit ≤ 1000, ≤ 1000 records per write call),
//	        filter_spec without conjunction or combined with sort
//	640002  unknown docid (文件不存在)
//	851003  the doc was created by another app (no authority)
//
// Other endpoints use the documented global codes: 40001/40013/40125 (credentials), 41001/40014/42001
// (access token missing/unknown/expired; 40001 for 公众号 tokens that are unknown or superseded), 40029
// (OAuth code unknown, used, expired or issued for another app), 40003 (openid), 40007 (media_id),
// 40004/40005/40006/40009 (media type and size), 40097 (qrcode/create arguments), 47001 (bad JSON on
// 公众号 APIs), 60111 (userid), 81013 (no valid recipient), 93000 (webhook key), 45009 (webhook: 20
// messages a minute). Where WeCom is strict the fake is too, so a test fails where production would.
//
// # Access tokens
//
// gettoken issues a new token per call for the app whose secret matches (7200 s, [WithTokenTTL]). The
// 公众号 cgi-bin/token issues a new token per call and ends the previous one after a grace period
// ([WithTokenGrace], 5 minutes); stable_token returns the current token while more than the grace
// period is left and rotates it otherwise or with force_refresh. [Handler.ExpireTokens] expires every
// token at once, so refresh paths run for real; [WithClock] lets tests move time.
// get_jsapi_ticket, ticket/get?type=agent_config and the 公众号 ticket/getticket?type=jsapi return the
// same ticket while it is valid ([Handler.ExpireTickets]).
//
// # OAuth
//
// GET /connect/oauth2/authorize and /wwlogin/sso/login approve the current user at once: a 302 back to
// redirect_uri with a one-time code (5 minutes) and the state. [Handler.SetCurrentUser] picks the
// member (default the first one; "" means a non-member, who gets an openid from auth/getuserinfo);
// [Handler.SetCurrentOpenID] picks the WeChat user for the 公众号 flow (sns/oauth2/access_token,
// sns/userinfo). state must be at most 128 bytes of a-zA-Z0-9, as documented ([WithLenientState]
// relaxes the character set).
//
// redirect_uri must be on a trusted domain (可信域名): the host equal to one of the app's
// [App.TrustedDomains] (a URL with a port needs "host:port" there), or of [WithOfficialAccountDomains]
// for the 公众号; without any, the fake's own host name on any port. Anything else gets an HTML error
// page, never a redirect. A code is bound to the app of the authorize URL's agentid: auth/getuserinfo
// with another app's token answers 40029 and leaves the code usable by its own app.
//
// # Smart sheets
//
// wedoc/create_doc … smartsheet/get_records keep documents in memory behind one mutex. A new smart
// sheet document has one sub-sheet with one text column ("智能表列") and one grid view; add_sheet makes
// a sub-sheet with no fields and no views, as 添加子表 says, so the caller creates both. add_fields
// requires the property object of NUMBER, DATE_TIME, URL, SELECT, SINGLE_SELECT, CREATED_TIME,
// MODIFIED_TIME, PROGRESS, REFERENCE, LOCATION, AUTONUMBER and CURRENCY (property_number, …);
// properties are validated and echoed back; select options get ids, and a select cell written by text
// creates its option. update_fields needs a new field_title or a property. get_records supports
// key_type (titles or ids), field selection, record_ids, sort, filter_spec (conjunction required; IS,
// IS_NOT, CONTAINS, DOES_NOT_CONTAIN, IS_GREATER(_OR_EQUAL), IS_LESS(_OR_EQUAL), IS_EMPTY,
// IS_NOT_EMPTY over text, number, checkbox, member, select and date columns; dates in Beijing time),
// view_id (the view's filter_spec and sort_spec from update_view apply), offset/limit paging and ver,
// the sheet's data version, which every write increments. A write call is all or nothing.
// image_upload returns a URL the fake serves itself, and create_doc's url is the document page.
//
// # Member edits (smart_sheet_change)
//
// WeCom sends smart_sheet_change to the app that created a smart sheet when a member changes it in
// the WeCom client. [Handler.EditRecordsAsMember], [Handler.AddRecordsAsMember] and
// [Handler.DeleteRecordsAsMember] make such a change (values keyed by field title, in update_records'
// shapes; the sheet by id or title): the records' updater_name, update_time and MODIFIED_USER cells
// name the member. Then the event goes to the app's callback, encrypted and signed, with WeCom's retry
// rule: ChangeType update_record, add_record or delete_record and one RecordId per record, at most
// 1,000 per callback. [Handler.AddFieldAsMember], [Handler.RenameFieldAsMember] and
// [Handler.DeleteFieldsAsMember] send add_filed, update_filed and delete_filed (WeCom's spelling) with
// FieldId. A change whose delivery fails stays applied; the error wraps a [*DeliveryError] (or
// [ErrNoCallback]). See the example of [Handler.EditRecordsAsMember].
//
// The same is served over HTTP without an access token, for demo pages and other languages:
//
//	POST /test/smartsheet/member_edit    {"userid","docid","sheet","records":[{"record_id","values":{…}}]}
//	POST /test/smartsheet/member_add     {"userid","docid","sheet","records":[{"values":{…}}]}
//	POST /test/smartsheet/member_delete  {"userid","docid","sheet","record_ids":[…]}
//
// userid defaults to the current user. A refused change answers 400 (404 for an unknown docid, 413
// over the body cap) with {"errcode","errmsg"}; an applied one answers 200 with "record_ids" and
// "delivered" (false plus "delivery_error" when the callback did not take it).
//
// The document page, GET /wecomtest/doc/{docid} (create_doc's url), shows one sub-sheet at a time,
// 100 rows a page, with search; a visitor picks a member (default the current user) and edits cells,
// adds and deletes rows through those endpoints, so a demo shows a sheet edit reaching the app.
//
// # QR codes, messages and media
//
// qrcode/create validates the four action names and their limits (absent expire_seconds means 60 s,
// the current documentation's value) and remembers ticket → scene; /cgi-bin/showqrcode renders the
// ticket's url as a PNG (404 when unknown or expired). message/send, message/template/send,
// message/custom/send and webhook/send are recorded: read them with [Handler.Messages].
// message/send lists unknown users in invaliduser and honours enable_duplicate_check; template/send
// honours client_msg_id. media/upload (image 10 MB, voice 2 MB, video 10 MB, file 20 MB), media/get
// (with Range) and media/uploadimg store bytes; uploadimg takes up to 2 MB on WeCom (40009 above, 40004
// for a format other than JPG/PNG) and under 1 MB on the 公众号 (40009, 40005).
//
// # Callbacks
//
// [Handler.SendMessage] delivers a member's message or event to a WeCom app's callback URL, encrypted
// and signed with package crypto; [Handler.SimulateScan] delivers the 公众号 subscribe/SCAN event of a
// parametric QR code in plain, compat or safe mode; [Handler.VerifyAppCallback] performs the URL check.
// A receiver that does not answer HTTP 200 within 5 s ([WithCallbackTimeout]) gets the same request
// again, 3 tries in total, as WeCom does. They return the app's decrypted reply.
//
// # Testing failure
//
// [Handler.Calls] counts requests per endpoint ("POST /cgi-bin/wedoc/smartsheet/add_records").
// [Handler.InjectFault] makes the next n calls of an endpoint answer an errcode ([ErrCodeFault]) or an
// HTTP status ([StatusFault]), wait ([DelayFault]), drop the connection ([DropFault]), or apply the call
// and then drop the connection or hold the answer until the client gives up ([AppliedDropFault],
// [AppliedTimeoutFault]): the write happened, the client saw a failure; a client that retries blindly
// writes twice, and [Handler.RecordCount] shows it. [WithLatency] delays every call;
// [WithFailureRate] fails a seeded-random share of calls with a mix of 5xx, -1 and applied-but-dropped.
//
// The Go http.Transport replays idempotent requests (GET) that fail on a reused connection, so a
// dropped GET may reach the fake twice; POSTs are never replayed.
//
// # State that survives a restart, and kill -9
//
// With [WithStateFile] documents, records, media, QR tickets, followers, menus and recorded messages
// are kept in a JSON snapshot plus an append-only journal next to it (path.journal.N). Every change is
// appended to the journal before the call is answered, so an acknowledged write survives the process
// being killed (kill -9): once write(2) returns, the data is in the operating system's page cache,
// which outlives the process. No fsync is made per call, so a power cut or a kernel crash may still
// lose the last writes. Loading replays the journal over the snapshot and drops a line cut off by the
// kill (that write was never answered). When the journal passes 64 MiB, on [Handler.Save] and on
// Close, it is folded into a new snapshot (temporary file, fsync, rename) written outside the lock, so
// callers do not wait for it. If the journal cannot be written, every call answers errcode -1 from
// then on rather than acknowledge a write that could be lost. Tokens, OAuth codes and call counts are
// not kept.
//
// # Mounting the fake in a demo
//
// The example apps mount the fake on their own port in demo mode. It then serves anyone who reaches
// that port, with the default, public credentials: never expose a demo to the internet. Within that,
// the fake is not an open redirect (trusted domains, above), and [WithMaxRequestBody] caps every
// request body (default 24 MiB, the largest WeCom upload plus overhead; lower it for a demo) besides
// the platforms' own per-type limits. Mount it under a prefix with [WithPublicURL]:
//
//	fake, err := wecomtest.NewHandler(wecomtest.WithPublicURL(base+"/_fake"),
//		wecomtest.WithStateFile(filepath.Join(dataDir, "fake-wecom.json")),
//		wecomtest.WithMaxRequestBody(4<<20))
//	mux.Handle("/_fake/", http.StripPrefix("/_fake", fake))
//
// # Standalone
//
//	go run ./wecom/wecomtest/cmd/wecomfake -addr 127.0.0.1:9000 -state fake.json
package wecomtest
