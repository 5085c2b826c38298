package alibaba

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
)

// callError is a failed call, classified. Its message is scrubbed and names the action once it leaves do.
type callError struct {
	code      string
	msg       string
	status    int // the HTTP status of a server's answer; 0 for other failures
	transient bool
	signal    outcome // what the failure tells the limiter
	auth      bool    // the credentials or the signature were refused: every call would be
	panicked  bool    // the SDK or the reader panicked
}

// Codes of failures that are not server answers.
const (
	codeDeadline        = "DeadlineExceeded"
	codeCanceled        = "Canceled"
	codeTimeout         = sdkerrors.TimeoutErrorCode // SDK.TimeoutError
	codeConnection      = "ConnectionError"
	codeInvalidResponse = "InvalidResponse"
)

// do calls action with params, retrying transient failures with capped, jittered exponential backoff
// inside the deadline, and hands the body of a successful answer to parse.
func (w *worker) do(a api, action string, params map[string]string, parse func([]byte) error) *callError {
	ru := w.run
	var last *callError
	for attempt := 1; ; attempt++ {
		if f := ru.fatal.Load(); f != nil {
			return f
		}
		if _, _, err := ru.budget(); err != nil {
			return giveUp(action, err, last, attempt-1)
		}
		if err := ru.lim.acquire(ru.stop); err != nil {
			return giveUp(action, ru.stopError(), last, attempt-1)
		}
		if ru.pace != nil && ru.pace.wait(ru.stop) != nil {
			ru.lim.release(skipped)
			return giveUp(action, ru.stopError(), last, attempt-1)
		}
		tr, serr := ru.r.takeSlot(ru.stop)
		if serr != nil {
			ru.lim.release(skipped)
			return giveUp(action, ru.stopError(), last, attempt-1)
		}
		read, connect, err := ru.budget()
		if err != nil {
			ru.r.putSlot(tr)
			ru.lim.release(skipped)
			return giveUp(action, err, last, attempt-1)
		}
		body, cerr := w.once(a, action, params, tr, read, connect)
		ru.r.putSlot(tr)
		ru.calls.Add(1)
		if cerr == nil {
			ru.lim.release(succeeded)
			if err := parse(body); err != nil {
				return &callError{code: codeInvalidResponse, msg: action + ": " + ru.sc.scrub(err.Error())}
			}
			return nil
		}
		ru.lim.release(cerr.signal)
		cerr.msg = action + ": " + ru.sc.scrub(cerr.msg)
		if cerr.auth {
			ru.fatal.CompareAndSwap(nil, cerr)
		}
		if !cerr.transient {
			return cerr
		}
		last = cerr
		if attempt == maxAttempts {
			last.msg += fmt.Sprintf(" (gave up after %d attempts)", attempt)
			return last
		}
		delay := jitter(min(ru.r.retryCap, ru.r.retryBase<<(attempt-1)))
		if !ru.deadline.IsZero() && time.Now().Add(delay+minCallTime+deadlineGuard).After(ru.deadline) {
			return giveUp(action, &callError{code: codeDeadline}, last, attempt)
		}
		ru.r.log.DebugContext(ru.ctx, "retrying API call", "action", action, "attempt", attempt, "code", cerr.code, "delay", delay.Round(time.Millisecond).String())
		if sleep.For(ru.stop, delay) != nil {
			return giveUp(action, ru.stopError(), last, attempt)
		}
	}
}

// giveUp is the error of a call that may not start (any more) because the deadline is near or ctx ended:
// the last transient failure if there was one, else why it stopped. Both are transient.
func giveUp(action string, why, last *callError, attempts int) *callError {
	if last != nil {
		last.msg += fmt.Sprintf(" (no time left to retry after %d attempts)", attempts)
		return last
	}
	msg := "not called: the invocation deadline is too near"
	if why.code == codeCanceled {
		msg = "not called: the run was cancelled"
	}
	return &callError{code: why.code, msg: action + ": " + msg, transient: true}
}

