package e2e

// A test's world: the fixture users and the alerts they give, the fake credentials and secrets, the
// emulator and the vendors' fake, the binary's environment, and the secret check.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/internal/offline"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

// Fake credentials and secrets. The emulator checks the signatures they make; none of them, nor the
// webhook URLs' secret path part, may appear in any output.
const (
	accountID     = "1234567890123456"
	dailySchedule = "0 0 9 * * *" // daily at 09:00 UTC
	envKeyID      = "LTAI5tE2eEnvCallerKey001"
	envSecret     = "e2eEnvSecretMustNotLeak0001"
	stsKeyID      = "STS.NUe2eRoleKeyTemporary1"
	stsSecret     = "e2eStsSecretMustNotLeak0002"
	stsToken      = "CAISe2eSecurityTokenMustNotLeak0003"
	wrongSecret   = "e2eWrongSecretMustNotLeak0004" // signs requests the emulator rejects
	envSTSKeyID   = "STS.NUe2eEnvKeyTemporary02"
	envSTSSecret  = "e2eEnvStsSecretMustNotLeak0005"
	envSTSToken   = "CAISe2eEnvSecurityTokenMustNotLeak0006"
	urlSecret     = "XXXXSECRETXXXX"
	slackPath     = "/services/T000/B000/" + urlSecret
	webhookPath   = "/hooks/" + urlSecret + "/generic"
)

// webhookKey is the base64 part of webhookSecret (Standard Webhooks: whsec_ and 24 to 64 bytes).
var (
	webhookKey    = base64.StdEncoding.EncodeToString([]byte("e2e-webhook-signing-key-must-not-leak"))
	webhookSecret = "whsec_" + webhookKey
)

// secrets are the strings no stdout, stderr, response or message may contain.
var secrets = []string{envSecret, stsSecret, stsToken, wrongSecret, envSTSSecret, envSTSToken,
	urlSecret, webhookSecret, webhookKey, "Signature=", signingSecret, tokenSecret, responseToken}

// world is one test's world: an emulator loaded with the fixture users, the vendors' fake (every chat
// vendor and the generic webhook, notifytest.NewVendors), and the environment variables of the binary.
type world struct {
	t       *testing.T
	cur     time.Time // the daily schedule's latest fire time; the fixture is dated relative to it
	ram     *ramfake.Server
	vendors *notifytest.Server
	vars    map[string]string
}

// The fixture users (IDs and keys); expectedAlerts says what a crossing run at cur alerts.
const (
	aliceID = "2073290024939201"
	bobID   = "2073290024939202"
	carolID = "2073290024939203"
	daveID  = "2073290024939204"

	aliceKey      = "LTAI5tE2eAliceRecycled01" // recycled 6 h before cur: a recycled alert
	bobKey        = "LTAI5tE2eBobExpiring3d01" // deleted 3d12h after cur: passes the 3-day threshold
	carolQuiet1   = "LTAI5tE2eCarolQuiet00001" // no threshold before next
	carolQuiet2   = "LTAI5tE2eCarolQuiet00002" // no threshold before next
	carolExpiring = "LTAI5tE2eCarolExpiring01" // deleted 30 h after cur: passes the 1-day threshold
)

// fireTime returns the latest fire time of dailySchedule (daily 09:00 UTC) at or before now.
func fireTime(now time.Time) time.Time {
	now = now.UTC()
	cur := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, time.UTC)
	if cur.After(now) {
		cur = cur.AddDate(0, 0, -1)
	}
	return cur
}

func binKey(id string, cur time.Time, recycled, deletes time.Duration) ramfake.Key {
	return ramfake.Key{
		AccessKeyID: id,
		CreateDate:  cur.Add(-400 * 24 * time.Hour),
		RecycleDate: cur.Add(recycled),
		DeleteDate:  cur.Add(deletes),
	}
}

// fixtureUsers returns alice, bob, carol (a full bin) and dave (an empty bin), dated relative to cur.
func fixtureUsers(cur time.Time) []ramfake.User {
	const day = 24 * time.Hour
	return []ramfake.User{
		{ID: aliceID, Name: "alice", Keys: []ramfake.Key{binKey(aliceKey, cur, -6*time.Hour, 30*day-6*time.Hour)}},
		{ID: bobID, Name: "bob", Keys: []ramfake.Key{binKey(bobKey, cur, -26*day-12*time.Hour, 3*day+12*time.Hour)}},
		{ID: carolID, Name: "carol", Keys: []ramfake.Key{
			binKey(carolQuiet1, cur, -10*day, 20*day),
			binKey(carolQuiet2, cur, -12*day, 18*day),
			binKey(carolExpiring, cur, -28*day-18*time.Hour, day+6*time.Hour),
		}},
		{ID: daveID, Name: "dave"},
	}
}

