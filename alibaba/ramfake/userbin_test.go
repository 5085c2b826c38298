package ramfake

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ims returns request parameters from name, value pairs, leaving out empty values.
func ims(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

// TestUserBinAnswers pins the exact shape of each recycle-bin answer (testdata/golden).
func TestUserBinAnswers(t *testing.T) {
	c := &clock{t: fixedNow}
	for _, tc := range []struct {
		name, action string
		params       map[string]string
	}{
		{"ListUsersInRecycleBin", "ListUsersInRecycleBin", ims("MaxItems", "2")},
		{"GetUserInRecycleBin", "GetUserInRecycleBin", ims("UserAccessKeyId", "LTAI5tErinKey00000000002")},
		{"GetAccessKeyInfoInRecycleBin-recycled-user", "GetAccessKeyInfoInRecycleBin", ims("UserAccessKeyId", "LTAI5tErinKey00000000001")},
		{"GetAccessKeyInfoInRecycleBin-live-user", "GetAccessKeyInfoInRecycleBin", ims("UserAccessKeyId", "LTAI5tAliceKey0000000001")},
		{"ListAccessKeysInRecycleBin-recycled-user", "ListAccessKeysInRecycleBin", ims("UserId", "2073290024939301")},
		{"RestoreAccessKeyFromRecycleBin", "RestoreAccessKeyFromRecycleBin", ims("UserId", "2073290024939201", "UserAccessKeyId", "LTAI5tAliceKey0000000001")},
		{"RestoreUserFromRecycleBin", "RestoreUserFromRecycleBin", ims("UserId", "2073290024939301")},
		{"ListAccessKeys", "ListAccessKeys", ims("UserPrincipalName", "bob@corp.onaliyun.com")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startWorld(t, c, nil)
			checkGolden(t, tc.name, mustOK(t, tc.action, rawCall(t, s, opsCred, c.Now(), IMSVersion, tc.action, tc.params)))
		})
	}
}