// budget returns the read and connect timeouts for a call starting now, or an error when no call may
// start: the context ended or less than minCallTime is left before the deadline.
func (ru *run) budget() (read, connect time.Duration, err *callError) {
	if ru.stop.Err() != nil {
		return 0, 0, ru.stopError()
	}
	read = defaultReadTimeout
	if !ru.deadline.IsZero() {
		left := time.Until(ru.deadline) - deadlineGuard
		if left < minCallTime {
			return 0, 0, &callError{code: codeDeadline, transient: true}
		}
		read = min(read, left)
	}
	return read, min(defaultConnectTimeout, read), nil
}

// stopError says why no call may start any more.
func (ru *run) stopError() *callError {
	if ru.ctx.Err() == context.Canceled {
		return &callError{code: codeCanceled, transient: true}
	}
	return &callError{code: codeDeadline, transient: true}
}

// once makes one call through the transport tr. A panic inside the SDK (it type-asserts fields of error
// bodies) becomes an InvalidResponse error.
func (w *worker) once(a api, action string, params map[string]string, tr *http.Transport, read, connect time.Duration) (body []byte, cerr *callError) {
	defer func() {
		if p := recover(); p != nil {
			body, cerr = nil, &callError{code: codeInvalidResponse, msg: fmt.Sprintf("malformed answer (the SDK panicked: %v)", p), panicked: true}
		}
	}()
	if w.client == nil {
		cfg := sdk.NewConfig().WithScheme("HTTPS").WithAutoRetry(false).WithHttpTransport(tr)
		c, err := sdk.NewClientWithOptions(w.run.r.region, cfg, w.run.cred)
		if err != nil {
			return nil, &callError{code: sdkerrors.DefaultClientErrorCode, msg: "creating the SDK client: " + err.Error()}
		}
		w.client = c
	}
	w.client.SetTransport(tr)
	req := requests.NewCommonRequest()
	req.Method = requests.POST
	req.Scheme, req.Domain = a.scheme, a.host
	req.Product, req.Version, req.ApiName = a.product, a.version, action
	for k, v := range params {
		req.QueryParams[k] = v
	}
	req.SetReadTimeout(read)
	req.SetConnectTimeout(connect)
	resp, err := w.client.ProcessCommonRequest(req)
	if err != nil {
		return nil, classify(err)
	}
	return resp.GetHttpContentBytes(), nil
}

// authCodes are answers about the caller's credentials or signature, the same for every call.
var authCodes = []string{"InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature", "InvalidSecurityToken", "InvalidTimeStamp"}

// classify turns an SDK error into a callError with an unscrubbed one-line message.
func classify(err error) *callError {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		status, code, msg := se.HttpStatus(), se.ErrorCode(), se.Message()
		if code == "" {
			code = fmt.Sprintf("HTTP%d", status)
			msg = "the error answer is not JSON: " + excerpt.Quote(msg)
		}
		ce := &callError{code: code, msg: fmt.Sprintf("%s (HTTP %d)", msg, status), status: status}
		switch {
		case strings.HasPrefix(code, "Throttling") || code == "ServiceUnavailable" ||
			status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
			ce.transient, ce.signal = true, throttled
		case status >= 500 || code == "InternalError" || code == "SignatureNonceUsed":
			ce.transient, ce.signal = true, failed
		default:
			for _, p := range authCodes {
				if strings.HasPrefix(code, p) {
					ce.auth = true
				}
			}
		}
		return ce
	}
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) {
		// Retrying will not fix a certificate: permanent.
		return &callError{code: "TLSCertificateError", msg: tlsMessage(err)}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		host := "?"
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Scheme + "://" + u.Host
		}
		ce := &callError{code: codeConnection, msg: fmt.Sprintf("%s %s: %v", ue.Op, host, ue.Err), transient: true, signal: failed}
		if ue.Timeout() {
			ce.code = codeTimeout
		}
		return ce
	}
	var cle *sdkerrors.ClientError
	if errors.As(err, &cle) {
		ce := &callError{code: cle.ErrorCode(), msg: cle.Message()}
		var ne net.Error
		if cle.ErrorCode() == codeTimeout || errors.As(cle.OriginError(), &ne) {
			ce.transient, ce.signal = true, failed
		}
		if oe := cle.OriginError(); oe != nil {
			ce.msg += ": " + oe.Error()
		}
		return ce
	}
	var ne net.Error
	if errors.As(err, &ne) {
		code := codeConnection
		if ne.Timeout() {
			code = codeTimeout
		}
		return &callError{code: code, msg: err.Error(), transient: true, signal: failed}
	}
	// Anything else comes from building or signing the request, e.g. no credentials in the chain.
	return &callError{code: sdkerrors.DefaultClientErrorCode, msg: err.Error()}
}

