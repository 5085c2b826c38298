package restore

import (
	"errors"
	"io"
	"net/http"
)

// ServeHTTP serves Slack's POST /slack/actions on the custom runtime (`main serve`), where FC passes the
// HTTP request through unchanged. The body is read up to MaxBodyBytes; a larger one is answered 413. A
// nil *Handler (SLACK_SIGNING_SECRET unset) answers 404 and does nothing.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	write := func(resp Response) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(resp.Status)
		io.WriteString(w, resp.Body)
	}
	if h == nil {
		write(answer(http.StatusNotFound))
		return
	}
	requestID := r.Header.Get("X-Fc-Request-Id")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		status := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		write(h.refuse(h.log.With("requestId", requestID), status, errors.New("reading the body failed")))
		return
	}
	write(h.Handle(r.Context(), Request{Method: r.Method, Path: r.URL.Path, Header: r.Header, Body: body, RequestID: requestID}))
}
