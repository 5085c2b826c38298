// Package restore is the one-click restore from Slack: the Restore buttons the alert function puts under
// its key and user alerts, and the restore function that answers a click on one of them by restoring
// the AccessKey or the RAM user from its recycle bin.
//
// # The buttons
//
// When RESTORE_TOKEN_SECRET is set, the Slack channel of the alert function adds Signer.Block under each
// key and user alert of a bot-token message: a "Restore" button with a confirmation dialog that names
// the item and the account. The button's value (Signer.Sign) holds the account ID, the user ID, the
// AccessKey ID (none for a user) and the alert id, and an HMAC-SHA256 over them keyed with
// RESTORE_TOKEN_SECRET, which both functions share: only a button this project posted can restore
// anything, and only what it names.
//
// # The flow of a click
//
// Slack POSTs the click (a form-encoded block_actions payload) to the restore function's HTTP trigger:
// on the go1 runtime it arrives as an FC HTTP event (IsHTTPEvent, Handler.ServeEvent), on the custom
// runtime as the raw request (Handler.ServeHTTP). Handler.Handle then, in order:
//
//  1. verifies Slack's signature over the raw body with SLACK_SIGNING_SECRET, in constant time, and that
//     the request's timestamp is within five minutes of the clock;
//  2. decodes the payload (ParseClick) and checks team.id and api_app_id against SLACK_TEAM_ID and
//     SLACK_APP_ID, and the button value's HMAC;
//  3. looks the account up (Accounts.Lookup): one this function does not serve (not one of the accounts
//     the alert function reads, ACCOUNTS; with *, a member that has not joined the Resource Directory)
//     is refused;
//  4. checks the response_url: Slack's hooks.slack.com, or the host of SLACK_API_URL when set;
//  5. checks the Slack user against RESTORE_ALLOWED_USERS: anyone else gets an ephemeral "not allowed",
//     and nothing is called;
//  6. re-checks the bin in the button's account (Accounts.Restorer: the function's own credentials, or
//     a session of MEMBER_RESTORE_ROLE_NAME assumed in a member account, whose failure, an AccessError,
//     is told to the clicker naming the account and the role): the key must still be in the recycle bin of
//     the user the button names (GetAccessKeyInfoInRecycleBin), the user still in the user recycle bin
//     (GetUserInRecycleBin);
//  7. restores it (RestoreAccessKeyFromRecycleBin, RestoreUserFromRecycleBin);
//  8. updates the message through response_url, replacing the button with "restored by @alice at
//     03:12", posts the audit event (Auditor), and only then answers Slack 200.
//
// A click that fails a check of steps 1 to 3 is answered 401 (a malformed one 400; a refused
// response_url 400), touching nothing and posting nothing. A click whose item has already left its bin
// (a replay, a second click, a restore from the console) calls no restore: IMS GetUser tells "already
// restored" (the item is live) from "purged" (it is gone), and the message says which.
//
// # Time
//
// Slack shows the person an error unless it is answered within 3 seconds. The checks of steps 3 to 6 must
// be done within Options.Budget (2.5 s) of the request's arrival; past it nothing has changed, and the
// person is told to click again. A restore call, once made, is seen through (up to RestoreTimeout)
// however late, and its outcome is posted to response_url before the function answers: abandoning it
// would leave the person not knowing whether the item is back. On one instance, clicks on the same
// item take turns, so that the second one finds the item restored. The audit is posted within what is
// left of the budget (at least auditGrace), so that no channel holds the answer past Slack's wait.
//
// # What is uncertain
//
// The IMS recycle-bin pages document no error code. The flow takes an item as "not in the bin" on an
// EntityNotExist.* code or an HTTP 404 without a code, and on nothing else: any other answer (a 404
// with another code too) is a failure shown to the person with its code, never guessed into "already
// restored" or "purged"; a restore call answering "not found" sends the flow back to the bin first. Whether a restored
// AccessKey comes back enabled, and whether restoring a user restores its AccessKeys, is not documented
// either: the messages say to check.
//
// # Secrets
//
// SLACK_SIGNING_SECRET, RESTORE_TOKEN_SECRET and every response_url (which lets anyone post into the
// channel for 30 minutes) never appear in a log line, an error, an answer or an audit event: Config and
// Signer print without their secrets, a Click logs without its response_url, and the errors of a post to
// a response_url name its scheme and host only. Nothing is ever sent to a response_url that is not
// Slack's (or SLACK_API_URL's), and redirects are not followed.
package restore
