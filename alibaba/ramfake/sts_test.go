package ramfake

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func assumeParams(account, role string, kv ...string) map[string]string {
	p := ims(kv...)
	p["RoleArn"] = "acs:ram::" + account + ":role/" + role
	if _, ok := p["RoleSessionName"]; !ok {
		p["RoleSessionName"] = "ak-recycle-alert"
	}
	return p
}

func TestAssumeRoleAnswer(t *testing.T) {
	c := &clock{t: fixedNow}
	s := startWorld(t, c, nil)
	b := mustOK(t, "AssumeRole", rawCall(t, s, fnCred, c.Now(), STSVersion, "AssumeRole", assumeParams(devID, reader, "DurationSeconds", "900")))
	id, _ := lookup(b, "Credentials.AccessKeyId").(string)
	secret, _ := lookup(b, "Credentials.AccessKeySecret").(string)
	token, _ := lookup(b, "Credentials.SecurityToken").(string)
	if !strings.HasPrefix(id, "STS.") || len(secret) < 30 || !strings.HasPrefix(token, "CAIS") || !strings.ContainsAny(token, "+/=") {
		t.Errorf("Credentials = %q %q %q, want STS.…, a long secret, a CAIS… token with +, / or =", id, secret, token)
	}
	if got := lookup(b, "Credentials.Expiration"); got != "2026-11-30T09:15:00Z" {
		t.Errorf("Expiration = %v, want now + 900 s", got)
	}
	checkGolden(t, "AssumeRole", b, "AccessKeyId", "AccessKeySecret", "SecurityToken")
	want := []IssuedCredential{{AccountID: devID, Role: reader, Session: "ak-recycle-alert", AccessKeyID: id, Secret: secret, Token: token}}
	if diff := cmp.Diff(want, s.IssuedCredentials()); diff != "" {
		t.Errorf("IssuedCredentials() (-want +got):\n%s", diff)
	}
}

