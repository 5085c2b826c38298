// Package env describes the environment variables the function reads: the configuration's own (package
// config) and each channel's (its notify.Spec). From these descriptions come the configuration's checks,
// the README's configuration table and the variables s.yaml must wire.
package env

// Var describes one environment variable. An empty value counts as unset.
type Var struct {
	// Name is the variable's name.
	Name string
	// Default is the value used when the variable is unset, as shown to people; a description of one
	// is in parentheses, "(required)".
	Default string
	// Help is one line for the README's configuration table.
	Help string
	// Secret is true when the value must never appear in a log, an error, a result or a message.
	Secret bool
	// Credential is true for the Alibaba Cloud credentials, which a deployment takes from the function's
	// role rather than from s.yaml.
	Credential bool
	// AlertOnly and RestoreOnly say which function reads the variable when the restore function is
	// deployed beside the alert function (s.restore.yaml): the alert function alone (RAM_USERS, the
	// schedule), the restore function alone (the Slack app's signing secret), or, with neither, both
	// (the channels, the endpoints).
	AlertOnly, RestoreOnly bool
	// RestoreRequired is true for a variable the restore function cannot work without: s.restore.yaml
	// gives it no default, so that its deploy stops when it is not set.
	RestoreRequired bool
	// Required is true for a channel's variable that must be set whenever the channel is configured
	// (its first variable is set).
	Required bool
	// Check, when set, validates a set value; its error says what is wrong without quoting a secret.
	Check func(value string) error
	// Example is a valid value (a URL on the vendor's host), for the tests that configure every
	// channel of the registry.
	Example string
}
