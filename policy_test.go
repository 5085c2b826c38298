package main

// The member roles' files (deploy/member-policy.json, deploy/member-trust-policy.json,
// deploy/member-role.ros.yaml; deploy/member-restorer-*.json, deploy/member-restorer-role.ros.yaml) and
// the function roles' policies (deploy/ram-policy.json, deploy/restore-policy.json), checked against
// each other and against what the code calls: a run, and clicks of the restore function, over a
// Resource Directory against the emulator make every call they can, and each call is one its policy
// allows.

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/config"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
	"github.com/akrecycle/ak-recycle-alert/restore"
	"github.com/akrecycle/ak-recycle-alert/restore/restoretest"
)

// functionRole is the function's own role, as the README's deploy steps create it.
const functionRole = "ak-recycle-alert"

// memberRoleDefault is MEMBER_ROLE_NAME's default, from config.Vars.
func memberRoleDefault(t *testing.T) string {
	t.Helper()
	for _, v := range config.Vars(channels.All) {
		if v.Name == "MEMBER_ROLE_NAME" {
			return v.Default
		}
	}
	t.Fatal("config.Vars has no MEMBER_ROLE_NAME")
	return ""
}

func TestPolicyMember(t *testing.T) {
	actions, resources := policyActions(t, "deploy/member-policy.json")
	want := []string{"actiontrail:LookupEvents", "ram:GetUser", "ram:ListAccessKeysInRecycleBin", "ram:ListUsers", "ram:ListUsersInRecycleBin"}
	if !slices.Equal(actions, want) {
		t.Errorf("deploy/member-policy.json actions = %v, want exactly %v", actions, want)
	}
	// What the member role may do in its account is what the function's own role may do in its own,
	// and the look-ups of who deleted what.
	own, ownResources := policyActions(t, "deploy/ram-policy.json")
	for _, a := range actions {
		if strings.HasPrefix(a, "ram:") && (!slices.Contains(own, a) || !slices.Equal(resources[a], ownResources[a])) {
			t.Errorf("member %s on %v, the function's own role on %v: want the same", a, resources[a], ownResources[a])
		}
	}
	if got := resources["actiontrail:LookupEvents"]; !slices.Equal(got, []string{"*"}) {
		t.Errorf("actiontrail:LookupEvents Resource = %v, want [*]", got)
	}
}

func TestPolicyMemberTrust(t *testing.T) {
	p := readPolicy(t, "deploy/member-trust-policy.json")
	if len(p.Statement) != 1 {
		t.Fatalf("deploy/member-trust-policy.json has %d statements, want 1", len(p.Statement))
	}
	s := p.Statement[0]
	if s.Effect != "Allow" || !slices.Equal(policyList(t, s.Action), []string{"sts:AssumeRole"}) {
		t.Errorf("trust statement = %s %v, want Allow sts:AssumeRole", s.Effect, s.Action)
	}
	want := []string{"acs:ram::MANAGEMENT_ACCOUNT_ID:role/" + functionRole}
	if s.Principal == nil || !slices.Equal(s.Principal.RAM, want) || s.Principal.Service != nil {
		t.Errorf("trust Principal = %+v, want RAM %v: the function's role in the management account", s.Principal, want)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"--RoleName " + functionRole + " ", "MANAGEMENT_ACCOUNT_ID", "deploy/member-trust-policy.json"} {
		if !strings.Contains(string(readme), w) {
			t.Errorf("README.md lacks %q: the function's role it creates, the placeholder to fill", w)
		}
	}
}

// rosTemplate is the part of deploy/member-role.ros.yaml the test reads.
type rosTemplate struct {
	Version    string `yaml:"ROSTemplateFormatVersion"`
	Parameters map[string]struct {
		Type    string `yaml:"Type"`
		Default string `yaml:"Default"`
	} `yaml:"Parameters"`
	Resources map[string]struct {
		Type       string         `yaml:"Type"`
		Properties map[string]any `yaml:"Properties"`
	} `yaml:"Resources"`
}

