// Package qrcode makes QR codes for a shop: PNG and SVG images, bag labels with the product
// code and a Chinese name, printable PDF sheets of labels, and signed product URLs. This half
// of the package is pure: no network, no WeCom account needed. (The other half creates 公众号
// parametric QR codes and parses their scan events; see [Tickets].)
//
// # Images
//
// [PNG] is the one-liner; [PNGWith] and [Encode] take options:
//
//	png, err := qrcode.PNG("https://shop.example.com/p/BAG-000123", 256)
//
//	c, err := qrcode.Encode(url, qrcode.WithLevel(qrcode.LevelQ), qrcode.WithQuietZone(4))
//	png, err := c.PNG(512) // render a Code as often as needed
//	svg, err := c.SVG()
//
// Modules are always whole pixels: the image is exactly size×size, the symbol plus its quiet
// zone is scaled by the largest integer that fits and centred, so nothing is blurred. The
// module matrix comes from github.com/boombuler/barcode (all 40 versions, the four levels,
// numeric, alphanumeric or UTF-8 byte mode, the best of the eight masks); qiwei renders it.
// The PNG is written straight from the matrix as a 1-bit image, typically under a kilobyte;
// a URL-sized PNG costs about 5 % more than the encoder alone, one to two milliseconds.
// [SVG] emits one compact path with a viewBox and no fixed size.
//
// Options: [WithLevel] (L, M default, Q, H), [WithQuietZone] (4 modules by default),
// [WithColors] and [WithLogo]. A logo forces level H and sits on a background-coloured
// square of at most 26 % of the symbol's side (under 7 % of its area), centred, that never
// cuts through an alignment pattern; at that size every Reed–Solomon block of every version
// keeps at least a quarter of its correction capacity spare. Simple logos decode with zxing
// and zbar alike; avoid busy, high-contrast patterns.
//
// # Labels
//
// [Label] draws a bag tag: the QR code, the product code large in Go Mono Bold and the name
// beneath, shrunk or cut with "…" to fit:
//
//	png, err := qrcode.Label(qrcode.LabelSpec{
//		Content: signer.URL("BAG-000123"),
//		Code:    "BAG-000123",
//		Name:    "棕色托特包",
//	}, nil)
//
// [Labels] renders a batch on all cores. Chinese needs a CJK font: [SystemFont] finds one at run
// time (WenQuanYi Micro Hei, Noto Sans CJK, Droid Sans Fallback, …, under /usr/share/fonts and
// the other usual places) and caches it. Without one it falls back to Go Regular, logs a
// warning, and [FontInfo] reports Fallback: check it at start-up and install fonts-wqy-microhei.
// Use [LoadFont] and [LabelOptions.Font] to choose a font yourself. Characters no font has are
// drawn as boxes; text never makes a label fail.
//
// # Sheets
//
// [Sheet] lays labels out on A4 pages for sticker paper (the default is 70×37 mm, 3×8 per
// page) or any grid set in [SheetOptions]. QR codes are vector paths, sharp on any printer;
// codes and names are real text, with the CJK font subset-embedded, so the PDF is small and
// searchable. Symbols are encoded on all cores: 1,000 labels cost about two CPU-seconds,
// nearly all of it encoding, so about a second on two cores.
//
//	pdf, err := qrcode.Sheet(ctx, specs, &qrcode.SheetOptions{Border: true})
//
// # Signed URLs
//
// A label should not point at /p/{code} alone: anyone could print labels for codes of their
// choosing, or walk the catalogue by counting. A [Signer] adds a short HMAC tag:
//
//	signer, err := qrcode.NewSigner(key, "https://shop.example.com") // key: 32 random bytes
//	url := signer.URL("BAG-000123") // https://shop.example.com/p/BAG-000123?s=mEiTlHCers0q
//
//	// in the GET /p/{code} handler:
//	code, err := signer.VerifyRequest(r)
//	if err != nil { // errors.Is(err, qrcode.ErrInvalidSignature) or ErrMalformedSignature
//		http.NotFound(w, r)
//		return
//	}
//
// The tag is 72 bits (12 base64url characters), compared in constant time.
//
// # 公众号 parametric codes (带参数二维码)
//
// [NewTickets] on a 公众号 client creates codes whose scene comes back in the scan event:
//
//	tk, err := qrcode.NewTickets(mp).Temporary(ctx, qrcode.StrScene("bind_42"), 7*24*time.Hour)
//	png, err := qrcode.PNG(tk.URL, 512) // render locally, or link tk.ImageURL() (showqrcode)
//
// Limits are checked before any request ([ErrInvalidExpiry], [ErrInvalidSceneID], [ErrInvalidScene]),
// and so is the client: a nil one fails with wecom.ErrNilClient, a WeCom one with
// wecom.ErrWrongPlatform.
// In the callback, [ParseScanEvent] turns both "subscribe with qrscene_…" (a new follower) and
// "SCAN" (an existing follower) into one [ScanEvent]; a plain follow has no scene ([ScanEvent.IsScan]).
// [Binder] packages the "scan to bind" pattern: Issue a code for an entity, Resolve the scan back to
// it exactly once, with state in a wecom.TokenStore (memory, or Redis across replicas).
//
// # Errors
//
// Bad input returns an error matching one of [ErrEmptyContent], [ErrContentTooLong],
// [ErrSizeTooSmall], [ErrInvalidOption], [ErrInvalidFont], [ErrInvalidSignature] or
// [ErrMalformedSignature]; nothing here panics on user input.
//
// # Testing
//
// Every version 1–40 at every level is checked module by module against ISO/IEC 18004 (finder,
// separator, timing and alignment patterns, the dark module, format and version information,
// data and Reed–Solomon codewords), and read back with two independent decoders, gozxing and
// zbarimg (zbar-tools); sheets are rendered with pdftoppm (poppler-utils). Tests needing those
// tools skip when they are missing, unless QIWEI_REQUIRE_SERVICES=1.
package qrcode
