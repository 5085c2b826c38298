package restoretest

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/akrecycle/ak-recycle-alert/restore"
)

// Restorer is an in-memory account: an AccessKey recycle bin, a user recycle bin, live users and live
// keys. Its restores move items from a bin to the live side, and its errors look like the API's
// (EntityNotExist.*, HTTP 404, for an item that is not there). It records every call.
type Restorer struct {
	// Hook, when set, runs first in every call with the call's name (AccessKeyInBin, UserInBin,
	// RestoreAccessKey, RestoreUser, GetUser); an error it returns is the call's. Tests use it to slow
	// a call down or make it fail.
	Hook func(ctx context.Context, call string) error

	mu       sync.Mutex
	binKeys  map[string]restore.BinKey // AccessKey ID → its bin entry
	binUsers map[string]restore.BinUser
	live     map[string]string // live user ID → principal name
	liveKeys map[string]string // live AccessKey ID → owner's user ID
	calls    []string
}

// NewRestorer returns an empty account.
func NewRestorer() *Restorer {
	return &Restorer{
		binKeys:  map[string]restore.BinKey{},
		binUsers: map[string]restore.BinUser{},
		live:     map[string]string{},
		liveKeys: map[string]string{},
	}
}

// AddLiveUser adds a live RAM user.
func (r *Restorer) AddLiveUser(userID, principal string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live[userID] = principal
}

// RecycleKey puts accessKeyID of the live user userID in the AccessKey recycle bin.
func (r *Restorer) RecycleKey(userID, accessKeyID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.liveKeys, accessKeyID)
	r.binKeys[accessKeyID] = restore.BinKey{UserID: userID, UserPrincipalName: r.live[userID]}
}

// RecycleUser moves the live user userID, with its keys, to the recycle bins.
func (r *Restorer) RecycleUser(userID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	upn := r.live[userID]
	delete(r.live, userID)
	r.binUsers[userID] = restore.BinUser{UserID: userID, UserPrincipalName: upn}
	for k, owner := range r.liveKeys {
		if owner == userID {
			delete(r.liveKeys, k)
			r.binKeys[k] = restore.BinKey{UserID: userID, UserPrincipalName: upn, UserRecycled: true}
		}
	}
	for k, bk := range r.binKeys {
		if bk.UserID == userID {
			bk.UserRecycled = true
			r.binKeys[k] = bk
		}
	}
}

// AddLiveKey gives the live user userID the AccessKey accessKeyID.
func (r *Restorer) AddLiveKey(userID, accessKeyID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.liveKeys[accessKeyID] = userID
}

// Purge removes an AccessKey from the bin for good.
func (r *Restorer) Purge(accessKeyID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.binKeys, accessKeyID)
}

// Calls returns the calls made so far, each as "Name arg…".
func (r *Restorer) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// Count is how many calls named call were made.
func (r *Restorer) Count(call string) int {
	n := 0
	for _, c := range r.Calls() {
		if c == call || len(c) > len(call) && c[:len(call)+1] == call+" " {
			n++
		}
	}
	return n
}