// TestMemberRoleTemplate: each ROS template creates the role its variable names by default (the reader
// role MEMBER_ROLE_NAME, the restorer role MEMBER_RESTORE_ROLE_NAME), trusted as its trust policy file
// says by the function's role (the alert function's, the restore function's), with its policy file's
// actions.
func TestMemberRoleTemplate(t *testing.T) {
	for _, tt := range []struct {
		path, role, policy, roleName, functionRole, trustFile, policyFile string
	}{
		{"deploy/member-role.ros.yaml", "ReaderRole", "ReaderPolicy", memberRoleDefault(t), functionRole,
			"deploy/member-trust-policy.json", "deploy/member-policy.json"},
		{"deploy/member-restorer-role.ros.yaml", "RestorerRole", "RestorerPolicy", restore.DefaultMemberRoleName, restoreFunctionRole,
			"deploy/member-restorer-trust-policy.json", "deploy/member-restorer-policy.json"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			raw, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			var tpl rosTemplate
			if err := yaml.Unmarshal(raw, &tpl); err != nil {
				t.Fatalf("yaml.Unmarshal(%s) = %v", tt.path, err)
			}
			if tpl.Version != "2015-09-01" {
				t.Errorf("ROSTemplateFormatVersion = %q, want 2015-09-01", tpl.Version)
			}
			if got := tpl.Parameters["RoleName"].Default; got != tt.roleName {
				t.Errorf("RoleName's default = %q, want %q", got, tt.roleName)
			}
			if got := tpl.Parameters["FunctionRoleName"].Default; got != tt.functionRole {
				t.Errorf("FunctionRoleName's default = %q, want %q", got, tt.functionRole)
			}
			role, policy := tpl.Resources[tt.role], tpl.Resources[tt.policy]
			if role.Type != "ALIYUN::RAM::Role" || policy.Type != "ALIYUN::RAM::ManagedPolicy" {
				t.Fatalf("resources = %+v, want %s (ALIYUN::RAM::Role) and %s (ALIYUN::RAM::ManagedPolicy)", tpl.Resources, tt.role, tt.policy)
			}
			// The trust policy, with the account's and the role's parameters as the placeholder and the name.
			trust := asJSON(t, role.Properties["AssumeRolePolicyDocument"])
			trust = strings.ReplaceAll(trust, `{"Fn::Join":["",["acs:ram::",{"Ref":"ManagementAccountId"},":role/",{"Ref":"FunctionRoleName"}]]}`,
				`"acs:ram::MANAGEMENT_ACCOUNT_ID:role/`+tt.functionRole+`"`)
			if want := fileJSON(t, tt.trustFile); trust != want {
				t.Errorf("the template's trust policy\n%s\nwant %s's\n%s", trust, tt.trustFile, want)
			}
			if got, want := asJSON(t, policy.Properties["PolicyDocument"]), fileJSON(t, tt.policyFile); got != want {
				t.Errorf("the template's policy\n%s\nwant %s's\n%s", got, tt.policyFile, want)
			}
		})
	}
}

// asJSON is v (decoded YAML) as compact JSON.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fileJSON is the JSON file at path, compact, its objects' keys sorted.
func fileJSON(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return asJSON(t, v)
}

