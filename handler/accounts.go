package handler

// The accounts of a run. Without ACCOUNTS a run reads the function's own account, as it always did.
// With ACCOUNTS it reads a list of accounts, or with * its own and every member of its Resource
// Directory that has joined it (ListAccounts); the event's accounts override picks a subset. Each
// account other than the function's own is read with the credentials of a session of MEMBER_ROLE_NAME in
// it (AssumeRole, once per account and invocation, made with the invocation's credentials); the own
// account is read with the invocation's credentials, never through AssumeRole. Accounts are read
// concurrently, at most maxAccountsAtOnce at a time, each with its own Read (its own SDK clients and
// adaptive limit: API limits are per account); the reader bounds the calls of them all. An account that
// cannot be read is that account's error, and the others go on. Who deleted what is looked up in each
// account's ActionTrail, with that account's credentials.

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// Directory lists the members of the Resource Directory and gives the credentials of a member role
// (alibaba.Reader).
type Directory interface {
	ListAccounts(ctx context.Context, creds *alibaba.Credentials) (*alibaba.Directory, error)
	AssumeRole(ctx context.Context, creds *alibaba.Credentials, accountID, roleName, session string) (*alibaba.Credentials, error)
}

// maxAccountsAtOnce bounds the accounts read at once: with the adaptive limit's start of 8 calls
// each, 16 accounts fill the reader's overall bound of 128 calls, and the SDK clients of the accounts
// waiting for a turn are never made.
const maxAccountsAtOnce = 16

// account is an account a run reads.
type account struct {
	id   string
	name string // its display name, ACCOUNT_LABEL for the own account; "" until known
	own  bool   // the function's own account: read with the invocation's credentials
}

// label is the account's name, else its ID.
func (a account) label() string {
	if a.name != "" {
		return a.name
	}
	return a.id
}

// text is the account as a message says it: "dev (1000000000000001)", or its ID alone.
func (a account) text() string {
	if a.name == "" || a.name == a.id {
		return a.id
	}
	return a.name + " (" + a.id + ")"
}

// plan is which accounts a run reads.
type plan struct {
	accounts []account
	// multi is true when the run reads more than one account: its errors, warnings and failures then
	// name the account, and an account none of whose bins could be read is one error.
	multi bool
	// listErr is the failure of ListAccounts for ACCOUNTS=*: the own account is read all the same.
	listErr *alibaba.APIError
	// warnings are what the listing said of its entries.
	warnings []string
	// names waits for the display names of an explicit list's accounts, looked up while they are read;
	// nil when there is nothing to look up.
	names func() map[string]string
}

// planAccounts settles which accounts the run reads: the function's own account without ACCOUNTS;
// ACCOUNTS' list; or with *, the own account and the joined members of its Resource Directory. The
// event's accounts (override) must each be one of them, or the event is rejected. ACCOUNTS needs the
// own account's ID (the invocation's, else FC_ACCOUNT_ID), which tells it apart from the members.
func (h *Handler) planAccounts(ctx context.Context, inv Invocation, s Settings, override []string) (*plan, error) {
	own := account{id: inv.AccountID, name: s.AccountLabel, own: true}
	if own.id == "" {
		own.id = s.AccountID
	}
	if s.Accounts == nil {
		for _, id := range override {
			if id != own.id {
				return nil, &RejectedError{fmt.Errorf("event: accounts: %s is not an account this function reads (ACCOUNTS is not set: only its own account%s)", id, orEmpty(" ", own.id))}
			}
		}
		return &plan{accounts: []account{own}}, nil
	}
	if own.id == "" {
		return nil, &RejectedError{errors.New("ACCOUNTS is set but the function's own account ID is unknown: Function Compute passes it with every invocation; on the command line set FC_ACCOUNT_ID")}
	}
	if h.Directory == nil {
		return nil, &RejectedError{errors.New("ACCOUNTS is set but the function has no access to the Resource Directory")}
	}
	p := &plan{}
	directory := len(s.Accounts) == 1 && s.Accounts[0] == "*"
	switch {
	case directory && onlyOwn(override, own.id):
		// The own account needs no listing: a listing that fails does not keep it from being read.
		p.accounts = []account{own}
	case directory:
		if err := h.listDirectory(ctx, inv, own, p); err != nil && override != nil {
			return nil, &runError{Summary: "checking the event's accounts: " + err.Error()}
		}
	default:
		p.explicit(own, s.Accounts)
	}
	if override != nil {
		var err error
		if p.accounts, err = p.only(override, directory); err != nil {
			return nil, &RejectedError{err}
		}
	}
	// The names of an explicit list's members are looked up only once the event is known to be good.
	if !directory && (len(p.accounts) > 1 || !p.accounts[0].own) {
		p.names = h.lookUpNames(ctx, inv)
	}
	p.multi = len(p.accounts) > 1
	return p, nil
}

