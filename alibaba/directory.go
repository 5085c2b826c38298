package alibaba

// This file is what a run over many accounts needs besides the reads: the members of the Resource
// Directory, from Resource Manager ListAccounts 2020-03-31
// (https://www.alibabacloud.com/help/en/doc-detail/160016.htm: only the management account or a
// delegated administrator may call it; PageSize 1 to 100; an account's AccountId, DisplayName and
// Status, CreateSuccess, InviteSuccess or PromoteSuccess once it joined), and the credentials that read
// a member, from STS AssumeRole 2015-04-01 (https://www.alibabacloud.com/help/doc-detail/28763.html:
// RoleArn acs:ram::<accountId>:role/<name>, a RoleSessionName, DurationSeconds from 900 to the role's
// maximum; its common errors: https://help.aliyun.com/document_detail/42775.html). Both go through the
// reader's calls: retries, deadlines, the overall bound, redaction.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
)

// DefaultResourceManagerEndpoint is the Resource Manager API host: a central endpoint, whatever the
// region (the SDK's endpoint rule for the product is "central").
const DefaultResourceManagerEndpoint = "resourcemanager.aliyuncs.com"

// DefaultSTSEndpoint is the STS API host of a region, sts.<region>.aliyuncs.com: the one the SDK's own
// STS client calls (https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-endpoint
// lists the global sts.aliyuncs.com, the regional hosts and their VPC forms, sts-vpc.<region>.aliyuncs.com).
func DefaultSTSEndpoint(region string) string { return "sts." + region + ".aliyuncs.com" }

// The limits of ListAccounts and AssumeRole.
const (
	// accountsPageSize is ListAccounts' PageSize, the most it allows.
	accountsPageSize = 100
	// maxAccountPages stops a pager whose server never stops: 100,000 accounts.
	maxAccountPages = 1000
	// minSession and maxSession bound AssumeRole's DurationSeconds: 15 minutes, and the hour a role
	// session that assumes another role (the function's) is held to.
	minSession = 15 * time.Minute
	maxSession = time.Hour
	// sessionPrefix starts every RoleSessionName; maxSessionName is the longest one: 32 characters,
	// the older limit of the STS FAQ (the API reference now allows 64).
	sessionPrefix  = "ak-recycle-alert"
	maxSessionName = 32
	// maxDisplayName is the longest display name taken (the console allows 50 characters).
	maxDisplayName = 128
	// maxSecretValue bounds an AccessKey secret or a security token of an answer.
	maxSecretValue = 8192
)

var (
	// accountIDRE is an Alibaba Cloud account ID: 16 digits, as every account ID the Resource Manager
	// and STS references show (181761095690****, acs:ram::12345678901234****:root written out).
	accountIDRE = regexp.MustCompile(`^[0-9]{16}$`)
	// roleNameRE is RAM's rule for a role name: 1 to 64 letters, digits, periods and hyphens (RAM
	// CreateRole, https://www.alibabacloud.com/help/doc-detail/159988.htm).
	roleNameRE = regexp.MustCompile(`^[A-Za-z0-9.-]{1,64}$`)
	// sessionRE is a RoleSessionName: letters, digits and . @ - _ (STS AssumeRole).
	sessionRE = regexp.MustCompile(`^[A-Za-z0-9.@_-]{2,32}$`)
	// statusRE is a Resource Directory status: a word such as CreateSuccess.
	statusRE = regexp.MustCompile(`^[A-Za-z]{1,64}$`)
	// stsKeyIDRE is the AccessKey ID of STS credentials (STS.…).
	stsKeyIDRE = regexp.MustCompile(`^[A-Za-z0-9.]{1,128}$`)
)

// ValidAccountID reports whether s is an Alibaba Cloud account ID: 16 digits.
func ValidAccountID(s string) bool { return accountIDRE.MatchString(s) }

// ParseAccounts validates account entries, each trimmed of the spaces around it: account IDs (16 digits),
// or a single "*" for the function's own account and every member of its Resource Directory. A repeated
// ID is kept once, where it first appears. The error names the first bad entry.
func ParseAccounts(entries []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for i, e := range entries {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
			return nil, fmt.Errorf("entry %d is empty", i+1)
		case e == "*":
			if len(entries) != 1 {
				return nil, errors.New("* (every account of the Resource Directory) must be the only entry")
			}
		case !ValidAccountID(e):
			return nil, fmt.Errorf("entry %s is not an account ID (16 digits)", excerpt.Quote(e))
		}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no account given")
	}
	return out, nil
}

