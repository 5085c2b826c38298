package ramfake

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// window returns StartTime and EndTime parameters.
func window(start, end time.Time, kv ...string) map[string]string {
	p := ims(kv...)
	p["StartTime"], p["EndTime"] = start.UTC().Format(eventTimeFormat), end.UTC().Format(eventTimeFormat)
	return p
}

func TestLookupEventsAnswer(t *testing.T) {
	c := &clock{t: fixedNow}
	s := startWorld(t, c, nil)
	checkGolden(t, "LookupEvents", mustOK(t, "LookupEvents", rawCall(t, s, fnCred, c.Now(), ActionTrailVersion, "LookupEvents", nil)))
}

// TestLookupEventsVisibility: an event can be looked up ten minutes after it happened, or after
// Options.EventDelay.
func TestLookupEventsVisibility(t *testing.T) {
	names := func(s *Server, c *clock) []string {
		t.Helper()
		b := mustOK(t, "LookupEvents", rawCall(t, s, fnCred, c.Now(), ActionTrailVersion, "LookupEvents", ims("LookupAttribute.1.Key", "EventName", "LookupAttribute.1.Value", "CreateUser")))
		return field(list(b, "Events"), "eventId")
	}
	const created = "0F1E2D3C-0000-4000-8000-000000000001" // 5 minutes old
	c := newClock()
	s := startWorld(t, c, func(o *Options) { o.LookupEventsRate = -1 })
	if got := names(s, c); len(got) != 0 {
		t.Errorf("a 5-minute-old event = %v, want not visible yet", got)
	}
	c.Advance(5*time.Minute - time.Second)
	if got := names(s, c); len(got) != 0 {
		t.Errorf("a 9m59s-old event = %v, want not visible yet", got)
	}
	c.Advance(time.Second)
	if diff := cmp.Diff([]string{created}, names(s, c)); diff != "" {
		t.Errorf("a 10-minute-old event (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		delay time.Duration
		want  []string
	}{{2 * time.Minute, []string{created}}, {-1, []string{created}}, {6 * time.Minute, nil}} {
		c := newClock()
		s := startWorld(t, c, func(o *Options) { o.EventDelay = tc.delay })
		if diff := cmp.Diff(tc.want, names(s, c), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("EventDelay %v (-want +got):\n%s", tc.delay, diff)
		}
	}
}

func TestLookupEventsParameters(t *testing.T) {
	c := newClock()
	now := c.Now()
	day := 24 * time.Hour
	attr := func(kv ...string) map[string]string {
		p := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			n := strconv.Itoa(i/2 + 1)
			p["LookupAttribute."+n+".Key"], p["LookupAttribute."+n+".Value"] = kv[i], kv[i+1]
		}
		return p
	}
	tests := []struct {
		name       string
		params     map[string]string
		wantStatus int
		wantCode   string
		wantEvents []string // eventName of each event, for a 200
	}{
		{name: "default window", wantStatus: 200, wantEvents: []string{"DeleteAccessKey", "DeleteUser"}},
		{name: "StartTime alone", params: ims("StartTime", now.Add(-day).Format(eventTimeFormat)), wantStatus: 400, wantCode: "InvalidParameter.TimeRange"},
		{name: "EndTime alone", params: ims("EndTime", now.Format(eventTimeFormat)), wantStatus: 400, wantCode: "InvalidParameter.TimeRange"},
		{name: "start after end", params: window(now, now.Add(-time.Second)), wantStatus: 400, wantCode: "InvalidParameter.TimeRange"},
		{name: "span of 30 days and a second", params: window(now.Add(-30*day-time.Second), now), wantStatus: 400, wantCode: "InvalidParameter.TimeRange"},
		{name: "span of 30 days", params: window(now.Add(-30*day), now), wantStatus: 200, wantEvents: []string{"DeleteAccessKey", "DeleteUser"}},
		{name: "start 91 days ago", params: window(now.Add(-91*day), now.Add(-80*day)), wantStatus: 400, wantCode: "InvalidParameter.StartTime"},
		{name: "start 89 days ago", params: window(now.Add(-89*day), now.Add(-80*day)), wantStatus: 200, wantEvents: []string{}},
		{name: "start equals end", params: window(now.Add(-6*time.Hour), now.Add(-6*time.Hour)), wantStatus: 200, wantEvents: []string{"DeleteAccessKey"}},
		{name: "a window around one event", params: window(now.Add(-3*day), now.Add(-day)), wantStatus: 200, wantEvents: []string{"DeleteUser"}},
		{name: "StartTime with a zone", params: ims("StartTime", now.Add(-day).Format("2006-01-02T15:04:05+08:00"), "EndTime", now.Format(eventTimeFormat)), wantStatus: 400, wantCode: "InvalidParameter.StartTime"},
		{name: "StartTime with a space", params: ims("StartTime", now.Add(-day).Format("2006-01-02 15:04:05"), "EndTime", now.Format(eventTimeFormat)), wantStatus: 400, wantCode: "InvalidParameter.StartTime"},
		{name: "EndTime with milliseconds", params: ims("StartTime", now.Add(-day).Format(eventTimeFormat), "EndTime", now.Format("2006-01-02T15:04:05.000Z")), wantStatus: 400, wantCode: "InvalidParameter.EndTime"},
		{name: "MaxResults 0", params: ims("MaxResults", "0"), wantStatus: 400, wantCode: "InvalidParameter.MaxResults"},
		{name: "MaxResults 51", params: ims("MaxResults", "51"), wantStatus: 400, wantCode: "InvalidParameter.MaxResults"},
		{name: "MaxResults not a number", params: ims("MaxResults", "all"), wantStatus: 400, wantCode: "InvalidParameter.MaxResults"},
		{name: "Direction sideways", params: ims("Direction", "SIDEWAYS"), wantStatus: 400, wantCode: "InvalidParameter.Direction"},
		{name: "FORWARD", params: ims("Direction", "FORWARD"), wantStatus: 200, wantEvents: []string{"DeleteUser", "DeleteAccessKey"}},
		{name: "EventName", params: attr("EventName", "DeleteUser"), wantStatus: 200, wantEvents: []string{"DeleteUser"}},
		{name: "EventName matches exactly", params: attr("EventName", "deleteuser"), wantStatus: 200, wantEvents: []string{}},
		{name: "ServiceName and EventName", params: attr("ServiceName", "Ims", "EventName", "DeleteAccessKey"), wantStatus: 200, wantEvents: []string{"DeleteAccessKey"}},
		{name: "ServiceName Ram misses console deletions", params: attr("ServiceName", "Ram", "EventName", "DeleteAccessKey"), wantStatus: 200, wantEvents: []string{}},
		{name: "EventName and User may not be combined", params: attr("EventName", "DeleteUser", "User", "ops-admin"), wantStatus: 400, wantCode: "InvalidParameter.LookupAttribute"},
		{name: "the same key twice: the second counts", params: attr("EventName", "DeleteUser", "EventName", "DeleteAccessKey"), wantStatus: 200, wantEvents: []string{"DeleteAccessKey"}},
		{name: "three: the first two count", params: attr("ServiceName", "Ram", "EventName", "DeleteUser", "User", "nobody"), wantStatus: 200, wantEvents: []string{"DeleteUser"}},
		{name: "User", params: attr("User", "ops-admin"), wantStatus: 200, wantEvents: []string{"DeleteAccessKey"}},
		{name: "RoleName", params: attr("RoleName", "ci-deployer"), wantStatus: 200, wantEvents: []string{"DeleteUser"}},
		{name: "PrincipalId", params: attr("PrincipalId", "2073290024939999"), wantStatus: 200, wantEvents: []string{"DeleteAccessKey"}},
		{name: "SourceIpAddress", params: attr("SourceIpAddress", "2001:db8::17"), wantStatus: 200, wantEvents: []string{"DeleteUser"}},
		{name: "EventAccessKeyId is the caller's key, not the deleted one", params: attr("EventAccessKeyId", "LTAI5tAliceKey0000000001"), wantStatus: 200, wantEvents: []string{}},
		{name: "ResourceName is the deleted key", params: attr("ResourceName", "LTAI5tAliceKey0000000001"), wantStatus: 200, wantEvents: []string{"DeleteAccessKey"}},
		{name: "ResourceType", params: attr("ResourceType", "ACS::RAM::AccessKey"), wantStatus: 200, wantEvents: []string{"DeleteAccessKey"}},
		{name: "EventRW and EventType", params: attr("EventRW", "Write"), wantStatus: 200, wantEvents: []string{"DeleteAccessKey", "DeleteUser"}},
		{name: "unknown key", params: attr("UserName", "ops-admin"), wantStatus: 400, wantCode: "InvalidParameter.LookupAttribute"},
		{name: "key without value", params: ims("LookupAttribute.1.Key", "EventName"), wantStatus: 400, wantCode: "InvalidParameter.LookupAttribute"},
		{name: "attribute numbered 0", params: ims("LookupAttribute.0.Key", "EventName", "LookupAttribute.0.Value", "DeleteUser"), wantStatus: 400, wantCode: "InvalidParameter.LookupAttribute"},
		{name: "NextToken from nowhere", params: ims("NextToken", "eyJoIjoiMTIzIn0="), wantStatus: 400, wantCode: "InvalidParameter.NextToken"},
		{name: "NextToken not base64", params: ims("NextToken", "%%%"), wantStatus: 400, wantCode: "InvalidParameter.NextToken"},
	}
	s := startWorld(t, c, func(o *Options) { o.LookupEventsRate = -1 })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := sdkCall(t, s, fnCred, ActionTrailVersion, "LookupEvents", tc.params)
			if a.status != tc.wantStatus || a.code != tc.wantCode {
				t.Fatalf("LookupEvents(%v) = %v, want %d %s", tc.params, a, tc.wantStatus, tc.wantCode)
			}
			if tc.wantEvents != nil {
				if diff := cmp.Diff(tc.wantEvents, field(list(a.body, "Events"), "eventName")); diff != "" {
					t.Errorf("LookupEvents(%v) events (-want +got):\n%s", tc.params, diff)
				}
			}
		})
	}
}