// tlsMessage names the host and why its certificate was refused.
func tlsMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			return fmt.Sprintf("%s %s://%s: %v", ue.Op, u.Scheme, u.Host, ue.Err)
		}
	}
	return err.Error()
}

// ramGetUser resolves a RAM user name with RAM GetUser.
func (w *worker) ramGetUser(name string) (id, userName string, err *callError) {
	sc := w.run.sc
	err = w.do(w.run.r.ram, "GetUser", map[string]string{"UserName": name}, func(b []byte) error {
		var out struct {
			User struct{ UserId, UserName json.RawMessage }
		}
		if e := json.Unmarshal(b, &out); e != nil {
			return fmt.Errorf("answer is not the expected JSON: %w", e)
		}
		idf, namef := stringField("User.UserId", out.User.UserId), stringField("User.UserName", out.User.UserName)
		if e := cmp.Or(sc.check(idf, validUserID, wantUserID), sc.check(namef, validUserName, wantUserName)); e != nil {
			return e
		}
		id, userName = idf.value, namef.value
		return nil
	})
	return id, userName, err
}

// imsGetUser resolves a user principal name or user ID with IMS GetUser; the RAM user name is the part of
// the principal name before @.
func (w *worker) imsGetUser(param, value string) (id, userName string, err *callError) {
	sc := w.run.sc
	err = w.do(w.run.r.ims, "GetUser", map[string]string{param: value}, func(b []byte) error {
		var out struct {
			User struct{ UserId, UserPrincipalName json.RawMessage }
		}
		if e := json.Unmarshal(b, &out); e != nil {
			return fmt.Errorf("answer is not the expected JSON: %w", e)
		}
		idf, upnf := stringField("User.UserId", out.User.UserId), stringField("User.UserPrincipalName", out.User.UserPrincipalName)
		if e := cmp.Or(sc.check(idf, validUserID, wantUserID), sc.check(upnf, validPrincipalName, wantPrincipalName)); e != nil {
			return e
		}
		id = idf.value
		userName, _, _ = strings.Cut(upnf.value, "@")
		return nil
	})
	return id, userName, err
}

// listedUser is one user of a ListUsers page: its ID and name, or, when the entry is invalid, the label
// to report it under and why.
type listedUser struct {
	id, name string
	label    string
	err      error
}

// listUsers reads one page of RAM ListUsers; next is the marker of the next page, empty on the last. pos
// is the position of the page's first user in the whole listing, for labelling invalid entries; an
// invalid entry is returned with its error, and the others are read.
func (w *worker) listUsers(marker string, pos int) (users []listedUser, next string, err *callError) {
	return listPage(w, w.run.r.ram, "ListUsers", listUsersPageSize, marker, pos, listedEntry)
}

