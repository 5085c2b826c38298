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

// RedactURL returns the scheme and host of u ("https://oapi.dingtalk.com"): the only parts of a webhook
// URL that may appear in an error or a log line, since the path, the query and the user info carry
// tokens. An unparsable URL gives "[invalid URL]", never the input.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return "[invalid URL]"
	}
	return p.Scheme + "://" + p.Host
}

// secrets are strings that must never appear in an error: a webhook URL and its parts, a token, a
// signing secret. The zero value redacts nothing.
type secrets []string

// urlSecrets lists the secret parts of a webhook URL: the URL as given and as net/http prints it, its
// path, query, query values, long path segments and user info. Short parts ("/", "send") are left
// out so that redaction does not garble ordinary words; the scheme and host are never secret.
func urlSecrets(raw string) secrets {
	s := secrets{raw}
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
func (s secrets) replacer() *strings.Replacer {
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
func (s secrets) scrubString(text string) string {
	text = s.replacer().Replace(text)
	return strings.Join(strings.Fields(text), " ")
}

// clean returns err with every secret of s removed from its text and then, only then, the text cut
// to maxErrorText runes on one line (nil stays nil). Cutting first could split a secret and leave a
// piece that no longer matches.
func (s secrets) clean(err error) error {
	if err == nil {
		return nil
	}
	msg := shorten(s.scrubString(err.Error()), maxErrorText)
	var se *scrubbedError
	if errors.As(err, &se) && se.msg == msg {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// scrubbedError is an error whose text had its secrets removed. It unwraps to the original error so
// that errors.Is(err, context.DeadlineExceeded) still works; print only its Error().
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrub returns err with every secret removed from its text (nil stays nil). The result is one line.
func scrub(err error, s ...string) error {
	if err == nil {
		return nil
	}
	return secrets(s).scrub(err)
}

// scrub returns err with every secret of s removed from its text (nil stays nil).
func (s secrets) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := s.scrubString(err.Error())
	var se *scrubbedError
	if errors.As(err, &se) && se.msg == msg {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// checkURL validates a channel's URL without echoing it: it must parse, have a host, and use https,
// or http to a loopback address (tests, local receivers). Errors name at most the scheme and host.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("URL is empty")
	}
	p, err := url.Parse(raw)
	if err != nil || p.Host == "" {
		return errors.New("URL does not parse as scheme://host/…")
	}
	switch p.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(p.Hostname()) {
			return nil
		}
		return fmt.Errorf("URL %s: http:// is allowed only to a loopback address; use https://", RedactURL(raw))
	}
	return fmt.Errorf("URL %s: scheme must be https", RedactURL(raw))
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