// TestLookupEventsPages pages 120 events, newest first and oldest first, with NextToken.
func TestLookupEventsPages(t *testing.T) {
	c := newClock()
	now := c.Now()
	events := SyntheticDeletionEvents(120, homeID, now.Add(-20*24*time.Hour), now.Add(-time.Hour))
	s := startWorld(t, c, func(o *Options) { o.Events = events; o.LookupEventsRate = -1 })
	span := window(now.Add(-25*24*time.Hour), now, "MaxResults", "50")
	for _, dir := range []string{"BACKWARD", "FORWARD"} {
		t.Run(dir, func(t *testing.T) {
			var got []string
			token, pages := "", 0
			for {
				p := window(now.Add(-25*24*time.Hour), now, "MaxResults", "50", "Direction", dir, "NextToken", token)
				b := mustOK(t, "LookupEvents", sdkCall(t, s, fnCred, ActionTrailVersion, "LookupEvents", p))
				pages++
				got = append(got, field(list(b, "Events"), "eventId")...)
				next, _ := b["NextToken"].(string)
				if next == "" {
					break
				}
				token = next
			}
			var want []string
			for i := range events {
				want = append(want, events[len(events)-1-i].ID) // the generator dates them oldest first
			}
			if dir == "FORWARD" {
				for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
					want[i], want[j] = want[j], want[i]
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("paged events (-want +got):\n%s", diff)
			}
			if pages != 3 {
				t.Errorf("pages = %d, want 3 of at most 50", pages)
			}
		})
	}
	first := mustOK(t, "LookupEvents", sdkCall(t, s, fnCred, ActionTrailVersion, "LookupEvents", span))
	token := first["NextToken"].(string)
	changed := window(now.Add(-25*24*time.Hour), now, "MaxResults", "50", "NextToken", token, "LookupAttribute.1.Key", "EventName", "LookupAttribute.1.Value", "DeleteUser")
	wantError(t, "NextToken with other parameters", sdkCall(t, s, fnCred, ActionTrailVersion, "LookupEvents", changed), 400, "InvalidParameter.NextToken")
	if n := len(list(mustOK(t, "default MaxResults", sdkCall(t, s, fnCred, ActionTrailVersion, "LookupEvents", window(now.Add(-25*24*time.Hour), now))), "Events")); n != DefaultEventsPage {
		t.Errorf("a page without MaxResults holds %d events, want %d", n, DefaultEventsPage)
	}
}

