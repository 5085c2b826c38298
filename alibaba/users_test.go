package alibaba

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseUsers(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []string
		wantErr string
	}{
		{name: "names, principal names and IDs", in: []string{" alice", "bob@corp.onaliyun.com ", "2073290024939201", "ops_team.1-a"},
			want: []string{"alice", "bob@corp.onaliyun.com", "2073290024939201", "ops_team.1-a"}},
		{name: "every user", in: []string{"*"}, want: []string{"*"}},
		{name: "duplicates kept", in: []string{"alice", "alice"}, want: []string{"alice", "alice"}},
		{name: "none", in: nil, wantErr: "no user given"},
		{name: "empty entry", in: []string{"alice", " "}, wantErr: "entry 2 is empty"},
		{name: "star among names", in: []string{"alice", "*"}, wantErr: "* (every RAM user) must be the only entry"},
		{name: "space inside", in: []string{"al ice"}, wantErr: `entry "al ice" is not a RAM user name`},
		{name: "markup", in: []string{"<!channel>"}, wantErr: `entry "??channel?" is not`},
		{name: "principal without domain", in: []string{"alice@"}, wantErr: `entry "alice@" is not`},
		{name: "two @", in: []string{"a@b@c"}, wantErr: `entry "a@b@c" is not`},
		{name: "name too long", in: []string{strings.Repeat("a", 65)}, wantErr: "is not a RAM user name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUsers(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseUsers(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseUsers(%q) = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseUsers(%q) (-want +got):\n%s", tt.in, diff)
			}
			// What ParseUsers returns, Read accepts as it is.
			if _, err := checkUsers(got); err != nil {
				t.Errorf("checkUsers(%q) = %v, want nil", got, err)
			}
		})
	}
}

func TestCheckRegion(t *testing.T) {
	for _, ok := range []string{"cn-hangzhou", "ap-southeast-1", "us-east-1"} {
		if err := CheckRegion(ok); err != nil {
			t.Errorf("CheckRegion(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "cn hangzhou", "cn_hangzhou", "CN-HANGZHOU", "-cn", "<!channel>"} {
		if err := CheckRegion(bad); err == nil || !strings.Contains(err.Error(), "is not a region ID") {
			t.Errorf("CheckRegion(%q) = %v, want an error", bad, err)
		}
	}
}

func TestHint(t *testing.T) {
	for code, want := range map[string]string{
		"NoPermission":        "ram:ListAccessKeysInRecycleBin",
		"Forbidden.RAM":       "deploy/ram-policy.json",
		"EntityNotExist.User": "RAM_USERS",
		"Throttling.User":     "",
	} {
		if got := Hint(code); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("Hint(%q) = %q, want it to contain %q", code, got, want)
		}
	}
}
