// Package fcruntime runs a handler on Alibaba Cloud Function Compute: the go1 runtime API (a long poll of
// FC_RUNTIME_API, API version 2020-11-11) and the custom runtime's HTTP server. It knows nothing of the
// events it carries: each invocation's body goes to the handler as bytes, with the platform's facts as
// plain values and a context that carries the invocation's deadline.
//
// Start serves the go1 runtime, ServeListener the custom runtime; both write the platform's FC Invoke Start/End
// markers to Options.Stdout, answer lifecycle hooks with success without calling the handler, and turn a
// panic into the failure of that invocation only. A handler that starts goroutines starts them with Go,
// so that their panics fail the invocation too, and waits for them before it returns.
//
// Hostile or broken input cannot take the process down: an event larger than Options.MaxEventBytes
// fails its invocation after at most that many bytes plus one were read, the events held in memory at
// once are bounded by their size, and a failure's errorMessage is one line of at most 4 KiB.
package fcruntime

import (
	"context"
	"strconv"
	"time"
)

// Kind says what an invocation is.
type Kind int

// The kinds of invocation (x-fc-function-type).
const (
	// Invoke is an ordinary event invocation.
	Invoke Kind = iota
	// Initialize is the initializer hook.
	Initialize
	// PreStop is the pre-stop hook.
	PreStop
	// PreFreeze is the pre-freeze hook (FC 2.0 only).
	PreFreeze
)

// Credentials are the function role's temporary credentials for one invocation.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Invocation holds the platform's facts about one invocation.
type Invocation struct {
	// RequestID is x-fc-request-id.
	RequestID string
	// Kind is the kind of invocation.
	Kind Kind
	// Deadline is x-fc-function-deadline.
	Deadline time.Time
	// Credentials are the role's credentials; empty when the function has no role.
	Credentials Credentials
	// AccountID is x-fc-account-id.
	AccountID string
	// Region is x-fc-region.
	Region string
	// FunctionName is x-fc-function-name.
	FunctionName string
	// RetryCount is x-fc-retry-count: 0 on the first attempt.
	RetryCount int
}

// Handler serves one event invocation. It returns the result body (a JSON value) and an error when the
// invocation failed; both may be set, when a run got far enough to have a result and then failed.
type Handler func(ctx context.Context, inv Invocation, event []byte) (result []byte, err error)

// String returns the kind's name as the platform's log markers spell it: Invoke, Initialize, PreStop or
// PreFreeze.
func (k Kind) String() string {
	switch k {
	case Invoke:
		return "Invoke"
	case Initialize:
		return "Initialize"
	case PreStop:
		return "PreStop"
	case PreFreeze:
		return "PreFreeze"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}
