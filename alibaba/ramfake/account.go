package ramfake

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// account is the state of one emulated account. Its users, bins and stats change (restores, calls),
// so everything below mu is read and written under it; the rest is fixed at New.
type account struct {
	id, name, domain string
	home             bool
	listing          Account // the ListAccounts fields; its slices are not used
	rateLimit        int
	roles            map[string]*Role // by lower-case name

	mu       sync.Mutex
	users    []*User          // live users, ListUsers order; restored users are appended
	byID     map[string]*User // live users by ID, lower-case Name and lower-case PrincipalName
	byName   map[string]*User
	byPrinc  map[string]*User
	liveKeys map[string]*User     // live AccessKey ID → owner
	recycled []*recycled          // the user bin, ListUsersInRecycleBin order (seq ascending)
	recByID  map[string]*recycled // the user bin by user ID
	seq      int                  // the last seq given
	binKeys  map[string]string    // AccessKey ID in the key bin → its owner's user ID (live or recycled)
	events   []Event              // newest first: eventTime descending, then eventId ascending
	stats    Stats
	tokens   float64   // the RateLimit bucket (server clock)
	lastFill time.Time //
	leTokens float64   // the LookupEvents bucket (server clock)
	leLast   time.Time //
}

// recycled is a user in the bin with its position: markers name positions, so a restore between two
// pages skips nobody.
type recycled struct {
	seq int
	RecycledUser
}

func newAccount(a Account, home bool) *account {
	ac := &account{
		id: a.ID, name: a.DisplayName, home: home, listing: a, rateLimit: a.RateLimit,
		domain: cmpOr(a.Domain, a.ID+".onaliyun.com"),
		roles:  map[string]*Role{},
		byID:   map[string]*User{}, byName: map[string]*User{}, byPrinc: map[string]*User{},
		liveKeys: map[string]*User{}, recByID: map[string]*recycled{}, binKeys: map[string]string{},
		stats:  Stats{Calls: map[string]int{}},
		tokens: float64(a.RateLimit),
	}
	ac.listing.Users, ac.listing.RecycledUsers, ac.listing.Events, ac.listing.Roles, ac.listing.Credentials = nil, nil, nil, nil, nil
	for _, u := range a.Users {
		ac.addUser(u)
	}
	for _, r := range a.RecycledUsers {
		ac.addRecycled(r)
	}
	for i := range a.Roles {
		r := a.Roles[i]
		if r.ID == "" {
			r.ID = derivedID("role", a.ID, strings.ToLower(r.Name))
		}
		ac.roles[strings.ToLower(r.Name)] = &r
	}
	ac.events = append([]Event(nil), a.Events...)
	sortEvents(ac.events)
	return ac
}

// addUser makes u a live user (at New, or restored from the bin). Callers hold mu after New.
func (a *account) addUser(u User) *User {
	if u.PrincipalName == "" {
		u.PrincipalName = u.Name + "@" + a.domain
	}
	u.Keys = append([]Key(nil), u.Keys...)
	u.AccessKeys = append([]AccessKey(nil), u.AccessKeys...)
	p := &u
	a.users = append(a.users, p)
	a.byID[u.ID] = p
	a.byName[strings.ToLower(u.Name)] = p
	a.byPrinc[strings.ToLower(u.PrincipalName)] = p
	for _, k := range u.Keys {
		a.binKeys[k.AccessKeyID] = u.ID
	}
	for _, k := range u.AccessKeys {
		a.liveKeys[k.AccessKeyID] = p
	}
	return p
}

func (a *account) addRecycled(r RecycledUser) {
	if r.Name == "" {
		r.Name, _, _ = strings.Cut(r.PrincipalName, "@")
	}
	if r.PrincipalName == "" {
		r.PrincipalName = r.Name + "@" + a.domain
	}
	r.Keys = append([]Key(nil), r.Keys...)
	a.seq++
	e := &recycled{seq: a.seq, RecycledUser: r}
	a.recycled = append(a.recycled, e)
	a.recByID[r.ID] = e
	for _, k := range r.Keys {
		a.binKeys[k.AccessKeyID] = r.ID
	}
}

