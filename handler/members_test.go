package handler

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// membersByDecoder lists the members of a JSON object with encoding/json, compacted, for comparison.
func membersByDecoder(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var c bytes.Buffer
		json.Compact(&c, v)
		out = append(out, tok.(string)+"="+c.String())
	}
	return out
}

func membersByScan(t *testing.T, data []byte) []string {
	t.Helper()
	out := []string{}
	eachMember(data, func(name, value []byte) error {
		var c bytes.Buffer
		if err := json.Compact(&c, value); err != nil {
			t.Errorf("value %q of member %s is not one JSON value: %v", value, name, err)
		}
		out = append(out, string(memberName(name))+"="+c.String())
		return nil
	})
	return out
}

var memberSeeds = []string{
	`{}`,
	` { } `,
	`{"a":1}`,
	"{\n\t\"a\" :\r\n -1.5e+3 ,\"b\":true,\"c\":false,\"d\":null}",
	`{"s":"x,}]\"\\","t":"\u00e9\n"}`,
	`{"o":{"a":[1,{"b":"]}"}],"c":{}},"e":[],"f":[[[]]]}`,
	`{"esc\"aped":1,"us\u0065rs":["a"],"":0}`,
	`{"a":1,"a":2}`,
	`{"triggerTime":"2026-11-30T09:00:00Z","payload":"{\"mode\":\"digest\"}"}`,
}

func TestEachMember(t *testing.T) {
	for _, s := range memberSeeds {
		if diff := cmp.Diff(membersByDecoder(t, []byte(s)), membersByScan(t, []byte(s))); diff != "" {
			t.Errorf("eachMember(%s) (-encoding/json +scan):\n%s", s, diff)
		}
	}
}

// FuzzEachMember checks eachMember against encoding/json on any valid JSON object.
func FuzzEachMember(f *testing.F) {
	for _, s := range memberSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data := bytes.TrimSpace([]byte(s))
		if !json.Valid(data) || len(data) == 0 || data[0] != '{' {
			return
		}
		if diff := cmp.Diff(membersByDecoder(t, data), membersByScan(t, data)); diff != "" {
			t.Errorf("eachMember(%s) (-encoding/json +scan):\n%s", s, diff)
		}
	})
}
