package loopback

import "testing"

func TestHost(t *testing.T) {
	tests := []struct {
		name, host string
		want       bool
	}{
		{"localhost", "localhost", true},
		{"localhost upper case", "LOCALHOST", true},
		{"IPv4", "127.0.0.1", true},
		{"IPv4 anywhere in 127/8", "127.1.2.3", true},
		{"IPv6", "::1", true},
		{"IPv4-mapped IPv6", "::ffff:127.0.0.1", true},
		{"private address", "10.0.0.1", false},
		{"a name that starts like one", "127.0.0.1.example.com", false},
		{"localhost as a subdomain", "localhost.example.com", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		if got := Host(tt.host); got != tt.want {
			t.Errorf("%s: Host(%q) = %v, want %v", tt.name, tt.host, got, tt.want)
		}
	}
}
