package notifytest

import (
	"net/http"
	"testing"
)

// NewVendors starts a Server that stands in for every vendor at once, and for the generic webhook: a
// channel configured with ChannelURL posts below /<channel name>/, its posts are recorded under that
// name (Posts), and each is answered as the channel's vendor answers a delivered post (VendorOK),
// unless SetAnswers gave that channel other answers or check (nil: none) refuses the request. It is
// closed when the test ends.
func NewVendors(t testing.TB, check Check) *Server {
	t.Helper()
	return start(t, &Server{check: check, vendors: true})
}

// ChannelURL is the URL, on s, of the channel named channel: its path and query follow the name.
func (s *Server) ChannelURL(channel, pathAndQuery string) string {
	return s.URL + "/" + channel + pathAndQuery
}

// Posts returns the requests to the channel named channel, in order.
func (s *Server) Posts(channel string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Channel() == channel {
			out = append(out, r)
		}
	}
	return out
}

// SetAnswers makes the posts to the channel named channel get answers in turn, counted from the
// channel's first post, repeating the last: a status to retry (429 with Retry-After, 5xx), a refusal,
// or silence.
func (s *Server) SetAnswers(channel string, answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byChannel[channel] = answers
}

// vendorOK are the vendors' answers to a delivered post, by the registry's name of their channel: what
// each channel's tests take for success.
var vendorOK = map[string]Answer{
	"slack-webhook": {Status: 200, Body: "ok"},
	"slack":         {Status: 200, Body: `{"ok":true,"channel":"C0123","ts":"1.2"}`},
	"webhook":       {Status: 204},
	"dingtalk":      {Status: 200, Body: `{"errcode":0,"errmsg":"ok"}`},
	"feishu":        {Status: 200, Body: `{"code":0,"data":{},"msg":"success"}`},
	"wecom":         {Status: 200, Body: `{"errcode":0,"errmsg":"ok"}`},
}

// anyVendorOK is the success answer of a channel vendorOK does not know: every vendor's success at
// once (Slack's ok, the robots' errcode and code 0), so that a channel added to the registry is
// answered as delivered before it is added here.
var anyVendorOK = Answer{Status: 200, Body: `{"ok":true,"channel":"C0","ts":"1.2","errcode":0,"errmsg":"ok","code":0,"msg":"success"}`}

// VendorOK is the answer of the vendor of the channel named channel to a delivered post.
func VendorOK(channel string) Answer {
	if a, ok := vendorOK[channel]; ok {
		return a
	}
	return anyVendorOK
}

// Careless refuses every request as a careless server does: a 403 whose body quotes the request's URL
// and its Authorization header.
func Careless(r *http.Request, _ []byte) *Answer {
	return &Answer{Status: http.StatusForbidden, Body: "forbidden: " + r.URL.RequestURI() + " " + r.Header.Get("Authorization")}
}