// onlyOwn reports whether an accounts override names the function's own account and nothing else.
func onlyOwn(override []string, own string) bool {
	if len(override) == 0 {
		return false
	}
	for _, id := range override {
		if id != own {
			return false
		}
	}
	return true
}

// listDirectory plans ACCOUNTS=*: the own account, then every member the directory lists as joined
// (its status ends in Success), in the directory's order; the management account, which the directory
// lists too, is the own account when the function runs in it. When the listing fails, the own account
// is read alone and the failure is kept for the result, and returned.
func (h *Handler) listDirectory(ctx context.Context, inv Invocation, own account, p *plan) error {
	p.accounts = []account{own}
	lctx, cancel := readContext(ctx)
	defer cancel()
	dir, err := h.Directory.ListAccounts(lctx, inv.Credentials)
	if err != nil {
		p.listErr = apiError(err)
		return err
	}
	p.warnings = append(p.warnings, dir.Problems...)
	seen := map[string]bool{}
	for _, a := range dir.Accounts {
		switch {
		case seen[a.ID]:
			// A listing paged by number can show an account twice when the directory changes between
			// two pages: it is read once.
			p.warnings = append(p.warnings, fmt.Sprintf("ListAccounts listed account %s more than once: it is read once", a.ID))
		case a.ID == own.id:
			if p.accounts[0].name == "" {
				p.accounts[0].name = a.Name
			}
		case a.Joined():
			p.accounts = append(p.accounts, account{id: a.ID, name: a.Name})
		default:
			h.Logger.InfoContext(ctx, "member skipped: it has not joined the Resource Directory", "account", a.ID, "status", a.Status)
		}
		seen[a.ID] = true
	}
	return nil
}

// explicit plans an explicit ACCOUNTS list, in its order.
func (p *plan) explicit(own account, ids []string) {
	for _, id := range ids {
		if id == own.id {
			p.accounts = append(p.accounts, own)
		} else {
			p.accounts = append(p.accounts, account{id: id})
		}
	}
}

// only keeps the planned accounts that ids name, in the plan's order; an ID that names none is an
// error naming it.
func (p *plan) only(ids []string, directory bool) ([]account, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []account
	for _, a := range p.accounts {
		if want[a.id] {
			out = append(out, a)
			delete(want, a.id)
		}
	}
	for _, id := range ids {
		if !want[id] {
			continue
		}
		if directory {
			return nil, fmt.Errorf("event: accounts: %s is not the function's own account nor a member that has joined its Resource Directory (ACCOUNTS=*)", id)
		}
		return nil, fmt.Errorf("event: accounts: %s is not in ACCOUNTS", id)
	}
	return out, nil
}

// lookUpNames starts looking up the display names of the directory's accounts, for an explicit list:
// the names are nice to have, so a listing that fails (the role may not list, or there is no directory)
// leaves each account named by its ID, and is logged at debug level only.
func (h *Handler) lookUpNames(ctx context.Context, inv Invocation) func() map[string]string {
	names := map[string]string{}
	done := make(chan struct{})
	lctx, cancel := readContext(ctx)
	h.spawn(ctx, func() {
		defer close(done)
		defer cancel()
		dir, err := h.Directory.ListAccounts(lctx, inv.Credentials)
		if err != nil {
			h.Logger.DebugContext(ctx, "accounts are named by their IDs: ListAccounts failed", "error", err.Error())
			return
		}
		for _, a := range dir.Accounts {
			names[a.ID] = a.Name
		}
	})
	return func() map[string]string {
		<-done
		return names
	}
}

// accountRead is what reading one account gave.
type accountRead struct {
	account
	// scan is the account's scan; nil when it could not be read at all.
	scan *alibaba.Scan
	// err is why it could not be read: AssumeRole failed, or the read could not start.
	err *alibaba.APIError
	// alerts are its alerts, each with who deleted what it reports when ActionTrail says.
	alerts []alert.Alert
	// warnings are what its look-ups in ActionTrail said (denied, failed, events skipped).
	warnings []string
}

