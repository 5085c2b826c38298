package handler

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
)

// userBinWarning is how many users in the user recycle bin make a run warn that it is nearly full.
const userBinWarning = 900

// record puts what the accounts' reads gave in r: every account (accounts), the users and accounts
// that could not be read (errors, each logged), how many live users were read, how many deleted users
// are watched, how many keys their bins hold, and the warnings of the listing of the directory and
// about each user recycle bin (each logged). It returns the reading's failures: no account could be
// read at all (for one account, as always: no user's bin, or ListUsers failed for *), ListAccounts
// failed for ACCOUNTS=*, transient failures outlived the reader's retries, reading panicked.
func (r *Result) record(ctx context.Context, log *slog.Logger, p *plan, reads []accountRead, users []string) (failures []string) {
	if e := p.listErr; e != nil {
		msg := e.Message
		if hint := alibaba.ListAccountsHint(e.Code); hint != "" {
			msg += ": " + hint
		}
		r.Errors = append(r.Errors, alert.UserError{Account: reads[0].id, User: "ListAccounts", Code: e.Code, Message: msg})
		log.WarnContext(ctx, "the accounts of the Resource Directory could not be listed", "code", e.Code, "message", msg, "transient", e.Transient)
		failures = append(failures, fmt.Sprintf("listing the accounts of the Resource Directory failed: %s: %s", e.Code, msg))
	}
	for _, w := range p.warnings {
		r.Warnings = append(r.Warnings, w)
		log.WarnContext(ctx, w)
	}
	var unreadable []string
	for _, rd := range reads {
		prefix := ""
		if p.multi || !rd.own {
			prefix = "account " + rd.text() + ": "
		}
		a := r.recordAccount(ctx, log, p, rd, prefix, users)
		if a.unreadable != "" {
			unreadable = append(unreadable, prefix+a.unreadable)
		}
		failures = append(failures, a.failures...)
	}
	switch {
	case len(unreadable) == 0 || len(unreadable) < len(reads):
	case len(reads) == 1:
		failures = append(failures, unreadable[0])
	default:
		failures = append(failures, "no account could be read: "+joinSome(unreadable, 3))
	}
	return failures
}

// accountOutcome is how an account's read ended, for the run's failures: why it could not be read at
// all ("" when it could), and its other failures, each a line with the account's prefix: its transient
// failures (in a run of one account, only when something could be read: else the first line says it
// all) and its panics.
type accountOutcome struct {
	unreadable string
	failures   []string
}

// recordAccount records one account's read in r; prefix names the account in its warnings and failures.
func (r *Result) recordAccount(ctx context.Context, log *slog.Logger, p *plan, rd accountRead, prefix string, users []string) accountOutcome {
	sum := alert.AccountSummary{AccountID: rd.id, AccountName: rd.label()}
	defer func() { r.Accounts = append(r.Accounts, sum) }()
	if e := rd.err; e != nil {
		msg := e.Message
		if hint := alibaba.AssumeRoleHint(e.Code); hint != "" && !rd.own {
			msg += ": " + hint
		}
		r.Errors = append(r.Errors, alert.UserError{Account: rd.id, User: "*", Code: e.Code, Message: msg})
		out := accountOutcome{unreadable: e.Code + ": " + msg}
		if e.Transient && p.multi {
			out.failures = append(out.failures, prefix+"not read after retries: "+e.Code+": "+msg)
		}
		return out
	}
	scan := rd.scan
	var transient, panicked []alert.UserError
	errs := make([]alert.UserError, 0, len(scan.Errors))
	for _, e := range scan.Errors {
		ue := e.UserError
		ue.Account = rd.id
		errs = append(errs, ue)
		if e.Transient {
			transient = append(transient, ue)
		}
		if e.Panicked {
			panicked = append(panicked, ue)
		}
		log.WarnContext(ctx, "user unreadable", "account", rd.id, "user", e.User, "code", e.Code, "message", e.Message, "transient", e.Transient)
	}
	for _, b := range scan.Bins {
		if b.Recycled != nil {
			r.RecycledUsers++
		} else {
			r.UsersChecked++
			sum.UsersChecked++
		}
		r.KeysInBins += len(b.Keys)
	}
	for _, w := range userBinWarnings(scan.UserBin) {
		r.Warnings = append(r.Warnings, prefix+w)
		log.WarnContext(ctx, prefix+w)
	}
	for _, w := range rd.warnings {
		r.Warnings = append(r.Warnings, prefix+w) // logged by the look-ups
	}
	var out accountOutcome
	out.unreadable = unreadableSummary(scan, users)
	if out.unreadable != "" && p.multi && len(scan.Bins) == 0 && !hasAccountError(errs) {
		// One error says that the account could not be read, rather than one per user.
		errs = []alert.UserError{{Account: rd.id, User: "*", Code: mostFrequentCode(errs), Message: out.unreadable}}
	}
	r.Errors = append(r.Errors, errs...)
	if len(transient) > 0 && (out.unreadable == "" || p.multi) {
		out.failures = append(out.failures, fmt.Sprintf("%s%d of %d users unreadable after retries (%s)", prefix, len(transient), len(transient)+len(scan.Bins), codeCounts(transient)))
	}
	if len(panicked) > 0 {
		out.failures = append(out.failures, fmt.Sprintf("%sreading %d users panicked (%s): see their errors", prefix, len(panicked), codeCounts(panicked)))
	}
	return out
}

