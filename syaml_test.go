package main

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/akrecycle/ak-recycle-alert/config"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
)

// sFile is the part of s.yaml (Serverless Devs, edition 3.0.0) that the tests check.
type sFile struct {
	Edition   string               `yaml:"edition"`
	Name      string               `yaml:"name"`
	Access    string               `yaml:"access"`
	Vars      map[string]string    `yaml:"vars"`
	Resources map[string]sResource `yaml:"resources"`
}

type sResource struct {
	Component string                         `yaml:"component"`
	Actions   map[string][]map[string]string `yaml:"actions"`
	Props     sProps                         `yaml:"props"`
}

type sProps struct {
	Region               string            `yaml:"region"`
	FunctionName         string            `yaml:"functionName"`
	Runtime              string            `yaml:"runtime"`
	Code                 string            `yaml:"code"`
	Handler              string            `yaml:"handler"`
	MemorySize           int               `yaml:"memorySize"`
	Timeout              int               `yaml:"timeout"`
	Role                 string            `yaml:"role"`
	LogConfig            any               `yaml:"logConfig"`
	CustomRuntimeConfig  *sCustomRuntime   `yaml:"customRuntimeConfig"`
	AsyncInvokeConfig    sAsyncConfig      `yaml:"asyncInvokeConfig"`
	EnvironmentVariables map[string]string `yaml:"environmentVariables"`
	Triggers             []sTrigger        `yaml:"triggers"`
}

type sCustomRuntime struct {
	Command []string `yaml:"command"`
	Port    int      `yaml:"port"`
}

type sAsyncConfig struct {
	MaxAsyncRetryAttempts     *int `yaml:"maxAsyncRetryAttempts"`
	MaxAsyncEventAgeInSeconds *int `yaml:"maxAsyncEventAgeInSeconds"`
}

type sTrigger struct {
	TriggerName   string `yaml:"triggerName"`
	TriggerType   string `yaml:"triggerType"`
	Qualifier     string `yaml:"qualifier"`
	TriggerConfig struct {
		CronExpression string  `yaml:"cronExpression"`
		Enable         bool    `yaml:"enable"`
		Payload        *string `yaml:"payload"`
	} `yaml:"triggerConfig"`
}

const sYAMLPath = "s.yaml"

// readSYaml parses s.yaml and returns it with its only resource.
func readSYaml(t *testing.T) (sFile, sResource) {
	t.Helper()
	raw, err := os.ReadFile(sYAMLPath)
	if err != nil {
		t.Fatal(err)
	}
	var f sFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("yaml.Unmarshal(%s) = %v, want nil", sYAMLPath, err)
	}
	if len(f.Resources) != 1 {
		t.Fatalf("%s has %d resources, want 1", sYAMLPath, len(f.Resources))
	}
	for _, r := range f.Resources {
		return f, r
	}
	panic("unreachable")
}

func TestSYamlFunction(t *testing.T) {
	f, r := readSYaml(t)
	p := r.Props
	tests := []struct {
		name      string
		got, want any
	}{
		{"edition", f.Edition, "3.0.0"},
		// Serverless Devs 3.x takes access as written ("${env('ACCESS', 'default')}" would be the alias
		// name); the Makefile passes -a from ACCESS.
		{"access", f.Access, "default"},
		{"component", r.Component, "fc3"},
		{"runtime", p.Runtime, "go1"},
		{"handler", p.Handler, "main"},
		{"code", p.Code, "./target"},
		{"memorySize", p.MemorySize, 128},
		{"timeout", p.Timeout, 300},
		{"logConfig", p.LogConfig, "auto"},
		{"customRuntimeConfig set", p.CustomRuntimeConfig != nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !cmp.Equal(tt.got, tt.want) {
				t.Errorf("s.yaml %s = %v, want %v", tt.name, tt.got, tt.want)
			}
		})
	}
	// No default: a deploy without ROLE_ARN stops (TestDeployServerlessDevs) instead of deploying a
	// function without credentials.
	if want := "${env('ROLE_ARN')}"; p.Role != want {
		t.Errorf("s.yaml role = %q, want %q", p.Role, want)
	}
	var builds bool
	for _, step := range r.Actions["pre-deploy"] {
		if strings.TrimSpace(step["run"]) == "make build" {
			builds = true
		}
	}
	if !builds {
		t.Errorf("s.yaml actions[pre-deploy] = %v, want a step `run: make build`", r.Actions["pre-deploy"])
	}
}

