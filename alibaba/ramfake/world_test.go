package ramfake

import (
	"testing"
	"time"
)

// The accounts and credentials of the multi-account test world.
const (
	homeID    = "1234567890123456"
	devID     = "1000000000000001" // trusts the whole home account
	stagingID = "1000000000000002" // trusts only the function's role
	pendingID = "1000000000000003" // not joined
	extID     = "1000000000000004" // wants an external ID

	fnRole = "ak-recycle-alert-fc" // the function's own role in the home account
	reader = "ak-recycle-alert-reader"
)

var (
	fnCred    = cred{"STS.NFunctionRoleKey0000001", "fn-secret-Tq8wLm2Vx", "CAIS+fn/Token=="}
	opsCred   = cred{"LTAI5tOpsUserKey00000001", "ops-secret-Rk3pWq7Zn", ""}
	rootCred  = cred{"LTAI5tRootAccountKey0001", "root-secret-Hn5bYt1Qa", ""}
	devCred   = cred{"LTAI5tDevAdminKey0000001", "dev-secret-Lp4mXs8Cv", ""}
	otherCred = cred{"LTAI5tStrangerKey0000001", "other-secret-Jd2kFe9Ru", ""}
)

// testWorld returns the options of the multi-account world, dated relative to now.
func testWorld(now time.Time) Options {
	day := 24 * time.Hour
	at := func(d time.Duration) time.Time { return now.Add(d).UTC().Truncate(time.Second) }
	binKey := func(id string, recycledAgo time.Duration) Key {
		r := at(-recycledAgo)
		return Key{AccessKeyID: id, CreateDate: r.Add(-300 * day), RecycleDate: r, DeleteDate: r.Add(30 * day)}
	}
	gone := func(id, name string, recycledAgo time.Duration, keys ...Key) RecycledUser {
		r := at(-recycledAgo)
		return RecycledUser{ID: id, Name: name, CreateDate: r.Add(-400 * day), RecycleDate: r, DeleteDate: r.Add(30 * day), Keys: keys}
	}
	readerRole := func(trusted ...string) []Role { return []Role{{Name: reader, Trusted: trusted}} }
	return Options{
		AccountID: homeID, AccountName: "prod-mgmt",
		Users: []User{
			{ID: "2073290024939201", Name: "alice", Keys: []Key{binKey("LTAI5tAliceKey0000000001", 6*time.Hour)},
				AccessKeys: []AccessKey{{AccessKeyID: "LTAI5tAliceLive00000001", CreateDate: at(-30 * day)}}},
			{ID: "2073290024939202", Name: "bob", Keys: []Key{binKey("LTAI5tBobKey000000000001", 2*day)},
				AccessKeys: []AccessKey{{AccessKeyID: "LTAI5tBobLive0000000001"}, {AccessKeyID: "LTAI5tBobLive0000000002", Status: "Inactive"}}},
			{ID: "2073290024939203", Name: "dave"},
		},
		RecycledUsers: []RecycledUser{
			gone("2073290024939301", "erin", 2*day, binKey("LTAI5tErinKey00000000001", 2*day), binKey("LTAI5tErinKey00000000002", 2*day)),
			gone("2073290024939302", "dave", 5*day, binKey("LTAI5tOldDaveKey00000001", 5*day)),
			gone("2073290024939303", "frank", 10*day),
		},
		Roles: []Role{{Name: "ak-recycle-alert-restorer", Trusted: []string{"acs:ram::" + homeID + ":role/" + fnRole}}},
		Events: []Event{
			DeleteAccessKeyEvent(Deletion{AccountID: homeID, Time: at(-6 * time.Hour), UserName: "alice", UserID: "2073290024939201",
				AccessKeyID: "LTAI5tAliceKey0000000001", By: Deleter{Name: "ops-admin", ID: "2073290024939999", Console: true}}),
			DeleteUserEvent(Deletion{AccountID: homeID, Time: at(-2 * day), UserName: "erin", UserID: "2073290024939301",
				By: Deleter{Type: "assumed-role", Name: "ci-deployer", Session: "pipeline-42", SourceIP: "2001:db8::17"}}),
			{ID: "0F1E2D3C-0000-4000-8000-000000000001", Name: "CreateUser", Time: at(-5 * time.Minute), ServiceName: "Ims",
				Source: "ims.aliyuncs.com", APIVersion: IMSVersion, Identity: Identity{Type: "root-account", PrincipalID: homeID, UserName: "root", AccountID: homeID}},
			{ID: "0F1E2D3C-0000-4000-8000-000000000002", Name: "DeleteUser", Time: at(-100 * day), ServiceName: "Ram"},
		},
		Credentials: map[string]Credential{
			fnCred.id:   {Secret: fnCred.secret, Token: fnCred.token, Role: fnRole},
			opsCred.id:  {Secret: opsCred.secret, User: "ops"},
			rootCred.id: {Secret: rootCred.secret, Root: true},
		},
		Accounts: []Account{
			{ID: devID, DisplayName: "dev", Status: "CreateSuccess",
				Users:         []User{{ID: "3073290024939201", Name: "alice", Keys: []Key{binKey("LTAI5tDevAliceKey0000001", time.Hour)}}},
				RecycledUsers: []RecycledUser{gone("3073290024939301", "grace", day, binKey("LTAI5tGraceKey0000000001", day))},
				Roles:         readerRole("acs:ram::" + homeID + ":root"),
				Events: []Event{DeleteUserEvent(Deletion{AccountID: devID, Time: at(-day), UserName: "grace",
					UserPrincipalName: "grace@" + devID + ".onaliyun.com", UserID: "3073290024939301", By: Deleter{Type: "root-account", Console: true}})},
				Credentials: map[string]Credential{devCred.id: {Secret: devCred.secret, User: "dev-admin"}}},
			{ID: stagingID, DisplayName: "staging", Status: "InviteSuccess", JoinMethod: "invited", Type: "CloudAccount",
				Users: []User{{ID: "4073290024939201", Name: "heidi"}},
				Roles: readerRole("acs:ram::" + homeID + ":role/" + fnRole)},
			{ID: pendingID, DisplayName: "pending", Status: "CreateVerifying"},
			{ID: extID, DisplayName: "partner", Status: "PromoteSuccess",
				Roles: []Role{{Name: reader, Trusted: []string{"acs:ram::" + homeID + ":root"}, ExternalID: "ext-4711"}}},
		},
	}
}

// startWorld starts the multi-account world on the given clock.
func startWorld(t *testing.T, c *clock, edit func(o *Options)) *Server {
	t.Helper()
	o := testWorld(c.Now())
	o.Now = c.Now
	if edit != nil {
		edit(&o)
	}
	return start(t, o)
}

// assume assumes the reader role in an account as the function and returns the minted credentials.
func assume(t *testing.T, s *Server, account string) cred {
	t.Helper()
	b := mustOK(t, "AssumeRole "+account, sdkCall(t, s, fnCred, STSVersion, "AssumeRole", map[string]string{
		"RoleArn": "acs:ram::" + account + ":role/" + reader, "RoleSessionName": "ak-recycle-alert", "DurationSeconds": "900"}))
	c, _ := b["Credentials"].(map[string]any)
	id, _ := c["AccessKeyId"].(string)
	secret, _ := c["AccessKeySecret"].(string)
	token, _ := c["SecurityToken"].(string)
	return cred{id, secret, token}
}
