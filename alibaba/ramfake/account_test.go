package ramfake

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRoutingByAccessKey: a request is served in its AccessKey's account, counted there and held to
// that account's rate cap.
func TestRoutingByAccessKey(t *testing.T) {
	c := newClock()
	s := startWorld(t, c, func(o *Options) {
		o.RateLimit = 2
		o.Accounts[0].RateLimit = 5
	})
	var home, dev []string
	for range 3 {
		home = append(home, sdkCall(t, s, opsCred, IMSVersion, "ListUsers", nil).code)
	}
	for range 3 {
		a := sdkCall(t, s, devCred, RAMVersion, "GetUser", ims("UserName", "alice"))
		dev = append(dev, a.code)
		if a.status == 200 && lookup(a.body, "User.UserId") != "3073290024939201" {
			t.Errorf("GetUser(alice) with dev's key = %v, want dev's alice", a.body)
		}
	}
	if diff := cmp.Diff([]string{"", "", "Throttling.User"}, home); diff != "" {
		t.Errorf("home answers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"", "", ""}, dev); diff != "" {
		t.Errorf("dev answers: its cap is its own (-want +got):\n%s", diff)
	}
	// An unknown key counts against the home account.
	wantError(t, "an unknown key", sdkCall(t, s, otherCred, IMSVersion, "ListUsers", nil), 400, "Throttling.User")
	// The bucket refills on the server clock: two a second, holding two.
	c.Advance(499 * time.Millisecond)
	wantError(t, "home after 499 ms", sdkCall(t, s, opsCred, IMSVersion, "ListUsers", nil), 400, "Throttling.User")
	c.Advance(time.Millisecond)
	mustOK(t, "home after 500 ms", sdkCall(t, s, opsCred, IMSVersion, "ListUsers", nil))

	hs, ds := s.Stats(""), s.Stats(devID)
	if hs.Total != 6 || hs.Throttled != 3 || hs.Calls["ListUsers"] != 6 {
		t.Errorf("Stats(home) = %+v, want 6 calls, 3 throttled", hs)
	}
	if ds.Total != 3 || ds.Throttled != 0 || ds.Calls["GetUser"] != 3 {
		t.Errorf("Stats(dev) = %+v, want 3 GetUser calls", ds)
	}
	if diff := cmp.Diff([]SeenCredential{{AccessKeyID: devCred.id}}, ds.SeenCredentials); diff != "" {
		t.Errorf("Stats(dev).SeenCredentials (-want +got):\n%s", diff)
	}
	if st := s.Stats("999"); st.Total != 0 || st.Calls == nil {
		t.Errorf("Stats(unknown) = %+v, want zero", st)
	}
	if s.TotalCalls() != 9 || s.Calls("ListUsers") != 6 {
		t.Errorf("server totals %d, ListUsers %d; want 9 and 6", s.TotalCalls(), s.Calls("ListUsers"))
	}
	s.ResetStats()
	if st := s.Stats(devID); st.Total != 0 || len(st.Calls) != 0 || st.SeenCredentials != nil {
		t.Errorf("Stats(dev) after ResetStats = %+v", st)
	}
	if s.AccountID() != homeID {
		t.Errorf("AccountID() = %s, want %s", s.AccountID(), homeID)
	}
}

// TestAccountFaultComesFirst: an account-wide fault is a policy check, answered before the parameters are
// read; SetAccountFault("") is the home account.
func TestAccountFaultComesFirst(t *testing.T) {
	s := startWorld(t, newClock(), nil)
	s.SetAccountFault("", "ListUsersInRecycleBin", Deny)
	wantError(t, "denied with a bad MaxItems", sdkCall(t, s, opsCred, IMSVersion, "ListUsersInRecycleBin", ims("MaxItems", "0")), 403, "NoPermission")
	wantError(t, "not denied in dev", sdkCall(t, s, devCred, IMSVersion, "ListUsersInRecycleBin", ims("MaxItems", "0")), 400, "InvalidParameter.MaxItems")
	s.SetAccountFault(devID, "GetUser", NonJSON)
	a := rawCall(t, s, opsCred, newClock().Now(), RAMVersion, "GetUser", ims("UserName", "alice"))
	if a.status != 200 {
		t.Errorf("GetUser at home = %v, want 200", a)
	}
}

func TestListAccessKeys(t *testing.T) {
	s := startWorld(t, newClock(), nil)
	b := mustOK(t, "RAM ListAccessKeys", sdkCall(t, s, opsCred, RAMVersion, "ListAccessKeys", ims("UserName", "bob")))
	keys := list(b, "AccessKeys.AccessKey")
	if diff := cmp.Diff([]string{"Active", "Inactive"}, field(keys, "Status")); diff != "" || keys[0]["UpdateDate"] != nil {
		t.Errorf("RAM ListAccessKeys(bob) = %v (-want +got):\n%s", keys, diff)
	}
	wantError(t, "RAM ListAccessKeys without UserName", sdkCall(t, s, opsCred, RAMVersion, "ListAccessKeys", nil), 400, "MissingParameter.UserName")
	wantError(t, "IMS ListAccessKeys of nobody", sdkCall(t, s, opsCred, IMSVersion, "ListAccessKeys", ims("UserPrincipalName", "nobody@corp.onaliyun.com")), 404, "EntityNotExist.User")
	s.SetFault("ListAccessKeys", "2073290024939202", Deny)
	a := sdkCall(t, s, opsCred, RAMVersion, "ListAccessKeys", ims("UserName", "bob"))
	if a.status != 403 || a.body["Message"] != "You are not authorized to do this action. Resource: acs:ram:*:"+homeID+":user/bob Action: ram:ListAccessKeys" {
		t.Errorf("denied ListAccessKeys = %v", a)
	}
}
