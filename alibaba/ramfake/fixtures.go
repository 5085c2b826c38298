package ramfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// DefaultRetention is how long a key or a user stays in a fixture recycle bin when a fixture gives no
// "deletes" date. The RAM docs say 30 days; the real value is whatever DeleteDate says.
const DefaultRetention = 30 * 24 * time.Hour

// World is everything a fixture file describes: the home account (its ID and name when given, its users,
// recycled users, roles, and the ActionTrail events of the deletions the fixture records) and the
// member accounts of its Resource Directory.
type World struct {
	AccountID, AccountName string
	Users                  []User
	RecycledUsers          []RecycledUser
	Events                 []Event
	Roles                  []Role
	Accounts               []Account
}

// Options returns Options serving the world; the caller adds Credentials and the rest.
func (w World) Options() Options {
	return Options{
		AccountID: w.AccountID, AccountName: w.AccountName, Users: w.Users, RecycledUsers: w.RecycledUsers,
		Events: w.Events, Roles: w.Roles, Accounts: w.Accounts,
	}
}

// fixtureFile is the JSON fixture format read by LoadWorld and LoadFixtures.
type fixtureFile struct {
	AccountID     string                `json:"accountId"`
	AccountName   string                `json:"accountName"`
	Users         []fixtureUser         `json:"users"`
	RecycledUsers []fixtureRecycledUser `json:"recycledUsers"`
	Roles         []fixtureRole         `json:"roles"`
	Accounts      []fixtureAccount      `json:"accounts"`
}

type fixtureUser struct {
	ID            string             `json:"id"`
	Name          string             `json:"name"`
	PrincipalName string             `json:"principalName"`
	DisplayName   string             `json:"displayName"`
	Keys          []fixtureKey       `json:"keys"`
	AccessKeys    []fixtureAccessKey `json:"accessKeys"`
}

type fixtureKey struct {
	AccessKeyID string          `json:"accessKeyId"`
	Created     string          `json:"created"`
	Recycled    string          `json:"recycled"`
	Deletes     string          `json:"deletes"`
	DeletedBy   *fixtureDeleter `json:"deletedBy"`
}

type fixtureAccessKey struct {
	AccessKeyID string `json:"accessKeyId"`
	Status      string `json:"status"`
	Created     string `json:"created"`
}

type fixtureRecycledUser struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	PrincipalName string          `json:"principalName"`
	DisplayName   string          `json:"displayName"`
	Created       string          `json:"created"`
	Recycled      string          `json:"recycled"`
	Deletes       string          `json:"deletes"`
	Keys          []fixtureKey    `json:"keys"`
	DeletedBy     *fixtureDeleter `json:"deletedBy"`
}

type fixtureDeleter struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Session     string `json:"session"`
	ID          string `json:"id"`
	AccessKeyID string `json:"accessKeyId"`
	IP          string `json:"ip"`
	UserAgent   string `json:"userAgent"`
	Console     bool   `json:"console"`
	At          string `json:"at"`
}

type fixtureRole struct {
	Name       string   `json:"name"`
	Trusted    []string `json:"trusted"`
	ExternalID string   `json:"externalId"`
}

type fixtureAccount struct {
	ID            string                `json:"id"`
	Name          string                `json:"name"`
	Status        string                `json:"status"`
	Type          string                `json:"type"`
	JoinMethod    string                `json:"joinMethod"`
	Users         []fixtureUser         `json:"users"`
	RecycledUsers []fixtureRecycledUser `json:"recycledUsers"`
	Roles         []fixtureRole         `json:"roles"`
}

// LoadFixtures reads the home account's users from a JSON fixture (see LoadWorld) and ignores the rest.
func LoadFixtures(r io.Reader, now time.Time) ([]User, error) {
	w, err := LoadWorld(r, now)
	if err != nil {
		return nil, err
	}
	return w.Users, nil
}