// listPage reads one page of a RAM or IMS listing of users paged by Marker (ListUsers,
// ListUsersInRecycleBin): next is the marker of the next page, empty on the last; each entry of
// Users.User is checked by entry, with its position in the whole listing (pos is the page's first).
// A truncated answer must give a valid Marker, and a new one.
func listPage[T any](w *worker, a api, action string, pageSize int, marker string, pos int, entry func(*scrubber, json.RawMessage, int) T) (users []T, next string, err *callError) {
	sc := w.run.sc
	params := map[string]string{"MaxItems": fmt.Sprint(pageSize)}
	if marker != "" {
		params["Marker"] = marker
	}
	err = w.do(a, action, params, func(b []byte) error {
		var out struct {
			IsTruncated bool
			Marker      json.RawMessage
			Users       struct{ User []json.RawMessage }
		}
		if e := json.Unmarshal(b, &out); e != nil {
			return fmt.Errorf("answer is not the expected JSON: %w", e)
		}
		if out.IsTruncated {
			mf := stringField("Marker", out.Marker)
			if e := sc.check(mf, validMarker, "a marker (printable, at most 4096 characters)"); e != nil {
				return fmt.Errorf("answer is truncated but its %w", e)
			}
			if mf.value == marker {
				return errors.New("answer is truncated but gives no new Marker")
			}
			next = mf.value
		}
		users = make([]T, 0, len(out.Users.User))
		for i, raw := range out.Users.User {
			users = append(users, entry(sc, raw, pos+i))
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return users, next, nil
}

// listedEntry checks one entry of a ListUsers page, the user at pos (from 0) of the listing.
func listedEntry(sc *scrubber, raw json.RawMessage, pos int) listedUser {
	u := listedUser{label: fmt.Sprintf("ListUsers user %d", pos+1)}
	var entry struct{ UserId, UserName json.RawMessage }
	if e := json.Unmarshal(raw, &entry); e != nil {
		u.err = fmt.Errorf("user %d of the listing is not a JSON object", pos+1)
		return u
	}
	idf, namef := stringField("UserId", entry.UserId), stringField("UserName", entry.UserName)
	idErr, nameErr := sc.check(idf, validUserID, wantUserID), sc.check(namef, validUserName, wantUserName)
	switch {
	case nameErr == nil:
		u.label = namef.value
	case idErr == nil:
		u.label = idf.value
	}
	if e := cmp.Or(nameErr, idErr); e != nil {
		u.err = fmt.Errorf("user %d of the listing: %w", pos+1, e)
		return u
	}
	u.id, u.name = idf.value, namef.value
	return u
}

// recycleBin reads a user's recycle bin with IMS ListAccessKeysInRecycleBin.
func (w *worker) recycleBin(userID string) ([]alert.Key, *callError) {
	sc := w.run.sc
	var keys []alert.Key
	err := w.do(w.run.r.ims, "ListAccessKeysInRecycleBin", map[string]string{"UserId": userID}, func(b []byte) error {
		var out struct {
			AccessKeys struct {
				AccessKey []struct{ AccessKeyId, CreateDate, RecycleDate, DeleteDate json.RawMessage }
			}
		}
		if e := json.Unmarshal(b, &out); e != nil {
			return fmt.Errorf("answer is not the expected JSON: %w", e)
		}
		keys = make([]alert.Key, 0, len(out.AccessKeys.AccessKey))
		for i, k := range out.AccessKeys.AccessKey {
			idf := stringField("AccessKeyId", k.AccessKeyId)
			if e := sc.check(idf, accessKeyIDRE.MatchString, wantAccessKeyID); e != nil {
				return fmt.Errorf("key %d: %w", i+1, e)
			}
			key := alert.Key{AccessKeyID: idf.value}
			var e error
			if key.RecycleDate, e = sc.date(stringField("RecycleDate", k.RecycleDate), true); e == nil {
				if key.DeleteDate, e = sc.date(stringField("DeleteDate", k.DeleteDate), true); e == nil {
					key.CreateDate, e = sc.date(stringField("CreateDate", k.CreateDate), false)
				}
			}
			if e != nil {
				return fmt.Errorf("key %d (%s): %w", i+1, key.AccessKeyID, e)
			}
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}