// CheckRoleName validates a RAM role name by RAM's rule: 1 to 64 letters, digits, periods and hyphens.
func CheckRoleName(name string) error {
	if !roleNameRE.MatchString(name) {
		return fmt.Errorf("%s is not a RAM role name (1-64 letters, digits, . and -)", excerpt.Quote(name))
	}
	return nil
}

// RoleARN is the ARN of the role name in the account: acs:ram::<accountID>:role/<name>.
func RoleARN(accountID, name string) string { return "acs:ram::" + accountID + ":role/" + name }

// SessionName is the RoleSessionName of an invocation's sessions: ak-recycle-alert- and the start of its
// request ID (its letters, digits and . @ - _, within 32 characters), so that the member's ActionTrail
// shows which run read it; ak-recycle-alert without a request ID.
func SessionName(requestID string) string {
	name := sessionPrefix + "-"
	for i := 0; i < len(requestID) && len(name) < maxSessionName; i++ {
		if c := requestID[i]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".@_-", c) >= 0 {
			name += string(c)
		}
	}
	return strings.TrimSuffix(name, "-")
}

// APIError is a call that failed: ListAccounts or AssumeRole.
type APIError struct {
	// Code is the API's error code (NoPermission, EntityNotExist.Role, …) or the reader's
	// (DeadlineExceeded, InvalidResponse, ConnectionError, …).
	Code string
	// Message says what failed, scrubbed of every secret, the action first.
	Message string
	// Transient is true for a failure that may pass on its own: throttling, server errors, timeouts,
	// the deadline.
	Transient bool
	// Status is the HTTP status of the server's answer; 0 when the failure was not an answer.
	Status int
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// ErrorCode is the error code, for the restore flow (restore.CodedError).
func (e *APIError) ErrorCode() string { return e.Code }

// HTTPStatus is the HTTP status of the answer, 0 when there was none (restore.CodedError).
func (e *APIError) HTTPStatus() int { return e.Status }

func apiError(e *callError) *APIError {
	return &APIError{Code: e.code, Message: e.msg, Transient: e.transient, Status: e.status}
}

// Account is a member of the Resource Directory, as ListAccounts lists it.
type Account struct {
	// ID is the account ID (16 digits).
	ID string
	// Name is the member's display name; empty when ListAccounts gave none that passed its check.
	Name string
	// Status is its Resource Directory status (CreateSuccess, InviteSuccess, PromoteSuccess,
	// CreateVerifying, …).
	Status string
}

// Joined reports whether the member has joined the directory: its status ends in Success.
func (a Account) Joined() bool { return strings.HasSuffix(a.Status, "Success") }

// Directory is what ListAccounts listed.
type Directory struct {
	// Accounts are the listed accounts, in the order of the listing (the management account first, as
	// the directory lists it); an entry whose AccountId or Status failed its check is left out and said
	// in Problems.
	Accounts []Account
	// Problems say which entries were left out, or shown without their name, and why (scrubbed).
	Problems []string
	// Calls counts the API requests made, retries included.
	Calls int
}

// ListAccounts lists every account of the Resource Directory whose management (or delegated
// administrator) account creds belong to, page by page. creds nil means Config.Credentials, else the
// SDK's default credential chain. A failure is an *APIError (NoPermission for a role that lacks
// resourcemanager:ListAccounts, NotExists.ResourceDirectory, …).
func (r *Reader) ListAccounts(ctx context.Context, creds *Credentials) (*Directory, error) {
	cred, sc, err := r.credential(creds)
	if err != nil {
		return nil, err
	}
	ru := newRun(ctx, r, cred, sc)
	defer ru.cancel()
	w := &worker{run: ru}
	dir := &Directory{Accounts: []Account{}}
	listed := 0
	for page := 1; ; page++ {
		if page > maxAccountPages {
			return nil, &APIError{Code: codeInvalidResponse, Message: fmt.Sprintf("ListAccounts: still more accounts after %d pages", maxAccountPages)}
		}
		total, n, cerr := w.listAccounts(page, listed, dir)
		dir.Calls = int(ru.calls.Load())
		if cerr != nil {
			return nil, apiError(cerr)
		}
		listed += n
		if listed >= total {
			return dir, nil
		}
		if n < accountsPageSize {
			// A short page ends the listing, but its TotalCount said there were more: the members
			// missing from it are not read, so say so.
			dir.Problems = append(dir.Problems, fmt.Sprintf("ListAccounts listed %d of the %d accounts its TotalCount gives: the others are not read this run", listed, total))
			return dir, nil
		}
	}
}

// listAccounts reads page of ListAccounts, whose first entry is the listing's entry first (from 0), into
// dir, and returns the TotalCount it gives and how many entries the page held.
func (w *worker) listAccounts(page, first int, dir *Directory) (total, n int, err *callError) {
	sc := w.run.sc
	params := map[string]string{"PageNumber": fmt.Sprint(page), "PageSize": fmt.Sprint(accountsPageSize)}
	err = w.do(w.run.r.rm, "ListAccounts", params, func(b []byte) error {
		var out struct {
			TotalCount *int
			Accounts   struct{ Account []json.RawMessage }
		}
		if e := json.Unmarshal(b, &out); e != nil {
			return fmt.Errorf("answer is not the expected JSON: %w", e)
		}
		if out.TotalCount == nil || *out.TotalCount < 0 {
			return errors.New("TotalCount is missing or negative")
		}
		if len(out.Accounts.Account) > accountsPageSize {
			return fmt.Errorf("a page holds %d accounts, more than the %d asked for", len(out.Accounts.Account), accountsPageSize)
		}
		total, n = *out.TotalCount, len(out.Accounts.Account)
		for i, raw := range out.Accounts.Account {
			a, problem := listedAccount(sc, raw, first+i)
			if problem != "" {
				dir.Problems = append(dir.Problems, "ListAccounts: "+sc.scrub(problem))
			}
			if a.ID != "" {
				dir.Accounts = append(dir.Accounts, a)
			}
		}
		return nil
	})
	return total, n, err
}

// listedAccount checks one entry of a ListAccounts page, the account at pos (from 0) of the listing:
// the account (no ID when it is left out) and what was wrong with the entry, if anything.
func listedAccount(sc *scrubber, raw json.RawMessage, pos int) (Account, string) {
	var e struct{ AccountId, DisplayName, Status json.RawMessage }
	if err := json.Unmarshal(raw, &e); err != nil {
		return Account{}, fmt.Sprintf("account %d of the listing is not a JSON object: left out", pos+1)
	}
	idf := stringField("AccountId", e.AccountId)
	if err := sc.check(idf, ValidAccountID, "an account ID (16 digits)"); err != nil {
		return Account{}, fmt.Sprintf("account %d of the listing: %v: left out", pos+1, err)
	}
	a := Account{ID: idf.value}
	if err := sc.check(stringField("Status", e.Status), statusRE.MatchString, "a status such as CreateSuccess"); err != nil {
		return Account{}, fmt.Sprintf("account %s: %v: left out", a.ID, err)
	}
	a.Status = stringField("Status", e.Status).value
	namef := stringField("DisplayName", e.DisplayName)
	if err := sc.check(namef, validDisplayName, "a display name (printable, at most 128 characters)"); err != nil {
		return a, fmt.Sprintf("account %s: %v: shown by its ID", a.ID, err)
	}
	a.Name = namef.value
	return a, ""
}

// validDisplayName reports whether s is a display name that can be shown: at most 128 letters, marks,
// numbers, punctuation, symbols and spaces, with no line break, control or format character.
func validDisplayName(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxDisplayName || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if !unicode.IsGraphic(r) || (unicode.IsSpace(r) && r != ' ') {
			return false
		}
	}
	return true
}

