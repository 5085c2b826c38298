package alert

import (
	"reflect"
	"testing"
	"time"
)

func TestFindingsCanonical(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	at := func(h int) time.Time { return time.Date(2026, 11, 30, h, 0, 0, 0, cst) }
	f := Findings{
		Mode:   ModeCrossing,
		Window: Window{From: at(9).Add(-24 * time.Hour), To: at(9)},
		Next:   at(9).Add(24 * time.Hour),
		Alerts: []Alert{
			{AccessKeyID: "LTAI5tLater", DeleteDate: at(20), RecycleDate: at(1), CreateDate: at(0)},
			{AccessKeyID: "LTAI5tSooner", DeleteDate: at(10), RecycleDate: at(1), CreateDate: at(0),
				DeletedBy: &Deleter{PrincipalName: "ops-admin", EventTime: at(1)}},
		},
	}
	got := f.Canonical()
	if got.Window.To.Location() != time.UTC || got.Next.Location() != time.UTC || got.Alerts[0].DeleteDate.Location() != time.UTC {
		t.Errorf("Canonical() times are not in UTC: %+v", got)
	}
	if d := got.Alerts[0].DeletedBy; d == nil || d.EventTime.Location() != time.UTC || !d.EventTime.Equal(at(1)) {
		t.Errorf("Canonical() deletedBy = %+v, want its eventTime in UTC", d)
	}
	if got.Alerts[0].AccessKeyID != "LTAI5tSooner" {
		t.Errorf("Canonical() alerts = %v, want the sooner DeleteDate first", got.Alerts)
	}
	if got.Errors == nil || got.Warnings == nil || got.Accounts == nil {
		t.Errorf("Canonical() errors %v, warnings %v, accounts %v, want empty lists", got.Errors, got.Warnings, got.Accounts)
	}
	if f.Alerts[0].AccessKeyID != "LTAI5tLater" || f.Window.To.Location() != cst || f.Alerts[1].DeletedBy.EventTime.Location() != cst {
		t.Errorf("Canonical() changed its receiver: %+v", f)
	}
}

// TestSortByUrgencyAccounts: two alerts alike but for their account keep one order, whatever their
// order before.
func TestSortByUrgencyAccounts(t *testing.T) {
	d := time.Date(2026, 12, 4, 8, 12, 0, 0, time.UTC)
	a := Alert{AccountID: "1000000000000002", UserName: "ci", AccessKeyID: "LTAI5tSame", DeleteDate: d}
	b := a
	b.AccountID = "1000000000000001"
	for _, alerts := range [][]Alert{{a, b}, {b, a}} {
		SortByUrgency(alerts)
		if alerts[0].AccountID != "1000000000000001" {
			t.Errorf("SortByUrgency() = %v, want account 1000000000000001 first", alerts)
		}
	}
}

// TestFindingsCanonicalUsers: a user alert's own dates and its keys' come out in UTC too, and user and
// key alerts share one order, soonest first loss first.
func TestFindingsCanonicalUsers(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	at := func(h int) time.Time { return time.Date(2026, 11, 30, h, 0, 0, 0, cst) }
	f := Findings{Alerts: []Alert{
		{Event: Expiring, AccessKeyID: "LTAI5tKey", DeleteDate: at(15)},
		{Event: UserExpiring, UserID: "5", DeleteDate: at(20), FirstPurgeDate: at(10), RecycleDate: at(1), CreateDate: at(0),
			AccessKeys: []UserKey{{AccessKeyID: "LTAI5tUserKey", RecycleDate: at(1), DeleteDate: at(10)}}},
	}}
	got := f.Canonical()
	u := got.Alerts[0]
	if !u.Event.ForUser() {
		t.Fatalf("Canonical() alerts = %v, want the user alert (first loss at 10:00) before the key (15:00)", got.Alerts)
	}
	for name, d := range map[string]time.Time{"firstPurgeDate": u.FirstPurgeDate, "deleteDate": u.DeleteDate,
		"accessKeys[0].recycleDate": u.AccessKeys[0].RecycleDate, "accessKeys[0].deleteDate": u.AccessKeys[0].DeleteDate} {
		if d.Location() != time.UTC {
			t.Errorf("Canonical() user alert %s = %v, want UTC", name, d)
		}
	}
	if f.Alerts[1].AccessKeys[0].DeleteDate.Location() != cst {
		t.Errorf("Canonical() changed its receiver's keys: %+v", f.Alerts[1].AccessKeys)
	}
}

// TestAlertHasNoJSONTags: an Alert's JSON is MarshalJSON's, in two shapes; tags on Alert itself would
// name fields that one of the shapes does not have.
func TestAlertHasNoJSONTags(t *testing.T) {
	typ := reflect.TypeOf(Alert{})
	for i := range typ.NumField() {
		if f := typ.Field(i); f.Tag != "" {
			t.Errorf("Alert.%s has the tag %q, want none", f.Name, f.Tag)
		}
	}
}
