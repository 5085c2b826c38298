package alert

import (
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
	if got.Errors == nil || got.Warnings == nil {
		t.Errorf("Canonical() errors %v, warnings %v, want empty lists", got.Errors, got.Warnings)
	}
	if f.Alerts[0].AccessKeyID != "LTAI5tLater" || f.Window.To.Location() != cst || f.Alerts[1].DeletedBy.EventTime.Location() != cst {
		t.Errorf("Canonical() changed its receiver: %+v", f)
	}
}
