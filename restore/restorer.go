package restore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Restorer makes the IMS (2019-08-15) calls of a restore in one account, with that account's
// credentials. The alibaba package provides it; the restore flow only reads its answers.
//
// A method that fails returns an error; one that carries the API's answer implements CodedError (as
// *APIError does), which is how the flow tells "not in the bin" from a failure. Errors must hold no
// credential.
type Restorer interface {
	// AccessKeyInBin is GetAccessKeyInfoInRecycleBin(UserAccessKeyId): the key as it is in the
	// AccessKey recycle bin.
	AccessKeyInBin(ctx context.Context, accessKeyID string) (BinKey, error)
	// UserInBin is GetUserInRecycleBin(UserId): the user as it is in the user recycle bin.
	UserInBin(ctx context.Context, userID string) (BinUser, error)
	// RestoreAccessKey is RestoreAccessKeyFromRecycleBin(UserId, UserAccessKeyId).
	RestoreAccessKey(ctx context.Context, userID, accessKeyID string) error
	// RestoreUser is RestoreUserFromRecycleBin(UserId).
	RestoreUser(ctx context.Context, userID string) error
	// GetUser is IMS GetUser by UserId, or by UserAccessKeyId when q.AccessKeyID is set: the live user
	// (the owner of a live key). It tells an item that left the bin because it was restored from one
	// that was purged.
	GetUser(ctx context.Context, q UserQuery) (User, error)
}

// BinKey is an AccessKey in the AccessKey recycle bin (GetAccessKeyInfoInRecycleBin's AccessKey).
type BinKey struct {
	// UserID is the key's owner.
	UserID string
	// UserPrincipalName is the owner's logon name (alice@corp.onaliyun.com).
	UserPrincipalName string
	// UserRecycled is true when the owner itself is in the user recycle bin.
	UserRecycled bool
}

// BinUser is a user in the user recycle bin (GetUserInRecycleBin's User).
type BinUser struct {
	UserID            string
	UserPrincipalName string
}

// UserQuery names the live user GetUser looks up: by AccessKeyID when it is set, else by UserID.
type UserQuery struct {
	UserID      string
	AccessKeyID string
}

// User is a live RAM user (IMS GetUser's User).
type User struct {
	UserID            string
	UserPrincipalName string
}

// Account is an account restores may run in.
type Account struct {
	// ID is the account ID.
	ID string
	// Name is its display name: ACCOUNT_LABEL for the function's own account, the Resource Directory's
	// name for a member, else its ID.
	Name string
}

// Accounts resolves the account of a button. The rule it implements: an account that is not one of the
// accounts the function serves (those the alert function reads: ACCOUNTS, or its own account when that
// is empty) is refused, and such a click is answered 401 with nothing touched.
type Accounts interface {
	// Lookup returns the account accountID when restores may run in it, else an error wrapping
	// ErrAccountNotAllowed; any other error means it could not tell. It calls no recycle-bin API: at
	// most, when list is true, the directory's listing, which tells a joined member and names it. With
	// list false it calls nothing: what only the listing could tell is taken on the button's word (the
	// button is signed), and a member is named by its ID.
	Lookup(ctx context.Context, accountID string, list bool) (Account, error)
	// Restorer returns the Restorer of an account Lookup returned: the function's own credentials for
	// its own account; for a member account, a session of the role MEMBER_RESTORE_ROLE_NAME there, or an
	// *AccessError when that role cannot be assumed.
	Restorer(ctx context.Context, a Account) (Restorer, error)
}

// ErrAccountNotAllowed is the error (wrapped) of Accounts.Lookup for an account restores may not run in.
var ErrAccountNotAllowed = errors.New("the account is not one of the accounts this function serves")

// AccessError is the failure of Accounts.Restorer to act in a member account: the role Role could not
// be assumed in the account AccountID (it does not exist there, does not trust the restore function's
// role, or STS refused). Its text names the account and the role, never a credential.
type AccessError struct {
	// AccountID is the member account.
	AccountID string
	// Role is the role's name, MEMBER_RESTORE_ROLE_NAME.
	Role string
	// Hint says what to do, for the person who clicked and the log; may be empty.
	Hint string
	// Err is the cause: a CodedError when Alibaba Cloud answered.
	Err error
}

func (e *AccessError) Error() string {
	s := "assuming the role " + e.Role + " in account " + e.AccountID + ": " + e.Err.Error()
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

// Unwrap returns the cause.
func (e *AccessError) Unwrap() error { return e.Err }

// CodedError is an error that carries an API's answer: its error code (EntityNotExist.User) and HTTP
// status. The Alibaba Cloud SDK's answers have both.
type CodedError interface {
	error
	ErrorCode() string
	HTTPStatus() int
}

// APIError is a CodedError, for Restorer implementations: an API call answered with an error.
type APIError struct {
	// Action is the API action (RestoreAccessKeyFromRecycleBin).
	Action string
	// Code is the error code of the answer (EntityNotExist.User).
	Code string
	// Status is the HTTP status of the answer.
	Status int
	// Message is the answer's message, free of credentials.
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s: %s (HTTP %d)", e.Action, e.Code, e.Message, e.Status)
}

// ErrorCode is the answer's error code.
func (e *APIError) ErrorCode() string { return e.Code }

// HTTPStatus is the answer's HTTP status.
func (e *APIError) HTTPStatus() int { return e.Status }

// The IMS recycle-bin pages document no error code of their own (each says "see the error center"), so
// what "not in the bin" looks like is inferred from RAM's conventions: a missing entity is an
// EntityNotExist.* code, answered 404. notInBin takes that code, or a 404 that carries no code at all,
// and nothing else: other 404s say the call went wrong (InvalidAction.NotFound from a wrong endpoint,
// InvalidAccessKeyId.NotFound from a deleted credential), and any other answer (NoPermission, a
// quota, EntityAlreadyExists.*, throttling) is a failure shown to the person, never taken for "already
// restored" or "purged".
func notInBin(err error) bool {
	var ce CodedError
	if !errors.As(err, &ce) {
		return false
	}
	code := ce.ErrorCode()
	return strings.HasPrefix(code, "EntityNotExist") || code == "" && ce.HTTPStatus() == http.StatusNotFound
}

// errorCode returns the code of an API error for people, when it looks like one (letters, digits and
// . _ -, at most 64 characters), else "".
func errorCode(err error) (code string, status int) {
	var ce CodedError
	if !errors.As(err, &ce) {
		return "", 0
	}
	c := ce.ErrorCode()
	if len(c) == 0 || len(c) > 64 {
		return "", ce.HTTPStatus()
	}
	for i := 0; i < len(c); i++ {
		if !isAlnum(c[i]) && c[i] != '.' && c[i] != '_' && c[i] != '-' {
			return "", ce.HTTPStatus()
		}
	}
	return c, ce.HTTPStatus()
}

// userName is the RAM user name in a principal name (alice in alice@corp.onaliyun.com), when it is one
// (1 to 64 letters, digits, periods, hyphens and underscores); else "".
func userName(principal string) string {
	name, _, _ := strings.Cut(principal, "@")
	if len(name) == 0 || len(name) > 64 {
		return ""
	}
	for i := 0; i < len(name); i++ {
		if !isAlnum(name[i]) && name[i] != '.' && name[i] != '-' && name[i] != '_' {
			return ""
		}
	}
	return name
}
