package alibaba

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/akrecycle/ak-recycle-alert/alert"
)

// The user recycle bin. Deleting a RAM user moves it into the user recycle bin and its AccessKeys into
// the AccessKey recycle bin; purging the user purges them all ("Deactivate and delete a RAM user",
// https://www.alibabacloud.com/help/en/ram/user-guide/delete-a-ram-user). A run lists that bin once
// with IMS ListUsersInRecycleBin
// (https://help.aliyun.com/zh/ram/developer-reference/api-ims-2019-08-15-listusersinrecyclebin): with
// * every deleted user is watched; otherwise only a configured entry that GetUser does not find is
// looked for in it, by user ID, principal name or the name before the @. The AccessKey bin of a deleted
// user is read by its user ID with ListAccessKeysInRecycleBin: its reference does not say whether that
// works for a deleted user, so an EntityNotExist.User answer there means that no key is listed, not an
// error.

const (
	// binPageSize is ListUsersInRecycleBin's MaxItems, the largest it allows (1 to 100).
	binPageSize = 100
	// maxBinPages stops a pager whose server never stops saying IsTruncated: the bin holds at most
	// alert.UserBinCapacity users, 10 pages.
	maxBinPages = 100
	// binLabel reports a failure of the listing itself.
	binLabel = "ListUsersInRecycleBin"
	// recycledPos places the deleted users found through * after every live user.
	recycledPos = math.MaxInt32
	// codeNoUser is the answer for a user that does not exist.
	codeNoUser = "EntityNotExist.User"
)

// UserBinHint says what to do when the role may not list the user recycle bin.
func UserBinHint() string {
	return "the role lacks ram:ListUsersInRecycleBin (see deploy/ram-policy.json)"
}

// deniedCode reports whether code means the role lacks the permission.
func deniedCode(code string) bool {
	return strings.HasPrefix(code, "NoPermission") || strings.HasPrefix(code, "Forbidden")
}

// binPass is a run's one pass over the user recycle bin. It runs in a goroutine of its own, with a
// worker of its own, beside the live users' reads.
type binPass struct {
	once    sync.Once
	started atomic.Bool
	done    chan struct{}
	users   []binUser // every user listed, when the pass keeps them (readMissing)
	listed  bool
	count   int
	denied  string
}

// start starts the pass unless it was started already; each gets every page's users as it comes,
// first the position of the page's first user in the listing, from the pass's goroutine.
func (b *binPass) start(ru *run, each func(users []binUser, first int)) {
	b.once.Do(func() {
		b.done = make(chan struct{})
		b.started.Store(true)
		go func() {
			defer close(b.done)
			defer func() {
				if p := recover(); p != nil {
					ru.addError(at{pos: -1, sub: 1}, binLabel, &callError{code: "InternalError",
						msg: ru.sc.scrub(fmt.Sprintf("listing the user recycle bin failed: %v", p)), panicked: true})
				}
			}()
			b.list(ru, each)
		}()
	})
}

// keep is the pass's each when the users are matched once it is done.
func (b *binPass) keep(users []binUser, _ int) { b.users = append(b.users, users...) }

// wait waits for the pass to end, if it started.
func (b *binPass) wait() {
	if b.started.Load() {
		<-b.done
	}
}

// result is what the pass found; nil when the run made none.
func (b *binPass) result() *UserBin {
	if !b.started.Load() {
		return nil
	}
	b.wait()
	return &UserBin{Listed: b.listed, Users: b.count, Denied: b.denied}
}

// list pages ListUsersInRecycleBin. A refusal for lack of permission is recorded as denied; any other
// failure is an error of the run, reported under binLabel; the users of the pages read before it are
// watched all the same.
func (b *binPass) list(ru *run, each func(users []binUser, first int)) {
	w := &worker{run: ru}
	n, marker := 0, ""
	for page := 1; ; page++ {
		users, next, err := w.listUserBin(marker, n)
		if err == nil && next != "" && page == maxBinPages {
			err = &callError{code: codeInvalidResponse, msg: fmt.Sprintf("%s: still truncated after %d pages", binLabel, page)}
		}
		if err != nil {
			if deniedCode(err.code) {
				b.denied = err.code
			} else {
				ru.addError(at{pos: -1, sub: 1}, binLabel, err)
			}
			return
		}
		each(users, n)
		n += len(users)
		if next == "" {
			b.listed, b.count = true, n
			return
		}
		marker = next
	}
}

// binUser is one user of a ListUsersInRecycleBin page: the deleted user, or, when the entry is invalid,
// the label to report it under, why, and whichever of its ID, name and principal name are valid.
type binUser struct {
	id, name, upn string
	user          alert.RecycledUser
	label         string
	err           error
}