func TestUserBinParameters(t *testing.T) {
	tests := []struct {
		name       string
		action     string
		params     map[string]string
		wantStatus int
		wantCode   string
		wantIDs    []string // UserIds listed, for a 200
	}{
		{name: "MaxItems 0", action: "ListUsersInRecycleBin", params: ims("MaxItems", "0"), wantStatus: 400, wantCode: "InvalidParameter.MaxItems"},
		{name: "MaxItems 101", action: "ListUsersInRecycleBin", params: ims("MaxItems", "101"), wantStatus: 400, wantCode: "InvalidParameter.MaxItems"},
		{name: "MaxItems not a number", action: "ListUsersInRecycleBin", params: ims("MaxItems", "ten"), wantStatus: 400, wantCode: "InvalidParameter.MaxItems"},
		{name: "MaxItems 100", action: "ListUsersInRecycleBin", params: ims("MaxItems", "100"), wantStatus: 200, wantIDs: []string{"2073290024939301", "2073290024939302", "2073290024939303"}},
		{name: "bad Marker", action: "ListUsersInRecycleBin", params: ims("Marker", "abc"), wantStatus: 400, wantCode: "InvalidParameter.Marker"},
		{name: "Marker beyond the bin", action: "ListUsersInRecycleBin", params: ims("Marker", encodeMarker(99)), wantStatus: 400, wantCode: "InvalidParameter.Marker"},
		{name: "Filter by principal name", action: "ListUsersInRecycleBin", params: ims("Filter", "UserPrincipalName eq DAVE@corp.onaliyun.com"), wantStatus: 200, wantIDs: []string{"2073290024939302"}},
		{name: "Filter matching nobody", action: "ListUsersInRecycleBin", params: ims("Filter", "UserPrincipalName eq nobody@corp.onaliyun.com"), wantStatus: 200, wantIDs: []string{}},
		{name: "Filter on another attribute", action: "ListUsersInRecycleBin", params: ims("Filter", "UserId eq 2073290024939302"), wantStatus: 400, wantCode: "InvalidParameter.Filter"},
		{name: "Filter with another operator", action: "ListUsersInRecycleBin", params: ims("Filter", "UserPrincipalName ne dave@corp.onaliyun.com"), wantStatus: 400, wantCode: "InvalidParameter.Filter"},
		{name: "GetUserInRecycleBin with neither", action: "GetUserInRecycleBin", wantStatus: 400, wantCode: "MissingParameter.UserId"},
		{name: "GetUserInRecycleBin with both", action: "GetUserInRecycleBin", params: ims("UserId", "2073290024939301", "UserAccessKeyId", "LTAI5tErinKey00000000001"), wantStatus: 400, wantCode: "InvalidParameter.UserId"},
		{name: "GetUserInRecycleBin of a live user", action: "GetUserInRecycleBin", params: ims("UserId", "2073290024939201"), wantStatus: 404, wantCode: "EntityNotExist.User"},
		{name: "GetUserInRecycleBin by a live user's binned key", action: "GetUserInRecycleBin", params: ims("UserAccessKeyId", "LTAI5tAliceKey0000000001"), wantStatus: 404, wantCode: "EntityNotExist.User"},
		{name: "GetUserInRecycleBin unknown", action: "GetUserInRecycleBin", params: ims("UserId", "1"), wantStatus: 404, wantCode: "EntityNotExist.User"},
		{name: "GetAccessKeyInfoInRecycleBin without key", action: "GetAccessKeyInfoInRecycleBin", wantStatus: 400, wantCode: "MissingParameter.UserAccessKeyId"},
		{name: "GetAccessKeyInfoInRecycleBin of a live key", action: "GetAccessKeyInfoInRecycleBin", params: ims("UserAccessKeyId", "LTAI5tAliceLive00000001"), wantStatus: 404, wantCode: "EntityNotExist.User.AccessKey"},
		{name: "ListAccessKeysInRecycleBin without UserId", action: "ListAccessKeysInRecycleBin", wantStatus: 400, wantCode: "MissingParameter.UserId"},
		{name: "restore key without key", action: "RestoreAccessKeyFromRecycleBin", params: ims("UserId", "2073290024939201"), wantStatus: 400, wantCode: "MissingParameter.UserAccessKeyId"},
		{name: "restore key without user", action: "RestoreAccessKeyFromRecycleBin", params: ims("UserAccessKeyId", "LTAI5tAliceKey0000000001"), wantStatus: 400, wantCode: "MissingParameter.UserId"},
		{name: "restore another user's key", action: "RestoreAccessKeyFromRecycleBin", params: ims("UserId", "2073290024939203", "UserAccessKeyId", "LTAI5tAliceKey0000000001"), wantStatus: 404, wantCode: "EntityNotExist.User.AccessKey"},
		{name: "restore a key of a recycled user", action: "RestoreAccessKeyFromRecycleBin", params: ims("UserId", "2073290024939301", "UserAccessKeyId", "LTAI5tErinKey00000000001"), wantStatus: 404, wantCode: "EntityNotExist.User"},
		{name: "restore a key beyond two", action: "RestoreAccessKeyFromRecycleBin", params: ims("UserId", "2073290024939202", "UserAccessKeyId", "LTAI5tBobKey000000000001"), wantStatus: 409, wantCode: "LimitExceeded.User.AccessKey"},
		{name: "restore user without UserId", action: "RestoreUserFromRecycleBin", wantStatus: 400, wantCode: "MissingParameter.UserId"},
		{name: "restore a live user", action: "RestoreUserFromRecycleBin", params: ims("UserId", "2073290024939201"), wantStatus: 404, wantCode: "EntityNotExist.User"},
		{name: "restore over a live namesake", action: "RestoreUserFromRecycleBin", params: ims("UserId", "2073290024939302"), wantStatus: 409, wantCode: "EntityAlreadyExists.User"},
	}
	c := newClock()
	s := startWorld(t, c, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := sdkCall(t, s, opsCred, IMSVersion, tc.action, tc.params)
			if a.status != tc.wantStatus || a.code != tc.wantCode {
				t.Fatalf("%s(%v) = %v, want %d %s", tc.action, tc.params, a, tc.wantStatus, tc.wantCode)
			}
			if tc.wantIDs != nil {
				if diff := cmp.Diff(tc.wantIDs, field(list(a.body, "Users.User"), "UserId")); diff != "" {
					t.Errorf("%s(%v) users (-want +got):\n%s", tc.action, tc.params, diff)
				}
			}
		})
	}
}