// LoadWorld reads a JSON fixture whose dates are relative to now. Every field but a user's id and name
// and a key's accessKeyId and recycled date may be left out:
//
//	{"accountId": "1234567890123456", "accountName": "prod",
//	 "users": [{"id": "2073290024939201", "name": "alice", "principalName": "alice@corp.onaliyun.com",
//	   "keys": [{"accessKeyId": "LTAI5t…", "created": "-400d", "recycled": "-6h", "deletes": "+29d18h",
//	     "deletedBy": {"type": "ram-user", "name": "ops-admin", "ip": "203.0.113.7", "console": true}}],
//	   "accessKeys": [{"accessKeyId": "LTAI5t…", "status": "Active", "created": "-30d"}]}],
//	 "recycledUsers": [{"id": "2073290024939299", "name": "carol", "recycled": "-2d", "deletes": "+28d",
//	   "keys": [{"accessKeyId": "LTAI5t…"}], "deletedBy": {"type": "root-account"}}],
//	 "roles": [{"name": "restorer", "trusted": ["acs:ram::1234567890123456:root"]}],
//	 "accounts": [{"id": "1000000000000001", "name": "dev", "status": "InviteSuccess",
//	   "users": […], "recycledUsers": […], "roles": […]}]}
//
// A date is a signed offset from now made of whole days, hours, minutes and seconds ("-2d3h", "+5d",
// "-90m") or an absolute RFC 3339 time, truncated to whole seconds as the API returns them. A key's
// "deletes" defaults to its recycled date plus DefaultRetention and "created" to 90 days before it; a
// recycled user's keys default to its own recycled date. A recycled user's "deletes" defaults to its
// recycled date plus DefaultRetention and "created" to a year before. "deletedBy" records who deleted the
// key or the user: the world gets its ActionTrail event (DeleteAccessKeyEvent or DeleteUserEvent, in the
// console form when "console" is true), dated "at" or else at the recycled date. Unknown fields are an
// error.
func LoadWorld(r io.Reader, now time.Time) (World, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f fixtureFile
	if err := dec.Decode(&f); err != nil {
		return World{}, fmt.Errorf("fixture: %w", err)
	}
	w := World{AccountID: f.AccountID, AccountName: f.AccountName}
	home := cmpOr(f.AccountID, DefaultAccountID)
	if strings.Trim(home, "0123456789") != "" {
		return World{}, errors.New("fixture: accountId must be digits")
	}
	l := loader{now: now, account: home, domain: DefaultDomain, where: "fixture"}
	var err error
	if w.Users, w.RecycledUsers, w.Roles, err = l.load(f.Users, f.RecycledUsers, f.Roles); err != nil {
		return World{}, err
	}
	w.Events = l.events
	seen := map[string]bool{home: true}
	for i, fa := range f.Accounts {
		where := fmt.Sprintf("fixture: accounts[%d]", i)
		if len(fa.ID) != 16 || strings.Trim(fa.ID, "0123456789") != "" {
			return World{}, fmt.Errorf("%s: id must be 16 digits", where)
		}
		if seen[fa.ID] {
			return World{}, fmt.Errorf("%s: duplicate account %s", where, fa.ID)
		}
		seen[fa.ID] = true
		status := cmpOr(fa.Status, "CreateSuccess")
		if !rdStatuses[status] {
			return World{}, fmt.Errorf("%s: unknown status %q", where, fa.Status)
		}
		a := Account{ID: fa.ID, DisplayName: fa.Name, Status: status, Type: fa.Type, JoinMethod: fa.JoinMethod}
		l := loader{now: now, account: fa.ID, domain: fa.ID + ".onaliyun.com", where: where}
		if a.Users, a.RecycledUsers, a.Roles, err = l.load(fa.Users, fa.RecycledUsers, fa.Roles); err != nil {
			return World{}, err
		}
		a.Events = l.events
		w.Accounts = append(w.Accounts, a)
	}
	return w, nil
}

// loader reads one account's part of a fixture.
type loader struct {
	now     time.Time
	account string
	domain  string
	where   string
	ids     map[string]bool
	events  []Event
}