// AssumeRole returns the credentials of a session of the role roleName in the account accountID (STS
// AssumeRole of acs:ram::<accountID>:role/<roleName>), made with creds (nil means Config.Credentials,
// else the SDK's default credential chain), the session named session (see SessionName). The session
// lasts as long as ctx's deadline needs, a minute more, within 15 minutes and an hour. Its secret and
// token are never in an error, and every later call made with them scrubs them (Read, ListAccounts). A
// failure is an *APIError: NoPermission when the role does not trust the caller or the caller lacks
// sts:AssumeRole, EntityNotExist.Role when there is no such role, and so on.
func (r *Reader) AssumeRole(ctx context.Context, creds *Credentials, accountID, roleName, session string) (*Credentials, error) {
	switch {
	case !ValidAccountID(accountID):
		return nil, fmt.Errorf("alibaba: AssumeRole: %s is not an account ID (16 digits)", excerpt.Quote(accountID))
	case CheckRoleName(roleName) != nil:
		return nil, fmt.Errorf("alibaba: AssumeRole: %w", CheckRoleName(roleName))
	case !sessionRE.MatchString(session):
		return nil, fmt.Errorf("alibaba: AssumeRole: session name %s is not 2-32 letters, digits and . @ - _", excerpt.Quote(session))
	}
	cred, sc, err := r.credential(creds)
	if err != nil {
		return nil, err
	}
	duration := maxSession
	if d, ok := ctx.Deadline(); ok {
		duration = min(max(time.Until(d)+time.Minute, minSession), r.sessionLimit)
	}
	ru := newRun(ctx, r, cred, sc)
	defer ru.cancel()
	w := &worker{run: ru}
	params := map[string]string{"RoleArn": RoleARN(accountID, roleName), "RoleSessionName": session,
		"DurationSeconds": fmt.Sprint(int(duration.Round(time.Second) / time.Second))}
	var out *Credentials
	cerr := w.do(r.sts, "AssumeRole", params, func(b []byte) error {
		var err error
		out, err = sessionCredentials(sc, b)
		return err
	})
	if cerr != nil {
		return nil, apiError(cerr)
	}
	return out, nil
}

