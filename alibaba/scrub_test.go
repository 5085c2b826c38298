package alibaba

import (
	"strings"
	"testing"
)

func TestScrub(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "url.Error quotes the signed request URL",
			in:   `Post "https://ims.aliyuncs.com/?AccessKeyId=STS.abc&Action=GetUser&SecurityToken=CAIS%2Btok&Signature=abc%3D": dial tcp 1.2.3.4:443: i/o timeout`,
			want: `Post "https://ims.aliyuncs.com": dial tcp 1.2.3.4:443: i/o timeout`,
		},
		{
			name: "user info and path of a URL",
			in:   "calling https://user:pa55@hooks.example.com/services/T000/B000/XXXX failed",
			want: "calling https://hooks.example.com failed",
		},
		{
			name: "string to sign quoted by SignatureDoesNotMatch",
			in:   "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DSTS.x%26SecurityToken%3DCAIS%252Btok%26Timestamp%3D2026",
			want: "Specified signature is not matched with our calculation. server string to sign is:[redacted]",
		},
		{
			name: "query parameters outside a URL",
			in:   "AccessKeyId=STS.x&SecurityToken=CAIS+tok/en==&Signature=q1w2e3%3D&SignatureMethod=HMAC-SHA1",
			want: "AccessKeyId=STS.x&SecurityToken=[redacted]&Signature=[redacted]&SignatureMethod=HMAC-SHA1",
		},
		{
			name: "percent-encoded once and twice",
			in:   "a SecurityToken%3DCAIS%252Btok%26Timestamp%3Dx and SecurityToken%253DCAIS%25252Btok%2526b",
			want: "a SecurityToken%3D[redacted]%26Timestamp%3Dx and SecurityToken%253D[redacted]%2526b",
		},
		{
			name: "JSON and header forms",
			in:   `{"AccessKeySecret":"s3cr3t","SecurityToken": "tok"} x-acs-security-token: tok2`,
			want: `{"AccessKeySecret":"[redacted]","SecurityToken": "[redacted]"} x-acs-security-token: [redacted]`,
		},
		{
			name: "multi-line SDK error becomes one line",
			in:   "SDK.ServerError\nErrorCode: Throttling.User\nRecommend: \nRequestId: 1\nMessage: denied",
			want: "SDK.ServerError ErrorCode: Throttling.User Recommend: RequestId: 1 Message: denied",
		},
		{
			name: "words that only start like a secret name stay",
			in:   "SignatureDoesNotMatch: Specified signature is not matched; SignatureNonce=abc SignatureVersion=1.0",
			want: "SignatureDoesNotMatch: Specified signature is not matched; SignatureNonce=abc SignatureVersion=1.0",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := scrubText(tc.in); got != tc.want {
				t.Errorf("scrubText(%q)\n = %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestScrubCapsLength(t *testing.T) {
	got := scrubText(strings.Repeat("é", 1000))
	if len(got) > maxMessage+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("scrubText(2000 bytes) = %d bytes, want at most %d and an ellipsis", len(got), maxMessage+len("…"))
	}
	if !strings.HasPrefix(got, "éé") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("scrubText cut a character in half: %q", got[len(got)-8:])
	}
}

func TestScrubberRemovesKnownValues(t *testing.T) {
	sc := newScrubber(stsSecret, stsToken, "short")
	in := "token " + stsToken + " encoded CAIS%2Btest%2FToken%3D%3Dwith%2Aodd~chars-SECRETTOKENVALUE secret " + stsSecret + " short"
	got := sc.scrub(in)
	if found := secretsIn(got); len(found) > 0 {
		t.Errorf("scrub(%q) = %q, still holds %q", in, got, found)
	}
	if !strings.HasSuffix(got, " short") {
		t.Errorf("scrub(%q) = %q, want values under 6 bytes left alone", in, got)
	}
}