func (l *loader) load(fus []fixtureUser, frs []fixtureRecycledUser, fros []fixtureRole) ([]User, []RecycledUser, []Role, error) {
	l.ids = map[string]bool{}
	names := map[string]bool{}
	users := make([]User, 0, len(fus))
	for i, fu := range fus {
		where := fmt.Sprintf("%s: users[%d]", l.where, i)
		if err := l.checkUser(where, fu.ID, fu.Name); err != nil {
			return nil, nil, nil, err
		}
		if names[fu.Name] {
			return nil, nil, nil, fmt.Errorf("%s: duplicate user %s", where, fu.Name)
		}
		names[fu.Name] = true
		u := User{ID: fu.ID, Name: fu.Name, PrincipalName: fu.PrincipalName, DisplayName: fu.DisplayName}
		owner := deletion{name: fu.Name, upn: cmpOr(fu.PrincipalName, fu.Name+"@"+l.domain), id: fu.ID}
		for j, fk := range fu.Keys {
			k, err := l.key(fmt.Sprintf("%s.keys[%d]", where, j), fk, "", owner)
			if err != nil {
				return nil, nil, nil, err
			}
			u.Keys = append(u.Keys, k)
		}
		for j, fa := range fu.AccessKeys {
			where := fmt.Sprintf("%s.accessKeys[%d]", where, j)
			if fa.AccessKeyID == "" {
				return nil, nil, nil, fmt.Errorf("%s: accessKeyId is required", where)
			}
			if fa.Status != "" && fa.Status != "Active" && fa.Status != "Inactive" {
				return nil, nil, nil, fmt.Errorf("%s: status must be Active or Inactive", where)
			}
			ak := AccessKey{AccessKeyID: fa.AccessKeyID, Status: fa.Status, CreateDate: l.now.UTC().Add(-90 * 24 * time.Hour).Truncate(time.Second)}
			if fa.Created != "" {
				var err error
				if ak.CreateDate, err = fixtureTime(fa.Created, l.now); err != nil {
					return nil, nil, nil, fmt.Errorf("%s: created: %w", where, err)
				}
			}
			u.AccessKeys = append(u.AccessKeys, ak)
		}
		if len(u.AccessKeys) > MaxAccessKeys {
			return nil, nil, nil, fmt.Errorf("%s: more than %d accessKeys", where, MaxAccessKeys)
		}
		users = append(users, u)
	}
	var recycled []RecycledUser
	for i, fr := range frs {
		where := fmt.Sprintf("%s: recycledUsers[%d]", l.where, i)
		if err := l.checkUser(where, fr.ID, fr.Name); err != nil {
			return nil, nil, nil, err
		}
		r := RecycledUser{ID: fr.ID, Name: fr.Name, PrincipalName: fr.PrincipalName, DisplayName: fr.DisplayName}
		var err error
		if r.RecycleDate, err = fixtureTime(fr.Recycled, l.now); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: recycled: %w", where, err)
		}
		if r.DeleteDate, err = optTime(fr.Deletes, r.RecycleDate.Add(DefaultRetention), l.now); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: deletes: %w", where, err)
		}
		if r.CreateDate, err = optTime(fr.Created, r.RecycleDate.Add(-365*24*time.Hour), l.now); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: created: %w", where, err)
		}
		if r.DeleteDate.Before(r.RecycleDate) {
			return nil, nil, nil, fmt.Errorf("%s: deletes is before recycled", where)
		}
		owner := deletion{name: fr.Name, upn: cmpOr(fr.PrincipalName, fr.Name+"@"+l.domain), id: fr.ID}
		for j, fk := range fr.Keys {
			k, err := l.key(fmt.Sprintf("%s.keys[%d]", where, j), fk, apiTime(r.RecycleDate), owner)
			if err != nil {
				return nil, nil, nil, err
			}
			r.Keys = append(r.Keys, k)
		}
		if fr.DeletedBy != nil {
			if err := l.deleted(where+".deletedBy", *fr.DeletedBy, r.RecycleDate, owner, ""); err != nil {
				return nil, nil, nil, err
			}
		}
		recycled = append(recycled, r)
	}
	var roles []Role
	for i, fr := range fros {
		where := fmt.Sprintf("%s: roles[%d]", l.where, i)
		if fr.Name == "" {
			return nil, nil, nil, fmt.Errorf("%s: name is required", where)
		}
		for _, t := range fr.Trusted {
			if !principal.MatchString(t) {
				return nil, nil, nil, fmt.Errorf("%s: trusted %q is not acs:ram::<accountId>:root, :role/<name> or :user/<name>", where, t)
			}
		}
		roles = append(roles, Role{Name: fr.Name, Trusted: fr.Trusted, ExternalID: fr.ExternalID})
	}
	return users, recycled, roles, nil
}