// TestSYamlEnvironment checks that s.yaml wires exactly the variables of config.Vars (the
// configuration's own and the registry's channels'), credentials excepted (the function's role gives
// them) and those only the restore function reads (s.restore.yaml), each from the deployer's
// environment with its default, no secret written in the file.
// SCHEDULE is vars.schedule (TestSYamlTriggers).
func TestSYamlEnvironment(t *testing.T) {
	_, r := readSYaml(t)
	got := r.Props.EnvironmentVariables
	want := map[string]string{}
	for _, v := range config.Vars(channels.All) {
		if !v.Credential && !v.RestoreOnly {
			want[v.Name] = sYamlValue(v)
		}
	}
	want["SCHEDULE"] = "${vars.schedule}"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("s.yaml environmentVariables (-want +got):\n%s", diff)
	}
}

func TestSYamlAsyncInvokeConfig(t *testing.T) {
	_, r := readSYaml(t)
	c := r.Props.AsyncInvokeConfig
	if c.MaxAsyncRetryAttempts == nil || *c.MaxAsyncRetryAttempts != 2 {
		t.Errorf("asyncInvokeConfig.maxAsyncRetryAttempts = %v, want 2", deref(c.MaxAsyncRetryAttempts))
	}
	// FC's own default, which also bounds its retries of throttled events; at most 2592000.
	if c.MaxAsyncEventAgeInSeconds == nil || *c.MaxAsyncEventAgeInSeconds < 18000 || *c.MaxAsyncEventAgeInSeconds > 2592000 {
		t.Errorf("asyncInvokeConfig.maxAsyncEventAgeInSeconds = %v, want 18000..2592000", deref(c.MaxAsyncEventAgeInSeconds))
	}
}

func deref(p *int) any {
	if p == nil {
		return "unset"
	}
	return *p
}

func TestSYamlTriggers(t *testing.T) {
	_, r := readSYaml(t)
	var daily, digest []sTrigger
	for _, tr := range r.Props.Triggers {
		if tr.TriggerType != "timer" {
			t.Errorf("trigger %q type = %q, want timer", tr.TriggerName, tr.TriggerType)
			continue
		}
		if !tr.TriggerConfig.Enable {
			t.Errorf("trigger %q enable = false, want true", tr.TriggerName)
		}
		switch p := tr.TriggerConfig.Payload; {
		case p == nil || *p == "":
			daily = append(daily, tr)
		default:
			var got map[string]any
			if err := json.Unmarshal([]byte(*p), &got); err != nil {
				t.Fatalf("trigger %q payload %q: %v, want a JSON object", tr.TriggerName, *p, err)
			}
			if want := map[string]any{"mode": "digest"}; !cmp.Equal(got, want) {
				t.Errorf("trigger %q payload = %v, want %v", tr.TriggerName, got, want)
			}
			digest = append(digest, tr)
		}
	}
	if len(daily) != 1 || len(digest) != 1 || len(r.Props.Triggers) != 2 {
		t.Fatalf("s.yaml has %d triggers, %d without payload and %d digest, want 2: 1 and 1",
			len(r.Props.Triggers), len(daily), len(digest))
	}

	// The daily trigger's schedule and the function's SCHEDULE are written once, in vars.schedule;
	// TestDeployServerlessDevs checks them as Serverless Devs resolves them.
	want := "${vars.schedule}"
	if got := r.Props.EnvironmentVariables["SCHEDULE"]; got != want || daily[0].TriggerConfig.CronExpression != want {
		t.Errorf("SCHEDULE = %q and daily cronExpression = %q, want both %s", got, daily[0].TriggerConfig.CronExpression, want)
	}
}

// TestSYamlCustomDebian12 checks the commented alternative: uncommented, its lines replace
// `runtime: go1` at the same indentation and describe `main serve` on custom.debian12.
func TestSYamlCustomDebian12(t *testing.T) {
	raw, err := os.ReadFile(sYAMLPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	begin := slices.IndexFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "# custom.debian12 begin" })
	end := slices.IndexFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "# custom.debian12 end" })
	if begin < 0 || end < begin+2 {
		t.Fatalf("s.yaml lacks a commented block between `# custom.debian12 begin` and `# custom.debian12 end`")
	}
	goLine := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "runtime: go1") })
	if goLine < 0 {
		t.Fatal("s.yaml lacks `runtime: go1`")
	}
	indent := lines[goLine][:len(lines[goLine])-len(strings.TrimLeft(lines[goLine], " "))]

	var block bytes.Buffer
	for _, l := range lines[begin+1 : end] {
		rest, ok := strings.CutPrefix(l, indent+"# ")
		if !ok {
			t.Fatalf("line %q of the custom.debian12 block is not a comment at the indentation of `runtime: go1`", l)
		}
		block.WriteString(rest + "\n")
	}
	var got sProps
	if err := yaml.Unmarshal(block.Bytes(), &got); err != nil {
		t.Fatalf("yaml.Unmarshal(uncommented custom.debian12 block) = %v, want nil", err)
	}
	want := sProps{
		Runtime:             "custom.debian12",
		CustomRuntimeConfig: &sCustomRuntime{Command: []string{"/code/main", "serve"}, Port: 9000},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("uncommented custom.debian12 block mismatch (-want +got):\n%s", diff)
	}
}

