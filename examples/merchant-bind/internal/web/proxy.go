package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads TRUSTED_PROXIES: CIDRs or single addresses separated by commas or
// spaces, e.g. "127.0.0.1, 10.0.0.0/8, ::1".
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, &net.ParseError{Type: "CIDR or IP address", Text: f}
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// remoteAddr is the address of the connection's peer.
func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, _ := netip.ParseAddr(r.RemoteAddr)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if a.IsValid() && p.Contains(a) {
			return true
		}
	}
	return false
}

// viaProxy reports whether the request came from a trusted proxy, whose X-Forwarded-* it believes.
func (s *Server) viaProxy(r *http.Request) bool { return s.trusted(remoteAddr(r)) }

// clientIP is the browser's address: the peer, or — when the peer is a trusted proxy — the
// right-most address of X-Forwarded-For that is not itself a trusted proxy (the left part of the
// header is whatever the client sent, so it is not believed).
func (s *Server) clientIP(r *http.Request) string {
	peer := remoteAddr(r)
	if !s.trusted(peer) {
		return addrString(peer, r.RemoteAddr)
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: stop believing the header here
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a.String()
		}
		peer = a
	}
	return addrString(peer, r.RemoteAddr)
}

func addrString(a netip.Addr, fallback string) string {
	if a.IsValid() {
		return a.String()
	}
	return fallback
}

// https reports whether the browser talks HTTPS to us: TLS on this connection, or a trusted proxy
// saying so in X-Forwarded-Proto.
func (s *Server) https(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !s.viaProxy(r) {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// secure reports whether cookies get the Secure flag: the public URL is https, or this request
// came over HTTPS.
func (s *Server) secure(r *http.Request) bool {
	return strings.HasPrefix(s.origin, "https://") || s.https(r)
}

// allowedOrigin reports whether a browser's Origin is this site: PUBLIC_URL's origin always; the
// request's own origin (scheme and Host) only when no proxy stands between, because behind a proxy
// Host is the upstream address (nginx's default proxy_pass), not what the browser sees — there a
// trusted proxy's X-Forwarded-Host (with X-Forwarded-Proto) names it, if the proxy sends one.
func (s *Server) allowedOrigin(r *http.Request, origin string) bool {
	origin = strings.ToLower(strings.TrimRight(origin, "/"))
	if s.origin != "" && origin == s.origin {
		return true
	}
	if s.viaProxy(r) {
		host, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Host"), ",")
		host = strings.ToLower(strings.TrimSpace(host))
		scheme := "http://"
		if s.https(r) {
			scheme = "https://"
		}
		return host != "" && origin == scheme+host
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return origin == scheme+strings.ToLower(r.Host)
}