// expectedAlerts are the alerts of a crossing run at cur with the default thresholds (7,3,1), most
// urgent first, without their ids.
func expectedAlerts(cur time.Time) []alert.Alert {
	const day = 24 * time.Hour
	hours := func(n int) *int { return &n }
	a := func(user, userID string, k ramfake.Key, ev alert.Event, th *int, binFull bool) alert.Alert {
		return alert.Alert{Event: ev, AccountID: accountID, AccountName: "e2e", UserName: user, UserID: userID, AccessKeyID: k.AccessKeyID,
			CreateDate: k.CreateDate, RecycleDate: k.RecycleDate, DeleteDate: k.DeleteDate, ThresholdHours: th,
			RemainingSeconds: int64(k.DeleteDate.Sub(cur) / time.Second), BinFull: binFull}
	}
	return []alert.Alert{
		a("carol", carolID, binKey(carolExpiring, cur, -28*day-18*time.Hour, day+6*time.Hour), alert.Expiring, hours(24), true),
		a("bob", bobID, binKey(bobKey, cur, -26*day-12*time.Hour, 3*day+12*time.Hour), alert.Expiring, hours(72), false),
		a("alice", aliceID, binKey(aliceKey, cur, -6*time.Hour, 30*day-6*time.Hour), alert.Recycled, nil, false),
	}
}

// newWorld starts an emulator with the fixture users and the vendors' fake, and returns the environment
// of a healthy configuration: the Slack webhook and the generic webhook, the fake caller credentials,
// debug logging.
func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldUsers(t, fixtureUsers)
}

// newWorldUsers is newWorld with the emulator's users made by users, dated relative to the fire time.
func newWorldUsers(t *testing.T, users func(cur time.Time) []ramfake.User) *world {
	t.Helper()
	return newWorldOptions(t, func(cur time.Time) ramfake.Options { return ramfake.Options{Users: users(cur)} })
}

// newWorldOptions is newWorld with the emulator's options (users, deleted users, ActionTrail events, …)
// made by opts, dated relative to the fire time; the world's credentials are added to them.
func newWorldOptions(t *testing.T, opts func(cur time.Time) ramfake.Options) *world {
	t.Helper()
	cur := fireTime(time.Now())
	o := opts(cur)
	o.Credentials = map[string]ramfake.Credential{
		envKeyID:    {Secret: envSecret},
		stsKeyID:    {Secret: stsSecret, Token: stsToken},
		envSTSKeyID: {Secret: envSTSSecret, Token: envSTSToken},
	}
	ram := ramfake.New(o)
	t.Cleanup(ram.Close)
	vendors := notifytest.NewVendors(t, nil)
	vars := ram.EndpointEnv()
	maps.Copy(vars, map[string]string{
		"RAM_USERS":                       "alice,bob,carol,dave",
		"SCHEDULE":                        dailySchedule,
		"ACCOUNT_LABEL":                   "e2e",
		"FC_ACCOUNT_ID":                   accountID,
		"SLACK_WEBHOOK_URL":               vendors.ChannelURL("slack-webhook", slackPath),
		"WEBHOOK_URL":                     vendors.ChannelURL("webhook", webhookPath),
		"WEBHOOK_SECRET":                  webhookSecret,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     envKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": envSecret,
		"LOG_LEVEL":                       "debug",
	})
	return &world{t: t, cur: cur, ram: ram, vendors: vendors, vars: vars}
}

// environ returns the subprocess's whole environment: the test's variables and nothing of the
// developer's but PATH, HOME and TMPDIR (offline.Environ: no proxy, no configuration, no credential).
func (e *world) environ() []string {
	var vars []string
	for k, v := range e.vars {
		vars = append(vars, k+"="+v)
	}
	slices.Sort(vars)
	return offline.Environ(vars...)
}

// timerEvent is the timer trigger's event for fire time at.
func timerEvent(at time.Time) []byte {
	return fmt.Appendf(nil, `{"triggerTime":%q,"triggerName":"daily","payload":""}`, at.UTC().Format(time.RFC3339))
}

// checkNoSecrets fails the test when out holds any of secrets.
func checkNoSecrets(t *testing.T, where string, out []byte) {
	t.Helper()
	if s := leakedSecret(out); s != "" {
		t.Errorf("%s holds the secret %q:\n%s", where, s, out)
	}
}

// leakedSecret returns the first of secrets that out holds, or "".
func leakedSecret(out []byte) string { return firstOf(out, secrets) }

// firstOf returns the first of ss that b holds, or "".
func firstOf(b []byte, ss []string) string {
	for _, s := range ss {
		if bytes.Contains(b, []byte(s)) {
			return s
		}
	}
	return ""
}

// checkReceivedNoSecrets checks every body the vendors' fake got.
func (e *world) checkReceivedNoSecrets() {
	e.t.Helper()
	for i, p := range e.vendors.Requests() {
		checkNoSecrets(e.t, fmt.Sprintf("message %d (to %s)", i+1, p.Channel()), p.Body)
	}
}

// TestSecretCheck makes sure the secret check of every test would catch a leak.
func TestSecretCheck(t *testing.T) {
	for _, s := range secrets {
		if got := leakedSecret([]byte("before " + s + " after")); got != s {
			t.Errorf("leakedSecret(… %s …) = %q, want %q", s, got, s)
		}
	}
	if got := leakedSecret([]byte(`{"accessKeyId":"` + envKeyID + `","url":"http://127.0.0.1/services/T000/B000/"}`)); got != "" {
		t.Errorf("leakedSecret(harmless text) = %q, want \"\"", got)
	}
}
