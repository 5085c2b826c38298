package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
	"time"
)

// alertID returns an alert's id: alrt_ and the first 32 hex digits of a SHA-256 over the
// account ID, event, AccessKey ID, DeleteDate and threshold (nil for none), and for digest alerts only the
// window. It is the same across runs and retries, so receivers can de-duplicate alert by alert.
func alertID(accountID string, ev Event, accessKeyID string, deleteDate time.Time, threshold *int, w Window) string {
	f := newFields("ak-recycle-alert/alert/v1")
	f.add(accountID)
	f.add(string(ev))
	f.add(accessKeyID)
	f.add(stamp(deleteDate))
	if threshold == nil {
		f.add("")
	} else {
		f.add(strconv.Itoa(*threshold))
	}
	if ev == Digest {
		f.add(stamp(w.From))
		f.add(stamp(w.To))
	}
	return "alrt_" + f.sum()
}

// MessageID returns a run's message id, the generic webhook's webhook-id: msg_ and the first 32 hex
// digits of a SHA-256 over the account ID, mode, window and the sorted alert ids, and the request ID when
// it is not empty (callers pass it for manual invocations only, so a retried timer run repeats its id).
func MessageID(accountID, mode string, w Window, alertIDs []string, requestID string) string {
	f := newFields("ak-recycle-alert/message/v1")
	f.add(accountID)
	f.add(mode)
	f.add(stamp(w.From))
	f.add(stamp(w.To))
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
