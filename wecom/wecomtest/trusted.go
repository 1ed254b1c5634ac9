package wecomtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// domain is a trusted domain (可信域名) for OAuth redirects: a host name and, optionally, a port.
type domain struct{ host, port string }

// parseDomain reads "host" or "host:port" ("[::1]:8080" for IPv6); no scheme, no path.
func parseDomain(s string) (domain, error) {
	bad := fmt.Errorf("trusted domain %q: want a host name, optionally with :port, without scheme or path", s)
	if s == "" || strings.ContainsAny(s, "/?#@ ") {
		return domain{}, bad
	}
	u, err := url.Parse("http://" + s)
	if err != nil || u.Hostname() == "" {
		return domain{}, bad
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return domain{}, bad
		}
	}
	return domain{strings.ToLower(u.Hostname()), u.Port()}, nil
}

func parseDomains(list []string) ([]domain, error) {
	out := make([]domain, 0, len(list))
	for _, s := range list {
		d, err := parseDomain(s)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// appDomains returns the trusted domains of a WeCom app, or of every app for agentID 0 (an authorize
// URL without agentid).
func (h *Handler) appDomains(agentID int64) []domain {
	var out []domain
	for _, a := range h.cfg.apps {
		if agentID == 0 || a.AgentID == agentID {
			out = append(out, h.cfg.appDomains[a.AgentID]...)
		}
	}
	return out
}

// trusted applies WeCom's 可信域名 rule to an OAuth redirect: the host must equal a trusted domain,
// and a port in the URL must be registered with it ("若访问链接URL带了端口号,端口号也需要登记到可信域名中").
// Without configured domains the fake trusts its own host name, on any port: the demo apps that mount
// it and tests on 127.0.0.1 work, and the fake is no open redirect to another site.
func (h *Handler) trusted(r *http.Request, u *url.URL, domains []domain) bool {
	host := strings.ToLower(u.Hostname())
	if len(domains) == 0 {
		own, err := url.Parse(h.baseURL(r))
		return err == nil && host == strings.ToLower(own.Hostname())
	}
	for _, d := range domains {
		if d.host == host && d.port == u.Port() {
			return true
		}
	}
	return false
}
