package alibaba

import (
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantScheme string
		wantHost   string
		wantErr    string // a substring of the error; "" means success
	}{
		{name: "bare host is https", in: "ram.vpc-proxy.aliyuncs.com", wantScheme: "https", wantHost: "ram.vpc-proxy.aliyuncs.com"},
		{name: "bare host with port", in: "Ims.Example.com:8443", wantScheme: "https", wantHost: "ims.example.com:8443"},
		{name: "https URL", in: "https://ims.aliyuncs.com", wantScheme: "https", wantHost: "ims.aliyuncs.com"},
		{name: "https URL with slash and port", in: "HTTPS://ims.aliyuncs.com:443/", wantScheme: "https", wantHost: "ims.aliyuncs.com:443"},
		{name: "http to 127.0.0.1", in: "http://127.0.0.1:8080", wantScheme: "http", wantHost: "127.0.0.1:8080"},
		{name: "http to 127.3.4.5", in: "http://127.3.4.5:8080", wantScheme: "http", wantHost: "127.3.4.5:8080"},
		{name: "http to localhost", in: "http://localhost:9000", wantScheme: "http", wantHost: "localhost:9000"},
		{name: "http to ::1", in: "http://[::1]:9000", wantScheme: "http", wantHost: "[::1]:9000"},
		{name: "bare IPv6", in: "[2001:db8::1]", wantScheme: "https", wantHost: "[2001:db8::1]"},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "http to a remote host", in: "http://ram.aliyuncs.com", wantErr: "loopback"},
		{name: "http to 10.0.0.1", in: "http://10.0.0.1:80", wantErr: "loopback"},
		{name: "http to a name that looks local", in: "http://localhost.evil.com", wantErr: "loopback"},
		{name: "other scheme", in: "ftp://ram.aliyuncs.com", wantErr: "scheme"},
		{name: "user info", in: "https://admin:hunter2@ram.aliyuncs.com", wantErr: "user info"},
		{name: "path", in: "https://ram.aliyuncs.com/secret-path", wantErr: "path"},
		{name: "query", in: "https://ram.aliyuncs.com/?token=abc", wantErr: "query"},
		{name: "fragment", in: "https://ram.aliyuncs.com#fr4gm3nt", wantErr: "fragment"},
		{name: "bare host with path", in: "ram.aliyuncs.com/secret-path", wantErr: "host[:port]"},
		{name: "bad port", in: "ram.aliyuncs.com:99999", wantErr: "port"},
		{name: "empty port", in: "ram.aliyuncs.com:", wantErr: "port"},
		{name: "bad host", in: "ram_.aliyuncs..com", wantErr: "host name"},
		{name: "no host", in: "https://", wantErr: "no host"},
		{name: "white space", in: "ram.aliyuncs.com ", wantErr: "white space"},
		{name: "unbracketed IPv6", in: "2001:db8::1", wantErr: "brackets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scheme, host, err := ParseEndpoint(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseEndpoint(%q) = %q, %q, %v; want an error about %q", tc.in, scheme, host, err, tc.wantErr)
				}
				for _, secret := range []string{"hunter2", "secret-path", "token=abc", "fr4gm3nt"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("ParseEndpoint(%q) error %q echoes %q", tc.in, err, secret)
					}
				}
				return
			}
			if err != nil || scheme != tc.wantScheme || host != tc.wantHost {
				t.Errorf("ParseEndpoint(%q) = %q, %q, %v; want %q, %q, nil", tc.in, scheme, host, err, tc.wantScheme, tc.wantHost)
			}
		})
	}
}
