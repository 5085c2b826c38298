package ramfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// User is one RAM user of the emulated account.
type User struct {
	// ID is the RAM user ID (digits only).
	ID string
	// Name is the RAM user name (alice).
	Name string
	// PrincipalName is the IMS user principal name; empty means Name@DefaultDomain.
	PrincipalName string
	// Keys are the AccessKeys in the user's recycle bin.
	Keys []Key
	// Raw replaces fields of the user's object in GetUser and ListUsers answers by its values, sent
	// verbatim (any JSON value): a hostile or malformed answer such as {"UserName": "<!channel>"} or
	// {"UserId": 12}. The emulator still finds the user by ID, Name and PrincipalName.
	Raw map[string]any
}

// Key is one AccessKey in a user's recycle bin.
type Key struct {
	// AccessKeyID is the AccessKey ID (LTAI…).
	AccessKeyID string
	// CreateDate is when the key was created.
	CreateDate time.Time
	// RecycleDate is when the key was moved into the recycle bin.
	RecycleDate time.Time
	// DeleteDate is when the key is purged from the recycle bin.
	DeleteDate time.Time
	// Raw replaces fields of the key's entry in ListAccessKeysInRecycleBin answers by its values, sent
	// verbatim (any JSON value): a hostile or malformed answer such as
	// {"DeleteDate": "9999-12-31T23:59:59-23:59"}.
	Raw map[string]any
}

// DefaultRetention is how long a key stays in the fixture recycle bin when a fixture gives no "deletes"
// date. The RAM docs show about 30 days in their example; the real value is whatever DeleteDate says.
const DefaultRetention = 30 * 24 * time.Hour

// fixtureFile is the JSON fixture format read by LoadFixtures.
type fixtureFile struct {
	Users []fixtureUser `json:"users"`
}

type fixtureUser struct {
	ID            string       `json:"id"`
	Name          string       `json:"name"`
	PrincipalName string       `json:"principalName"`
	Keys          []fixtureKey `json:"keys"`
}

type fixtureKey struct {
	AccessKeyID string `json:"accessKeyId"`
	Created     string `json:"created"`
	Recycled    string `json:"recycled"`
	Deletes     string `json:"deletes"`
}

// LoadFixtures reads users from a JSON fixture whose dates are relative to now:
//
//	{"users": [{"id": "2073290024939201", "name": "alice", "principalName": "alice@corp.onaliyun.com",
//	  "keys": [{"accessKeyId": "LTAI5t…", "created": "-400d", "recycled": "-6h", "deletes": "+29d18h"}]}]}
//
// A date is a signed offset from now made of whole days, hours, minutes and seconds ("-2d3h", "+5d",
// "-90m") or an absolute RFC 3339 time. "recycled" is required; "deletes" defaults to recycled plus
// DefaultRetention and "created" to 90 days before recycled; "principalName" may be left out. Dates are
// truncated to whole seconds, as the API returns them. Unknown fields are an error.
func LoadFixtures(r io.Reader, now time.Time) ([]User, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f fixtureFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("fixture: %w", err)
	}
	ids := map[string]bool{}
	names := map[string]bool{}
	users := make([]User, 0, len(f.Users))
	for i, fu := range f.Users {
		where := fmt.Sprintf("fixture: users[%d]", i)
		if fu.ID == "" || strings.Trim(fu.ID, "0123456789") != "" {
			return nil, fmt.Errorf("%s: id must be digits", where)
		}
		if fu.Name == "" || strings.ContainsAny(fu.Name, "@, ") {
			return nil, fmt.Errorf("%s: name must be a non-empty RAM user name", where)
		}
		if ids[fu.ID] || names[fu.Name] {
			return nil, fmt.Errorf("%s: duplicate user %s", where, fu.Name)
		}
		ids[fu.ID], names[fu.Name] = true, true
		u := User{ID: fu.ID, Name: fu.Name, PrincipalName: fu.PrincipalName}
		for j, fk := range fu.Keys {
			where := fmt.Sprintf("%s.keys[%d]", where, j)
			if fk.AccessKeyID == "" {
				return nil, fmt.Errorf("%s: accessKeyId is required", where)
			}
			k := Key{AccessKeyID: fk.AccessKeyID}
			var err error
			if k.RecycleDate, err = fixtureTime(fk.Recycled, now); err != nil {
				return nil, fmt.Errorf("%s: recycled: %w", where, err)
			}
			k.DeleteDate = k.RecycleDate.Add(DefaultRetention)
			if fk.Deletes != "" {
				if k.DeleteDate, err = fixtureTime(fk.Deletes, now); err != nil {
					return nil, fmt.Errorf("%s: deletes: %w", where, err)
				}
			}
			k.CreateDate = k.RecycleDate.Add(-90 * 24 * time.Hour)
			if fk.Created != "" {
				if k.CreateDate, err = fixtureTime(fk.Created, now); err != nil {
					return nil, fmt.Errorf("%s: created: %w", where, err)
				}
			}
			if k.DeleteDate.Before(k.RecycleDate) {
				return nil, fmt.Errorf("%s: deletes is before recycled", where)
			}
			u.Keys = append(u.Keys, k)
		}
		users = append(users, u)
	}
	return users, nil
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

// SyntheticUsers returns n generated users (user0001, user0002, …, IDs 2000000000000001 on) for load tests
// and benchmarks. Every third user has one key in the bin, recycled before now; the rest have empty bins.
// The same n and now always give the same users.
func SyntheticUsers(n int, now time.Time) []User {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	users := make([]User, n)
	for i := range users {
		u := User{ID: strconv.Itoa(2000000000000001 + i), Name: fmt.Sprintf("user%04d", i+1)}
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

// AccessKeyID returns a random AccessKey ID that looks like a real one: LTAI5t and 18 letters and digits.
func AccessKeyID(rng *rand.Rand) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte("LTAI5t")
	for range 18 {
		b = append(b, alnum[rng.IntN(len(alnum))])
	}
	return string(b)
}