// TestPoliciesNameWhatTheCodeCalls runs the function over a Resource Directory against the emulator,
// with RAM_USERS=* and with named users (one deleted), and checks that every call it made in the
// management account is an action of deploy/ram-policy.json, and every call in a member one of
// deploy/member-policy.json (who deleted what is looked up in each account with its credentials); and
// that each policy allows no action the function never calls.
func TestPoliciesNameWhatTheCodeCalls(t *testing.T) {
	const home, member = "1234567890123456", "1000000000000001"
	cur := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	users := []ramfake.User{{ID: "2073290024939201", Name: "alice", Keys: []ramfake.Key{{AccessKeyID: "LTAI5tPolicyKey000000001",
		CreateDate: cur.AddDate(-1, 0, 0), RecycleDate: cur.Add(-3 * time.Hour), DeleteDate: cur.Add(29 * 24 * time.Hour)}}}}
	deleted := []ramfake.RecycledUser{{ID: "2073290024939202", Name: "bob", RecycleDate: cur.Add(-time.Hour), DeleteDate: cur.Add(30 * 24 * time.Hour)}}
	api := ramfake.New(ramfake.Options{
		AccountID: home, Users: users, RecycledUsers: deleted,
		Credentials: map[string]ramfake.Credential{"LTAI5tPolicyCaller000001": {Secret: "policy-test-secret", Role: functionRole}},
		Accounts: []ramfake.Account{{ID: member, DisplayName: "dev", Users: users, RecycledUsers: deleted,
			Roles: []ramfake.Role{{Name: memberRoleDefault(t), Trusted: []string{"acs:ram::" + home + ":role/" + functionRole}}}}},
	})
	t.Cleanup(api.Close)
	env := api.EndpointEnv()
	maps.Copy(env, map[string]string{
		"ACCOUNTS": "*", "FC_ACCOUNT_ID": home, "DRY_RUN": "true", "SCHEDULE": "CRON_TZ=Asia/Shanghai 0 0 9 * * *",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tPolicyCaller000001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "policy-test-secret",
	})
	for _, ramUsers := range []string{"*", "alice,bob"} {
		env["RAM_USERS"] = ramUsers
		h := build(func(k string) string { return env[k] }, &strings.Builder{}, channels.All).check
		if h.ConfigErr != nil {
			t.Fatal(h.ConfigErr)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		res, err := h.Handle(ctx, handler.Invocation{RequestID: "req-policy"}, []byte(`{}`))
		cancel()
		if err != nil || len(res.Errors) != 0 || len(res.Accounts) != 2 {
			t.Fatalf("RAM_USERS=%s: Handle() = %v, errors %+v, accounts %+v; want both accounts read", ramUsers, err, res.Errors, res.Accounts)
		}
	}
	checkPolicyIsCalls(t, api, home, "deploy/ram-policy.json", "the function")
	checkPolicyIsCalls(t, api, member, "deploy/member-policy.json", "the function")
}

// ramAction is the RAM action of an API action the function calls: RAM's and IMS's are ram:, the others
// their product's.
func ramAction(action string) string {
	switch action {
	case "AssumeRole":
		return "sts:" + action
	case "ListAccounts":
		return "resourcemanager:" + action
	case "LookupEvents":
		return "actiontrail:" + action
	}
	return "ram:" + action
}

// restoreFunctionRole is the restore function's own role, as the README's steps create it.
const restoreFunctionRole = "ak-recycle-alert-restore"

// TestPolicyRestore checks the restore function's policy and the member accounts' restorer role: the
// restore actions (no resource-level permission: "All Resources" in their authorization tables, e.g.
// https://help.aliyun.com/zh/ram/developer-reference/api-ims-2019-08-15-restoreaccesskeyfromrecyclebin),
// GetUser on users, and for the function's role alone AssumeRole of the member restorer role in any
// account and ListAccounts (the members of ACCOUNTS=*, their names); nothing else. The member role
// trusts the restore function's role only.
func TestPolicyRestore(t *testing.T) {
	restoreActions := []string{"ram:GetAccessKeyInfoInRecycleBin", "ram:GetUser", "ram:GetUserInRecycleBin",
		"ram:RestoreAccessKeyFromRecycleBin", "ram:RestoreUserFromRecycleBin"}
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"deploy/restore-policy.json", append(slices.Clone(restoreActions), "resourcemanager:ListAccounts", "sts:AssumeRole")},
		{"deploy/member-restorer-policy.json", restoreActions},
	} {
		actions, resources := policyActions(t, tt.path)
		slices.Sort(tt.want)
		if !slices.Equal(actions, tt.want) {
			t.Errorf("%s actions = %v, want exactly %v", tt.path, actions, tt.want)
		}
		for _, a := range actions {
			want := []string{"*"}
			switch a {
			case "ram:GetUser":
				want = []string{"acs:ram:*:*:user/*"}
			case "sts:AssumeRole":
				want = []string{"acs:ram::*:role/" + restore.DefaultMemberRoleName}
			case "resourcemanager:ListAccounts":
				want = []string{"acs:resourcemanager:*:*:account/*"}
			}
			if got := resources[a]; !slices.Equal(got, want) {
				t.Errorf("%s: %s Resource = %v, want %v", tt.path, a, got, want)
			}
		}
	}
	p := readPolicy(t, "deploy/member-restorer-trust-policy.json")
	if len(p.Statement) != 1 {
		t.Fatalf("deploy/member-restorer-trust-policy.json has %d statements, want 1", len(p.Statement))
	}
	s := p.Statement[0]
	want := []string{"acs:ram::MANAGEMENT_ACCOUNT_ID:role/" + restoreFunctionRole}
	if s.Effect != "Allow" || !slices.Equal(policyList(t, s.Action), []string{"sts:AssumeRole"}) || s.Principal == nil ||
		!slices.Equal(s.Principal.RAM, want) || s.Principal.Service != nil {
		t.Errorf("member restorer trust = %s %v %+v, want Allow sts:AssumeRole by %v, the restore function's role", s.Effect, s.Action, s.Principal, want)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"--RoleName " + restoreFunctionRole + " ", "deploy/member-restorer-trust-policy.json", "deploy/member-restorer-role.ros.yaml"} {
		if !strings.Contains(string(readme), w) {
			t.Errorf("README.md lacks %q: the restore function's role it creates, the member restorer role's files", w)
		}
	}
}

