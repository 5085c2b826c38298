package offline

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// shell are variables a developer's shell may hold that must not reach a test's run.
var shell = map[string]string{
	"HTTP_PROXY": "http://proxy.example.com:3128", "https_proxy": "http://proxy.example.com:3128",
	"ALL_PROXY": "socks5://proxy.example.com:1080", "NO_PROXY": "example.com",
	"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tRealLookingKey0001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "real-looking-secret",
	"ALICLOUD_ACCESS_KEY": "LTAI5tRealLookingKey0002", "FC_RUNTIME_API": "127.0.0.1:9000", "DEBUG": "sdk",
	"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/real", "RAM_ENDPOINT": "ram.aliyuncs.com",
}

func TestEnviron(t *testing.T) {
	for k, v := range shell {
		t.Setenv(k, v)
	}
	t.Setenv("PATH", "/usr/bin")
	got := Environ("RAM_USERS=alice", "PATH=/opt/bin")
	for _, kv := range got {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := shell[name]; ok {
			t.Errorf("Environ() holds %q from this process's environment", kv)
		}
	}
	for _, want := range append(slices.Clone(Switches), "PATH=/usr/bin", "RAM_USERS=alice", "PATH=/opt/bin") {
		if !slices.Contains(got, want) {
			t.Errorf("Environ() = %q, want it to hold %q", got, want)
		}
	}
	if i, j := slices.Index(got, "PATH=/usr/bin"), slices.Index(got, "PATH=/opt/bin"); i > j {
		t.Errorf("Environ() = %q, want the caller's PATH after this process's", got)
	}
}

func TestIsolate(t *testing.T) {
	for k, v := range shell {
		t.Setenv(k, v)
	}
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "false")
	t.Setenv("GOFLAGS", "-mod=mod")
	Isolate(t.Setenv, "SLACK_WEBHOOK_URL", "RAM_ENDPOINT")
	for k := range shell {
		if v := os.Getenv(k); v != "" {
			t.Errorf("after Isolate, %s=%q, want it empty", k, v)
		}
	}
	for _, s := range Switches {
		name, want, _ := strings.Cut(s, "=")
		if got := os.Getenv(name); got != want {
			t.Errorf("after Isolate, %s=%q, want %q", name, got, want)
		}
	}
	if got := os.Getenv("GOFLAGS"); got != "-mod=mod" {
		t.Errorf("after Isolate, GOFLAGS=%q, want it kept", got)
	}
}
