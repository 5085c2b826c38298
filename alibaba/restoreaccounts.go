package alibaba

import (
	"context"
	"errors"
	"fmt"

	"github.com/akrecycle/ak-recycle-alert/restore"
)

// Caller is what one invocation of the function knows of itself: the account it runs in and its role's
// credentials. The runtime hands them over with each invocation, and the restore flow, which is given
// a context only, finds them there (WithCaller).
type Caller struct {
	// AccountID is the invocation's account (x-fc-account-id); empty when the platform did not say.
	AccountID string
	// Credentials are the role's credentials for this invocation; nil for Config.Credentials, else the
	// SDK's default chain.
	Credentials *Credentials
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
// name, and the calls in each. The function's own account is restored in with the invocation's own
// credentials, never through AssumeRole; an account the function does not serve is refused without
// any API call.
type RestoreAccounts struct {
	// Reader makes the calls.
	Reader *Reader
	// OwnID is the function's account when the invocation does not carry it (FC_ACCOUNT_ID).
	OwnID string
	// OwnName is the function's account's display name (ACCOUNT_LABEL).
	OwnName string
}

// Lookup returns the account accountID when it is the function's own, and otherwise an error wrapping
// restore.ErrAccountNotAllowed. It calls no API.
func (a *RestoreAccounts) Lookup(ctx context.Context, accountID string) (restore.Account, error) {
	own := a.own(ctx)
	switch {
	case own == "":
		return restore.Account{}, fmt.Errorf("account %s: the function's own account is not known (no x-fc-account-id, no FC_ACCOUNT_ID): %w",
			accountID, restore.ErrAccountNotAllowed)
	case accountID == own:
		return restore.Account{ID: own, Name: a.OwnName}, nil
	}
	return restore.Account{}, fmt.Errorf("account %s: %w (its own account %s)", accountID, restore.ErrAccountNotAllowed, own)
}

// Restorer returns the calls in a: the invocation's own credentials for the function's own account.
func (a *RestoreAccounts) Restorer(ctx context.Context, acct restore.Account) (restore.Restorer, error) {
	c := callerOf(ctx)
	if acct.ID == "" || acct.ID != a.own(ctx) {
		return nil, errors.New("alibaba: restores run in the function's own account only")
	}
	return a.Reader.Restorer(c.Credentials)
}

// own is the function's own account: the invocation's, else OwnID.
func (a *RestoreAccounts) own(ctx context.Context) string {
	if id := callerOf(ctx).AccountID; id != "" {
		return id
	}
	return a.OwnID
}