// readAccounts reads every planned account, at most maxAccountsAtOnce at a time, each with its own
// credentials, and decides its alerts; it returns what each gave, in the plan's order. Each account's
// look-ups in ActionTrail, with its credentials, start as its bins are read; an account gives its turn
// to the next as soon as its bins are read, and then waits for them to put each deleter on its alert.
// The reads end early enough to leave the reserve for delivery; an account whose turn does not come
// before then is a transient error.
func (h *Handler) readAccounts(ctx context.Context, inv Invocation, s Settings, p *plan, times schedule.Times) []accountRead {
	rctx, cancel := readContext(ctx)
	defer cancel()
	reads := make([]accountRead, len(p.accounts))
	turns := make(chan struct{}, maxAccountsAtOnce)
	var wg sync.WaitGroup
	for i, a := range p.accounts {
		wg.Add(1)
		h.spawn(ctx, func() {
			defer wg.Done()
			reads[i] = accountRead{account: a, err: &alibaba.APIError{Code: "InternalError", Message: "reading the account panicked"}}
			select {
			case turns <- struct{}{}:
			case <-rctx.Done():
				reads[i].err = &alibaba.APIError{Code: "DeadlineExceeded", Message: "not read: the invocation deadline is too near", Transient: true}
				return
			}
			turn := true
			defer func() {
				if turn {
					<-turns
				}
			}()
			r, deleters := h.readAccount(ctx, rctx, inv, s, a, times)
			defer deleters.stop()
			<-turns
			turn = false
			if r.name == "" && p.names != nil {
				r.name = p.names()[r.id]
			}
			r.decide(deleters, s, times)
			reads[i] = r
		})
	}
	wg.Wait()
	return reads
}

// readAccount reads one account: the own account with the invocation's credentials, any other with
// those of a session of the member role in it; the look-ups of who deleted what there start with the
// same credentials, bounded by ctx, while the bins are read, bounded by rctx.
func (h *Handler) readAccount(ctx, rctx context.Context, inv Invocation, s Settings, a account, times schedule.Times) (accountRead, *deleters) {
	r := accountRead{account: a}
	creds := inv.Credentials
	if !a.own {
		c, err := h.Directory.AssumeRole(rctx, inv.Credentials, a.id, s.MemberRole, alibaba.SessionName(inv.RequestID))
		if err != nil {
			r.err = apiError(err)
			h.Logger.WarnContext(ctx, "account unreadable", "account", a.id, "code", r.err.Code, "message", r.err.Message, "transient", r.err.Transient)
			return r, nil
		}
		creds = c
	}
	deleters := h.lookUpDeleters(ctx, creds, a.id, s, times)
	scan, err := h.Reader.Read(rctx, creds, s.Users)
	if err != nil {
		r.err = apiError(err)
		return r, deleters
	}
	r.scan = scan
	return r, deleters
}

// decide decides the account's alerts, each carrying the account (and its ID hashing it), and puts on
// them who deleted what they report.
func (r *accountRead) decide(d *deleters, s Settings, times schedule.Times) {
	if r.scan == nil {
		return
	}
	r.alerts = alert.Evaluate(r.scan.Bins, times.Now, alert.Window{From: times.Prev, To: times.Cur}, times.Next, alert.Policy{
		Mode: s.Mode, Thresholds: s.Thresholds, AlertOnRecycle: s.AlertOnRecycle, AccountID: r.id, AccountName: r.label(),
	})
	r.warnings = d.attach(r.alerts)
}

// apiError is err as an *alibaba.APIError: itself, or a permanent InternalError saying it.
func apiError(err error) *alibaba.APIError {
	var ae *alibaba.APIError
	if errors.As(err, &ae) {
		return ae
	}
	return &alibaba.APIError{Code: "InternalError", Message: err.Error()}
}

// alertsOf are the alerts of every account, most urgent first over all accounts.
func alertsOf(reads []accountRead) []alert.Alert {
	alerts := []alert.Alert{}
	for _, r := range reads {
		alerts = append(alerts, r.alerts...)
	}
	alert.SortByUrgency(alerts)
	return alerts
}

func orEmpty(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