// policy is a RAM policy document.
type policy struct {
	Version   string
	Statement []struct {
		Effect    string
		Action    any
		Resource  any
		Principal *struct{ Service, RAM []string }
	}
}

// readPolicy parses a RAM policy file strictly.
func readPolicy(t *testing.T, path string) policy {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p policy
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decode %s = %v, want a RAM policy document", path, err)
	}
	if p.Version != "1" {
		t.Errorf("%s Version = %q, want \"1\"", path, p.Version)
	}
	return p
}

// strings of a policy element: a string or a list of strings.
func policyList(t *testing.T, v any) []string {
	t.Helper()
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				t.Fatalf("policy element %v is not a string", e)
			}
			out = append(out, s)
		}
		return out
	}
	t.Fatalf("policy element %v (%T) is neither a string nor a list", v, v)
	return nil
}

func TestPolicyRAM(t *testing.T) {
	actions, resources := policyActions(t, "deploy/ram-policy.json")
	want := []string{"actiontrail:LookupEvents", "ram:GetUser", "ram:ListAccessKeysInRecycleBin", "ram:ListUsers", "ram:ListUsersInRecycleBin",
		"resourcemanager:ListAccounts", "sts:AssumeRole"}
	if !slices.Equal(actions, want) {
		t.Errorf("deploy/ram-policy.json actions = %v, want exactly %v", actions, want)
	}
	// ListAccessKeysInRecycleBin and ListUsersInRecycleBin have no resource-level permission: "All
	// Resources" in their authorization tables
	// (https://www.alibabacloud.com/help/en/ram/developer-reference/api-ims-2019-08-15-listaccesskeysinrecyclebin,
	// https://www.alibabacloud.com/help/en/ram/developer-reference/api-ims-2019-08-15-listusersinrecyclebin).
	for _, a := range []string{"ram:ListAccessKeysInRecycleBin", "ram:ListUsersInRecycleBin"} {
		if got := resources[a]; !slices.Equal(got, []string{"*"}) {
			t.Errorf("%s Resource = %v, want [*]", a, got)
		}
	}
	// LookupEvents has no resource-level permission either: "All Resources"
	// (https://alibabacloud.com/help/en/actiontrail/developer-reference/api-actiontrail-2020-07-06-lookupevents).
	if got := resources["actiontrail:LookupEvents"]; !slices.Equal(got, []string{"*"}) {
		t.Errorf("actiontrail:LookupEvents Resource = %v, want [*]", got)
	}
	for _, a := range []string{"ram:GetUser", "ram:ListUsers"} {
		if got := resources[a]; !slices.Equal(got, []string{"acs:ram:*:*:user/*"}) {
			t.Errorf("%s Resource = %v, want [acs:ram:*:*:user/*]", a, got)
		}
	}
	// The function may assume the member role (MEMBER_ROLE_NAME's default) in any account, no other role.
	if got, want := resources["sts:AssumeRole"], []string{"acs:ram::*:role/" + memberRoleDefault(t)}; !slices.Equal(got, want) {
		t.Errorf("sts:AssumeRole Resource = %v, want %v", got, want)
	}
	// ListAccounts' resource: acs:resourcemanager:*:{#accountId}:account/* (its authorization table,
	// https://help.aliyun.com/zh/resource-management/api-listaccounts).
	if got := resources["resourcemanager:ListAccounts"]; !slices.Equal(got, []string{"acs:resourcemanager:*:*:account/*"}) {
		t.Errorf("resourcemanager:ListAccounts Resource = %v, want [acs:resourcemanager:*:*:account/*]", got)
	}
}

// policyActions returns the actions a policy file allows, sorted, and the resources of each; every
// statement allows, without a principal.
func policyActions(t *testing.T, path string) ([]string, map[string][]string) {
	t.Helper()
	p := readPolicy(t, path)
	resources := map[string][]string{}
	var actions []string
	for _, s := range p.Statement {
		if s.Effect != "Allow" || s.Principal != nil {
			t.Errorf("%s statement Effect = %q, Principal = %v, want Allow without Principal", path, s.Effect, s.Principal)
		}
		for _, a := range policyList(t, s.Action) {
			actions = append(actions, a)
			resources[a] = policyList(t, s.Resource)
		}
	}
	slices.Sort(actions)
	return actions, resources
}