// TestRestorePoliciesNameWhatTheCodeCalls runs the restore function over a Resource Directory of the
// emulator with ACCOUNTS=*, in process: in the management account and in a member, a key's and a
// user's Restore buttons clicked, then the key's again (a replay, which looks the key up), and checks
// that every call it made in the management account is an action of deploy/restore-policy.json, and
// every call in the member one of deploy/member-restorer-policy.json; and that each policy allows no
// action the restore function never calls.
func TestRestorePoliciesNameWhatTheCodeCalls(t *testing.T) {
	const home, member = "1234567890123456", "1000000000000001"
	const keyID, keySecret = "LTAI5tRestoreCaller00001", "restore-policy-test-secret"
	cur := time.Now().UTC()
	users := []ramfake.User{{ID: "2073290024939201", Name: "alice", Keys: []ramfake.Key{{AccessKeyID: "LTAI5tPolicyKey000000001",
		CreateDate: cur.AddDate(-1, 0, 0), RecycleDate: cur.Add(-3 * time.Hour), DeleteDate: cur.Add(29 * 24 * time.Hour)}}}}
	deleted := []ramfake.RecycledUser{{ID: "2073290024939202", Name: "bob", RecycleDate: cur.Add(-time.Hour), DeleteDate: cur.Add(30 * 24 * time.Hour)}}
	api := ramfake.New(ramfake.Options{
		AccountID: home, Users: users, RecycledUsers: deleted,
		Credentials: map[string]ramfake.Credential{keyID: {Secret: keySecret, Role: restoreFunctionRole}},
		Accounts: []ramfake.Account{{ID: member, DisplayName: "dev", Users: users, RecycledUsers: deleted,
			Roles: []ramfake.Role{{Name: restore.DefaultMemberRoleName, Trusted: []string{"acs:ram::" + home + ":role/" + restoreFunctionRole}}}}},
	})
	t.Cleanup(api.Close)
	slack := restoretest.NewSlack(t, restoreEnv["SLACK_SIGNING_SECRET"], restoreEnv["SLACK_TEAM_ID"], restoreEnv["SLACK_APP_ID"])
	env := api.EndpointEnv()
	maps.Copy(env, map[string]string{"ACCOUNTS": "*", "SLACK_API_URL": slack.URL()})
	maps.Copy(env, restoreEnv)
	f := build(func(k string) string { return env[k] }, &strings.Builder{}, channels.All)
	if f.configErr != nil || f.restore == nil {
		t.Fatalf("build() = %v, restore %v; want a restore function", f.configErr, f.restore)
	}
	signer, err := restore.NewSigner(restoreEnv["RESTORE_TOKEN_SECRET"])
	if err != nil {
		t.Fatal(err)
	}
	inv := fcruntime.Invocation{RequestID: "req-restore-policy", AccountID: home,
		Credentials: fcruntime.Credentials{AccessKeyID: keyID, AccessKeySecret: keySecret}}
	for _, account := range []string{home, member} {
		key := restore.Target{AccountID: account, UserID: "2073290024939201", AccessKeyID: "LTAI5tPolicyKey000000001", AlertID: "alrt_" + strings.Repeat("1", 32)}
		user := restore.Target{AccountID: account, UserID: "2073290024939202", AlertID: "alrt_" + strings.Repeat("2", 32)}
		for _, tg := range []restore.Target{key, user, key} {
			value, err := signer.Sign(tg)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := slack.Request(restoretest.Click{Value: value})
			out, err := f.restoreEvent(t.Context(), inv, restoretest.Event(req, false))
			var r restore.HTTPResponse
			if err != nil || json.Unmarshal(out, &r) != nil || r.StatusCode != http.StatusOK {
				t.Fatalf("the click on %+v = %s, %v; want 200", tg, out, err)
			}
		}
	}
	for _, id := range []string{home, member} {
		if u, ok := api.FindUser(id, "2073290024939202"); !ok || len(u.AccessKeys) != 0 {
			t.Errorf("account %s: bob restored = %v, want restored", id, ok)
		}
		if u, _ := api.FindUser(id, "2073290024939201"); len(u.AccessKeys) != 1 {
			t.Errorf("account %s: alice has %d live keys, want the restored one", id, len(u.AccessKeys))
		}
	}
	checkPolicyIsCalls(t, api, home, "deploy/restore-policy.json", "the restore function")
	checkPolicyIsCalls(t, api, member, "deploy/member-restorer-policy.json", "the restore function")
}

// checkPolicyIsCalls fails unless the RAM actions policy allows are exactly those of the calls api saw in
// account: nothing called that the policy does not allow, nothing allowed that who never calls.
func checkPolicyIsCalls(t *testing.T, api *ramfake.Server, account, policy, who string) {
	t.Helper()
	allowed, _ := policyActions(t, policy)
	var called []string
	for action := range api.Stats(account).Calls {
		called = append(called, ramAction(action))
	}
	slices.Sort(called)
	called = slices.Compact(called)
	if diff := cmp.Diff(allowed, called); diff != "" {
		t.Errorf("account %s: %s allows (-) / %s calls (+):\n%s", account, policy, who, diff)
	}
}