// hasAccountError reports whether errs hold an error of the whole account (user "*": ListUsers failed).
func hasAccountError(errs []alert.UserError) bool {
	for _, e := range errs {
		if e.User == "*" {
			return true
		}
	}
	return false
}

// mostFrequentCode is the code most of errs have (the first in codeCounts' order).
func mostFrequentCode(errs []alert.UserError) string {
	code, _, _ := strings.Cut(codeCounts(errs), ", ")
	_, code, _ = strings.Cut(code, " ")
	return code
}

// joinSome joins the first n of lines with "; ", and says how many more there are.
func joinSome(lines []string, n int) string {
	if len(lines) <= n {
		return strings.Join(lines, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(lines[:n], "; "), len(lines)-n)
}

// userBinWarnings are what a run says about the user recycle bin: that the role may not list it, or
// that it is nearly full.
func userBinWarnings(ub *alibaba.UserBin) []string {
	switch {
	case ub == nil:
		return nil
	case ub.Denied != "":
		return []string{fmt.Sprintf("the user recycle bin could not be listed (%s): %s; deleted RAM users are not watched", ub.Denied, alibaba.UserBinHint())}
	case ub.Listed && ub.Users >= userBinWarning:
		return []string{fmt.Sprintf("the user recycle bin holds %s of %s users: deleting more purges the oldest at once",
			thousands(ub.Users), thousands(alert.UserBinCapacity))}
	}
	return nil
}

// unreadableSummary is the failure when no user's bin could be read at all, or ListUsers failed for *.
func unreadableSummary(scan *alibaba.Scan, users []string) string {
	for _, e := range scan.Errors {
		if e.User == "*" && len(users) == 1 && users[0] == "*" {
			return fmt.Sprintf("listing the RAM users failed: %s: %s", e.Code, e.Message)
		}
	}
	if len(scan.Bins) > 0 || len(scan.Errors) == 0 {
		return ""
	}
	errs := make([]alert.UserError, len(scan.Errors))
	for i, e := range scan.Errors {
		errs[i] = e.UserError
	}
	codes := map[string]bool{}
	for _, e := range errs {
		codes[e.Code] = true
	}
	if len(codes) == 1 {
		code := errs[0].Code
		s := fmt.Sprintf("%s for all %s users", code, thousands(len(errs)))
		if hint := alibaba.Hint(code); hint != "" {
			s += ": " + hint
		}
		return s
	}
	return fmt.Sprintf("no user's recycle bin could be read (%s)", codeCounts(errs))
}

// codeCounts is "3 NoPermission, 1 EntityNotExist.User", most frequent first.
func codeCounts(errs []alert.UserError) string {
	n := map[string]int{}
	for _, e := range errs {
		n[e.Code]++
	}
	codes := make([]string, 0, len(n))
	for c := range n {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		if n[codes[i]] != n[codes[j]] {
			return n[codes[i]] > n[codes[j]]
		}
		return codes[i] < codes[j]
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d %s", n[c], c)
	}
	return strings.Join(parts, ", ")
}

// thousands formats n with comma separators (1,000).
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