func TestPolicyTrust(t *testing.T) {
	p := readPolicy(t, "deploy/trust-policy.json")
	if len(p.Statement) != 1 {
		t.Fatalf("deploy/trust-policy.json has %d statements, want 1", len(p.Statement))
	}
	s := p.Statement[0]
	if s.Effect != "Allow" || !slices.Equal(policyList(t, s.Action), []string{"sts:AssumeRole"}) {
		t.Errorf("trust statement = %s %v, want Allow sts:AssumeRole", s.Effect, s.Action)
	}
	if s.Principal == nil || !slices.Equal(s.Principal.Service, []string{"fc.aliyuncs.com"}) {
		t.Errorf("trust Principal = %+v, want Service [fc.aliyuncs.com]", s.Principal)
	}
}

// sRestoreFile is the part of s.restore.yaml that the tests check.
type sRestoreFile struct {
	Edition   string               `yaml:"edition"`
	Name      string               `yaml:"name"`
	Access    string               `yaml:"access"`
	Extend    string               `yaml:"extend"`
	Resources map[string]sResource `yaml:"resources"`
}

// TestSRestoreYaml checks s.restore.yaml, the restore function beside s.yaml's (TestDeployServerlessDevs
// deploys it): it extends s.yaml with one function of the same binary on go1, with a timeout that
// leaves room past Slack's 3 s, its own role, the variables both functions read and the restore
// function's own (none that only checks read), and an anonymous HTTP trigger for Slack's POSTs.
func TestSRestoreYaml(t *testing.T) {
	raw, err := os.ReadFile("s.restore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f sRestoreFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("yaml.Unmarshal(s.restore.yaml) = %v", err)
	}
	base, _ := readSYaml(t)
	if f.Extend != "s.yaml" || f.Edition != base.Edition || f.Name != base.Name || f.Access != base.Access || len(f.Resources) != 1 {
		t.Fatalf("s.restore.yaml: extend %q, edition %q, name %q, access %q, %d resources; want s.yaml's, one resource", f.Extend, f.Edition, f.Name, f.Access, len(f.Resources))
	}
	r, ok := f.Resources["akRecycleRestore"]
	if !ok {
		t.Fatalf("s.restore.yaml has no resource akRecycleRestore")
	}
	p := r.Props
	if r.Component != "fc3" || p.Runtime != "go1" || p.Handler != "main" || p.Code != "./target" || p.Timeout < 15 ||
		p.Role != "${env('RESTORE_ROLE_ARN')}" || p.LogConfig != "auto" {
		t.Errorf("restore function = %s %s %s %s timeout %d role %q logConfig %v; want fc3 go1 main ./target, at least 15 s, RESTORE_ROLE_ARN, auto",
			r.Component, p.Runtime, p.Handler, p.Code, p.Timeout, p.Role, p.LogConfig)
	}
	want := map[string]string{}
	for _, v := range config.Vars(channels.All) {
		switch {
		case v.Credential || v.AlertOnly:
		case v.RestoreRequired:
			want[v.Name] = "${env('" + v.Name + "')}" // no default: the deploy stops without it
		default:
			want[v.Name] = sYamlValue(v)
		}
	}
	if diff := cmp.Diff(want, p.EnvironmentVariables); diff != "" {
		t.Errorf("s.restore.yaml environmentVariables (-want +got):\n%s", diff)
	}
	var trig struct {
		Resources map[string]struct {
			Props struct {
				Triggers []struct {
					TriggerName   string `yaml:"triggerName"`
					TriggerType   string `yaml:"triggerType"`
					TriggerConfig struct {
						AuthType string   `yaml:"authType"`
						Methods  []string `yaml:"methods"`
					} `yaml:"triggerConfig"`
				} `yaml:"triggers"`
			} `yaml:"props"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(raw, &trig); err != nil {
		t.Fatal(err)
	}
	tr := trig.Resources["akRecycleRestore"].Props.Triggers
	if len(tr) != 1 || tr[0].TriggerType != "http" || tr[0].TriggerConfig.AuthType != "anonymous" || !slices.Equal(tr[0].TriggerConfig.Methods, []string{"POST"}) {
		t.Errorf("restore function triggers = %+v, want one http trigger, anonymous, POST", tr)
	}
}
