package notify

import (
	"net/http"

	"github.com/akrecycle/ak-recycle-alert/internal/env"
	"github.com/akrecycle/ak-recycle-alert/restore"
)

// Spec describes a kind of channel to the registry (package channels): the configuration reads and
// checks its variables, names it in the "no channel configured" message, and main builds it with New.
type Spec struct {
	// Name is the name of the channel New builds.
	Name string
	// Vars are the channel's variables, in the README's order. The first turns the channel on: the
	// channel is configured when it is set. Another variable set without it is an error, unless it has
	// a default (SLACK_API_URL).
	Vars []env.Var
	// New builds the channel from the values of Vars (get returns "" for an unset one) and o. It is
	// called only when the channel is configured and every value passed its Var's Check.
	New func(get func(name string) string, o Options) (Channel, error)
}

// Options are what main builds every channel with, beside its variables.
type Options struct {
	// Client posts. It should have a timeout and follow no redirect; nil means a client of the
	// channel's own with a timeout.
	Client *http.Client
	// Buttons, when set (RESTORE_TOKEN_SECRET), signs the Restore buttons that a channel able to carry
	// them (Slack's bot token) puts under each key and user alert; nil means no buttons.
	Buttons *restore.Signer
}