// removeRecycled takes the user with the given ID out of the bin. Callers hold mu.
func (a *account) removeRecycled(id string) {
	e := a.recByID[id]
	delete(a.recByID, id)
	i, _ := slices.BinarySearchFunc(a.recycled, e.seq, func(x *recycled, seq int) int { return cmp.Compare(x.seq, seq) })
	a.recycled = slices.Delete(a.recycled, i, i+1)
}

// count records a request in the account's stats.
func (a *account) count(action string, sc SeenCredential) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stats.Calls[action]++
	a.stats.Total++
	if sc.AccessKeyID != "" {
		a.stats.SeenCredentials = addSeen(a.stats.SeenCredentials, sc)
	}
}

func (a *account) throttled() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stats.Throttled++
}

// takeToken takes a token of the account's RateLimit bucket, which holds one second's worth and refills
// on the server clock; false means throttled.
func (a *account) takeToken(now time.Time) bool {
	if a.rateLimit <= 0 {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.lastFill.IsZero() && now.After(a.lastFill) {
		a.tokens += now.Sub(a.lastFill).Seconds() * float64(a.rateLimit)
	}
	a.tokens = min(a.tokens, float64(a.rateLimit))
	if now.After(a.lastFill) {
		a.lastFill = now
	}
	if a.tokens < 1 {
		return false
	}
	a.tokens--
	return true
}

// takeLookupToken takes a token of the account's LookupEvents bucket: rate tokens a second, at most
// rate held, refilled on the server clock; false means throttled.
func (a *account) takeLookupToken(rate int, now time.Time) bool {
	if rate < 0 {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.leLast.IsZero() {
		a.leTokens = float64(rate)
	} else if now.After(a.leLast) {
		a.leTokens += now.Sub(a.leLast).Seconds() * float64(rate)
	}
	a.leTokens = min(a.leTokens, float64(rate))
	if now.After(a.leLast) {
		a.leLast = now
	}
	if a.leTokens < 1 {
		return false
	}
	a.leTokens--
	return true
}

// derivedID returns a stable 16-digit ID for a thing the configuration gave no ID.
func derivedID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	n := binary.BigEndian.Uint64(h[:8])%9_000_000_000_000_000 + 1_000_000_000_000_000
	return strconv.FormatUint(n, 10)
}

// Purge empties part of a bin now, as the bin's own cleanup does once a DeleteDate has passed: id is a
// recycled user's ID (the user and every AccessKey it had go), or an AccessKey ID in the key bin (that
// key goes). accountID "" is the home account. It reports whether anything was purged.
func (s *Server) Purge(accountID, id string) bool {
	a := s.byAcct[cmpOr(accountID, s.home.id)]
	if a == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.recByID[id]; r != nil {
		for _, k := range r.Keys {
			delete(a.binKeys, k.AccessKeyID)
		}
		a.removeRecycled(id)
		return true
	}
	owner, ok := a.binKeys[id]
	if !ok {
		return false
	}
	delete(a.binKeys, id)
	drop := func(keys []Key) []Key {
		return slices.DeleteFunc(keys, func(k Key) bool { return k.AccessKeyID == id })
	}
	if u := a.byID[owner]; u != nil {
		u.Keys = drop(u.Keys)
	} else if r := a.recByID[owner]; r != nil {
		r.Keys = drop(r.Keys)
	}
	return true
}

// FindUser returns a copy of the live user with the given ID in the account ("" is the home account):
// its bin and its live AccessKeys as they are now.
func (s *Server) FindUser(accountID, userID string) (User, bool) {
	a := s.byAcct[cmpOr(accountID, s.home.id)]
	if a == nil {
		return User{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.byID[userID]
	if u == nil {
		return User{}, false
	}
	c := *u
	c.Keys = append([]Key(nil), u.Keys...)
	c.AccessKeys = append([]AccessKey(nil), u.AccessKeys...)
	return c, true
}

// FindRecycledUser returns a copy of the user with the given ID in the account's user recycle bin (""
// is the home account).
func (s *Server) FindRecycledUser(accountID, userID string) (RecycledUser, bool) {
	a := s.byAcct[cmpOr(accountID, s.home.id)]
	if a == nil {
		return RecycledUser{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.recByID[userID]
	if r == nil {
		return RecycledUser{}, false
	}
	c := r.RecycledUser
	c.Keys = append([]Key(nil), r.Keys...)
	return c, true
}
