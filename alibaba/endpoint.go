package alibaba

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/akrecycle/ak-recycle-alert/internal/loopback"
)

// ParseEndpoint checks an API endpoint as RAM_ENDPOINT and IMS_ENDPOINT take it and returns the scheme
// ("https" or "http") and host[:port] to send requests to. A bare host (ram.vpc-proxy.aliyuncs.com,
// host:port) means HTTPS; a URL must be https://host[:port] or http:// to a loopback host (127.0.0.0/8,
// ::1, localhost), with no user info, path, query or fragment. Errors name what is wrong and never echo a
// path, query or user info.
func ParseEndpoint(s string) (scheme, host string, err error) {
	if s == "" {
		return "", "", errors.New("endpoint is empty")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return "", "", errors.New("endpoint contains white space")
	}
	if !strings.Contains(s, "://") {
		if strings.ContainsAny(s, "/?#@") {
			return "", "", errors.New("endpoint must be a host[:port] or an https:// URL")
		}
		h, err := checkHost(s)
		if err != nil {
			return "", "", err
		}
		return "https", h, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", "", errors.New("endpoint is not a valid URL")
	}
	scheme = strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", "", fmt.Errorf("endpoint scheme must be https, not %q", sanitizeScheme(scheme))
	}
	if u.User != nil {
		return "", "", errors.New("endpoint must not contain user info")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return "", "", errors.New("endpoint URL must not have a path, query or fragment")
	}
	host, err = checkHost(u.Host)
	if err != nil {
		return "", "", err
	}
	if scheme == "http" && !loopback.Host(u.Hostname()) {
		return "", "", fmt.Errorf("endpoint http://%s: http is allowed only to a loopback host; use https", host)
	}
	return scheme, host, nil
}

// checkHost validates host[:port] (IPv6 literals in brackets) and returns it with the host lower-cased.
func checkHost(hp string) (string, error) {
	if hp == "" {
		return "", errors.New("endpoint has no host")
	}
	h, port := hp, ""
	if strings.HasPrefix(hp, "[") || strings.Count(hp, ":") == 1 {
		var err error
		if h, port, err = net.SplitHostPort(hp); err != nil {
			if strings.HasPrefix(hp, "[") && strings.HasSuffix(hp, "]") {
				h, port = hp[1:len(hp)-1], ""
			} else {
				return "", errors.New("endpoint host:port is not valid")
			}
		}
	} else if strings.Contains(hp, ":") {
		return "", errors.New("endpoint IPv6 address must be in brackets")
	}
	if port != "" || strings.HasSuffix(hp, ":") {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", errors.New("endpoint port must be a number from 1 to 65535")
		}
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.Zone() != "" {
			return "", errors.New("endpoint IP address must not have a zone")
		}
		if ip.Is6() && !ip.Is4In6() {
			h = "[" + ip.String() + "]"
		}
	} else {
		if len(h) > 253 {
			return "", errors.New("endpoint host name is too long")
		}
		for _, label := range strings.Split(h, ".") {
			if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
				return "", errors.New("endpoint host name is not valid")
			}
			for _, c := range label {
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
					return "", errors.New("endpoint host name is not valid")
				}
			}
		}
		h = strings.ToLower(h)
	}
	if port != "" {
		return h + ":" + port, nil
	}
	return h, nil
}

// sanitizeScheme keeps a scheme printable and short in an error.
func sanitizeScheme(s string) string {
	if len(s) > 16 {
		s = s[:16]
	}
	return s
}
