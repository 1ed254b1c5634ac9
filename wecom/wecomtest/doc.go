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
// of token, stable_token, qrcode/create and sns/* carry no errcode. The reference documents few
// smart-sheet codes, so the fake uses these (see the const block in api.go):
//
//	40058   invalid parameter: bad JSON or value shapes, unknown sheet/field/view/record ids,
//	        duplicate titles, read-only fields, limits (150 fields, 200 views, 100,000 rows,
//	        limit ≤ 1000, ≤ 1000 records per write call), filter_spec combined with sort
//	640002  unknown docid (文件不存在)
//	851003  the doc was created by another app (no authority)
//
// Other endpoints use the documented global codes: 40001/40013/40125 (credentials), 41001/40014/42001
// (access token missing/unknown/expired; 40001 for 公众号 tokens that are unknown or superseded), 40029
// (OAuth code unknown, used or expired), 40003 (openid), 40007 (media_id), 40097 (qrcode/create
// arguments), 47001 (bad JSON on 公众号 APIs), 81013 (no valid recipient), 93000 (webhook key), 45009
// (webhook: 20 messages a minute).
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
// # Smart sheets
//
// wedoc/create_doc … smartsheet/get_records keep documents in memory behind one mutex. A new smart
// sheet has one sub-sheet with one text column ("智能表列") and one grid view. Field properties are
// validated and echoed back; select options get ids, and a select cell written by text creates its
// option. get_records supports key_type (titles or ids), field selection, record_ids, sort, filter_spec
// (IS, IS_NOT, CONTAINS, DOES_NOT_CONTAIN, IS_GREATER(_OR_EQUAL), IS_LESS(_OR_EQUAL), IS_EMPTY,
// IS_NOT_EMPTY over text, number, checkbox, member, select and date columns; dates in Beijing time),
// offset/limit paging and ver, the sheet's data version, which every write increments. A write call is
// all or nothing. image_upload returns a URL the fake serves itself, and create_doc's url is an HTML
// view of the document. With [WithStateFile] everything survives restarts.
//
// # QR codes and messages
//
// qrcode/create validates the four action names and their limits (absent expire_seconds means 60 s,
// the current documentation's value) and remembers ticket → scene; /cgi-bin/showqrcode renders the
// ticket's url as a PNG (404 when unknown or expired). message/send, message/template/send,
// message/custom/send and webhook/send are recorded: read them with [Handler.Messages].
// message/send lists unknown users in invaliduser and honours enable_duplicate_check; template/send
// honours client_msg_id. media/upload, media/get (with Range) and media/uploadimg store bytes.
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
// # Standalone
//
//	go run ./wecom/wecomtest/cmd/wecomfake -addr 127.0.0.1:9000 -state fake.json
package wecomtest
