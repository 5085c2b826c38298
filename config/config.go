// Package config turns the function's environment variables into the settings of each part: the
// handler's, the API reader's, the configured channels, the one-click restore's and the log level. Every
// problem is found before any API call, and each is reported with the variable's name and what is wrong
// with its value, never with a secret. The variables are listed by Vars: the configuration's own, each
// channel's from its notify.Spec in the registry (package notify/channels), and the restore's.
//
// The same binary is the alert function and, with SLACK_SIGNING_SECRET set, the restore function. A
// restore function needs neither RAM_USERS nor a channel: their absence is not a configuration error
// but CheckErr, the reason a check event fails there.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/restore"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// Config is the validated configuration.
type Config struct {
	// Handler are the run's settings.
	Handler handler.Settings
	// Reader configures the API reader and the ActionTrail look-ups: the region (FC_REGION, else
	// alibaba.DefaultRegion), the RAM, IMS, STS, Resource Manager and ActionTrail endpoints, and the
	// environment's credentials (nil when unset: the SDK's default credential chain applies; on FC the
	// role's per-invocation credentials win over them).
	Reader alibaba.Config
	// channels are the configured channels, in the registry's order: NewChannels builds them.
	channels []channel
	// LogLevel is LOG_LEVEL.
	LogLevel slog.Level
	// Restore are the one-click restore's settings: Enabled on the restore function
	// (SLACK_SIGNING_SECRET), Buttons wherever RESTORE_TOKEN_SECRET is set.
	Restore *restore.Config
	// CheckErr is why this configuration cannot run a check, nil when it can: a restore function may
	// lack RAM_USERS and every channel, which only checks need; a check event then fails with it.
	CheckErr error
}

// channel is a configured channel: its kind, and the values of its variables.
type channel struct {
	spec   notify.Spec
	values map[string]string
}

// configError is an invalid configuration: every problem found, each a "NAME: what is wrong" sentence.
type configError struct {
	problems []string
}

func (e *configError) Error() string {
	return "configuration error: " + strings.Join(e.problems, "; ")
}

// Load reads the configuration through getenv (os.Getenv in main), with the channels of specs. An empty
// variable counts as unset. The error, if any, lists every problem.
func Load(getenv func(string) string, specs []notify.Spec) (*Config, error) {
	l := &loader{getenv: getenv}
	c := &Config{
		Handler:  l.handler(),
		channels: l.channels(specs),
		Reader:   l.reader(),
		LogLevel: l.logLevel(),
		Restore:  l.restore(),
	}
	l.checkDebug()
	if !c.Handler.DryRun && len(c.channels) == 0 && len(l.problems) == 0 {
		l.checks = append(l.checks, "no channel configured: set "+channelSwitches(specs)+", or DRY_RUN=true")
	}
	if len(l.checks) > 0 {
		if c.Restore.Enabled() {
			c.CheckErr = &configError{problems: append([]string{"this is a restore function (SLACK_SIGNING_SECRET is set), which runs no check"}, l.checks...)}
		} else {
			l.problems = append(l.problems, l.checks...)
		}
	}
	if len(l.problems) > 0 {
		return nil, &configError{problems: l.problems}
	}
	return c, nil
}

// NewChannels builds the configured channels, each posting with client and, when RESTORE_TOKEN_SECRET
// is set, with the signer of the Restore buttons. A channel that cannot be built is a configuration
// error naming its variables.
func (c *Config) NewChannels(client *http.Client) ([]notify.Channel, error) {
	o := notify.Options{Client: client}
	if c.Restore.Buttons() {
		signer, err := restore.NewSigner(c.Restore.TokenSecret)
		if err != nil {
			return nil, &configError{problems: []string{"RESTORE_TOKEN_SECRET: " + err.Error()}}
		}
		o.Buttons = signer
	}
	var out []notify.Channel
	var problems []string
	for _, ch := range c.channels {
		built, err := ch.spec.New(func(name string) string { return ch.values[name] }, o)
		if err != nil {
			names := make([]string, len(ch.spec.Vars))
			for i, v := range ch.spec.Vars {
				names[i] = v.Name
			}
			problems = append(problems, strings.Join(names, ", ")+": "+err.Error())
			continue
		}
		out = append(out, built)
	}
	if len(problems) > 0 {
		return nil, &configError{problems: problems}
	}
	return out, nil
}