// TestLookupEventsRate: two calls a second per account, a token bucket on the server clock.
func TestLookupEventsRate(t *testing.T) {
	c := newClock()
	s := startWorld(t, c, nil)
	dev := assume(t, s, devID)
	look := func(cr cred) string {
		t.Helper()
		a := rawCall(t, s, cr, c.Now(), ActionTrailVersion, "LookupEvents", nil)
		if a.status == 200 {
			return "ok"
		}
		return a.code
	}
	var got []string
	step := func(d time.Duration, n int, cr cred) {
		c.Advance(d)
		for range n {
			got = append(got, look(cr))
		}
	}
	step(0, 3, fnCred)                    // a full bucket: 2, then throttled
	step(499*time.Millisecond, 1, fnCred) // 0.998 tokens
	step(time.Millisecond, 2, fnCred)     // 1 token
	step(0, 1, dev)                       // another account's bucket is its own
	step(10*time.Second, 3, fnCred)       // refilled to 2, not 20
	want := []string{"ok", "ok", "Throttling.User", "Throttling.User", "ok", "Throttling.User", "ok", "ok", "ok", "Throttling.User"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if st := s.Stats(""); st.Calls["LookupEvents"] != 9 || st.Throttled != 4 {
		t.Errorf("Stats(home): %d LookupEvents, %d throttled; want 9 and 4", st.Calls["LookupEvents"], st.Throttled)
	}
	if st := s.Stats(devID); st.Calls["LookupEvents"] != 1 || st.Throttled != 0 {
		t.Errorf("Stats(dev): %d LookupEvents, %d throttled; want 1 and 0", st.Calls["LookupEvents"], st.Throttled)
	}
	// Other actions are not held to it.
	mustOK(t, "ListUsers after the bucket is empty", rawCall(t, s, fnCred, c.Now(), IMSVersion, "ListUsers", nil))

	c2 := newClock()
	s2 := startWorld(t, c2, func(o *Options) { o.LookupEventsRate = 5 })
	for i := range 6 {
		a := rawCall(t, s2, fnCred, c2.Now(), ActionTrailVersion, "LookupEvents", nil)
		if (i < 5) != (a.status == 200) {
			t.Errorf("LookupEventsRate 5: call %d = %v", i+1, a)
		}
	}
}

// TestLookupEventsPerAccount: each account has its own events; a fault reaches one account.
func TestLookupEventsPerAccount(t *testing.T) {
	c := newClock()
	s := startWorld(t, c, func(o *Options) { o.LookupEventsRate = -1 })
	dev := assume(t, s, devID)
	b := mustOK(t, "LookupEvents in dev", rawCall(t, s, dev, c.Now(), ActionTrailVersion, "LookupEvents", nil))
	events := list(b, "Events")
	if len(events) != 1 || lookup(events[0], "requestParameters.UserPrincipalName") != "grace@"+devID+".onaliyun.com" || lookup(events[0], "userIdentity.userName") != "root" {
		t.Errorf("dev's events = %v, want grace's deletion by root", events)
	}
	s.SetAccountFault(devID, "LookupEvents", Deny)
	a := rawCall(t, s, dev, c.Now(), ActionTrailVersion, "LookupEvents", nil)
	want := "You are not authorized to do this action. Resource: acs:actiontrail:*:" + devID + ":* Action: actiontrail:LookupEvents"
	if a.status != 403 || a.code != "NoPermission" || a.body["Message"] != want {
		t.Errorf("LookupEvents denied in dev = %v, want 403 %q", a, want)
	}
	mustOK(t, "LookupEvents at home", rawCall(t, s, fnCred, c.Now(), ActionTrailVersion, "LookupEvents", nil))
}

// TestDeletionEvents pins the two forms of the deletion helpers, and the raw JSON of a number in
// requestParameters.
func TestDeletionEvents(t *testing.T) {
	at := fixedNow.Add(-time.Hour)
	console := DeleteAccessKeyEvent(Deletion{AccountID: homeID, Time: at, UserName: "alice", UserPrincipalName: "alice@prod.onaliyun.com",
		AccessKeyID: "LTAI5tAliceKey0000000001", By: Deleter{Name: "ops-admin", Console: true}})
	api := DeleteUserEvent(Deletion{AccountID: homeID, Time: at, UserName: "bob", By: Deleter{Type: "assumed-role", Name: "ci", Session: "run-7"}})
	for _, tc := range []struct {
		name string
		e    Event
		want map[string]any
	}{
		{"console DeleteAccessKey", console, map[string]any{
			"serviceName": "Ims", "eventSource": "ims-share.aliyuncs.com", "apiVersion": IMSVersion, "eventType": "ApiCall", "userAgent": "ram.console.aliyun.com",
			"requestParameters.UserAccessKeyId": "LTAI5tAliceKey0000000001", "requestParameters.UserPrincipalName": "alice@prod.onaliyun.com",
			"userIdentity.type": "ram-user", "userIdentity.userName": "ops-admin", "userIdentity.accessKeyId": nil, "userIdentity.accountId": homeID,
		}},
		{"API DeleteUser by a role", api, map[string]any{
			"serviceName": "Ram", "eventSource": "ram.aliyuncs.com", "apiVersion": RAMVersion, "requestParameters.UserName": "bob",
			"requestParameters.UserPrincipalName": nil, "userIdentity.type": "assumed-role", "userIdentity.userName": "ci:run-7",
			"requestParameters.stsTokenPlayerUid": float64(1234567890123456),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(eventJSON(&tc.e))
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			json.Unmarshal(b, &m)
			for path, want := range tc.want {
				if got := lookup(m, path); got != want {
					t.Errorf("%s = %v, want %v", path, got, want)
				}
			}
		})
	}
	if id := api.Identity; !strings.HasPrefix(id.AccessKeyID, "STS.") || !strings.HasSuffix(id.PrincipalID, ":run-7") {
		t.Errorf("a role's identity = %+v, want an STS key and RoleId:session", id)
	}
	raw, _ := json.Marshal(eventJSON(&api))
	if !strings.Contains(string(raw), `"stsTokenPlayerUid":1234567890123456`) {
		t.Errorf("stsTokenPlayerUid is not an unquoted number: %s", raw)
	}
	bob := Deletion{AccountID: homeID, Time: at, UserName: "bob"}
	if first, again := DeleteUserEvent(bob), DeleteUserEvent(bob); first.ID != again.ID {
		t.Error("the same deletion gave two event IDs")
	}
}

func TestLookupEventsRaw(t *testing.T) {
	c := newClock()
	s := startWorld(t, c, func(o *Options) {
		o.Events[0].Raw = map[string]any{"eventTime": "yesterday", "userIdentity": map[string]any{"userName": "<!channel>"}, "requestParameters": "not an object"}
	})
	a := rawCall(t, s, fnCred, c.Now(), ActionTrailVersion, "LookupEvents", nil)
	ev := list(a.body, "Events")[0]
	if ev["eventTime"] != "yesterday" || lookup(ev, "userIdentity.userName") != "<!channel>" || ev["requestParameters"] != "not an object" {
		t.Errorf("raw event = %v", ev)
	}
}

// BenchmarkLookupEvents pages 5,000 deletion events, 50 a page, with the rate cap lifted.
func BenchmarkLookupEvents(b *testing.B) {
	now := time.Now()
	s := New(Options{Events: SyntheticDeletionEvents(5000, DefaultAccountID, now.Add(-20*24*time.Hour), now.Add(-time.Hour)),
		LookupEventsRate: -1, Credentials: map[string]Credential{opsCred.id: {Secret: opsCred.secret}}})
	defer s.Close()
	for b.Loop() {
		n, token := 0, ""
		for {
			p := window(now.Add(-21*24*time.Hour), now, "MaxResults", "50", "NextToken", token)
			a := sdkCall(b, s, opsCred, ActionTrailVersion, "LookupEvents", p)
			n += len(list(a.body, "Events"))
			token, _ = a.body["NextToken"].(string)
			if token == "" {
				break
			}
		}
		if n != 5000 {
			b.Fatalf("read %d events, want 5000", n)
		}
	}
}
