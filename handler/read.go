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

// read reads the recycle bins of users, ending early enough to leave the reserve for delivery.
func (h *Handler) read(ctx context.Context, creds *alibaba.Credentials, users []string) (*alibaba.Scan, error) {
	rctx, cancel := readContext(ctx)
	defer cancel()
	return h.Reader.Read(rctx, creds, users)
}

// userBinWarning is how many users in the user recycle bin make a run warn that it is nearly full.
const userBinWarning = 900

// record puts what the scan read in r: the unreadable users (each logged), how many live users were
// read, how many deleted users are watched, how many keys their bins hold, and the warnings about the
// user recycle bin (each logged). It returns the reading's failures: no user could be read at all (or
// ListUsers failed for *), transient failures outlived the reader's retries, reading a user panicked.
func (r *Result) record(ctx context.Context, log *slog.Logger, scan *alibaba.Scan, users []string) (failures []string) {
	var transient, panicked []alert.UserError
	for _, e := range scan.Errors {
		r.Errors = append(r.Errors, e.UserError)
		if e.Transient {
			transient = append(transient, e.UserError)
		}
		if e.Panicked {
			panicked = append(panicked, e.UserError)
		}
		log.WarnContext(ctx, "user unreadable", "user", e.User, "code", e.Code, "message", e.Message, "transient", e.Transient)
	}
	for _, b := range scan.Bins {
		if b.Recycled != nil {
			r.RecycledUsers++
		} else {
			r.UsersChecked++
		}
		r.KeysInBins += len(b.Keys)
	}
	for _, w := range userBinWarnings(scan.UserBin) {
		r.Warnings = append(r.Warnings, w)
		log.WarnContext(ctx, w)
	}
	if s := unreadableSummary(scan, users); s != "" {
		failures = append(failures, s)
	} else if len(transient) > 0 {
		failures = append(failures, fmt.Sprintf("%d of %d users unreadable after retries (%s)", len(transient), len(transient)+len(scan.Bins), codeCounts(transient)))
	}
	if len(panicked) > 0 {
		failures = append(failures, fmt.Sprintf("reading %d users panicked (%s): see their errors", len(panicked), codeCounts(panicked)))
	}
	return failures
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