// task is the read of u's AccessKey bin, reported at a under label.
func (u binUser) task(a at, label string) task {
	r := u.user
	return task{at: a, label: label, resolved: true, userID: u.id, userName: u.name, recycled: &r}
}

// invalid is the error of an invalid entry.
func (u binUser) invalid(sc *scrubber) *callError {
	return &callError{code: codeInvalidResponse, msg: binLabel + ": " + sc.scrub(u.err.Error())}
}

// names reports whether the configured entry names u: a user ID, a principal name, or a user name,
// which is the part of the principal name before the @ (RAM's names are not case-sensitive).
func (u binUser) names(entry string) bool {
	switch {
	case strings.Trim(entry, "0123456789") == "":
		return u.id == entry
	case strings.Contains(entry, "@"):
		return u.upn != "" && strings.EqualFold(u.upn, entry)
	}
	return u.name != "" && strings.EqualFold(u.name, entry)
}

// listUserBin reads one page of IMS ListUsersInRecycleBin; next is the marker of the next page, empty
// on the last. pos is the position of the page's first user in the listing; an invalid entry is
// returned with its error, and the others are read.
func (w *worker) listUserBin(marker string, pos int) (users []binUser, next string, err *callError) {
	return listPage(w, w.run.r.ims, binLabel, binPageSize, marker, pos, binEntry)
}

// binEntry checks one entry of a ListUsersInRecycleBin page, the user at pos (from 0) of the listing.
func binEntry(sc *scrubber, raw json.RawMessage, pos int) binUser {
	u := binUser{label: fmt.Sprintf("%s user %d", binLabel, pos+1)}
	var e struct{ UserId, UserPrincipalName, CreateDate, RecycleDate, DeleteDate json.RawMessage }
	if err := json.Unmarshal(raw, &e); err != nil {
		u.err = fmt.Errorf("user %d of the listing is not a JSON object", pos+1)
		return u
	}
	idf, upnf := stringField("UserId", e.UserId), stringField("UserPrincipalName", e.UserPrincipalName)
	idErr, upnErr := sc.check(idf, validUserID, wantUserID), sc.check(upnf, validPrincipalName, wantPrincipalName)
	if idErr == nil {
		u.id, u.label = idf.value, idf.value
	}
	if upnErr == nil {
		u.upn = upnf.value
		u.name, _, _ = strings.Cut(u.upn, "@")
		u.label = u.name
	}
	if err := cmp.Or(upnErr, idErr); err != nil {
		u.err = fmt.Errorf("user %d of the listing: %w", pos+1, err)
		return u
	}
	r := alert.RecycledUser{PrincipalName: u.upn}
	var err error
	if r.RecycleDate, err = sc.date(stringField("RecycleDate", e.RecycleDate), true); err == nil {
		if r.DeleteDate, err = sc.date(stringField("DeleteDate", e.DeleteDate), true); err == nil {
			r.CreateDate, err = sc.date(stringField("CreateDate", e.CreateDate), false)
		}
	}
	if err != nil {
		u.err = fmt.Errorf("user %d (%s): %w", pos+1, u.name, err)
		return u
	}
	u.user = r
	return u
}

// missingEntry is a configured entry GetUser did not find, with that answer.
type missingEntry struct {
	at
	label string
	err   *callError
}

// notFound records an entry GetUser did not find, and starts the pass over the user recycle bin, in
// which readMissing looks for it.
func (ru *run) notFound(t task, err *callError) {
	ru.mu.Lock()
	ru.missing = append(ru.missing, missingEntry{t.at, t.label, err})
	ru.mu.Unlock()
	ru.bin.start(ru, ru.bin.keep)
}

// readMissing looks for the entries GetUser did not find in the user recycle bin, once its pass is
// done, and sends the deleted users they name to the workers, each under its entry. An entry found
// nowhere keeps GetUser's answer.
func (ru *run) readMissing(tasks chan<- task) {
	ru.mu.Lock()
	missing := ru.missing
	ru.mu.Unlock()
	if len(missing) == 0 {
		return
	}
	ru.bin.wait()
	for _, m := range missing {
		found := false
		for i, u := range ru.bin.users {
			if !u.names(m.label) {
				continue
			}
			found = true
			a := at{pos: m.pos, sub: i + 1}
			if u.err != nil {
				ru.addError(a, m.label, u.invalid(ru.sc))
				continue
			}
			tasks <- u.task(a, m.label)
		}
		if !found {
			ru.addError(m.at, m.label, m.err)
		}
	}
}
