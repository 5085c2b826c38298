package alibaba

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"

	"github.com/akrecycle/ak-recycle-alert/restore"
)

// The restore function's calls (package restore): in one account, the IMS 2019-08-15 actions that
// check a recycle bin, restore from it and look a user up, through the reader's call machinery
// (retries within the context's deadline, per-call timeouts, redaction), every value of an answer
// checked as a read's are:
//
//   - GetAccessKeyInfoInRecycleBin (UserAccessKeyId):
//     https://help.aliyun.com/zh/ram/developer-reference/api-ims-2019-08-15-getaccesskeyinfoinrecyclebin
//   - GetUserInRecycleBin (UserId):
//     https://help.aliyun.com/zh/ram/developer-reference/api-ims-2019-08-15-getuserinrecyclebin
//   - RestoreAccessKeyFromRecycleBin (UserId, UserAccessKeyId):
//     https://help.aliyun.com/zh/ram/developer-reference/api-ims-2019-08-15-restoreaccesskeyfromrecyclebin
//   - RestoreUserFromRecycleBin (UserId):
//     https://help.aliyun.com/zh/ram/developer-reference/api-ims-2019-08-15-restoreuserfromrecyclebin
//   - GetUser (UserId, or UserAccessKeyId for the owner of a live key).
//
// None of these pages lists its error codes: a failure is a *restore.APIError with the answer's code
// and HTTP status, its message scrubbed of every credential, and the restore flow decides what it means.

// restorer is a restore.Restorer signed with one account's credentials.
type restorer struct {
	r    *Reader
	cred auth.Credential
	sc   *scrubber
}

// Restorer returns the restore.Restorer of the account creds belong to: nil creds means
// Config.Credentials, else the SDK's default credential chain. Its errors hold no secret of creds or of
// Config.Credentials.
func (r *Reader) Restorer(creds *Credentials) (restore.Restorer, error) {
	cred, sc, err := r.credential(creds)
	if err != nil {
		return nil, err
	}
	return &restorer{r: r, cred: cred, sc: sc}, nil
}

// call makes one IMS call (with its retries) and hands a successful answer's body to parse.
func (rs *restorer) call(ctx context.Context, action string, params map[string]string, parse func([]byte) error) error {
	ru := newRun(ctx, rs.r, rs.cred, rs.sc)
	defer ru.cancel()
	w := &worker{run: ru}
	if cerr := w.do(rs.r.ims, action, params, parse); cerr != nil {
		msg := strings.TrimPrefix(cerr.msg, action+": ")
		if cerr.status != 0 {
			msg = strings.Replace(msg, fmt.Sprintf(" (HTTP %d)", cerr.status), "", 1)
		}
		return &restore.APIError{Action: action, Code: cerr.code, Status: cerr.status, Message: msg}
	}
	return nil
}

// owner decodes and checks the user of an answer: its UserId and, when the answer has one, its
// UserPrincipalName, at path.
func (rs *restorer) owner(path string, id, upn json.RawMessage) (userID, principal string, err error) {
	idf, upnf := stringField(path+".UserId", id), stringField(path+".UserPrincipalName", upn)
	if e := rs.sc.check(idf, validUserID, wantUserID); e != nil {
		return "", "", e
	}
	if upnf.err == nil && upnf.value == "" {
		return idf.value, "", nil
	}
	if e := rs.sc.check(upnf, validPrincipalName, wantPrincipalName); e != nil {
		return "", "", e
	}
	return idf.value, upnf.value, nil
}

// AccessKeyInBin is GetAccessKeyInfoInRecycleBin.
func (rs *restorer) AccessKeyInBin(ctx context.Context, accessKeyID string) (restore.BinKey, error) {
	var k restore.BinKey
	err := rs.call(ctx, "GetAccessKeyInfoInRecycleBin", map[string]string{"UserAccessKeyId": accessKeyID}, func(b []byte) error {
		var out struct {
			AccessKey struct {
				UserId, UserPrincipalName, AccessKeyId json.RawMessage
				UserRecycled                           *bool
			}
		}
		if e := json.Unmarshal(b, &out); e != nil {
			return fmt.Errorf("answer is not the expected JSON: %w", e)
		}
		a := out.AccessKey
		if f := stringField("AccessKey.AccessKeyId", a.AccessKeyId); f.err != nil || f.value != "" && f.value != accessKeyID {
			return fmt.Errorf("AccessKey.AccessKeyId is not the AccessKey asked for")
		}
		id, upn, e := rs.owner("AccessKey", a.UserId, a.UserPrincipalName)
		if e != nil {
			return e
		}
		k = restore.BinKey{UserID: id, UserPrincipalName: upn, UserRecycled: a.UserRecycled != nil && *a.UserRecycled}
		return nil
	})
	return k, err
}

// UserInBin is GetUserInRecycleBin.
func (rs *restorer) UserInBin(ctx context.Context, userID string) (restore.BinUser, error) {
	id, upn, err := rs.user(ctx, "GetUserInRecycleBin", map[string]string{"UserId": userID})
	return restore.BinUser{UserID: id, UserPrincipalName: upn}, err
}

// user calls action, whose answer is a User with its UserId and UserPrincipalName, and returns them
// checked.
func (rs *restorer) user(ctx context.Context, action string, params map[string]string) (id, upn string, err error) {
	err = rs.call(ctx, action, params, func(b []byte) error {
		var out struct {
			User struct{ UserId, UserPrincipalName json.RawMessage }
		}
		if e := json.Unmarshal(b, &out); e != nil {
			return fmt.Errorf("answer is not the expected JSON: %w", e)
		}
		var e error
		id, upn, e = rs.owner("User", out.User.UserId, out.User.UserPrincipalName)
		return e
	})
	return id, upn, err
}

// RestoreAccessKey is RestoreAccessKeyFromRecycleBin.
func (rs *restorer) RestoreAccessKey(ctx context.Context, userID, accessKeyID string) error {
	return rs.call(ctx, "RestoreAccessKeyFromRecycleBin", map[string]string{"UserId": userID, "UserAccessKeyId": accessKeyID}, noBody)
}

// RestoreUser is RestoreUserFromRecycleBin.
func (rs *restorer) RestoreUser(ctx context.Context, userID string) error {
	return rs.call(ctx, "RestoreUserFromRecycleBin", map[string]string{"UserId": userID}, noBody)
}

// GetUser is IMS GetUser by UserAccessKeyId (the owner of a live key) or by UserId.
func (rs *restorer) GetUser(ctx context.Context, q restore.UserQuery) (restore.User, error) {
	params := map[string]string{"UserId": q.UserID}
	if q.AccessKeyID != "" {
		params = map[string]string{"UserAccessKeyId": q.AccessKeyID}
	}
	id, upn, err := rs.user(ctx, "GetUser", params)
	return restore.User{UserID: id, UserPrincipalName: upn}, err
}

// noBody takes an answer whose only content is its RequestId: a restore's.
func noBody(b []byte) error {
	var out map[string]json.RawMessage
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("answer is not the expected JSON: %w", err)
	}
	return nil
}
