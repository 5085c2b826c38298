package restore

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
)

// DefaultMemberRoleName is MEMBER_RESTORE_ROLE_NAME when unset: the role the restore function assumes in
// a member account.
const DefaultMemberRoleName = "ak-recycle-alert-restorer"

// minSecretLen is the shortest RESTORE_TOKEN_SECRET taken: 32 characters, what `openssl rand -base64 24`
// prints, so that a button's HMAC key cannot be guessed.
const minSecretLen = 32

// Config is the restore settings, read from the environment by LoadConfig. Restore is on when
// SigningSecret is set (Enabled); the alert function needs only TokenSecret, to sign its buttons.
type Config struct {
	// SigningSecret is SLACK_SIGNING_SECRET, the Slack app's signing secret (a secret).
	SigningSecret string
	// TeamID is SLACK_TEAM_ID, the Slack workspace (T…) whose clicks are taken.
	TeamID string
	// AppID is SLACK_APP_ID, the Slack app (A…) whose clicks are taken.
	AppID string
	// AllowedUsers are RESTORE_ALLOWED_USERS, the Slack user IDs (U… or W…) who may restore.
	AllowedUsers []string
	// TokenSecret is RESTORE_TOKEN_SECRET, the key of the buttons' HMAC (a secret, shared by both
	// functions). Set without SigningSecret, it makes the alert function post buttons.
	TokenSecret string
	// MemberRoleName is MEMBER_RESTORE_ROLE_NAME, the role assumed in a member account.
	MemberRoleName string
	// SlackAPIURL is SLACK_API_URL (empty: Slack's): a response_url on its scheme and host is accepted
	// besides Slack's own hooks.slack.com.
	SlackAPIURL string
}

// Var describes one environment variable the restore settings read.
type Var struct {
	// Name is the variable's name.
	Name string
	// Default is the value used when the variable is unset or empty, as shown to people.
	Default string
	// Secret is true when the value must never appear in a log, an error or a result.
	Secret bool
	// Help is one line for the README's configuration reference.
	Help string
	// RestoreOnly is true for a variable only the restore function reads; false for one both functions
	// read (RESTORE_TOKEN_SECRET).
	RestoreOnly bool
	// Required is true for a variable the restore function needs (a deploy of it stops without).
	Required bool
}

// Vars lists the variables LoadConfig reads, for the configuration reference and the s.yaml wiring.
// SLACK_API_URL is the alert function's variable too and is not repeated here.
var Vars = []Var{
	{Name: "RESTORE_TOKEN_SECRET", Secret: true, Required: true, Help: "signs the Restore buttons (both functions, at least 32 characters: `openssl rand -base64 32`); unset: no buttons"},
	{Name: "SLACK_SIGNING_SECRET", Secret: true, RestoreOnly: true, Required: true, Help: "the Slack app's signing secret; set only on the restore function, where it turns restore on"},
	{Name: "SLACK_TEAM_ID", RestoreOnly: true, Required: true, Help: "the Slack workspace ID (`T…`) whose clicks are taken (restore function)"},
	{Name: "SLACK_APP_ID", RestoreOnly: true, Required: true, Help: "the Slack app ID (`A…`) whose clicks are taken (restore function)"},
	{Name: "RESTORE_ALLOWED_USERS", RestoreOnly: true, Required: true, Help: "comma-separated Slack user IDs (`U…`) who may restore (restore function; required there)"},
	{Name: "MEMBER_RESTORE_ROLE_NAME", Default: DefaultMemberRoleName, RestoreOnly: true, Help: "the RAM role the restore function assumes (STS `AssumeRole`) in a member account of `ACCOUNTS` to restore there"},
}

// ConfigError is an invalid restore configuration: every problem found, each naming its variable.
type ConfigError struct {
	// Problems are "NAME: what is wrong" sentences.
	Problems []string
}

func (e *ConfigError) Error() string {
	return "configuration error: " + strings.Join(e.Problems, "; ")
}

