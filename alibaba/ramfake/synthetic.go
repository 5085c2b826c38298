package ramfake

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// Generated worlds for load tests and benchmarks. The same arguments always give the same values.

// SyntheticUsers returns n generated users (user0001, user0002, …, IDs 2000000000000001 on) for load tests
// and benchmarks. Every third user has one key in the bin, recycled before now; the rest have empty bins.
// The same n and now always give the same users.
func SyntheticUsers(n int, now time.Time) []User {
	return syntheticUsers(n, 2000000000000001, rand.New(rand.NewPCG(uint64(n), 7)), now)
}

func syntheticUsers(n, firstID int, rng *rand.Rand, now time.Time) []User {
	users := make([]User, n)
	for i := range users {
		u := User{ID: strconv.Itoa(firstID + i), Name: fmt.Sprintf("user%04d", i+1)}
		if i%3 == 0 {
			recycled := now.UTC().Add(-time.Duration(1+rng.IntN(29*24)) * time.Hour).Truncate(time.Second)
			u.Keys = []Key{{
				AccessKeyID: AccessKeyID(rng),
				CreateDate:  recycled.Add(-400 * 24 * time.Hour),
				RecycleDate: recycled,
				DeleteDate:  recycled.Add(DefaultRetention),
			}}
		}
		users[i] = u
	}
	return users
}

// SyntheticRecycledUsers returns n generated users in the user recycle bin (gone0001, gone0002, …, IDs
// 3000000000000001 on), recycled over the 29 days before now and purged DefaultRetention after, each
// with one or two AccessKeys that went to the key bin with it.
func SyntheticRecycledUsers(n int, now time.Time) []RecycledUser {
	rng := rand.New(rand.NewPCG(uint64(n), 11))
	users := make([]RecycledUser, n)
	for i := range users {
		recycled := now.UTC().Add(-time.Duration(1+rng.IntN(29*24*60)) * time.Minute).Truncate(time.Second)
		r := RecycledUser{
			ID: strconv.Itoa(3000000000000001 + i), Name: fmt.Sprintf("gone%04d", i+1),
			CreateDate: recycled.Add(-500 * 24 * time.Hour), RecycleDate: recycled, DeleteDate: recycled.Add(DefaultRetention),
		}
		for range 1 + i%2 {
			r.Keys = append(r.Keys, Key{
				AccessKeyID: AccessKeyID(rng), CreateDate: recycled.Add(-300 * 24 * time.Hour),
				RecycleDate: recycled, DeleteDate: recycled.Add(DefaultRetention),
			})
		}
		users[i] = r
	}
	return users
}

// syntheticDeleters are who deletes things in generated events: a console user, an automation role
// and a CLI user, in turn.
var syntheticDeleters = []Deleter{
	{Type: "ram-user", Name: "ops-admin", SourceIP: "203.0.113.7", Console: true},
	{Type: "assumed-role", Name: "ci-deployer", Session: "pipeline-42", SourceIP: "198.51.100.20"},
	{Type: "ram-user", Name: "sre-bot", SourceIP: "2001:db8::17"},
}

// SyntheticDeletionEvents returns n deletion events of the account, DeleteAccessKey and DeleteUser in
// turn, spread evenly over [from, to), by the deleters of syntheticDeleters in turn (console and API
// forms). Their users and keys are made up; DeletionEventsFor gives the events of known bins.
func SyntheticDeletionEvents(n int, accountID string, from, to time.Time) []Event {
	rng := rand.New(rand.NewPCG(uint64(n), 13))
	events := make([]Event, n)
	step := to.Sub(from) / time.Duration(max(n, 1))
	for i := range events {
		name := fmt.Sprintf("temp%05d", i+1)
		d := Deletion{
			AccountID: accountID, Time: from.Add(time.Duration(i) * step), By: syntheticDeleters[i%len(syntheticDeleters)],
			UserName: name, UserID: strconv.Itoa(4000000000000001 + i),
		}
		if i%2 == 0 {
			d.AccessKeyID = AccessKeyID(rng)
			events[i] = DeleteAccessKeyEvent(d)
		} else {
			events[i] = DeleteUserEvent(d)
		}
	}
	return events
}

// DeletionEventsFor returns the events of the deletions that filled the given bins: a DeleteAccessKey
// event for each key in a live user's bin and a DeleteUser event for each recycled user, each at its
// RecycleDate, by the deleters of SyntheticDeletionEvents in turn. domain is the account's
// principal-name domain ("" is DefaultDomain), for users whose PrincipalName is empty.
func DeletionEventsFor(accountID, domain string, users []User, recycled []RecycledUser) []Event {
	domain = cmpOr(domain, DefaultDomain)
	var events []Event
	for _, u := range users {
		for _, k := range u.Keys {
			d := Deletion{
				AccountID: accountID, Time: k.RecycleDate, By: syntheticDeleters[len(events)%len(syntheticDeleters)],
				UserName: u.Name, UserPrincipalName: cmpOr(u.PrincipalName, u.Name+"@"+domain), UserID: u.ID, AccessKeyID: k.AccessKeyID,
			}
			events = append(events, DeleteAccessKeyEvent(d))
		}
	}
	for _, r := range recycled {
		name := r.Name
		d := Deletion{
			AccountID: accountID, Time: r.RecycleDate, By: syntheticDeleters[len(events)%len(syntheticDeleters)],
			UserName: name, UserPrincipalName: cmpOr(r.PrincipalName, name+"@"+domain), UserID: r.ID,
		}
		events = append(events, DeleteUserEvent(d))
	}
	return events
}

// SyntheticAccounts returns m member accounts (member-001, …, IDs 1000000000000001 on; CreateSuccess and
// InviteSuccess in turn), each with n users like SyntheticUsers' (their own IDs and keys), the
// ActionTrail events of their deletions, and the named roles, each trusting the whole account homeID.
func SyntheticAccounts(m, n int, now time.Time, homeID string, roleNames ...string) []Account {
	accounts := make([]Account, m)
	for k := range accounts {
		id := strconv.Itoa(1000000000000001 + k)
		a := Account{
			ID: id, DisplayName: fmt.Sprintf("member-%03d", k+1), Status: "CreateSuccess", JoinMethod: "created",
			Users: syntheticUsers(n, 2000000000000001+(k+1)*10_000_000, rand.New(rand.NewPCG(uint64(n), uint64(100+k))), now),
		}
		if k%2 == 1 {
			a.Status, a.JoinMethod, a.Type = "InviteSuccess", "invited", "CloudAccount"
		}
		a.Events = DeletionEventsFor(id, id+".onaliyun.com", a.Users, nil)
		for _, r := range roleNames {
			a.Roles = append(a.Roles, Role{Name: r, Trusted: []string{"acs:ram::" + homeID + ":root"}})
		}
		accounts[k] = a
	}
	return accounts
}

// AccessKeyID returns a random AccessKey ID that looks like a real one: LTAI5t and 18 letters and digits.
func AccessKeyID(rng *rand.Rand) string {
	b := []byte("LTAI5t")
	for range 18 {
		b = append(b, alnum[rng.IntN(len(alnum))])
	}
	return string(b)
}
