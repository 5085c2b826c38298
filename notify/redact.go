package notify

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
)

// redacted replaces a secret in error text.
const redacted = "[redacted]"

// CheckURL validates a channel's URL: https://, or http:// to a loopback address only (tests, local
// receivers). Its error names the scheme and host at most, never the path, query or user info, which
// carry tokens.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	switch {
	case u.Scheme == "" || u.Host == "":
		return errors.New("not an absolute URL: it must start with https://")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("http://%s is not allowed: use https:// (http:// only to a loopback address)", u.Hostname())
	}
	return fmt.Errorf("scheme %q is not allowed: use https://", u.Scheme)
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Secrets are strings that must never appear in an error: a webhook URL and its parts, a token, a
// signing secret. The zero value redacts nothing.
type Secrets []string

// URLSecrets lists the secret parts of a webhook URL: the URL as given and as net/http prints it, its
// path, query, query values, long path segments and user info. Short parts ("/", "send") are left
// out so that redaction does not garble ordinary words; the scheme and host are never secret.
func URLSecrets(raw string) Secrets {
	s := Secrets{raw}
	p, err := url.Parse(raw)
	if err != nil {
		return s
	}
	s = append(s, p.String(), p.Redacted(), p.RawQuery, p.Query().Encode(), p.EscapedPath(), p.Path)
	for _, vs := range p.Query() {
		s = append(s, vs...)
	}
	for _, seg := range strings.Split(p.Path, "/") {
		if len(seg) >= 16 {
			s = append(s, seg, url.PathEscape(seg))
		}
	}
	if p.User != nil {
		s = append(s, p.User.String(), p.User.Username())
		if pw, ok := p.User.Password(); ok {
			s = append(s, pw)
		}
	}
	return s
}

// replacer returns a strings.Replacer that replaces every secret, longest first, with redacted.
// Secrets shorter than 4 bytes or equal to "/" are ignored: they are not secrets worth the noise.
func (s Secrets) replacer() *strings.Replacer {
	keep := make([]string, 0, len(s))
	seen := map[string]bool{}
	for _, v := range s {
		if len(v) < 4 || seen[v] {
			continue
		}
		seen[v] = true
		keep = append(keep, v)
	}
	sort.Slice(keep, func(i, j int) bool { return len(keep[i]) > len(keep[j]) })
	pairs := make([]string, 0, 2*len(keep))
	for _, v := range keep {
		pairs = append(pairs, v, redacted)
	}
	return strings.NewReplacer(pairs...)
}

// scrubString replaces every secret in text, and folds the text onto one line.
func (s Secrets) scrubString(text string) string {
	text = s.replacer().Replace(text)
	return strings.Join(strings.Fields(text), " ")
}

// clean returns err with every secret of s removed from its text and then, only then, the text cut
// to maxErrorText runes on one line (nil stays nil). Cutting first could split a secret and leave a
// piece that no longer matches.
func (s Secrets) clean(err error) error {
	if err == nil {
		return nil
	}
	return s.rewrite(err, shorten(s.scrubString(err.Error()), maxErrorText))
}

// Scrub returns err with every secret of s removed from its text, on one line (nil stays nil). The
// result unwraps to err, so that errors.Is(err, context.DeadlineExceeded) still works; print only
// its Error().
func (s Secrets) Scrub(err error) error {
	if err == nil {
		return nil
	}
	return s.rewrite(err, s.scrubString(err.Error()))
}

// rewrite returns err with the text msg.
func (Secrets) rewrite(err error, msg string) error {
	var se *scrubbedError
	if errors.As(err, &se) && se.msg == msg {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// scrubbedError is an error whose text had its secrets removed.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