// sessionCredentials reads the credentials of an AssumeRole answer. The secret and the token are
// checked without ever being quoted: an error names the field only.
func sessionCredentials(sc *scrubber, b []byte) (*Credentials, error) {
	var out struct {
		Credentials struct{ AccessKeyId, AccessKeySecret, SecurityToken json.RawMessage }
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, errors.New("answer is not the expected JSON")
	}
	idf := stringField("Credentials.AccessKeyId", out.Credentials.AccessKeyId)
	if err := sc.check(idf, stsKeyIDRE.MatchString, "an AccessKey ID (letters, digits and .)"); err != nil {
		return nil, err
	}
	c := &Credentials{AccessKeyID: idf.value}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		to   *string
	}{
		{"Credentials.AccessKeySecret", out.Credentials.AccessKeySecret, &c.AccessKeySecret},
		{"Credentials.SecurityToken", out.Credentials.SecurityToken, &c.SecurityToken},
	} {
		var v string
		if len(f.raw) == 0 || json.Unmarshal(f.raw, &v) != nil || !validSecretValue(v) {
			return nil, fmt.Errorf("%s is missing or not a printable value of at most %d characters", f.name, maxSecretValue)
		}
		*f.to = v
	}
	return c, nil
}

// validSecretValue reports whether s can be a secret or a token: printable ASCII without spaces, at
// most maxSecretValue bytes.
func validSecretValue(s string) bool {
	if s == "" || len(s) > maxSecretValue {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// AssumeRoleHint says what to do when AssumeRole into a member account failed with the error code code;
// "" for a code with nothing to add.
func AssumeRoleHint(code string) string {
	switch {
	case deniedCode(code):
		return "the member's role does not trust the function's role, or the function's role lacks sts:AssumeRole on it (see deploy/member-trust-policy.json and deploy/ram-policy.json)"
	case code == "EntityNotExist.Role":
		return "the member account has no role of that name: create it (README, \"The member role\") or fix MEMBER_ROLE_NAME"
	}
	return ""
}

// ListAccountsHint says what to do when ListAccounts failed with the error code code; "" for a code with
// nothing to add.
func ListAccountsHint(code string) string {
	switch {
	case deniedCode(code):
		return "the function's role lacks resourcemanager:ListAccounts (see deploy/ram-policy.json), or its account is neither the management account of the Resource Directory nor a delegated administrator"
	case code == "NotExists.ResourceDirectory":
		return "the function's account has no Resource Directory: ACCOUNTS=* needs one; list the accounts instead"
	}
	return ""
}
