package restore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/textproto"
	"strings"
)

// On FC 3.0's built-in runtimes (go1), a request to an HTTP trigger arrives as an event of this shape
// and is answered with an HTTPResponse (FC 3.0, "Use an HTTP trigger to invoke a function",
// https://www.alibabacloud.com/help/en/functioncompute/fc/http-trigger-invoking-function). The same
// binary receives timer and manual events too: IsHTTPEvent tells them apart.

// HTTPEvent is an FC 3.0 HTTP trigger event (payload format version v1).
type HTTPEvent struct {
	// Version is the payload format version: "v1".
	Version string `json:"version"`
	// RawPath is the request path as received, URL-encoded.
	RawPath string `json:"rawPath"`
	// Body is the request body: text, or base64 when IsBase64Encoded.
	Body string `json:"body"`
	// IsBase64Encoded says the body is base64 (FC encodes binary bodies).
	IsBase64Encoded bool `json:"isBase64Encoded"`
	// Headers are the request headers; FC joins repeated ones with commas. Look them up through
	// Request, which ignores case.
	Headers StringMap `json:"headers"`
	// QueryParameters are the query's parameters; FC joins repeated ones with commas.
	QueryParameters StringMap `json:"queryParameters"`
	// RequestContext describes the request.
	RequestContext HTTPRequestContext `json:"requestContext"`
}

// HTTPRequestContext is an HTTPEvent's requestContext; only the fields the restore function reads
// are decoded.
type HTTPRequestContext struct {
	// RequestID is the request's ID.
	RequestID string `json:"requestId"`
	// HTTP describes the HTTP request.
	HTTP *HTTPInfo `json:"http"`
}

// HTTPInfo is requestContext.http.
type HTTPInfo struct {
	// Method is the HTTP method.
	Method string `json:"method"`
	// Path is the decoded request path.
	Path string `json:"path"`
	// SourceIP is the client's address.
	SourceIP string `json:"sourceIp"`
}

// StringMap is an object of strings. A value that is an array of strings (as an older SDK typed them) is
// joined with commas, the way FC joins repeated headers.
type StringMap map[string]string

// UnmarshalJSON decodes an object whose values are strings or arrays of strings.
func (s *StringMap) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(StringMap, len(raw))
	for k, v := range raw {
		var one string
		if err := json.Unmarshal(v, &one); err == nil {
			out[k] = one
			continue
		}
		var many []string
		if err := json.Unmarshal(v, &many); err != nil {
			return errors.New("a value is neither a string nor an array of strings")
		}
		out[k] = strings.Join(many, ",")
	}
	*s = out
	return nil
}

// HTTPResponse is the answer to an HTTPEvent.
type HTTPResponse struct {
	// StatusCode is the HTTP status.
	StatusCode int `json:"statusCode"`
	// Headers are the response headers.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the response body: text, or base64 when IsBase64Encoded.
	Body string `json:"body"`
	// IsBase64Encoded says the body is base64.
	IsBase64Encoded bool `json:"isBase64Encoded"`
}

// IsHTTPEvent reports whether raw is an FC HTTP trigger event: a JSON object whose "version" is "v1" and
// whose "requestContext" holds an "http" object with a "method" string (keys matched exactly). A timer
// event or a manual event has neither; the check reads no more of raw than it must.
func IsHTTPEvent(raw []byte) bool {
	if !bytes.Contains(raw, []byte(`"requestContext"`)) || !bytes.Contains(raw, []byte(`"version"`)) {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return false
	}
	var version string
	if json.Unmarshal(top["version"], &version) != nil || version != "v1" {
		return false
	}
	var rc map[string]json.RawMessage
	if json.Unmarshal(top["requestContext"], &rc) != nil {
		return false
	}
	var info map[string]json.RawMessage
	if json.Unmarshal(rc["http"], &info) != nil || info == nil {
		return false
	}
	var method string
	return json.Unmarshal(info["method"], &method) == nil && method != ""
}

// DecodeHTTPEvent decodes an FC HTTP trigger event (IsHTTPEvent). The error says what is wrong without
// quoting the event.
func DecodeHTTPEvent(raw []byte) (*HTTPEvent, error) {
	if !IsHTTPEvent(raw) {
		return nil, errors.New("not an FC HTTP trigger event")
	}
	var e HTTPEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, jsonError(err)
	}
	return &e, nil
}

// Request turns the event into a Request: headers looked up without regard to case, the body decoded
// from base64 when it is, the path decoded. The error is a bad body encoding.
func (e *HTTPEvent) Request() (Request, error) {
	h := make(http.Header, len(e.Headers))
	for k, v := range e.Headers {
		h.Add(textproto.CanonicalMIMEHeaderKey(k), v)
	}
	body := []byte(e.Body)
	if e.IsBase64Encoded {
		if base64.StdEncoding.DecodedLen(len(e.Body)) > MaxBodyBytes+3 {
			return Request{}, errTooLarge
		}
		b, err := base64.StdEncoding.DecodeString(e.Body)
		if err != nil {
			return Request{}, errors.New("the body is marked base64 but is not")
		}
		body = b
	}
	r := Request{Header: h, Body: body, Path: e.RawPath, RequestID: e.RequestContext.RequestID}
	if e.RequestContext.HTTP != nil {
		r.Method = e.RequestContext.HTTP.Method
		if e.RequestContext.HTTP.Path != "" {
			r.Path = e.RequestContext.HTTP.Path
		}
	}
	return r, nil
}

var errTooLarge = errors.New("the body is too large")

// ServeEvent answers an FC HTTP trigger event (DecodeHTTPEvent) with the JSON of an HTTPResponse;
// requestID is the invocation's, used when the event has none. Every outcome is a status code, never an
// invocation error: a failed invocation would reach Slack as a 5xx without a word. A nil *Handler
// (SLACK_SIGNING_SECRET unset) answers 404 and does nothing.
func (h *Handler) ServeEvent(ctx context.Context, requestID string, raw []byte) []byte {
	if h == nil {
		return encodeResponse(answer(http.StatusNotFound))
	}
	e, err := DecodeHTTPEvent(raw)
	if err != nil {
		return encodeResponse(h.refuse(h.log.With("requestId", requestID), http.StatusBadRequest, err))
	}
	req, err := e.Request()
	if req.RequestID == "" {
		req.RequestID = requestID
	}
	switch {
	case errors.Is(err, errTooLarge):
		return encodeResponse(h.refuse(h.log.With("requestId", req.RequestID), http.StatusRequestEntityTooLarge, err))
	case err != nil:
		return encodeResponse(h.refuse(h.log.With("requestId", req.RequestID), http.StatusBadRequest, err))
	}
	return encodeResponse(h.Handle(ctx, req))
}

func encodeResponse(r Response) []byte {
	b, _ := json.Marshal(HTTPResponse{
		StatusCode: r.Status,
		Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8"},
		Body:       r.Body,
	})
	return b
}
