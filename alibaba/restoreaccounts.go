package alibaba

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/akrecycle/ak-recycle-alert/restore"
)

// Caller is what one invocation of the function knows of itself: the account it runs in, its role's
// credentials and its request ID. The runtime hands them over with each invocation, and the restore
// flow, which is given a context only, finds them there (WithCaller).
type Caller struct {
	// AccountID is the invocation's account (x-fc-account-id); empty when the platform did not say.
	AccountID string
	// Credentials are the role's credentials for this invocation; nil for Config.Credentials, else the
	// SDK's default chain.
	Credentials *Credentials
	// RequestID is the invocation's request ID: a member's role session is named after it
	// (SessionName), so that the member's ActionTrail shows which click restored there.
	RequestID string
}

type callerKey struct{}

// WithCaller returns a context that carries c, for RestoreAccounts.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerOf is the Caller of ctx; the zero Caller when it carries none.
func callerOf(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

// RestoreAccounts is the restore function's restore.Accounts: which accounts a Restore button may
// name, and the calls in each. It serves the accounts the alert function reads: with Accounts empty,
// the function's own account; with a list, the accounts listed; with ["*"], its own account and every
// member that has joined its Resource Directory (ListAccounts, whose answer an instance keeps for
// directoryTTL, and asks again for a member it does not show). Any other account is refused before any
// call in it.
//
// The function's own account is restored in with the invocation's own credentials, never through
// AssumeRole. In a member account, the invocation's credentials assume MemberRole there (STS
// AssumeRole, the session named after the request), and the session's credentials make the calls; they
// are never logged, and are scrubbed from every error.
type RestoreAccounts struct {
	// Reader makes the calls.
	Reader *Reader
	// OwnID is the function's account when the invocation does not carry it (FC_ACCOUNT_ID).
	OwnID string
	// OwnName is the function's account's display name (ACCOUNT_LABEL).
	OwnName string
	// Accounts is ACCOUNTS, as ParseAccounts returns it: nil for the function's own account only,
	// account IDs, or ["*"].
	Accounts []string
	// MemberRole is the role assumed in a member account (MEMBER_RESTORE_ROLE_NAME).
	MemberRole string

	mu       sync.Mutex
	listed   *Directory // the last listing, for directoryTTL
	listedAt time.Time
}

// directoryTTL is how long an instance keeps the directory's listing: the clicks of one alert message,
// minutes apart, list it once, whatever the directory's size. A member that joined since is listed
// again; one that left within the span is still served (its button was signed by the alert function).
const directoryTTL = 5 * time.Minute

// directory returns the listing kept from at most directoryTTL ago, unless fresh is true, else lists
// the Resource Directory (listedNow).
func (a *RestoreAccounts) directory(ctx context.Context, fresh bool) (dir *Directory, listedNow bool, err error) {
	a.mu.Lock()
	if !fresh && a.listed != nil && time.Since(a.listedAt) < directoryTTL {
		defer a.mu.Unlock()
		return a.listed, false, nil
	}
	a.mu.Unlock()
	if dir, err = a.Reader.ListAccounts(ctx, callerOf(ctx).Credentials); err != nil {
		return nil, true, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.listed, a.listedAt = dir, time.Now()
	return dir, true, nil
}

// Lookup returns the account accountID when restores may run in it, and otherwise an error wrapping
// restore.ErrAccountNotAllowed. The function's own account and an account the list does not hold are
// settled without a call. A member is named from ListAccounts (with the invocation's credentials):
// with ["*"] the listing also decides whether it has joined, and an error of the listing is Lookup's;
// for a list, a listing that fails leaves the member named by its ID. With list false nothing is called:
// a member that passed the checks above is named by its ID.
func (a *RestoreAccounts) Lookup(ctx context.Context, accountID string, list bool) (restore.Account, error) {
	own := a.own(ctx)
	all := len(a.Accounts) == 1 && a.Accounts[0] == "*"
	switch {
	case own == "":
		return restore.Account{}, fmt.Errorf("account %s: the function's own account is not known (no x-fc-account-id, no FC_ACCOUNT_ID): %w",
			accountID, restore.ErrAccountNotAllowed)
	case accountID == own && (len(a.Accounts) == 0 || all || slices.Contains(a.Accounts, own)):
		return restore.Account{ID: own, Name: cmp.Or(a.OwnName, own)}, nil
	case len(a.Accounts) == 0:
		return restore.Account{}, fmt.Errorf("account %s: %w (ACCOUNTS is unset: its own account %s only)", accountID, restore.ErrAccountNotAllowed, own)
	case !all && !slices.Contains(a.Accounts, accountID):
		return restore.Account{}, fmt.Errorf("account %s: %w (not in ACCOUNTS)", accountID, restore.ErrAccountNotAllowed)
	case !list:
		return restore.Account{ID: accountID, Name: accountID}, nil
	}
	dir, listedNow, err := a.directory(ctx, false)
	if err == nil && !listedNow && !slices.ContainsFunc(dir.Accounts, func(m Account) bool { return m.ID == accountID && m.Joined() }) {
		dir, _, err = a.directory(ctx, true) // a member that joined since the listing was kept
	}
	if err != nil {
		if all {
			return restore.Account{}, fmt.Errorf("account %s: listing the Resource Directory: %w", accountID, err)
		}
		return restore.Account{ID: accountID, Name: accountID}, nil
	}
	for _, m := range dir.Accounts {
		if m.ID != accountID {
			continue
		}
		if all && !m.Joined() {
			return restore.Account{}, fmt.Errorf("account %s: %w (a member of the Resource Directory that has not joined: %s)",
				accountID, restore.ErrAccountNotAllowed, m.Status)
		}
		return restore.Account{ID: accountID, Name: cmp.Or(m.Name, accountID)}, nil
	}
	if all {
		return restore.Account{}, fmt.Errorf("account %s: %w (not a member of the Resource Directory)", accountID, restore.ErrAccountNotAllowed)
	}
	return restore.Account{ID: accountID, Name: accountID}, nil
}

// Restorer returns the calls in acct: with the invocation's own credentials in the function's own
// account; in a member, with a session of MemberRole there, assumed with the invocation's credentials.
// A member whose role cannot be assumed is a *restore.AccessError naming the account and the role.
func (a *RestoreAccounts) Restorer(ctx context.Context, acct restore.Account) (restore.Restorer, error) {
	c := callerOf(ctx)
	switch own := a.own(ctx); {
	case acct.ID == "" || own == "":
		return nil, errors.New("alibaba: no account to restore in")
	case acct.ID == own:
		return a.Reader.Restorer(c.Credentials)
	case len(a.Accounts) == 0:
		return nil, errors.New("alibaba: ACCOUNTS is unset: restores run in the function's own account only")
	}
	session, err := a.Reader.AssumeRole(ctx, c.Credentials, acct.ID, a.MemberRole, SessionName(c.RequestID))
	if err != nil {
		ae := &restore.AccessError{AccountID: acct.ID, Role: a.MemberRole, Err: err}
		var api *APIError
		if errors.As(err, &api) {
			ae.Hint = restoreRoleHint(api.Code)
		}
		return nil, ae
	}
	return a.Reader.Restorer(session)
}

// restoreRoleHint says what to do when the restorer role of a member could not be assumed with the
// error code code; "" for a code with nothing to add. The text goes into a Slack note as it is: it
// holds no markup.
func restoreRoleHint(code string) string {
	switch {
	case code == "EntityNotExist.Role":
		return "the account has no role of that name: create it there (README, \"The member restorer role\") or fix MEMBER_RESTORE_ROLE_NAME"
	case deniedCode(code):
		return "the role does not trust the restore function's role, or that role lacks sts:AssumeRole on it (deploy/member-restorer-trust-policy.json, deploy/restore-policy.json)"
	}
	return ""
}

// own is the function's own account: the invocation's, else OwnID.
func (a *RestoreAccounts) own(ctx context.Context) string {
	if id := callerOf(ctx).AccountID; id != "" {
		return id
	}
	return a.OwnID
}