// loader reads variables and collects the problems of their values, and apart from them, checks, what
// is missing for a check only (RAM_USERS, a channel), which a restore function does not run.
type loader struct {
	getenv   func(string) string
	problems []string
	checks   []string
}

// get is the variable's value, trimmed; "" when unset.
func (l *loader) get(name string) string { return strings.TrimSpace(l.getenv(name)) }

// bad records a problem of the variable name.
func (l *loader) bad(name, format string, args ...any) {
	l.problems = append(l.problems, name+": "+fmt.Sprintf(format, args...))
}

// handler reads the run's settings.
func (l *loader) handler() handler.Settings {
	s := handler.Settings{
		AlertOnRecycle: l.bool("ALERT_ON_RECYCLE", true),
		Mode:           alert.ModeCrossing,
		Location:       time.UTC,
		AccountLabel:   l.get("ACCOUNT_LABEL"),
		AccountID:      l.get("FC_ACCOUNT_ID"),
		DryRun:         l.bool("DRY_RUN", false),
		LookupDeleter:  l.bool("LOOKUP_DELETER", true),
	}
	if v := l.get("ACCOUNTS"); v != "" {
		accounts, err := alibaba.ParseAccounts(strings.Split(v, ","))
		if err != nil {
			l.bad("ACCOUNTS", "%v", err)
		}
		s.Accounts = accounts
		// ACCOUNTS tells the own account from the members by this ID: a wrong one would read the own
		// account through a member role and put a wrong ID on its alerts. (FC passes the ID with every
		// invocation too; this is the command line's.)
		if id := s.AccountID; id != "" {
			if !alibaba.ValidAccountID(id) {
				l.bad("FC_ACCOUNT_ID", "%s is not an account ID (16 digits), which ACCOUNTS needs to tell the function's own account from the members", excerpt.Quote(id))
			}
		}
	}
	s.MemberRole = defaultMemberRole
	if v := l.get("MEMBER_ROLE_NAME"); v != "" {
		if err := alibaba.CheckRoleName(v); err != nil {
			l.bad("MEMBER_ROLE_NAME", "%v", err)
		}
		s.MemberRole = v
	}
	if v := l.get("RAM_USERS"); v == "" {
		l.checks = append(l.checks, "RAM_USERS: required: comma-separated RAM user names, principal names or IDs, or *")
	} else if users, err := alibaba.ParseUsers(strings.Split(v, ",")); err != nil {
		l.bad("RAM_USERS", "%v", err)
	} else {
		s.Users = users
	}
	thresholds := l.get("ALERT_THRESHOLDS")
	if thresholds == "" {
		thresholds = defaultThresholds
	}
	if t, err := alert.ParseThresholds(thresholds); err != nil {
		l.bad("ALERT_THRESHOLDS", "%v", err)
	} else {
		s.Thresholds = t
	}
	if v := l.get("ALERT_MODE"); v != "" {
		m, err := alert.ParseMode(v)
		if err != nil {
			l.bad("ALERT_MODE", "%v", err)
		}
		s.Mode = m
	}
	if v := l.get("SCHEDULE"); v != "" {
		sched, err := schedule.Parse(v)
		if err != nil {
			l.bad("SCHEDULE", "%v", err)
		}
		s.Schedule = sched
	}
	if v := l.get("TIMEZONE"); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil || v == "Local" {
			l.bad("TIMEZONE", "unknown time zone %s: use an IANA name such as Asia/Shanghai", excerpt.Quote(v))
		} else {
			s.Location = loc
		}
	}
	return s
}

// channels reads the variables of every kind of channel in specs and returns the configured ones: a
// channel is configured when its first variable is set. A set value must pass its Var's Check; a
// Required variable must be set with the first; any other variable without a default must not be set
// without it.
func (l *loader) channels(specs []notify.Spec) []channel {
	var out []channel
	for _, spec := range specs {
		first := spec.Vars[0].Name
		on := l.get(first) != ""
		values := map[string]string{}
		for i, v := range spec.Vars {
			val := l.get(v.Name)
			switch {
			case val == "" && on && v.Required:
				l.bad(v.Name, "required with %s", first)
			case val == "" || i == 0 || on || v.Default != "":
			case v.Required:
				l.bad(first, "required with %s", v.Name)
			default:
				l.bad(v.Name, "set without %s", first)
			}
			if val == "" {
				continue
			}
			if v.Check != nil {
				if err := v.Check(val); err != nil {
					l.bad(v.Name, "%v", err)
				}
			}
			values[v.Name] = val
		}
		if on {
			out = append(out, channel{spec: spec, values: values})
		}
	}
	return out
}