// LoadConfig reads the restore settings through getenv (os.Getenv in main); an empty variable counts as
// unset. With SLACK_SIGNING_SECRET unset, restore is off and only RESTORE_TOKEN_SECRET (buttons),
// MEMBER_RESTORE_ROLE_NAME and SLACK_API_URL are read; with it set, SLACK_TEAM_ID, SLACK_APP_ID,
// RESTORE_ALLOWED_USERS and RESTORE_TOKEN_SECRET are required. The error, if any, is a *ConfigError
// listing every problem; it never holds a secret's value.
func LoadConfig(getenv func(string) string) (*Config, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}
	c := &Config{
		SigningSecret:  get("SLACK_SIGNING_SECRET"),
		TokenSecret:    get("RESTORE_TOKEN_SECRET"),
		MemberRoleName: get("MEMBER_RESTORE_ROLE_NAME"),
		SlackAPIURL:    get("SLACK_API_URL"),
	}
	if c.MemberRoleName == "" {
		c.MemberRoleName = DefaultMemberRoleName
	}
	if !validRoleName(c.MemberRoleName) {
		bad("MEMBER_RESTORE_ROLE_NAME", "not a RAM role name: 1 to 64 letters, digits, periods and hyphens")
	}
	if c.TokenSecret != "" {
		if err := checkSecret(c.TokenSecret, minSecretLen); err != nil {
			bad("RESTORE_TOKEN_SECRET", "%v (generate one with: openssl rand -base64 32)", err)
		}
	}
	if c.SlackAPIURL != "" {
		if _, err := parseAPIURL(c.SlackAPIURL); err != nil {
			bad("SLACK_API_URL", "%v", err)
		}
	}
	if c.SigningSecret != "" {
		c.TeamID, c.AppID = get("SLACK_TEAM_ID"), get("SLACK_APP_ID")
		if err := checkSecret(c.SigningSecret, 16); err != nil {
			bad("SLACK_SIGNING_SECRET", "%v: copy the Signing Secret from the Slack app's Basic Information page", err)
		}
		switch {
		case c.TeamID == "":
			bad("SLACK_TEAM_ID", "required with SLACK_SIGNING_SECRET: the Slack workspace ID (T…)")
		case !validSlackID(c.TeamID, "T"):
			bad("SLACK_TEAM_ID", "not a Slack workspace ID: T followed by capital letters and digits")
		}
		switch {
		case c.AppID == "":
			bad("SLACK_APP_ID", "required with SLACK_SIGNING_SECRET: the Slack app ID (A…)")
		case !validSlackID(c.AppID, "A"):
			bad("SLACK_APP_ID", "not a Slack app ID: A followed by capital letters and digits")
		}
		switch {
		case c.TokenSecret == "":
			bad("RESTORE_TOKEN_SECRET", "required with SLACK_SIGNING_SECRET: the secret the alert function signs its buttons with")
		case c.TokenSecret == c.SigningSecret:
			// Whoever can read the Slack app's settings could then sign buttons of their own.
			bad("RESTORE_TOKEN_SECRET", "must not be SLACK_SIGNING_SECRET: the buttons need a secret of their own (openssl rand -base64 32)")
		}
		users, err := parseAllowedUsers(get("RESTORE_ALLOWED_USERS"))
		if err != nil {
			bad("RESTORE_ALLOWED_USERS", "%v", err)
		}
		c.AllowedUsers = users
	}
	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	return c, nil
}

// Enabled reports whether restore is on: SLACK_SIGNING_SECRET is set.
func (c *Config) Enabled() bool { return c != nil && c.SigningSecret != "" }

// Buttons reports whether the alert function puts Restore buttons on its bot-token Slack messages:
// RESTORE_TOKEN_SECRET is set.
func (c *Config) Buttons() bool { return c != nil && c.TokenSecret != "" }

// Secrets returns the secret values of the configuration, for scrubbing and for tests that prove no
// output holds one.
func (c *Config) Secrets() []string {
	var s []string
	for _, v := range []string{c.SigningSecret, c.TokenSecret} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// LogValue shows the configuration in a log line without its secrets.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("enabled", c.Enabled()),
		slog.Bool("buttons", c.Buttons()),
		slog.String("teamId", c.TeamID),
		slog.String("appId", c.AppID),
		slog.Int("allowedUsers", len(c.AllowedUsers)),
		slog.String("memberRoleName", c.MemberRoleName),
	)
}

// checkSecret says what is wrong with a secret without quoting it: shorter than min, or holding a space
// or a character that is not printable ASCII.
func checkSecret(s string, min int) error {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("holds a space or a character that is not printable ASCII (at byte %d)", i+1)
		}
	}
	if len(s) < min {
		return fmt.Errorf("%d characters long, want at least %d", len(s), min)
	}
	return nil
}

// parseAllowedUsers parses RESTORE_ALLOWED_USERS: comma-separated Slack user IDs, spaces around them
// trimmed, duplicates dropped. Empty is an error: nobody could restore.
func parseAllowedUsers(v string) ([]string, error) {
	if v == "" {
		return nil, fmt.Errorf("required with SLACK_SIGNING_SECRET: the Slack user IDs (U…) who may restore, comma-separated")
	}
	var users []string
	seen := map[string]bool{}
	for i, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
			return nil, fmt.Errorf("entry %d is empty", i+1)
		case !validSlackUserID(e):
			return nil, fmt.Errorf("entry %d is not a Slack user ID (U or W followed by capital letters and digits, as shown in the user's profile)", i+1)
		case seen[e]:
			continue
		}
		seen[e] = true
		users = append(users, e)
	}
	return users, nil
}

// parseAPIURL parses SLACK_API_URL: https://, or http:// to a loopback address (tests); no user info.
// Errors name the scheme and host at most.
func parseAPIURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("not an absolute URL")
	}
	if u.User != nil {
		return nil, fmt.Errorf("must not hold a user name or password")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("http:// is allowed only to a loopback address, not to %s: use https://", u.Hostname())
		}
	default:
		return nil, fmt.Errorf("scheme %q: want https://", u.Scheme)
	}
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validRoleName is RAM's rule for a role name: 1 to 64 letters, digits, periods and hyphens (RAM
// CreateRole, https://www.alibabacloud.com/help/doc-detail/159988.htm).
func validRoleName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '.' && s[i] != '-' {
			return false
		}
	}
	return true
}

// validSlackID reports whether s is a Slack ID of the kind prefix says: the prefix, then 2 to 31 capital
// letters and digits (T… workspaces, A… apps, U… and W… users).
func validSlackID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) < 2 || len(rest) > 31 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// validSlackUserID reports whether s is a Slack user ID: U… or, in Enterprise Grid, W….
func validSlackUserID(s string) bool { return validSlackID(s, "U") || validSlackID(s, "W") }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
