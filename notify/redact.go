package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/akrecycle/ak-recycle-alert/internal/loopback"
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
		if loopback.Host(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("http://%s is not allowed: use https:// (http:// only to a loopback address)", u.Hostname())
	}
	return fmt.Errorf("scheme %q is not allowed: use https://", u.Scheme)
}

// Secrets are strings that must never appear in an error: a webhook URL and its parts, a token, a
// signing secret. The zero value redacts nothing.
type Secrets []string

// URLSecrets lists the secret parts of a webhook URL: the URL as given and as net/http prints it, its
// path, query and user info, every segment of its path and every value of its query (as they are and
// escaped); the scheme and host are never secret. Any part may be the token: a generic receiver's
// URL may carry it in a short segment (/hooks/k3y/in) or value (?t=k3y).
func URLSecrets(raw string) Secrets {
	s := Secrets{raw}
	p, err := url.Parse(raw)
	if err != nil {
		return s
	}
	s = append(s, p.String(), p.Redacted(), p.RawQuery, p.Query().Encode(), p.EscapedPath(), p.Path)
	for _, vs := range p.Query() {
		for _, v := range vs {
			s = append(s, v, url.QueryEscape(v))
		}
	}
	for _, path := range []string{p.Path, p.EscapedPath()} {
		for _, seg := range strings.Split(path, "/") {
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

// shortSecret is the length under which a secret is replaced only where it stands as a part of a URL:
// right after a '/', '?', '=', '&' or '#', or right before a '/', '?', '&', '#' or '\' (JSON's \/), with
// no letter or digit next to it. A short path segment that is a vendor's word ("robot", "send") then
// stays in the vendor's prose ("send too fast", "invalid webhook url"); a longer secret is replaced
// wherever it appears.
const shortSecret = 8

// forms returns v as it may appear in an error's text: as it is, and as a JSON string holds it (Go's
// encoder writes &, < and > as \u0026, \u003c and \u003e; others write / as \/).
func forms(v string) []string {
	b, err := json.Marshal(v)
	if err != nil {
		return []string{v}
	}
	quoted := string(b[1 : len(b)-1])
	return []string{v, quoted, strings.ReplaceAll(v, "/", `\/`), strings.ReplaceAll(quoted, "/", `\/`)}
}

// scrubString replaces every secret in text, in each of its forms, with redacted, longest first, and
// folds the text onto one line. A secret with no letter or digit ("/", "") is no secret and is ignored.
func (s Secrets) scrubString(text string) string {
	var all []string
	seen := map[string]bool{}
	for _, v := range s {
		if !strings.ContainsFunc(v, isAlnum) {
			continue
		}
		for _, f := range forms(v) {
			if !seen[f] {
				seen[f] = true
				all = append(all, f)
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	var long []string
	for _, f := range all {
		if len(f) >= shortSecret {
			long = append(long, f, redacted)
		}
	}
	text = strings.NewReplacer(long...).Replace(text)
	for _, f := range all {
		if len(f) < shortSecret {
			text = replaceURLPart(text, f)
		}
	}
	return strings.Join(strings.Fields(text), " ")
}

// replaceURLPart replaces every f in text that stands as a part of a URL (see shortSecret).
func replaceURLPart(text, f string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, f)
		if i < 0 {
			break
		}
		end := i + len(f)
		var before, after byte
		if i > 0 {
			before = text[i-1]
		}
		if end < len(text) {
			after = text[end]
		}
		alone := !isAlnum(rune(before)) && !isAlnum(rune(after))
		urlPart := strings.IndexByte("/?=&#", before) >= 0 || strings.IndexByte("/?&#\\", after) >= 0
		if !alone || !urlPart {
			b.WriteString(text[:i+1])
			text = text[i+1:]
			continue
		}
		b.WriteString(text[:i])
		b.WriteString(redacted)
		text = text[end:]
	}
	b.WriteString(text)
	return b.String()
}

// isAlnum reports whether r is an ASCII letter or digit.
func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
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