// channelSwitches names what turns each channel on, for the "no channel configured" message:
// "SLACK_WEBHOOK_URL, SLACK_BOT_TOKEN with SLACK_CHANNEL, … or WECOM_WEBHOOK_URL".
func channelSwitches(specs []notify.Spec) string {
	var names []string
	for _, spec := range specs {
		n := spec.Vars[0].Name
		for _, v := range spec.Vars[1:] {
			if v.Required {
				n += " with " + v.Name
			}
		}
		names = append(names, n)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// reader reads the API reader's configuration.
func (l *loader) reader() alibaba.Config {
	c := alibaba.Config{Region: alibaba.DefaultRegion, RAMEndpoint: l.endpoint("RAM_ENDPOINT"), IMSEndpoint: l.endpoint("IMS_ENDPOINT"),
		STSEndpoint: l.endpoint("STS_ENDPOINT"), ResourceManagerEndpoint: l.endpoint("RESOURCEMANAGER_ENDPOINT"),
		ActionTrailEndpoint: l.endpoint("ACTIONTRAIL_ENDPOINT"), Credentials: l.credentials()}
	if v := l.get("FC_REGION"); v != "" {
		if err := alibaba.CheckRegion(v); err != nil {
			l.bad("FC_REGION", "%v", err)
		}
		c.Region = v
	}
	return c
}

// endpoint reads an API endpoint: a host or URL (alibaba.ParseEndpoint); "" for the default.
func (l *loader) endpoint(name string) string {
	v := l.get(name)
	if v != "" {
		if _, _, err := alibaba.ParseEndpoint(v); err != nil {
			l.bad(name, "%v", err)
		}
	}
	return v
}

// credentials reads the AccessKey of the environment: nil when none is set, a problem for an
// incomplete one.
func (l *loader) credentials() *alibaba.Credentials {
	const id, secret, token = "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"
	c := &alibaba.Credentials{AccessKeyID: l.get(id), AccessKeySecret: l.get(secret), SecurityToken: l.get(token)}
	switch {
	case c.AccessKeyID == "" && c.AccessKeySecret == "" && c.SecurityToken == "":
		return nil
	case c.AccessKeyID == "" && c.AccessKeySecret == "":
		l.bad(id+", "+secret, "required with %s", token)
	case c.AccessKeyID == "":
		l.bad(id, "required with %s", secret)
	case c.AccessKeySecret == "":
		l.bad(secret, "required with %s", id)
	default:
		return c
	}
	return nil
}

// logLevel reads LOG_LEVEL: debug, info (the default), warn or error.
func (l *loader) logLevel() slog.Level {
	switch v := l.get("LOG_LEVEL"); strings.ToLower(v) {
	case "", "info":
		return slog.LevelInfo
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		l.bad("LOG_LEVEL", "unknown level %s: use debug, info, warn or error", excerpt.Quote(v))
		return slog.LevelInfo
	}
}

// restore reads the one-click restore's settings (restore.LoadConfig); its problems are the
// configuration's.
func (l *loader) restore() *restore.Config {
	c, err := restore.LoadConfig(l.getenv)
	var ce *restore.ConfigError
	switch {
	case errors.As(err, &ce):
		l.problems = append(l.problems, ce.Problems...)
	case err != nil:
		l.problems = append(l.problems, err.Error())
	}
	return c
}

// checkDebug refuses a DEBUG that makes the Alibaba Cloud SDK print signed requests.
func (l *loader) checkDebug() {
	if v := l.getenv("DEBUG"); strings.Contains(strings.ToLower(v), "sdk") {
		l.bad("DEBUG", "contains \"sdk\", which makes the Alibaba Cloud SDK print signed requests and security tokens: unset it")
	}
}

// bool reads a boolean variable, def when unset.
func (l *loader) bool(name string, def bool) bool {
	v := l.get(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.bad(name, "%s is not a boolean: use true or false", excerpt.Quote(v))
	}
	return b
}
