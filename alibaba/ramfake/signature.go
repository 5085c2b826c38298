package ramfake

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// percentEncode is the RPC flavour of percent-encoding: url.QueryEscape with a space as %20, * as %2A and
// ~ left alone (the RPC signature, https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism).
func percentEncode(s string) string {
	s = url.QueryEscape(s)
	s = strings.ReplaceAll(s, "+", "%20")
	s = strings.ReplaceAll(s, "*", "%2A")
	s = strings.ReplaceAll(s, "%7E", "~")
	return s
}

// StringToSign returns the RPC signature v1 string to sign for a request with the given method and
// parameters (query and form together). The Signature parameter, if present, is left out; empty values are
// kept.
func StringToSign(method string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(percentEncode(k))
		b.WriteByte('=')
		b.WriteString(percentEncode(params.Get(k)))
	}
	return strings.ToUpper(method) + "&" + percentEncode("/") + "&" + percentEncode(b.String())
}

// Sign returns the RPC signature v1 (HMAC-SHA1, base64) of a request with the given method and parameters,
// keyed with the AccessKey secret. Tests use it to build raw requests the way the SDK does.
func Sign(method string, params url.Values, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(StringToSign(method, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
