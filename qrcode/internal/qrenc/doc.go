// Package qrenc is a small, allocation-light QR Code Model 2 encoder (ISO/IEC 18004).
//
// It turns content into a module matrix; drawing it is the caller's business:
//
//	m, err := qrenc.Encode("https://example.com/p/1", qrenc.M)
//	if err != nil { ... } // errors.Is(err, qrenc.ErrTooLong)
//	for y := range m.Size {
//		for x := range m.Size {
//			_ = m.Dark(x, y)
//		}
//	}
//
// The smallest version (1–40) that holds the content at the requested error-correction level
// is chosen. Content made only of digits uses numeric mode, content made only of the 45
// alphanumeric characters (0–9, A–Z, space, $%*+-./:) uses alphanumeric mode, anything else
// is written as 8-bit bytes (UTF-8, without an ECI header, as most encoders and readers
// expect). All eight masks are scored with the four penalty rules and the lowest wins.
//
// Per-version layout data (function patterns, zigzag order, mask patterns) is computed once
// and cached; an encode runs without goroutines and allocates little more than the result.
package qrenc