func (l *loader) checkUser(where, id, name string) error {
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return fmt.Errorf("%s: id must be digits", where)
	}
	if name == "" || strings.ContainsAny(name, "@, ") {
		return fmt.Errorf("%s: name must be a non-empty RAM user name", where)
	}
	if l.ids[id] {
		return fmt.Errorf("%s: duplicate user %s", where, name)
	}
	l.ids[id] = true
	return nil
}

// deletion names the user a deletion event is about.
type deletion struct{ name, upn, id string }

// key reads a key of a bin; recycled is the default recycled date ("" means required).
func (l *loader) key(where string, fk fixtureKey, recycled string, owner deletion) (Key, error) {
	if fk.AccessKeyID == "" {
		return Key{}, fmt.Errorf("%s: accessKeyId is required", where)
	}
	k := Key{AccessKeyID: fk.AccessKeyID}
	var err error
	if k.RecycleDate, err = fixtureTime(cmpOr(fk.Recycled, recycled), l.now); err != nil {
		return Key{}, fmt.Errorf("%s: recycled: %w", where, err)
	}
	if k.DeleteDate, err = optTime(fk.Deletes, k.RecycleDate.Add(DefaultRetention), l.now); err != nil {
		return Key{}, fmt.Errorf("%s: deletes: %w", where, err)
	}
	if k.CreateDate, err = optTime(fk.Created, k.RecycleDate.Add(-90*24*time.Hour), l.now); err != nil {
		return Key{}, fmt.Errorf("%s: created: %w", where, err)
	}
	if k.DeleteDate.Before(k.RecycleDate) {
		return Key{}, fmt.Errorf("%s: deletes is before recycled", where)
	}
	if fk.DeletedBy != nil {
		if err := l.deleted(where+".deletedBy", *fk.DeletedBy, k.RecycleDate, owner, k.AccessKeyID); err != nil {
			return Key{}, err
		}
	}
	return k, nil
}

// deleted records the event of a deletion: of the key keyID, or of the user when keyID is "".
func (l *loader) deleted(where string, fd fixtureDeleter, recycled time.Time, owner deletion, keyID string) error {
	if fd.Name == "" && fd.Type != "root-account" {
		return fmt.Errorf("%s: name is required for a %s", where, cmpOr(fd.Type, "ram-user"))
	}
	at, err := optTime(fd.At, recycled, l.now)
	if err != nil {
		return fmt.Errorf("%s: at: %w", where, err)
	}
	d := Deletion{
		AccountID: l.account, Time: at, UserName: owner.name, UserPrincipalName: owner.upn, UserID: owner.id, AccessKeyID: keyID,
		By: Deleter{Type: fd.Type, Name: fd.Name, Session: fd.Session, ID: fd.ID, AccessKeyID: fd.AccessKeyID,
			SourceIP: fd.IP, UserAgent: fd.UserAgent, Console: fd.Console},
	}
	if keyID != "" {
		l.events = append(l.events, DeleteAccessKeyEvent(d))
	} else {
		l.events = append(l.events, DeleteUserEvent(d))
	}
	return nil
}

// optTime parses an optional fixture date; def when it is empty.
func optTime(s string, def, now time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	return fixtureTime(s, now)
}

// fixtureTime parses a fixture date: a signed offset from now ("-2d3h") or an RFC 3339 time.
func fixtureTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("empty date")
	}
	if s[0] != '+' && s[0] != '-' {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is neither an offset like -2d3h nor an RFC 3339 time", s)
		}
		return t.UTC().Truncate(time.Second), nil
	}
	var total time.Duration
	rest := s[1:]
	if rest == "" {
		return time.Time{}, fmt.Errorf("offset %q has no amount", s)
	}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return time.Time{}, fmt.Errorf("offset %q: want numbers with units d, h, m, s", s)
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > 100000 {
			return time.Time{}, fmt.Errorf("offset %q: amount out of range", s)
		}
		var unit time.Duration
		switch rest[i] {
		case 'd':
			unit = 24 * time.Hour
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		case 's':
			unit = time.Second
		default:
			return time.Time{}, fmt.Errorf("offset %q: unknown unit %q", s, rest[i])
		}
		total += time.Duration(n) * unit
		rest = rest[i+1:]
	}
	if s[0] == '-' {
		total = -total
	}
	return now.UTC().Add(total).Truncate(time.Second), nil
}