// TestAssumeRoleServesTheRolesAccount: minted credentials are served in the role's account, until they
// expire.
func TestAssumeRoleServesTheRolesAccount(t *testing.T) {
	c := newClock()
	s := startWorld(t, c, nil)
	dev := assume(t, s, devID)
	staging := assume(t, s, stagingID)

	users := func(cr cred) []string {
		t.Helper()
		return field(list(mustOK(t, "ListUsers", rawCall(t, s, cr, c.Now(), IMSVersion, "ListUsers", nil)), "Users.User"), "UserId")
	}
	if diff := cmp.Diff([]string{"3073290024939201"}, users(dev)); diff != "" {
		t.Errorf("ListUsers with dev's session (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"4073290024939201"}, users(staging)); diff != "" {
		t.Errorf("ListUsers with staging's session (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2073290024939201", "2073290024939202", "2073290024939203"}, users(fnCred)); diff != "" {
		t.Errorf("ListUsers with the function's own credentials (-want +got):\n%s", diff)
	}
	// dev's session sees dev's bins, not the home account's.
	wantError(t, "home user with dev's session", rawCall(t, s, dev, c.Now(), IMSVersion, "ListAccessKeysInRecycleBin", ims("UserId", "2073290024939201")), 404, "EntityNotExist.User")
	mustOK(t, "dev's recycled user", rawCall(t, s, dev, c.Now(), IMSVersion, "GetUserInRecycleBin", ims("UserId", "3073290024939301")))

	st := s.Stats(devID)
	if st.Calls["ListUsers"] != 1 || st.Calls["GetUserInRecycleBin"] != 1 || st.Total != 3 {
		t.Errorf("Stats(dev).Calls = %v, Total %d; want its 3 requests", st.Calls, st.Total)
	}
	if diff := cmp.Diff([]SeenCredential{{AccessKeyID: dev.id, WithToken: true}}, st.SeenCredentials); diff != "" {
		t.Errorf("Stats(dev).SeenCredentials (-want +got):\n%s", diff)
	}
	if home := s.Stats(""); home.Calls["AssumeRole"] != 2 || home.Calls["ListUsers"] != 1 {
		t.Errorf("Stats(home).Calls = %v, want 2 AssumeRole (the caller's account) and 1 ListUsers", home.Calls)
	}

	wantError(t, "the session with a wrong token", rawCall(t, s, cred{dev.id, dev.secret, staging.token}, c.Now(), IMSVersion, "ListUsers", nil), 400, "InvalidSecurityToken.MismatchWithAccessKey")
	wantError(t, "the session without its token", rawCall(t, s, cred{dev.id, dev.secret, ""}, c.Now(), IMSVersion, "ListUsers", nil), 400, "InvalidSecurityToken.MismatchWithAccessKey")

	c.Advance(899 * time.Second)
	mustOK(t, "a second before expiry", rawCall(t, s, dev, c.Now(), IMSVersion, "ListUsers", nil))
	c.Advance(time.Second)
	wantError(t, "at expiry", rawCall(t, s, dev, c.Now(), IMSVersion, "ListUsers", nil), 400, "InvalidSecurityToken.Expired")
	mustOK(t, "the function's own credentials", rawCall(t, s, fnCred, c.Now(), IMSVersion, "ListUsers", nil))
}

func TestAssumeRoleRefusals(t *testing.T) {
	long := strings.Repeat("s", 33)
	tests := []struct {
		name       string
		as         cred
		params     map[string]string
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{name: "trusted account", as: opsCred, params: assumeParams(devID, reader), wantStatus: 200},
		{name: "trusted role", as: fnCred, params: assumeParams(stagingID, reader), wantStatus: 200},
		{name: "a user where only the role is trusted", as: opsCred, params: assumeParams(stagingID, reader), wantStatus: 403, wantCode: "NoPermission", wantMsg: "You are not authorized to do this action. You should be authorized by RAM."},
		{name: "a principal of another account", as: devCred, params: assumeParams(devID, reader), wantStatus: 403, wantCode: "NoPermission"},
		{name: "a same-account role trusting the function", as: fnCred, params: assumeParams(homeID, "ak-recycle-alert-restorer"), wantStatus: 200},
		{name: "root", as: rootCred, params: assumeParams(devID, reader), wantStatus: 403, wantCode: "NoPermission", wantMsg: "Roles may not be assumed by root accounts."},
		{name: "no such role", as: fnCred, params: assumeParams(devID, "other"), wantStatus: 404, wantCode: "EntityNotExist.Role", wantMsg: "The role not exists: acs:ram::" + devID + ":role/other."},
		{name: "no such account", as: fnCred, params: assumeParams("1999999999999999", reader), wantStatus: 404, wantCode: "EntityNotExist.Role"},
		{name: "a member without the role", as: fnCred, params: assumeParams(pendingID, reader), wantStatus: 404, wantCode: "EntityNotExist.Role"},
		{name: "external ID missing", as: fnCred, params: assumeParams(extID, reader), wantStatus: 403, wantCode: "NoPermission"},
		{name: "external ID wrong", as: fnCred, params: assumeParams(extID, reader, "ExternalId", "ext-0000"), wantStatus: 403, wantCode: "NoPermission"},
		{name: "external ID right", as: fnCred, params: assumeParams(extID, reader, "ExternalId", "ext-4711"), wantStatus: 200},
		{name: "external ID malformed", as: fnCred, params: assumeParams(extID, reader, "ExternalId", "x"), wantStatus: 400, wantCode: "InvalidParameter.ExternalId"},
		{name: "no RoleArn", as: fnCred, params: ims("RoleSessionName", "s1"), wantStatus: 400, wantCode: "MissingParameter.RoleArn"},
		{name: "no RoleSessionName", as: fnCred, params: ims("RoleArn", "acs:ram::"+devID+":role/"+reader), wantStatus: 400, wantCode: "MissingParameter.RoleSessionName"},
		{name: "a user ARN", as: fnCred, params: ims("RoleArn", "acs:ram::"+devID+":user/alice", "RoleSessionName", "s1"), wantStatus: 400, wantCode: "InvalidParameter.RoleArn"},
		{name: "an ARN without account", as: fnCred, params: ims("RoleArn", "acs:ram:::role/"+reader, "RoleSessionName", "s1"), wantStatus: 400, wantCode: "InvalidParameter.RoleArn"},
		{name: "session name of one character", as: fnCred, params: assumeParams(devID, reader, "RoleSessionName", "a"), wantStatus: 400, wantCode: "InvalidParameter.RoleSessionName"},
		{name: "session name of 33 characters", as: fnCred, params: assumeParams(devID, reader, "RoleSessionName", long), wantStatus: 400, wantCode: "InvalidParameter.RoleSessionName"},
		{name: "session name of 32 characters", as: fnCred, params: assumeParams(devID, reader, "RoleSessionName", long[:32]), wantStatus: 200},
		{name: "session name with a star", as: fnCred, params: assumeParams(devID, reader, "RoleSessionName", "abc*abc"), wantStatus: 400, wantCode: "InvalidParameter.RoleSessionName"},
		{name: "session name with @ . - _", as: fnCred, params: assumeParams(devID, reader, "RoleSessionName", "a.b@c-d_e"), wantStatus: 200},
		{name: "duration 899", as: fnCred, params: assumeParams(devID, reader, "DurationSeconds", "899"), wantStatus: 400, wantCode: "InvalidParameter.DurationSeconds"},
		{name: "duration 3601", as: fnCred, params: assumeParams(devID, reader, "DurationSeconds", "3601"), wantStatus: 400, wantCode: "InvalidParameter.DurationSeconds"},
		{name: "duration not a number", as: fnCred, params: assumeParams(devID, reader, "DurationSeconds", "1h"), wantStatus: 400, wantCode: "InvalidParameter.DurationSeconds"},
		{name: "duration 3600", as: fnCred, params: assumeParams(devID, reader, "DurationSeconds", "3600"), wantStatus: 200},
		{name: "session policy not JSON", as: fnCred, params: assumeParams(devID, reader, "Policy", "{"), wantStatus: 400, wantCode: "InvalidParameter.PolicyGrammar"},
		{name: "session policy", as: fnCred, params: assumeParams(devID, reader, "Policy", `{"Version":"1","Statement":[]}`), wantStatus: 200},
	}
	c := newClock()
	s := startWorld(t, c, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := sdkCall(t, s, tc.as, STSVersion, "AssumeRole", tc.params)
			if a.status != tc.wantStatus || a.code != tc.wantCode {
				t.Fatalf("AssumeRole(%v) = %v, want %d %s", tc.params, a, tc.wantStatus, tc.wantCode)
			}
			if msg, _ := a.body["Message"].(string); tc.wantMsg != "" && msg != tc.wantMsg {
				t.Errorf("Message = %q, want %q", msg, tc.wantMsg)
			}
			if a.status != 200 {
				msg, _ := a.body["Message"].(string)
				hasSecret(t, "the refusal", msg, tc.as.secret, tc.as.token)
			}
		})
	}
}

