package alibaba

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
)

// redacted replaces a secret in a scrubbed message.
const redacted = "[redacted]"

// maxMessage caps a scrubbed message, in bytes.
const maxMessage = 400

var (
	// stringToSignRE matches the string to sign that a SignatureDoesNotMatch answer quotes: it holds every
	// request parameter, the security token included.
	stringToSignRE = regexp.MustCompile(`(?i)(string\s*to\s*sign\s*(?:is)?\s*[:=]\s*)\S+`)
	// urlRE matches an http(s) URL; the replacement keeps its scheme and host only.
	urlRE = regexp.MustCompile(`(?i)\b(https?)://(?:[^\s"'<>/?#@]*@)?([^\s"'<>/?#]+)[^\s"'<>]*`)
	// spaceRE matches runs of white space.
	spaceRE = regexp.MustCompile(`\s+`)
)

// secretKeys are parameter names whose values are secrets (compared case-insensitively).
var secretKeys = []string{"securitytoken", "security-token", "security_token", "signature", "accesskeysecret", "access_key_secret", "x-acs-security-token", "authorization"}

// separators may sit between a secret's name and its value: query (plain, encoded once and twice), JSON
// and header forms.
var separators = []string{"%253D", "%3D", "=", `":"`, `": "`, `\":\"`, ": ", ":"}

// scrubText returns s as one line with secrets removed: the values of SecurityToken, Signature and
// AccessKeySecret parameters (in query, percent-encoded, JSON or header form), the string to sign quoted by
// SignatureDoesNotMatch answers, and the path, query and user info of every URL (a *url.Error quotes the
// signed request URL). The result is at most 400 bytes.
func scrubText(s string) string {
	s = stringToSignRE.ReplaceAllString(s, "${1}"+redacted)
	s = urlRE.ReplaceAllString(s, "${1}://${2}")
	s = scrubKeyValues(s)
	s = strings.TrimSpace(spaceRE.ReplaceAllString(s, " "))
	return excerpt.Cut(s, maxMessage+len("…"))
}

// scrubKeyValues redacts the value after every secret parameter name followed by a separator.
func scrubKeyValues(s string) string {
	lower := strings.ToLower(s)
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		key := ""
		for _, k := range secretKeys {
			if strings.HasPrefix(lower[i:], k) {
				key = k
				break
			}
		}
		if key == "" {
			i++
			continue
		}
		j := i + len(key)
		sep := ""
		for _, sp := range separators {
			if strings.HasPrefix(lower[j:], strings.ToLower(sp)) {
				sep = sp
				break
			}
		}
		if sep == "" {
			i = j
			continue
		}
		j += len(sep)
		end := valueEnd(s, lower, j)
		if end > j {
			b.WriteString(s[last:j])
			b.WriteString(redacted)
			last = end
		}
		i = end
		if i == j {
			i++
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

// valueEnd returns where a secret value starting at i ends: at white space, a quote, a bracket, a comma,
// a semicolon, or an & (plain or percent-encoded once or twice).
func valueEnd(s, lower string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\r', '\n', '"', '\'', '&', ',', ';', ')', ']', '}', '<', '>', '\\':
			return i
		}
		if strings.HasPrefix(lower[i:], "%26") || strings.HasPrefix(lower[i:], "%2526") {
			return i
		}
		i++
	}
	return i
}

// scrubber removes known secret values (in plain and percent-encoded forms) before applying scrubText.
type scrubber struct {
	secrets []string
}

func newScrubber(values ...string) *scrubber {
	sc := &scrubber{}
	for _, v := range values {
		if len(v) < 6 {
			continue // too short to search for without mangling the message; scrubText's patterns still apply
		}
		once := url.QueryEscape(v)
		rpc := strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(once)
		sc.secrets = append(sc.secrets, v, once, rpc, url.QueryEscape(once), url.QueryEscape(rpc))
	}
	return sc
}

// holds reports whether s contains one of the secrets, in any form the scrubber knows.
func (sc *scrubber) holds(s string) bool {
	for _, v := range sc.secrets {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

func (sc *scrubber) scrub(s string) string {
	for _, v := range sc.secrets {
		s = strings.ReplaceAll(s, v, redacted)
	}
	return scrubText(s)
}
