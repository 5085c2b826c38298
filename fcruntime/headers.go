package fcruntime

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// kindOf reads x-fc-function-type: 1 initializer, 2 pre-stop, 3 pre-freeze; anything else, or nothing,
// is an event invocation.
func kindOf(h http.Header) Kind {
	switch h.Get(headerFunctionType) {
	case "1":
		return Initialize
	case "2":
		return PreStop
	case "3":
		return PreFreeze
	}
	return Invoke
}

// parseInvocation reads an invocation's facts from its headers. The deadline is x-fc-function-deadline;
// without it, it is an error when requireDeadline is set (go1), else now plus x-fc-function-timeout
// seconds, else now plus defaultTimeout (custom runtime). A header that is present but malformed is an
// error that names it; the returned Invocation is then complete all the same, with a fallback deadline,
// so that a hook can still be served. Credentials are never part of an error.
func parseInvocation(h http.Header, kind Kind, now time.Time, requireDeadline bool, defaultTimeout time.Duration) (Invocation, *requestError) {
	inv := Invocation{
		RequestID: h.Get(headerRequestID),
		Kind:      kind,
		Credentials: Credentials{
			AccessKeyID:     h.Get(headerAccessKeyID),
			AccessKeySecret: h.Get(headerAccessKeySecret),
			SecurityToken:   h.Get(headerSecurityToken),
		},
		AccountID:    h.Get(headerAccountID),
		Region:       h.Get(headerRegion),
		FunctionName: h.Get(headerFunctionName),
	}
	var deadlineErr, timeoutErr, retryErr error
	timeout := defaultTimeout
	if v := h.Get(headerTimeout); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			timeoutErr = fmt.Errorf("header %s: %s is not a positive number of seconds", headerTimeout, quote(v))
		} else {
			timeout = time.Duration(n) * time.Second
		}
	}
	inv.Deadline = now.Add(timeout)
	switch v := h.Get(headerDeadline); {
	case v != "":
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms <= 0 {
			deadlineErr = fmt.Errorf("header %s: %s is not a time in epoch milliseconds", headerDeadline, quote(v))
		} else {
			inv.Deadline = time.UnixMilli(ms).UTC()
		}
	case requireDeadline:
		deadlineErr = fmt.Errorf("header %s is missing", headerDeadline)
	}
	if v := h.Get(headerRetryCount); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			retryErr = fmt.Errorf("header %s: %s is not a non-negative integer", headerRetryCount, quote(v))
		} else {
			inv.RetryCount = n
		}
	}
	// One error, the one that matters most: the caller reports it on one line.
	if err := cmp.Or(deadlineErr, timeoutErr, retryErr); err != nil {
		return inv, &requestError{typ: errorTypeHeader, msg: err.Error()}
	}
	return inv, nil
}

// quote quotes a header value for an error message, cut to a readable length.
func quote(v string) string {
	const max = 40
	if len(v) > max {
		return strconv.Quote(v[:max]) + "…"
	}
	return strconv.Quote(v)
}