// TestListUsersInRecycleBinPages pages a full bin of 1,050 users, and a bin a restore changes between
// two pages.
func TestListUsersInRecycleBinPages(t *testing.T) {
	c := newClock()
	recycled := SyntheticRecycledUsers(1050, c.Now())
	s := startWorld(t, c, func(o *Options) { o.RecycledUsers = recycled })
	page := func(maxItems, marker string) map[string]any {
		t.Helper()
		return mustOK(t, "ListUsersInRecycleBin", sdkCall(t, s, opsCred, IMSVersion, "ListUsersInRecycleBin", ims("MaxItems", maxItems, "Marker", marker)))
	}
	var got []string
	marker, pages := "", 0
	for {
		b := page("", marker)
		pages++
		got = append(got, field(list(b, "Users.User"), "UserId")...)
		if b["IsTruncated"] != true {
			if _, ok := b["Marker"]; ok {
				t.Errorf("the last page has a Marker")
			}
			break
		}
		marker, _ = b["Marker"].(string)
	}
	var want []string
	for _, r := range recycled {
		want = append(want, r.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged bin (-want +got):\n%s", diff)
	}
	if pages != 11 {
		t.Errorf("pages = %d, want 11 of at most 100", pages)
	}

	// A restore between two pages: the second page starts where the first ended.
	first := page("7", "")
	ids := field(list(first, "Users.User"), "UserId")
	mustOK(t, "RestoreUserFromRecycleBin", sdkCall(t, s, opsCred, IMSVersion, "RestoreUserFromRecycleBin", ims("UserId", ids[2])))
	second := page("7", first["Marker"].(string))
	if diff := cmp.Diff(want[7:14], field(list(second, "Users.User"), "UserId")); diff != "" {
		t.Errorf("page after a restore (-want +got):\n%s", diff)
	}
}

// TestRestoreKey follows a key from the bin back to its user, and a second restore.
func TestRestoreKey(t *testing.T) {
	c := newClock()
	s := startWorld(t, c, nil)
	call := func(action string, kv ...string) answer {
		return sdkCall(t, s, opsCred, IMSVersion, action, ims(kv...))
	}
	const alice, key = "2073290024939201", "LTAI5tAliceKey0000000001"

	info := mustOK(t, "GetAccessKeyInfoInRecycleBin", call("GetAccessKeyInfoInRecycleBin", "UserAccessKeyId", key))
	if lookup(info, "AccessKey.UserId") != alice || lookup(info, "AccessKey.UserRecycled") != false {
		t.Errorf("GetAccessKeyInfoInRecycleBin = %v, want alice's key, UserRecycled false", info)
	}
	mustOK(t, "RestoreAccessKeyFromRecycleBin", call("RestoreAccessKeyFromRecycleBin", "UserId", alice, "UserAccessKeyId", key))
	wantError(t, "second RestoreAccessKeyFromRecycleBin", call("RestoreAccessKeyFromRecycleBin", "UserId", alice, "UserAccessKeyId", key), 404, "EntityNotExist.User.AccessKey")
	wantError(t, "GetAccessKeyInfoInRecycleBin after the restore", call("GetAccessKeyInfoInRecycleBin", "UserAccessKeyId", key), 404, "EntityNotExist.User.AccessKey")
	if keys := list(mustOK(t, "ListAccessKeysInRecycleBin", call("ListAccessKeysInRecycleBin", "UserId", alice)), "AccessKeys.AccessKey"); len(keys) != 0 {
		t.Errorf("alice's bin after the restore = %v, want empty", keys)
	}
	live := list(mustOK(t, "ListAccessKeys", call("ListAccessKeys", "UserPrincipalName", "alice@corp.onaliyun.com")), "AccessKeys.AccessKey")
	if diff := cmp.Diff([]string{"LTAI5tAliceLive00000001", key}, field(live, "AccessKeyId")); diff != "" || live[1]["Status"] != "Inactive" {
		t.Errorf("alice's live keys after the restore = %v, want the restored key, Inactive (-want +got):\n%s", live, diff)
	}
	owner := mustOK(t, "GetUser by UserAccessKeyId", call("GetUser", "UserAccessKeyId", key))
	if lookup(owner, "User.UserId") != alice {
		t.Errorf("GetUser(UserAccessKeyId) = %v, want alice", owner)
	}
	if st := s.Stats(""); st.Calls["RestoreAccessKeyFromRecycleBin"] != 2 {
		t.Errorf("Stats().Calls[RestoreAccessKeyFromRecycleBin] = %d, want 2", st.Calls["RestoreAccessKeyFromRecycleBin"])
	}
	if u, _ := s.FindUser("", alice); len(u.Keys) != 0 || len(u.AccessKeys) != 2 {
		t.Errorf("FindUser(alice) = %+v, want an empty bin and two live keys", u)
	}
}

// TestRestoreUser follows a recycled user and its keys back.
func TestRestoreUser(t *testing.T) {
	c := newClock()
	s := startWorld(t, c, nil)
	call := func(action string, kv ...string) answer {
		return sdkCall(t, s, opsCred, IMSVersion, action, ims(kv...))
	}
	const erin = "2073290024939301"
	keys := []string{"LTAI5tErinKey00000000001", "LTAI5tErinKey00000000002"}

	bin := list(mustOK(t, "ListAccessKeysInRecycleBin", call("ListAccessKeysInRecycleBin", "UserId", erin)), "AccessKeys.AccessKey")
	if diff := cmp.Diff(keys, field(bin, "AccessKeyId")); diff != "" {
		t.Errorf("a recycled user's key bin (-want +got):\n%s", diff)
	}
	if info := mustOK(t, "GetAccessKeyInfoInRecycleBin", call("GetAccessKeyInfoInRecycleBin", "UserAccessKeyId", keys[0])); lookup(info, "AccessKey.UserRecycled") != true {
		t.Errorf("GetAccessKeyInfoInRecycleBin = %v, want UserRecycled true", info)
	}
	wantError(t, "GetUser before the restore", sdkCall(t, s, opsCred, RAMVersion, "GetUser", ims("UserName", "erin")), 404, "EntityNotExist.User")

	mustOK(t, "RestoreUserFromRecycleBin", call("RestoreUserFromRecycleBin", "UserId", erin))
	wantError(t, "second RestoreUserFromRecycleBin", call("RestoreUserFromRecycleBin", "UserId", erin), 404, "EntityNotExist.User")
	wantError(t, "GetUserInRecycleBin after the restore", call("GetUserInRecycleBin", "UserId", erin), 404, "EntityNotExist.User")
	if u := mustOK(t, "GetUser after the restore", sdkCall(t, s, opsCred, RAMVersion, "GetUser", ims("UserName", "erin"))); lookup(u, "User.UserId") != erin {
		t.Errorf("GetUser(erin) = %v", u)
	}
	users := field(list(mustOK(t, "ListUsers", call("ListUsers")), "Users.User"), "UserPrincipalName")
	if !cmp.Equal(users[len(users)-1], "erin@corp.onaliyun.com") {
		t.Errorf("ListUsers = %v, want erin last", users)
	}
	if ids := field(list(mustOK(t, "ListUsersInRecycleBin", call("ListUsersInRecycleBin")), "Users.User"), "UserId"); strings.Contains(strings.Join(ids, ","), erin) {
		t.Errorf("the user bin still lists erin: %v", ids)
	}
	// The keys stayed in the key bin, now a live user's: each is restored on its own.
	if info := mustOK(t, "GetAccessKeyInfoInRecycleBin", call("GetAccessKeyInfoInRecycleBin", "UserAccessKeyId", keys[0])); lookup(info, "AccessKey.UserRecycled") != false {
		t.Errorf("GetAccessKeyInfoInRecycleBin after the user's restore = %v, want UserRecycled false", info)
	}
	for _, k := range keys {
		mustOK(t, "RestoreAccessKeyFromRecycleBin "+k, call("RestoreAccessKeyFromRecycleBin", "UserId", erin, "UserAccessKeyId", k))
	}
	if u, ok := s.FindUser("", erin); !ok || len(u.AccessKeys) != 2 || len(u.Keys) != 0 {
		t.Errorf("FindUser(erin) = %+v, %v; want a live user with two keys", u, ok)
	}
}

// TestPurge: what the bin's cleanup took cannot be restored.
func TestPurge(t *testing.T) {
	c := newClock()
	s := startWorld(t, c, nil)
	call := func(action string, kv ...string) answer {
		return sdkCall(t, s, opsCred, IMSVersion, action, ims(kv...))
	}

	if !s.Purge("", "LTAI5tAliceKey0000000001") {
		t.Fatal("Purge(alice's key) = false")
	}
	wantError(t, "restore a purged key", call("RestoreAccessKeyFromRecycleBin", "UserId", "2073290024939201", "UserAccessKeyId", "LTAI5tAliceKey0000000001"), 404, "EntityNotExist.User.AccessKey")

	if !s.Purge("", "2073290024939301") {
		t.Fatal("Purge(erin) = false")
	}
	wantError(t, "restore a purged user", call("RestoreUserFromRecycleBin", "UserId", "2073290024939301"), 404, "EntityNotExist.User")
	wantError(t, "a purged user's key", call("GetAccessKeyInfoInRecycleBin", "UserAccessKeyId", "LTAI5tErinKey00000000001"), 404, "EntityNotExist.User.AccessKey")
	wantError(t, "a purged user's key bin", call("ListAccessKeysInRecycleBin", "UserId", "2073290024939301"), 404, "EntityNotExist.User")
	if s.Purge("", "2073290024939301") || s.Purge(devID, "LTAI5tAliceKey0000000001") || s.Purge("999", "x") {
		t.Error("Purge of something gone, in another account or an unknown account = true")
	}
	if _, ok := s.FindRecycledUser("", "2073290024939301"); ok {
		t.Error("FindRecycledUser(erin) after the purge = true")
	}
	if r, ok := s.FindRecycledUser("", "2073290024939302"); !ok || r.Name != "dave" || len(r.Keys) != 1 {
		t.Errorf("FindRecycledUser(dave) = %+v, %v", r, ok)
	}
}

// TestUserBinFaults: a policy lacking an action is answered 403 naming it; the bin of a recycled user
// can be made to answer EntityNotExist.User.
func TestUserBinFaults(t *testing.T) {
	actions := []struct {
		action string
		params map[string]string
	}{
		{"ListUsersInRecycleBin", nil},
		{"GetUserInRecycleBin", ims("UserId", "2073290024939301")},
		{"ListAccessKeysInRecycleBin", ims("UserId", "2073290024939301")},
		{"GetAccessKeyInfoInRecycleBin", ims("UserAccessKeyId", "LTAI5tErinKey00000000001")},
		{"RestoreAccessKeyFromRecycleBin", ims("UserId", "2073290024939201", "UserAccessKeyId", "LTAI5tAliceKey0000000001")},
		{"RestoreUserFromRecycleBin", ims("UserId", "2073290024939303")},
	}
	for _, tc := range actions {
		t.Run(tc.action, func(t *testing.T) {
			c := newClock()
			s := startWorld(t, c, nil)
			s.SetAccountFault("", tc.action, Deny)
			a := sdkCall(t, s, opsCred, IMSVersion, tc.action, tc.params)
			want := fmt.Sprintf("You are not authorized to do this action. Resource: acs:ram:*:%s:* Action: ram:%s", homeID, tc.action)
			if a.status != 403 || a.code != "NoPermission" || a.body["Message"] != want {
				t.Errorf("%s denied = %v, want 403 NoPermission %q", tc.action, a, want)
			}
			// Another account is not denied.
			dev := sdkCall(t, s, devCred, IMSVersion, tc.action, tc.params)
			if dev.code == "NoPermission" {
				t.Errorf("%s in another account = %v, want it not denied", tc.action, dev)
			}
			s.SetAccountFault("", tc.action, NoFault)
			if a := sdkCall(t, s, opsCred, IMSVersion, tc.action, tc.params); a.status != 200 {
				t.Errorf("%s with the fault cleared = %v, want 200", tc.action, a)
			}
		})
	}
	t.Run("EntityNotExist.User for a recycled user's key bin", func(t *testing.T) {
		s := startWorld(t, newClock(), nil)
		s.SetFault("ListAccessKeysInRecycleBin", "2073290024939301", NotFound)
		wantError(t, "ListAccessKeysInRecycleBin", sdkCall(t, s, opsCred, IMSVersion, "ListAccessKeysInRecycleBin", ims("UserId", "2073290024939301")), 404, "EntityNotExist.User")
		mustOK(t, "another user's bin", sdkCall(t, s, opsCred, IMSVersion, "ListAccessKeysInRecycleBin", ims("UserId", "2073290024939302")))
	})
	t.Run("SetFault with no user reaches every account", func(t *testing.T) {
		s := startWorld(t, newClock(), nil)
		s.SetFault("ListUsersInRecycleBin", "", Deny)
		for _, cr := range []cred{opsCred, devCred} {
			a := sdkCall(t, s, cr, IMSVersion, "ListUsersInRecycleBin", nil)
			if a.status != 403 || !strings.Contains(a.body["Message"].(string), "Action: ram:ListUsersInRecycleBin") {
				t.Errorf("ListUsersInRecycleBin as %s = %v, want 403 naming the action", cr.id, a)
			}
		}
	})
	t.Run("hostile bin values", func(t *testing.T) {
		s := startWorld(t, newClock(), func(o *Options) {
			o.RecycledUsers[0].Raw = map[string]any{"UserPrincipalName": "<!channel>@x", "DeleteDate": 12}
			o.RecycledUsers[0].Keys[0].Raw = map[string]any{"UserRecycled": "yes"}
		})
		b := mustOK(t, "ListUsersInRecycleBin", sdkCall(t, s, opsCred, IMSVersion, "ListUsersInRecycleBin", nil))
		if u := list(b, "Users.User")[0]; u["UserPrincipalName"] != "<!channel>@x" || u["DeleteDate"] != float64(12) {
			t.Errorf("raw user = %v", u)
		}
		k := mustOK(t, "GetAccessKeyInfoInRecycleBin", sdkCall(t, s, opsCred, IMSVersion, "GetAccessKeyInfoInRecycleBin", ims("UserAccessKeyId", "LTAI5tErinKey00000000001")))
		if lookup(k, "AccessKey.UserRecycled") != "yes" {
			t.Errorf("raw key = %v", k)
		}
	})
}

// TestKeyBinOfRecycledUserKeepsOldFaults: the injected bad answers reach a recycled user's bin too.
func TestKeyBinOfRecycledUserKeepsOldFaults(t *testing.T) {
	s := startWorld(t, newClock(), nil)
	s.SetFault("ListAccessKeysInRecycleBin", "2073290024939303", BadDate)
	b := mustOK(t, "ListAccessKeysInRecycleBin", sdkCall(t, s, opsCred, IMSVersion, "ListAccessKeysInRecycleBin", ims("UserId", "2073290024939303")))
	if got := lookup(b, "AccessKeys.AccessKey.0.DeleteDate"); got != "next Tuesday" {
		t.Errorf("DeleteDate = %v, want the injected bad date", got)
	}
}

func BenchmarkListUsersInRecycleBin(b *testing.B) {
	now := time.Now()
	s := New(Options{RecycledUsers: SyntheticRecycledUsers(1000, now), Latency: 10 * time.Millisecond,
		Credentials: map[string]Credential{opsCred.id: {Secret: opsCred.secret}}})
	defer s.Close()
	for b.Loop() {
		n, marker := 0, ""
		for {
			a := sdkCall(b, s, opsCred, IMSVersion, "ListUsersInRecycleBin", ims("MaxItems", "100", "Marker", marker))
			n += len(list(a.body, "Users.User"))
			if a.body["IsTruncated"] != true {
				break
			}
			marker = a.body["Marker"].(string)
		}
		if n != 1000 {
			b.Fatalf("read %d recycled users, want 1000", n)
		}
	}
	b.ReportMetric(float64(s.Calls("ListUsersInRecycleBin"))/float64(b.N), "calls/op")
}
