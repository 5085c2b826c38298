package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
	"time"
)

// alertID returns a key alert's id: alrt_ and the first 32 hex digits of a SHA-256 over the
// account ID, event, AccessKey ID, DeleteDate and threshold (nil for none), and for digest alerts only the
// window. It is the same across runs and retries, so receivers can de-duplicate alert by alert.
func alertID(accountID string, ev Event, accessKeyID string, deleteDate time.Time, threshold *int, w Window) string {
	return "alrt_" + idFields(accountID, ev, accessKeyID, deleteDate, threshold, w).sum()
}

// userAlertID returns a user alert's id, built as alertID's over "user:" and the user ID in the
// AccessKey ID's place, the user's own DeleteDate, the threshold and, for userDigest, the window; then
// firstPurge, the date the thresholds count to: when the user's earliest key is purged, its first loss
// becomes a later one, whose warnings are new alerts with ids of their own.
func userAlertID(accountID string, ev Event, userID string, deleteDate, firstPurge time.Time, threshold *int, w Window) string {
	f := idFields(accountID, ev, "user:"+userID, deleteDate, threshold, w)
	f.add(stamp(firstPurge))
	return "alrt_" + f.sum()
}

// idFields hashes the fields every alert id starts with.
func idFields(accountID string, ev Event, subject string, deleteDate time.Time, threshold *int, w Window) fields {
	f := newFields("ak-recycle-alert/alert/v1")
	f.add(accountID)
	f.add(string(ev))
	f.add(subject)
	f.add(stamp(deleteDate))
	if threshold == nil {
		f.add("")
	} else {
		f.add(strconv.Itoa(*threshold))
	}
	if ev == Digest || ev == UserDigest {
		f.add(stamp(w.From))
		f.add(stamp(w.To))
	}
	return f
}

// MessageID returns a run's message id, the generic webhook's webhook-id: msg_ and the first 32 hex
// digits of a SHA-256 over the account ID, mode, window, the sorted IDs of the accounts read (unless
// the run read the account accountID alone, whose ids stay as they were before runs read several), the
// sorted alert ids, and the request ID when it is not empty (callers pass it for manual invocations
// only, so a retried timer run repeats its id). Two shards of one schedule, runs over different
// accounts, thus never share an id, even without an alert.
func MessageID(accountID, mode string, w Window, accounts, alertIDs []string, requestID string) string {
	f := newFields("ak-recycle-alert/message/v1")
	f.add(accountID)
	f.add(mode)
	f.add(stamp(w.From))
	f.add(stamp(w.To))
	if !(len(accounts) == 0 || len(accounts) == 1 && accounts[0] == accountID) {
		read := slices.Clone(accounts)
		slices.Sort(read)
		f.add("accounts")
		f.add(strconv.Itoa(len(read)))
		for _, id := range read {
			f.add(id)
		}
	}
	ids := slices.Clone(alertIDs)
	slices.Sort(ids)
	f.add(strconv.Itoa(len(ids)))
	for _, id := range ids {
		f.add(id)
	}
	if requestID != "" {
		f.add(requestID)
	}
	return "msg_" + f.sum()
}

// fields hashes a sequence of strings, each prefixed with its length, so that no two sequences hash
// the same input.
type fields struct{ h hash.Hash }

func newFields(domain string) fields {
	f := fields{sha256.New()}
	f.add(domain)
	return f
}

func (f fields) add(s string) {
	f.h.Write([]byte(strconv.Itoa(len(s)) + ":" + s + ";"))
}

func (f fields) sum() string {
	return hex.EncodeToString(f.h.Sum(nil)[:16])
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
