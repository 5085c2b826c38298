package fcruntime

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Limits of the custom runtime's server.
const (
	// readHeaderTimeout bounds how long a client may take to send a request's headers.
	readHeaderTimeout = 10 * time.Second
	// shutdownTimeout bounds the graceful shutdown once the context is cancelled.
	shutdownTimeout = 30 * time.Second
)

// ServeListener runs the custom runtime's HTTP server on ln (which it closes; FC requires it to listen
// on all interfaces, ":9000") until ctx is cancelled, then shuts it down gracefully and returns nil. See
// NewHTTPHandler for what it serves. The handlers' contexts are derived from ctx: cancelling it cancels
// the invocations in flight, which are still answered before ServeListener returns.
func ServeListener(ctx context.Context, ln net.Listener, h Handler, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	srv := &http.Server{
		Handler:           NewHTTPHandler(h, opts),
		ReadHeaderTimeout: readHeaderTimeout,
		// No read, write or idle timeouts: an invocation may last as long as the function's timeout, and
		// FC keeps its connections alive between invocations.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("fcruntime: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-served
	if err != nil {
		return fmt.Errorf("fcruntime: shut down: %w", err)
	}
	return nil
}

// NewHTTPHandler returns the custom runtime's HTTP handler
// (https://www.alibabacloud.com/help/en/functioncompute/fc/principles-1):
//
//   - POST /invoke: the body is the event and the x-fc-* headers are the invocation's facts; the
//     deadline is x-fc-function-deadline, else now plus x-fc-function-timeout seconds, else now plus
//     Options.DefaultTimeout. Success is 200 with x-fc-status: 200 and the result as body; failure is
//     404 with x-fc-status: 404 and the result as body when the handler returned one, else an ErrorBody,
//     as for an invocation the runtime rejects without calling the handler (a header it cannot read, an
//     event over Options.MaxEventBytes: its errorMessage names the limit).
//   - POST /initialize, GET /pre-stop, GET /pre-freeze: lifecycle hooks, always 200.
//   - a path of Options.Paths: its handler, between the FC Invoke markers.
//   - anything else: 404 or 405 with an ErrorBody.
//
// Answers are application/json (but those of Options.Paths, which are their handlers') and the FC
// Start/End markers go to Options.Stdout.
func NewHTTPHandler(h Handler, opts Options) http.Handler {
	return &httpHandler{r: newRunner(h, opts), paths: opts.Paths}
}

type httpHandler struct {
	r     *runner
	paths map[string]http.Handler
}

// InvocationOf returns the invocation facts that FC sends with a request passed through from an HTTP
// trigger to the custom runtime (request ID, account, the role's credentials, the deadline when it is
// given); a malformed header is left out.
func InvocationOf(h http.Header) Invocation {
	inv, _ := parseInvocation(h, Invoke, time.Now(), false, time.Minute)
	return inv
}

func (s *httpHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if h, ok := s.paths[req.URL.Path]; ok {
		id := req.Header.Get(headerRequestID)
		s.r.marker(Invoke, "Start", id, false)
		defer s.r.marker(Invoke, "End", id, false)
		h.ServeHTTP(w, req)
		return
	}
	var kind Kind
	var method string
	switch req.URL.Path {
	case "/invoke":
		kind, method = Invoke, http.MethodPost
	case "/initialize":
		kind, method = Initialize, http.MethodPost
	case "/pre-stop":
		kind, method = PreStop, http.MethodGet
	case "/pre-freeze":
		kind, method = PreFreeze, http.MethodGet
	default:
		writeJSON(w, http.StatusNotFound, ErrorBody{
			ErrorMessage: fmt.Sprintf("no such path %s: the custom runtime serves POST /invoke, POST /initialize, GET /pre-stop and GET /pre-freeze", strconv.Quote(req.URL.Path)),
			ErrorType:    "NotFound",
		})
		return
	}
	if req.Method != method {
		w.Header().Set("Allow", method)
		writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{
			ErrorMessage: fmt.Sprintf("method %s not allowed on %s: use %s", req.Method, req.URL.Path, method),
			ErrorType:    "MethodNotAllowed",
		})
		return
	}

	ctx := req.Context()
	inv, rejected := parseInvocation(req.Header, kind, time.Now(), false, s.r.defaultTimeout)
	if kind != Invoke {
		s.r.serve(ctx, inv, nil, rejected)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return
	}

	var event []byte
	if rejected == nil {
		var release func()
		event, release, rejected = s.r.readEvent(ctx, inv, req.Body, req.ContentLength)
		defer release()
	}
	out := s.r.serve(ctx, inv, event, rejected)
	body := out.result
	status, fcStatus := http.StatusOK, http.StatusOK
	if out.failed {
		status, fcStatus = http.StatusNotFound, http.StatusNotFound
		if body == nil {
			body, _ = json.Marshal(out.err)
		}
	}
	if body == nil {
		body = []byte("null")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-fc-status", strconv.Itoa(fcStatus))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the caller is gone; nothing more to do
}

// writeJSON answers with status and v as a JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n')) //nolint:errcheck // the caller is gone; nothing more to do
}