// TestAssumeRoleFaults makes assuming a role fail for one member only.
func TestAssumeRoleFaults(t *testing.T) {
	for _, tc := range []struct {
		fault      Fault
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{Deny, 403, "NoPermission", "You are not authorized to do this action. Resource: acs:sts:*:" + devID + ":role/" + reader + " Action: sts:AssumeRole"},
		{NotFound, 404, "EntityNotExist.Role", "The role not exists: acs:ram::" + devID + ":role/" + reader + "."},
		{Throttle, 400, "Throttling.User", "Request was denied due to user flow control."},
	} {
		t.Run(tc.wantCode, func(t *testing.T) {
			s := startWorld(t, newClock(), nil)
			s.SetAccountFault(devID, "AssumeRole", tc.fault)
			a := sdkCall(t, s, fnCred, STSVersion, "AssumeRole", assumeParams(devID, reader))
			if a.status != tc.wantStatus || a.code != tc.wantCode || a.body["Message"] != tc.wantMsg {
				t.Errorf("AssumeRole in the faulty member = %v, want %d %s %q", a, tc.wantStatus, tc.wantCode, tc.wantMsg)
			}
			mustOK(t, "AssumeRole in another member", sdkCall(t, s, fnCred, STSVersion, "AssumeRole", assumeParams(stagingID, reader)))
			if tc.fault == Throttle && s.Stats("").Throttled != 1 {
				t.Errorf("Stats(home).Throttled = %d, want 1", s.Stats("").Throttled)
			}
		})
	}
}