func (r *Restorer) enter(ctx context.Context, call string, args ...string) error {
	r.mu.Lock()
	rec := call
	for _, a := range args {
		rec += " " + a
	}
	r.calls = append(r.calls, rec)
	r.mu.Unlock()
	if r.Hook != nil {
		if err := r.Hook(ctx, call); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func notFound(action, code string) error {
	return &restore.APIError{Action: action, Code: code, Status: http.StatusNotFound, Message: "The specified entity does not exist."}
}

// AccessKeyInBin is GetAccessKeyInfoInRecycleBin.
func (r *Restorer) AccessKeyInBin(ctx context.Context, accessKeyID string) (restore.BinKey, error) {
	if err := r.enter(ctx, "AccessKeyInBin", accessKeyID); err != nil {
		return restore.BinKey{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	bk, ok := r.binKeys[accessKeyID]
	if !ok {
		return restore.BinKey{}, notFound("GetAccessKeyInfoInRecycleBin", "EntityNotExist.User.AccessKey")
	}
	return bk, nil
}

// UserInBin is GetUserInRecycleBin.
func (r *Restorer) UserInBin(ctx context.Context, userID string) (restore.BinUser, error) {
	if err := r.enter(ctx, "UserInBin", userID); err != nil {
		return restore.BinUser{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	bu, ok := r.binUsers[userID]
	if !ok {
		return restore.BinUser{}, notFound("GetUserInRecycleBin", "EntityNotExist.User")
	}
	return bu, nil
}

// RestoreAccessKey is RestoreAccessKeyFromRecycleBin: it moves the key back to its owner, who must be
// live.
func (r *Restorer) RestoreAccessKey(ctx context.Context, userID, accessKeyID string) error {
	if err := r.enter(ctx, "RestoreAccessKey", userID, accessKeyID); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	bk, ok := r.binKeys[accessKeyID]
	switch {
	case !ok || bk.UserID != userID:
		return notFound("RestoreAccessKeyFromRecycleBin", "EntityNotExist.User.AccessKey")
	case bk.UserRecycled:
		return notFound("RestoreAccessKeyFromRecycleBin", "EntityNotExist.User")
	}
	delete(r.binKeys, accessKeyID)
	r.liveKeys[accessKeyID] = userID
	return nil
}

// RestoreUser is RestoreUserFromRecycleBin: the user is live again; its keys stay in the AccessKey bin.
func (r *Restorer) RestoreUser(ctx context.Context, userID string) error {
	if err := r.enter(ctx, "RestoreUser", userID); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	bu, ok := r.binUsers[userID]
	if !ok {
		return notFound("RestoreUserFromRecycleBin", "EntityNotExist.User")
	}
	delete(r.binUsers, userID)
	r.live[userID] = bu.UserPrincipalName
	for k, bk := range r.binKeys {
		if bk.UserID == userID {
			bk.UserRecycled = false
			r.binKeys[k] = bk
		}
	}
	return nil
}

// GetUser is IMS GetUser, by AccessKey ID or user ID.
func (r *Restorer) GetUser(ctx context.Context, q restore.UserQuery) (restore.User, error) {
	arg := "UserId=" + q.UserID
	if q.AccessKeyID != "" {
		arg = "UserAccessKeyId=" + q.AccessKeyID
	}
	if err := r.enter(ctx, "GetUser", arg); err != nil {
		return restore.User{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	id := q.UserID
	if q.AccessKeyID != "" {
		id = r.liveKeys[q.AccessKeyID]
	}
	upn, ok := r.live[id]
	if !ok {
		return restore.User{}, notFound("GetUser", "EntityNotExist.User")
	}
	return restore.User{UserID: id, UserPrincipalName: upn}, nil
}

// Accounts is a fixed set of accounts, each with its Restorer. It records which accounts' Restorers
// were asked for.
type Accounts struct {
	mu       sync.Mutex
	accounts map[string]restore.Account
	restorer map[string]restore.Restorer
	fail     map[string]error
	asked    []string
	listed   int
}

// NewAccounts returns an empty set.
func NewAccounts() *Accounts {
	return &Accounts{accounts: map[string]restore.Account{}, restorer: map[string]restore.Restorer{}}
}

// Add serves account a with r.
func (a *Accounts) Add(acct restore.Account, r restore.Restorer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.accounts[acct.ID] = acct
	a.restorer[acct.ID] = r
}

// Fail serves account a, whose Restorer fails with err (an *restore.AccessError, for a member whose
// role cannot be assumed).
func (a *Accounts) Fail(acct restore.Account, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail == nil {
		a.fail = map[string]error{}
	}
	a.accounts[acct.ID] = acct
	a.fail[acct.ID] = err
}

// Lookup returns the account, or ErrAccountNotAllowed for one not added; it counts the look-ups that
// may list the directory (Listed).
func (a *Accounts) Lookup(_ context.Context, accountID string, list bool) (restore.Account, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if list {
		a.listed++
	}
	acct, ok := a.accounts[accountID]
	if !ok {
		return restore.Account{}, fmt.Errorf("account %s: %w", accountID, restore.ErrAccountNotAllowed)
	}
	return acct, nil
}

// Listed counts the look-ups that were allowed to list the directory.
func (a *Accounts) Listed() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.listed
}

// Restorer returns the account's Restorer.
func (a *Accounts) Restorer(_ context.Context, acct restore.Account) (restore.Restorer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, acct.ID)
	if err := a.fail[acct.ID]; err != nil {
		return nil, err
	}
	r, ok := a.restorer[acct.ID]
	if !ok {
		return nil, fmt.Errorf("account %s: %w", acct.ID, restore.ErrAccountNotAllowed)
	}
	return r, nil
}

// Asked returns the accounts whose Restorer was asked for, sorted, without repeats.
func (a *Accounts) Asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, id := range a.asked {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Audit records the audit events; Err, when set, is what Audit returns.
type Audit struct {
	Err    error
	mu     sync.Mutex
	events []restore.AuditEvent
}

// Audit records e.
func (a *Audit) Audit(_ context.Context, e restore.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return a.Err
}

// Events returns the events recorded so far.
func (a *Audit) Events() []restore.AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]restore.AuditEvent(nil), a.events...)
}
