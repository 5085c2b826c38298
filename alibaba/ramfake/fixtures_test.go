package ramfake

import (
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadSampleFixture(t *testing.T) {
	f, err := os.Open("../../testdata/sample-users.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	users, err := LoadFixtures(f, fixedNow)
	if err != nil {
		t.Fatalf("LoadFixtures(sample-users.json) = %v", err)
	}
	if len(users) < 6 {
		t.Errorf("sample has %d users, want about 6", len(users))
	}
	keyRE := regexp.MustCompile(`^LTAI5t[A-Za-z0-9]{18}$`)
	var recycledToday, within1d, within3d, within7d, fullBins, emptyBins int
	for _, u := range users {
		if strings.Trim(u.Name, "0123456789") == "" {
			t.Errorf("user name %q is all digits", u.Name)
		}
		switch len(u.Keys) {
		case 0:
			emptyBins++
		case 3:
			fullBins++
		}
		for _, k := range u.Keys {
			if !keyRE.MatchString(k.AccessKeyID) {
				t.Errorf("AccessKey ID %q does not look real (LTAI5t and 18 letters or digits)", k.AccessKeyID)
			}
			if !k.CreateDate.Before(k.RecycleDate) || !k.RecycleDate.Before(k.DeleteDate) || k.RecycleDate.After(fixedNow) {
				t.Errorf("key %s dates out of order: %v %v %v", k.AccessKeyID, k.CreateDate, k.RecycleDate, k.DeleteDate)
			}
			if fixedNow.Sub(k.RecycleDate) <= 24*time.Hour {
				recycledToday++
			}
			switch left := k.DeleteDate.Sub(fixedNow); {
			case left <= 24*time.Hour:
				within1d++
			case left <= 2*24*time.Hour:
				within1d++ // crosses the 1-day threshold before the next daily check
			case left <= 4*24*time.Hour:
				within3d++
			case left <= 8*24*time.Hour:
				within7d++
			}
		}
	}
	got := fmt.Sprintf("recycled in 24h %d, 1d %d, 3d %d, 7d %d, full bins %d, empty bins %d", recycledToday, within1d, within3d, within7d, fullBins, emptyBins)
	if recycledToday < 1 || within1d < 1 || within3d < 1 || within7d < 1 || fullBins < 1 || emptyBins < 1 {
		t.Errorf("sample: %s; want at least one of each", got)
	}
}

func TestLoadFixtures(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []User
		wantErr string
	}{
		{name: "relative and absolute dates",
			in: `{"users":[{"id":"1","name":"a","principalName":"a@x.onaliyun.com","keys":[{"accessKeyId":"K1","created":"2026-01-02T03:04:05+08:00","recycled":"-2d3h","deletes":"+5d"},{"accessKeyId":"K2","recycled":"-90m"}]},{"id":"2","name":"b"}]}`,
			want: []User{
				{ID: "1", Name: "a", PrincipalName: "a@x.onaliyun.com", Keys: []Key{
					{AccessKeyID: "K1", CreateDate: time.Date(2026, 1, 1, 19, 4, 5, 0, time.UTC), RecycleDate: fixedNow.Add(-51 * time.Hour), DeleteDate: fixedNow.Add(120 * time.Hour)},
					{AccessKeyID: "K2", CreateDate: fixedNow.Add(-90*time.Minute - 90*24*time.Hour), RecycleDate: fixedNow.Add(-90 * time.Minute), DeleteDate: fixedNow.Add(-90*time.Minute + DefaultRetention)},
				}},
				{ID: "2", Name: "b"},
			}},
		{name: "unknown field", in: `{"users":[{"id":"1","name":"a","keyz":[]}]}`, wantErr: "unknown field"},
		{name: "not JSON", in: `users: []`, wantErr: "fixture"},
		{name: "id not digits", in: `{"users":[{"id":"a1","name":"a"}]}`, wantErr: "id must be digits"},
		{name: "no name", in: `{"users":[{"id":"1"}]}`, wantErr: "name"},
		{name: "duplicate", in: `{"users":[{"id":"1","name":"a"},{"id":"1","name":"b"}]}`, wantErr: "duplicate"},
		{name: "no recycled", in: `{"users":[{"id":"1","name":"a","keys":[{"accessKeyId":"K"}]}]}`, wantErr: "recycled: empty date"},
		{name: "no key ID", in: `{"users":[{"id":"1","name":"a","keys":[{"recycled":"-1d"}]}]}`, wantErr: "accessKeyId"},
		{name: "offset without sign", in: `{"users":[{"id":"1","name":"a","keys":[{"accessKeyId":"K","recycled":"2d"}]}]}`, wantErr: "RFC 3339"},
		{name: "offset without unit", in: `{"users":[{"id":"1","name":"a","keys":[{"accessKeyId":"K","recycled":"-2"}]}]}`, wantErr: "units"},
		{name: "unknown unit", in: `{"users":[{"id":"1","name":"a","keys":[{"accessKeyId":"K","recycled":"-2w"}]}]}`, wantErr: "unknown unit"},
		{name: "bare sign", in: `{"users":[{"id":"1","name":"a","keys":[{"accessKeyId":"K","recycled":"-"}]}]}`, wantErr: "no amount"},
		{name: "deletes before recycled", in: `{"users":[{"id":"1","name":"a","keys":[{"accessKeyId":"K","recycled":"-1d","deletes":"-2d"}]}]}`, wantErr: "before"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadFixtures(strings.NewReader(tc.in), fixedNow)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadFixtures(%s) error = %v, want one about %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadFixtures(%s) = %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("LoadFixtures(%s) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestSyntheticUsers(t *testing.T) {
	a, b := SyntheticUsers(50, fixedNow), SyntheticUsers(50, fixedNow)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("SyntheticUsers is not deterministic (-first +second):\n%s", diff)
	}
	if a[0].Name != "user0001" || a[49].ID != "2000000000000050" || len(a[0].Keys) != 1 || len(a[1].Keys) != 0 {
		t.Errorf("SyntheticUsers(50) = %+v … %+v", a[0], a[49])
	}
	if id := AccessKeyID(rand.New(rand.NewPCG(1, 2))); !regexp.MustCompile(`^LTAI5t[A-Za-z0-9]{18}$`).MatchString(id) {
		t.Errorf("AccessKeyID() = %q, want LTAI5t and 18 letters or digits", id)
	}
}

func TestLoadWorld(t *testing.T) {
	f, err := os.Open("testdata/world.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := LoadWorld(f, fixedNow)
	if err != nil {
		t.Fatalf("LoadWorld(testdata/world.json) = %v", err)
	}
	at := func(d time.Duration) time.Time { return fixedNow.Add(d) }
	day := 24 * time.Hour
	wantUsers := []User{
		{ID: "2073290024939201", Name: "alice", PrincipalName: "alice@prod.onaliyun.com",
			Keys:       []Key{{AccessKeyID: "LTAI5tAliceKey0000000001", CreateDate: at(-400 * day), RecycleDate: at(-6 * time.Hour), DeleteDate: at(29*day + 18*time.Hour)}},
			AccessKeys: []AccessKey{{AccessKeyID: "LTAI5tAliceLive00000001", Status: "Active", CreateDate: at(-30 * day)}}},
		{ID: "2073290024939202", Name: "bob",
			Keys: []Key{{AccessKeyID: "LTAI5tBobKey000000000001", CreateDate: at(-92 * day), RecycleDate: at(-2 * day), DeleteDate: at(28 * day)}}},
	}
	if diff := cmp.Diff(wantUsers, w.Users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	wantRecycled := []RecycledUser{{ID: "2073290024939301", Name: "carol", DisplayName: "Carol C.",
		CreateDate: at(-368 * day), RecycleDate: at(-3 * day), DeleteDate: at(27 * day),
		Keys: []Key{
			{AccessKeyID: "LTAI5tCarolKey0000000001", CreateDate: at(-93 * day), RecycleDate: at(-3 * day), DeleteDate: at(27 * day)},
			{AccessKeyID: "LTAI5tCarolKey0000000002", CreateDate: at(-110 * day), RecycleDate: at(-20 * day), DeleteDate: at(10 * day)},
		}}}
	if diff := cmp.Diff(wantRecycled, w.RecycledUsers); diff != "" {
		t.Errorf("recycled users (-want +got):\n%s", diff)
	}
	type ev struct{ Name, Who, Service, Subject string }
	events := func(evs []Event) []ev {
		var out []ev
		for _, e := range evs {
			subject, _ := e.RequestParameters["UserAccessKeyId"].(string)
			if subject == "" {
				subject = fmt.Sprint(e.RequestParameters["UserPrincipalName"], e.RequestParameters["UserName"])
			}
			out = append(out, ev{e.Name, e.Identity.Type + ":" + e.Identity.UserName, e.ServiceName, subject})
		}
		return out
	}
	wantEvents := []ev{
		{"DeleteAccessKey", "ram-user:ops-admin", "Ims", "LTAI5tAliceKey0000000001"},
		{"DeleteAccessKey", "assumed-role:ci-deployer:pipeline-42", "Ram", "LTAI5tBobKey000000000001"},
		{"DeleteUser", "root-account:root", "Ims", "carol@corp.onaliyun.com<nil>"},
	}
	if diff := cmp.Diff(wantEvents, events(w.Events)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if w.Events[1].Time != at(-2*day-time.Minute) || w.Events[0].Time != at(-6*time.Hour) || w.Events[2].UserAgent != "ram.console.alibabacloud.com" {
		t.Errorf("event times %v %v, user agent %q", w.Events[0].Time, w.Events[1].Time, w.Events[2].UserAgent)
	}
	if len(w.Accounts) != 3 || w.Accounts[1].Status != "InviteSuccess" || w.Accounts[1].JoinMethod != "invited" || w.Accounts[2].Status != "CreateVerifying" {
		t.Fatalf("accounts = %+v", w.Accounts)
	}
	dev := w.Accounts[0]
	if diff := cmp.Diff([]ev{
		{"DeleteAccessKey", "ram-user:dev-admin", "Ram", "LTAI5tDanKey000000000001"},
		{"DeleteUser", "ram-user:dev-admin", "Ims", "grace@1000000000000001.onaliyun.com<nil>"},
	}, events(dev.Events)); diff != "" {
		t.Errorf("dev's events (-want +got):\n%s", diff)
	}

	// The world serves.
	c := &clock{t: fixedNow}
	o := w.Options()
	o.Now = c.Now
	o.Credentials = map[string]Credential{fnCred.id: {Secret: fnCred.secret, Token: fnCred.token, Role: fnRole}}
	s := start(t, o)
	ids := field(list(mustOK(t, "ListUsersInRecycleBin", rawCall(t, s, fnCred, c.Now(), IMSVersion, "ListUsersInRecycleBin", nil)), "Users.User"), "UserId")
	if diff := cmp.Diff([]string{"2073290024939301"}, ids); diff != "" {
		t.Errorf("home bin (-want +got):\n%s", diff)
	}
	b := mustOK(t, "AssumeRole", rawCall(t, s, fnCred, c.Now(), STSVersion, "AssumeRole", assumeParams("1000000000000001", reader)))
	devSession := cred{lookup(b, "Credentials.AccessKeyId").(string), lookup(b, "Credentials.AccessKeySecret").(string), lookup(b, "Credentials.SecurityToken").(string)}
	evs := list(mustOK(t, "LookupEvents in dev", rawCall(t, s, devSession, c.Now(), ActionTrailVersion, "LookupEvents", nil)), "Events")
	if diff := cmp.Diff([]string{"DeleteAccessKey", "DeleteUser"}, field(evs, "eventName")); diff != "" {
		t.Errorf("dev's looked-up events (-want +got):\n%s", diff)
	}
	statuses := field(list(mustOK(t, "ListAccounts", rawCall(t, s, fnCred, c.Now(), ResourceManagerVersion, "ListAccounts", nil)), "Accounts.Account"), "Status")
	if diff := cmp.Diff([]string{"CreateSuccess", "CreateSuccess", "InviteSuccess", "CreateVerifying"}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}

	// LoadFixtures reads the same file's users.
	f2, _ := os.Open("testdata/world.json")
	defer f2.Close()
	users, err := LoadFixtures(f2, fixedNow)
	if err != nil || !cmp.Equal(users, wantUsers) {
		t.Errorf("LoadFixtures(world.json) = %v, %v; want the home users", users, err)
	}
}

func TestLoadWorldErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"account id short", `{"accounts":[{"id":"123"}]}`, "accounts[0]: id must be 16 digits"},
		{"account twice", `{"accounts":[{"id":"1000000000000001"},{"id":"1000000000000001"}]}`, "accounts[1]: duplicate account"},
		{"account is the home", `{"accounts":[{"id":"1234567890123456"}]}`, "duplicate account"},
		{"home id not digits", `{"accountId":"prod"}`, "accountId must be digits"},
		{"unknown status", `{"accounts":[{"id":"1000000000000001","status":"Joined"}]}`, `unknown status "Joined"`},
		{"recycled user without date", `{"recycledUsers":[{"id":"1","name":"a"}]}`, "recycledUsers[0]: recycled: empty date"},
		{"recycled user deleted before recycled", `{"recycledUsers":[{"id":"1","name":"a","recycled":"-1d","deletes":"-2d"}]}`, "deletes is before recycled"},
		{"same ID live and recycled", `{"users":[{"id":"1","name":"a"}],"recycledUsers":[{"id":"1","name":"b","recycled":"-1d"}]}`, "recycledUsers[0]: duplicate user"},
		{"deleter without name", `{"users":[{"id":"1","name":"a","keys":[{"accessKeyId":"K","recycled":"-1d","deletedBy":{"ip":"1.2.3.4"}}]}]}`, "users[0].keys[0].deletedBy: name is required"},
		{"deleter at a bad date", `{"recycledUsers":[{"id":"1","name":"a","recycled":"-1d","deletedBy":{"type":"root-account","at":"soon"}}]}`, "deletedBy: at:"},
		{"unknown deleter field", `{"recycledUsers":[{"id":"1","name":"a","recycled":"-1d","deletedBy":{"who":"x"}}]}`, "unknown field"},
		{"bad trusted principal", `{"roles":[{"name":"r","trusted":["acs:ram::1:group/x"]}]}`, "roles[0]: trusted"},
		{"role without name", `{"accounts":[{"id":"1000000000000001","roles":[{}]}]}`, "accounts[0]: roles[0]: name is required"},
		{"three live keys", `{"users":[{"id":"1","name":"a","accessKeys":[{"accessKeyId":"A"},{"accessKeyId":"B"},{"accessKeyId":"C"}]}]}`, "more than 2 accessKeys"},
		{"live key status", `{"users":[{"id":"1","name":"a","accessKeys":[{"accessKeyId":"A","status":"Enabled"}]}]}`, "status must be Active or Inactive"},
		{"member user without name", `{"accounts":[{"id":"1000000000000001","users":[{"id":"1"}]}]}`, "accounts[0]: users[0]: name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadWorld(strings.NewReader(tc.in), fixedNow)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadWorld(%s) error = %v, want one about %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestSyntheticWorlds(t *testing.T) {
	recycled := SyntheticRecycledUsers(40, fixedNow)
	if diff := cmp.Diff(recycled, SyntheticRecycledUsers(40, fixedNow)); diff != "" {
		t.Errorf("SyntheticRecycledUsers is not deterministic (-first +second):\n%s", diff)
	}
	keys := 0
	for _, r := range recycled {
		if r.RecycleDate.After(fixedNow) || r.RecycleDate.Before(fixedNow.Add(-29*24*time.Hour)) || r.DeleteDate != r.RecycleDate.Add(DefaultRetention) || len(r.Keys) == 0 {
			t.Errorf("recycled user %+v: dates or keys out of shape", r)
		}
		keys += len(r.Keys)
	}
	if recycled[0].ID != "3000000000000001" || recycled[39].Name != "gone0040" || keys != 60 {
		t.Errorf("SyntheticRecycledUsers(40): first %s, last %s, %d keys", recycled[0].ID, recycled[39].Name, keys)
	}

	from, to := fixedNow.Add(-7*24*time.Hour), fixedNow
	events := SyntheticDeletionEvents(60, homeID, from, to)
	seen := map[string]bool{}
	for _, e := range events {
		if e.Time.Before(from) || !e.Time.Before(to) || seen[e.ID] || (e.Name != "DeleteAccessKey" && e.Name != "DeleteUser") {
			t.Errorf("event %s %s at %v: outside the window, repeated or not a deletion", e.ID, e.Name, e.Time)
		}
		seen[e.ID] = true
	}

	users := SyntheticUsers(30, fixedNow)
	matching := DeletionEventsFor(homeID, "", users, recycled)
	if len(matching) != 10+40 {
		t.Errorf("DeletionEventsFor: %d events, want one per binned key (10) and per recycled user (40)", len(matching))
	}
	if e := matching[0]; e.RequestParameters["UserAccessKeyId"] != users[0].Keys[0].AccessKeyID || !e.Time.Equal(users[0].Keys[0].RecycleDate) {
		t.Errorf("first event %+v does not match user0001's key", e)
	}

	accounts := SyntheticAccounts(3, 10, fixedNow, homeID, reader)
	ids := map[string]bool{}
	for _, a := range accounts {
		for _, u := range a.Users {
			if ids[u.ID] {
				t.Errorf("user ID %s in two accounts", u.ID)
			}
			ids[u.ID] = true
		}
	}
	if accounts[1].Status != "InviteSuccess" || len(accounts[2].Users) != 10 || len(accounts[0].Events) != 4 || accounts[0].Users[0].Keys[0].AccessKeyID == accounts[1].Users[0].Keys[0].AccessKeyID {
		t.Errorf("SyntheticAccounts(3, 10) = %+v", accounts)
	}
	c := newClock()
	s := start(t, Options{Now: c.Now, Accounts: SyntheticAccounts(3, 10, c.Now(), DefaultAccountID, reader),
		Credentials: map[string]Credential{fnCred.id: {Secret: fnCred.secret, Token: fnCred.token, Role: fnRole}}})
	for _, a := range accounts {
		session := assume(t, s, a.ID)
		if n := len(list(mustOK(t, "ListUsers", rawCall(t, s, session, c.Now(), IMSVersion, "ListUsers", nil)), "Users.User")); n != 10 {
			t.Errorf("account %s: %d users, want 10", a.ID, n)
		}
	}
}
