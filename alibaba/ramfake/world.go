package ramfake

import "time"

// User is one live RAM user of an emulated account.
type User struct {
	// ID is the RAM user ID (digits only).
	ID string
	// Name is the RAM user name (alice).
	Name string
	// PrincipalName is the IMS user principal name; empty means Name@DefaultDomain in the home account
	// and Name@<AccountID>.onaliyun.com in a member account.
	PrincipalName string
	// DisplayName is the user's display name; empty means Name.
	DisplayName string
	// CreateDate is when the user was created; zero means 2024-01-02T03:04:05Z.
	CreateDate time.Time
	// Keys are the AccessKeys in the user's AccessKey recycle bin.
	Keys []Key
	// AccessKeys are the user's live AccessKeys (ListAccessKeys, IMS GetUser by UserAccessKeyId). A key
	// restored from the bin is added here; a user may have at most MaxAccessKeys of them.
	AccessKeys []AccessKey
	// Raw replaces fields of the user's object in GetUser and ListUsers answers by its values, sent
	// verbatim (any JSON value): a hostile or malformed answer such as {"UserName": "<!channel>"} or
	// {"UserId": 12}. The emulator still finds the user by ID, Name and PrincipalName.
	Raw map[string]any
}

// Key is one AccessKey in the AccessKey recycle bin.
type Key struct {
	// AccessKeyID is the AccessKey ID (LTAI…).
	AccessKeyID string
	// CreateDate is when the key was created.
	CreateDate time.Time
	// RecycleDate is when the key was moved into the recycle bin.
	RecycleDate time.Time
	// DeleteDate is when the key is purged from the recycle bin.
	DeleteDate time.Time
	// Raw replaces fields of the key's entry in ListAccessKeysInRecycleBin and
	// GetAccessKeyInfoInRecycleBin answers by its values, sent verbatim (any JSON value): a hostile or
	// malformed answer such as {"DeleteDate": "9999-12-31T23:59:59-23:59"}.
	Raw map[string]any
}

// AccessKey is one live AccessKey of a user.
type AccessKey struct {
	// AccessKeyID is the AccessKey ID (LTAI…).
	AccessKeyID string
	// Status is Active or Inactive; empty means Active.
	Status string
	// CreateDate is when the key was created.
	CreateDate time.Time
}

// MaxAccessKeys is how many AccessKeys a RAM user may have: RestoreAccessKeyFromRecycleBin for a user
// who has that many answers 409 LimitExceeded.User.AccessKey. Source: "each RAM user can have at most
// two AccessKey pairs",
// https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-createaccesskey
const MaxAccessKeys = 2

// RecycledUser is a RAM user in the user recycle bin of an emulated account.
type RecycledUser struct {
	// ID is the RAM user ID (digits only).
	ID string
	// Name is the RAM user name; empty means the part of PrincipalName before "@".
	Name string
	// PrincipalName is the IMS user principal name; empty means Name at the account's domain (see
	// User.PrincipalName).
	PrincipalName string
	// DisplayName is the user's display name; empty means Name.
	DisplayName string
	// CreateDate is when the user was created.
	CreateDate time.Time
	// RecycleDate is when the user was moved into the recycle bin.
	RecycleDate time.Time
	// DeleteDate is when the user, and every AccessKey it had, is purged.
	DeleteDate time.Time
	// Keys are the user's AccessKeys in the AccessKey recycle bin: GetAccessKeyInfoInRecycleBin shows
	// them with UserRecycled true, ListAccessKeysInRecycleBin lists them by the user's ID.
	Keys []Key
	// Raw replaces fields of the user's object in ListUsersInRecycleBin and GetUserInRecycleBin answers
	// by its values, sent verbatim (any JSON value).
	Raw map[string]any
}

// Role is a RAM role AssumeRole may assume.
type Role struct {
	// Name is the role name (ak-recycle-alert-reader).
	Name string
	// ID is the role ID (digits); empty means one derived from the account and the name.
	ID string
	// Trusted are the principals the role's trust policy allows, in RAM's form:
	// acs:ram::<accountId>:root (any RAM user or role session of that account),
	// acs:ram::<accountId>:role/<name> (sessions of that role) or acs:ram::<accountId>:user/<name>.
	Trusted []string
	// ExternalID, when set, is the sts:ExternalId the trust policy requires.
	ExternalID string
}

// Account is a member account of the emulated Resource Directory.
type Account struct {
	// ID is the account ID (16 digits).
	ID string
	// DisplayName is the member's display name in ListAccounts.
	DisplayName string
	// Status is the member's Resource Directory status: CreateSuccess (the default), InviteSuccess,
	// PromoteSuccess (joined), or CreateVerifying, CreateFailed, CreateExpired, CreateCancelled,
	// PromoteVerifying, PromoteFailed, PromoteExpired, PromoteCancelled.
	Status string
	// Type is ResourceAccount (the default) or CloudAccount.
	Type string
	// JoinMethod is created (the default) or invited.
	JoinMethod string
	// FolderID is the member's folder (fd-…); empty means the root folder.
	FolderID string
	// JoinTime is when the member joined; zero means a fixed date in 2024.
	JoinTime time.Time
	// Domain is the principal-name domain of its users; empty means <ID>.onaliyun.com.
	Domain string
	// Users, RecycledUsers, Events and Roles are the account's, as the home account's in Options.
	Users         []User
	RecycledUsers []RecycledUser
	Events        []Event
	Roles         []Role
	// Credentials are the long-term AccessKeys of the account's users, as Options.Credentials.
	Credentials map[string]Credential
	// RateLimit caps the account's requests per second, as Options.RateLimit.
	RateLimit int
	// Raw replaces fields of the member's entry in ListAccounts answers by its values, verbatim.
	Raw map[string]any
}

// rdStatuses are the Resource Directory member statuses ListAccounts reports (Resource Manager
// ListAccounts, https://help.aliyun.com/zh/resource-management/api-listaccounts, and the statuses
// Terraform's alicloud_resource_manager_accounts filters on).
var rdStatuses = map[string]bool{
	"CreateSuccess": true, "InviteSuccess": true, "PromoteSuccess": true,
	"CreateVerifying": true, "CreateFailed": true, "CreateExpired": true, "CreateCancelled": true,
	"PromoteVerifying": true, "PromoteFailed": true, "PromoteExpired": true, "PromoteCancelled": true,
}
