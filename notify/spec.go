package notify

import (
	"net/http"

	"github.com/akrecycle/ak-recycle-alert/internal/env"
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
	// New builds the channel from the values of Vars (get returns "" for an unset one), posting with
	// client. It is called only when the channel is configured and every value passed its Var's Check.
	New func(get func(name string) string, client *http.Client) (Channel, error)
}
