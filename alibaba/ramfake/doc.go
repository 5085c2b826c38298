// Package ramfake is a local emulator of the Alibaba Cloud RPC APIs the function calls. It listens on
// 127.0.0.1 only; tests, benchmarks and the demo use it in place of the cloud.
//
// # What it serves
//
//   - RAM 2015-05-01: GetUser, ListUsers, ListAccessKeys.
//   - IMS 2019-08-15: GetUser (by UserPrincipalName, UserId or a live UserAccessKeyId), ListUsers,
//     ListAccessKeys; the AccessKey recycle bin (ListAccessKeysInRecycleBin,
//     GetAccessKeyInfoInRecycleBin, RestoreAccessKeyFromRecycleBin) and the user recycle bin
//     (ListUsersInRecycleBin, GetUserInRecycleBin, RestoreUserFromRecycleBin).
//   - STS 2015-04-01: AssumeRole.
//   - Resource Manager 2020-03-31: ListAccounts.
//   - ActionTrail 2020-07-06: LookupEvents.
//
// It holds one or more accounts. The fields of Options describe the home account, the one the function
// runs in and the management account of the Resource Directory; Options.Accounts adds its members. Each
// account has its own users, recycled users, ActionTrail events, roles, AccessKeys, rate cap and
// statistics (Server.Stats). A request is served in the account its AccessKey belongs to; STS
// credentials minted by AssumeRole belong to the role's account until they expire. Restores change the
// state that later answers show; Server.Purge empties part of a bin as its cleanup would.
//
// # What it checks
//
// Every request: the RPC signature v1 (HMAC-SHA1 over the sorted, percent-encoded parameters, query and
// form alike), the required common parameters, Format, SignatureMethod and SignatureVersion, a Version
// it serves and an Action of that version, a Timestamp within 15 minutes of the server clock, a nonce not
// used before, a known AccessKey, and for an STS AccessKey its SecurityToken and its expiry. Then the
// parameters of each action, the account's rate caps, and the faults a test injected (SetFault,
// SetAccountFault, ThrottleNext, FailNext). Error answers carry the real body (RequestId, HostId, Code,
// Message, Recommend, all strings) and status.
//
// # Where the vendor documentation is silent
//
// The emulator takes the most conservative reading it can, so that code which passes against it has
// made no optimistic assumption. Each choice below is one the documentation does not settle.
//
//   - Recycle-bin error answers: no IMS recycle-bin page lists its errors. Not in the bin, or not a
//     user, is 404 EntityNotExist.User or EntityNotExist.User.AccessKey (RAM's codes); a missing
//     parameter is 400 MissingParameter.<Name>, a bad one 400 InvalidParameter.<Name>.
//   - ListAccessKeysInRecycleBin of a user who is itself in the user bin lists that user's keys (they
//     went to the key bin with it, and GetAccessKeyInfoInRecycleBin shows them with UserRecycled true).
//     The NotFound fault makes it answer EntityNotExist.User instead, the other possible reading.
//   - RestoreAccessKeyFromRecycleBin requires UserId (the real one may default to a RAM-user caller's
//     own); the key must be in that user's bin; a user who is in the user bin is refused with
//     EntityNotExist.User (restore the user first); a user who has MaxAccessKeys live keys is refused
//     with 409 LimitExceeded.User.AccessKey; a restored key comes back Inactive.
//   - RestoreUserFromRecycleBin refuses a user whose name or principal name a live user has (409
//     EntityAlreadyExists.User) and leaves the user's AccessKeys in the key bin, to be restored one by
//     one; the user comes back last in ListUsers.
//   - ListUsersInRecycleBin lists in the configured order; its Filter takes only the documented form
//     "UserPrincipalName eq <name>" (unquoted; the name compared without case), anything else is 400
//     InvalidParameter.Filter; a Marker names a position, so a restore between two pages skips nobody.
//   - Purging is explicit (Server.Purge): an entry past its DeleteDate is still served until purged, as
//     the real bin is emptied "regularly", not at the second.
//   - AssumeRole: RoleSessionName of 2 to 32 characters (the older FAQ's limit, stricter than the API
//     reference's 64); DurationSeconds 900 to 3600 (a role session assuming a role is held to an hour);
//     a trust policy names acs:ram::<id>:root, :role/<name> or :user/<name>; a refusal by trust or by
//     policy (Deny) is 403 NoPermission; a role or an account that does not exist is 404
//     EntityNotExist.Role (status not documented); a malformed RoleArn is 400 InvalidParameter.RoleArn;
//     a root AccessKey is refused ("Roles may not be assumed by root accounts."); expired credentials are
//     400 InvalidSecurityToken.Expired; a Policy must be JSON of at most 2,048 characters; an ExternalId
//     the role requires must match.
//   - ListAccounts lists the management account itself, first, as CreateSuccess, CloudAccount,
//     created: the caller must skip its own account rather than assume a role in it. A member caller is
//     answered 409 NoPermission.ResourceDirectory.MemberAccount (the code sibling Resource Directory APIs
//     document); an account without a directory 404 NotExists.ResourceDirectory; a page past the end is
//     empty.
//   - LookupEvents: StartTime and EndTime only as YYYY-MM-DDThh:mm:ssZ, both or neither (default: the last
//     7 days); a span over 30 days is refused (documented for the 2017-12-04 API only); a StartTime more
//     than 90 days back is refused rather than answered empty; MaxResults 1 to 50, default 20 (the
//     documented example; the default is not documented); of the LookupAttribute pairs only the
//     documented combinations are accepted (two of one key: the second counts; more than two: the first
//     two), SensitiveAction is not emulated; a NextToken is bound to the other parameters of its query;
//     events come newest first (BACKWARD) or oldest first (FORWARD). Error codes are not documented:
//     400 InvalidParameter.<Name> or InvalidParameter.TimeRange.
//   - Deletion events (DeleteAccessKeyEvent, DeleteUserEvent): no full real example is published. A
//     console deletion is recorded under service Ims (ims-share.aliyuncs.com, API 2019-08-15) with the
//     user's UserPrincipalName; an API deletion under service Ram with the short UserName. Deleting a user
//     records one DeleteUser event and none for the keys that went to the bin with it.
//   - Throttling, whatever the product, is 400 Throttling.User. Each account's caps are its own (API
//     limits are per account); requests signed with an unknown AccessKey count against the home account.
//     Both caps refill on the server clock.
//   - RAM and IMS ListAccessKeys require the user parameter (the real ones default to the caller's own
//     keys, which a role session does not have).
package ramfake
