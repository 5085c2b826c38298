package restore

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIsHTTPEvent(t *testing.T) {
	fixture, err := os.ReadFile("testdata/http-event.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		event string
		want  bool
	}{
		{"the FC HTTP event", string(fixture), true},
		{"the smallest", `{"version":"v1","requestContext":{"http":{"method":"POST"}}}`, true},
		{"a timer event", `{"triggerTime":"2026-11-30T09:00:00Z","triggerName":"daily","payload":""}`, false},
		{"a manual event", `{"mode":"digest","dryRun":true}`, false},
		{"empty", ``, false},
		{"null", `null`, false},
		{"an array", `[{"version":"v1","requestContext":{"http":{"method":"POST"}}}]`, false},
		{"version v2", `{"version":"v2","requestContext":{"http":{"method":"POST"}}}`, false},
		{"a version number", `{"version":1,"requestContext":{"http":{"method":"POST"}}}`, false},
		{"no requestContext", `{"version":"v1","rawPath":"/slack/actions"}`, false},
		{"no http", `{"version":"v1","requestContext":{"requestId":"1"}}`, false},
		{"http null", `{"version":"v1","requestContext":{"http":null}}`, false},
		{"no method", `{"version":"v1","requestContext":{"http":{}}}`, false},
		{"an empty method", `{"version":"v1","requestContext":{"http":{"method":""}}}`, false},
		{"keys in another case", `{"Version":"v1","RequestContext":{"HTTP":{"Method":"POST"}}}`, false},
		{"a manual event that names the keys in a value", `{"users":["\"version\"","\"requestContext\""]}`, false},
		{"broken JSON", `{"version":"v1","requestContext":{"http":{"method":"POST"}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsHTTPEvent([]byte(tt.event)); got != tt.want {
				t.Errorf("IsHTTPEvent(%s) = %v, want %v", tt.event, got, tt.want)
			}
		})
	}
}

func TestHTTPEventRequest(t *testing.T) {
	fixture, err := os.ReadFile("testdata/http-event.json")
	if err != nil {
		t.Fatal(err)
	}
	e, err := DecodeHTTPEvent(fixture)
	if err != nil {
		t.Fatalf("DecodeHTTPEvent(fixture) = %v", err)
	}
	req, err := e.Request()
	if err != nil {
		t.Fatalf("Request = %v", err)
	}
	if req.Method != http.MethodPost || req.Path != ActionsPath || req.RequestID != "1-64f6cd87-15a5c5e3-1f9a3b0c2d4e" ||
		string(req.Body) != "payload=%7B%22type%22%3A%22block_actions%22%7D" {
		t.Errorf("Request = %+v", req)
	}
	if got := req.Header.Get(HeaderSignature); got != exampleSignature {
		t.Errorf("signature header = %q, want %q", got, exampleSignature)
	}

	// Headers whatever their case, a base64 body, arrays of values.
	raw := `{"version":"v1","rawPath":"/slack/act%69ons","body":"` + base64.StdEncoding.EncodeToString([]byte("a=1&b=\x00")) + `","isBase64Encoded":true,
		"headers":{"x-slack-signature":"v0=ab","X-SLACK-REQUEST-TIMESTAMP":"1","Accept":["a","b"]},
		"requestContext":{"http":{"method":"POST","path":"/slack/actions"}}}`
	e, err = DecodeHTTPEvent([]byte(raw))
	if err != nil {
		t.Fatalf("DecodeHTTPEvent = %v", err)
	}
	req, err = e.Request()
	if err != nil {
		t.Fatalf("Request = %v", err)
	}
	want := http.Header{"X-Slack-Signature": {"v0=ab"}, "X-Slack-Request-Timestamp": {"1"}, "Accept": {"a,b"}}
	if diff := cmp.Diff(want, req.Header); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if string(req.Body) != "a=1&b=\x00" || req.Path != ActionsPath {
		t.Errorf("body %q, path %q: want the decoded body and path", req.Body, req.Path)
	}

	bad := strings.Replace(raw, `"isBase64Encoded":true`, `"isBase64Encoded":true,"body":"not base64!"`, 1)
	if e, err := DecodeHTTPEvent([]byte(bad)); err != nil {
		t.Fatalf("DecodeHTTPEvent = %v", err)
	} else if _, err := e.Request(); err == nil {
		t.Errorf("Request of a body that is not base64 = nil error, want one")
	}
	for _, notEvent := range []string{`{"triggerTime":"2026-11-30T09:00:00Z"}`, `{"version":"v1","requestContext":{"http":{"method":"POST"}},"headers":{"a":1}}`} {
		if _, err := DecodeHTTPEvent([]byte(notEvent)); err == nil {
			t.Errorf("DecodeHTTPEvent(%s) = nil error, want one", notEvent)
		}
	}
}

func TestEncodeResponse(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(encodeResponse(Response{Status: 401, Body: "Unauthorized"}), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"statusCode": float64(401), "body": "Unauthorized", "isBase64Encoded": false,
		"headers": map[string]any{"Content-Type": "text/plain; charset=utf-8"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("encodeResponse (-want +got):\n%s", diff)
	}
}

func TestNilHandlerAnswers404(t *testing.T) {
	var h *Handler
	fixture, err := os.ReadFile("testdata/http-event.json")
	if err != nil {
		t.Fatal(err)
	}
	var got HTTPResponse
	if err := json.Unmarshal(h.ServeEvent(t.Context(), "r1", fixture), &got); err != nil || got.StatusCode != http.StatusNotFound {
		t.Errorf("nil Handler ServeEvent = %+v, %v; want 404", got, err)
	}
	if r := h.Handle(t.Context(), Request{Method: "POST", Path: ActionsPath}); r.Status != http.StatusNotFound {
		t.Errorf("nil Handler Handle = %+v, want 404", r)
	}
}

func FuzzDecodeHTTPEvent(f *testing.F) {
	fixture, err := os.ReadFile("testdata/http-event.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{string(fixture), `{"version":"v1","requestContext":{"http":{"method":"POST"}},"isBase64Encoded":true,"body":"QUJD"}`,
		`{"triggerTime":"2026-11-30T09:00:00Z"}`, `{}`, `null`, `{"version":"v1","requestContext":{"http":{"method":"GET"}},"headers":{"a":["b"]}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		is := IsHTTPEvent(raw)
		e, err := DecodeHTTPEvent(raw)
		if err != nil {
			return
		}
		if !is {
			t.Fatalf("DecodeHTTPEvent(%q) succeeded, but IsHTTPEvent says it is not one", raw)
		}
		req, err := e.Request()
		if err != nil {
			return
		}
		if req.Method == "" || len(req.Body) > len(raw) {
			t.Fatalf("Request of %q = %+v: no method, or a body larger than the event", raw, req)
		}
	})
}
