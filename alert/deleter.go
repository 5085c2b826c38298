package alert

import (
	"cmp"
	"strings"
	"time"
)

// This file is who deleted what an alert reports (a key, or a RAM user with its keys): the deletedBy of
// an alert, and the rule that matches an ActionTrail event of a deletion to the alert it explains.

// The ActionTrail event names of the deletions an alert can report.
const (
	// EventDeleteAccessKey records the deletion of an AccessKey (RAM DeleteAccessKey, or IMS
	// DeleteAccessKey when the RAM console deletes it).
	EventDeleteAccessKey = "DeleteAccessKey"
	// EventDeleteUser records the deletion of a RAM user.
	EventDeleteUser = "DeleteUser"
)

// MatchWindow is how far an event's time may be from an alert's RecycleDate for the event to be the
// deletion the alert reports: the bin dates an entry when the call is served, ActionTrail when it is
// made, and the two clocks differ by seconds, not minutes.
const MatchWindow = 5 * time.Minute

// Deleter is who deleted the key or the user an alert reports, as ActionTrail recorded the call: an
// alert's deletedBy. Its texts are the event's, checked and bounded by the reader, and shown as data,
// never markup: a caller chooses its own user agent, and a role session its session name.
type Deleter struct {
	// PrincipalType is the event's userIdentity.type, as it came: ram-user, assumed-role, root-account, …
	PrincipalType string `json:"principalType"`
	// PrincipalName is userIdentity.userName: the RAM user's name, RoleName:RoleSessionName for a role
	// session, root for the account itself.
	PrincipalName string `json:"principalName"`
	// PrincipalID is userIdentity.principalId: the RAM user's ID, RoleId:RoleSessionName for a role
	// session, the account ID for the account itself.
	PrincipalID string `json:"principalId"`
	// SourceIP is the address the call came from (sourceIpAddress).
	SourceIP string `json:"sourceIp"`
	// UserAgent is the user agent the caller sent (userAgent).
	UserAgent string `json:"userAgent"`
	// EventType is the event's eventType: ApiCall (also for the RAM console's calls), ConsoleOperation, …
	EventType string `json:"eventType"`
	// EventTime is when the call was made (eventTime).
	EventTime time.Time `json:"eventTime"`
	// EventID is the event's eventId.
	EventID string `json:"eventId"`
}

// DeleterMissing says why an alert whose deletion ActionTrail was searched for has no deleter.
type DeleterMissing string

// The reasons of DeleterMissing.
const (
	// DeleterNotYet: the RecycleDate is too recent for ActionTrail to show the deletion (it shows an
	// event about 10 minutes after the call): a later run will know.
	DeleterNotYet DeleterMissing = "notYet"
	// DeleterNotFound: ActionTrail has no event of the deletion.
	DeleterNotFound DeleterMissing = "notFound"
)

// DeletionEvent is an ActionTrail event of a deletion: what its request parameters name, and who made
// the call.
type DeletionEvent struct {
	// Name is EventDeleteAccessKey or EventDeleteUser.
	Name string
	// AccessKeyID is the AccessKey deleted: the request parameter UserAccessKeyId (DeleteAccessKey only).
	// It is never the event's EventAccessKeyId or userIdentity.accessKeyId: those are the key that made
	// the call.
	AccessKeyID string
	// UserName, UserPrincipalName and UserID are the user the request parameters name, each empty when
	// absent: the RAM API names a user by UserName, the RAM console (which calls IMS) by
	// UserPrincipalName, IMS also by UserId. For DeleteAccessKey it is the key's owner, and may be
	// absent (a caller deleting its own key).
	UserName, UserPrincipalName, UserID string
	// By is who made the call, with the event's time and ID.
	By Deleter
}

// DeleterEvent returns the name of the ActionTrail event that records the deletion alert a reports, when
// the alert is to say who deleted it, else "": a recycled alert, and a digest entry recycled after since
// (the start of ActionTrail's look-up period), report the deletion of a key (EventDeleteAccessKey); a
// userRecycled alert, and a userDigest entry recycled after since, the deletion of a user
// (EventDeleteUser), which took its keys with it.
func DeleterEvent(a Alert, since time.Time) string {
	switch {
	case a.Event == Recycled, a.Event == Digest && a.RecycleDate.After(since):
		return EventDeleteAccessKey
	case a.Event == UserRecycled, a.Event == UserDigest && a.RecycleDate.After(since):
		return EventDeleteUser
	}
	return ""
}

// MatchDeleters returns, for each alert, who deleted what it reports, or nil: of the events that record
// that deletion with an eventTime within MatchWindow of the alert's RecycleDate, the nearest to it, then
// the earliest, then the one with the smallest event ID, so that the same events give the same answer
// in any order and a repeated event counts once. The deletion of a key alert's key is a DeleteAccessKey
// event naming it as UserAccessKeyId; the deletion of a user alert's user is a DeleteUser event that
// names the user as the RAM API does (UserName), as the RAM console does (UserPrincipalName, compared
// without case, or its part before the @ when the alert has none), or by UserId. Alerts are matched
// whatever their event: callers pass the ones DeleterEvent names.
func MatchDeleters(alerts []Alert, events []DeletionEvent) []*Deleter {
	byKey := map[string][]*DeletionEvent{}
	var users []*DeletionEvent
	for i := range events {
		switch e := &events[i]; {
		case e.Name == EventDeleteAccessKey && e.AccessKeyID != "":
			byKey[e.AccessKeyID] = append(byKey[e.AccessKeyID], e)
		case e.Name == EventDeleteUser:
			users = append(users, e)
		}
	}
	out := make([]*Deleter, len(alerts))
	for i, a := range alerts {
		candidates, names := byKey[a.AccessKeyID], func(*DeletionEvent) bool { return true }
		if a.Event.ForUser() {
			candidates, names = users, func(e *DeletionEvent) bool { return namesUser(e, a) }
		}
		var best *DeletionEvent
		for _, e := range candidates {
			if distance(e.By.EventTime, a.RecycleDate) <= MatchWindow && names(e) && (best == nil || nearer(e, best, a.RecycleDate)) {
				best = e
			}
		}
		if best != nil {
			d := best.By
			out[i] = &d
		}
	}
	return out
}

// namesUser reports whether the DeleteUser event e names the user of the user alert a.
func namesUser(e *DeletionEvent, a Alert) bool {
	upnName, _, _ := strings.Cut(e.UserPrincipalName, "@")
	switch {
	case e.UserID != "" && e.UserID == a.UserID:
		return true
	case e.UserName != "" && strings.EqualFold(e.UserName, a.UserName):
		return true
	case e.UserPrincipalName != "" && a.UserPrincipalName != "":
		return strings.EqualFold(e.UserPrincipalName, a.UserPrincipalName)
	}
	return upnName != "" && strings.EqualFold(upnName, a.UserName)
}

// nearer reports whether e is a better match than best for a deletion at t.
func nearer(e, best *DeletionEvent, t time.Time) bool {
	return cmp.Or(
		cmp.Compare(distance(e.By.EventTime, t), distance(best.By.EventTime, t)),
		e.By.EventTime.Compare(best.By.EventTime),
		cmp.Compare(e.By.EventID, best.By.EventID),
	) < 0
}

func distance(a, b time.Time) time.Duration {
	if d := a.Sub(b); d >= 0 {
		return d
	}
	return b.Sub(a)
}
