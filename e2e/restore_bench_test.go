package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
	"github.com/akrecycle/ak-recycle-alert/restore"
	"github.com/akrecycle/ak-recycle-alert/restore/restoretest"
)

// BenchmarkRestoreClick measures a click, from Slack's request to the function's answer, through the
// built binary as the restore function on the go1 runtime (its fake), one key restored per click: the
// bin's check, the restore, the message's update through response_url and the audit posts (the Slack
// webhook and the generic webhook), all before the answer. Each Alibaba Cloud call takes apiLatency:
// none (the binary's own cost) or 50 ms (a call from an FC region, as a guess). The member runs restore
// in a member account with ACCOUNTS=*: each click also lists the directory (ListAccounts) and assumes
// the restorer role there (AssumeRole).
func BenchmarkRestoreClick(b *testing.B) {
	for _, member := range []bool{false, true} {
		for _, latency := range []time.Duration{0, 50 * time.Millisecond} {
			name := fmt.Sprintf("api=%v", latency)
			if member {
				name = "member/" + name
			}
			b.Run(name, func(b *testing.B) { benchClick(b, latency, member) })
		}
	}
}

func benchClick(b *testing.B, latency time.Duration, member bool) {
	cur := fireTime(time.Now())
	users := make([]ramfake.User, b.N)
	for i := range users {
		id := fmt.Sprintf("20732900249%05d", i)
		users[i] = ramfake.User{ID: id, Name: fmt.Sprintf("user%05d", i),
			Keys: []ramfake.Key{binKey(fmt.Sprintf("LTAI5tBenchKey%010d", i), cur, -6*time.Hour, 29*24*time.Hour)}}
	}
	opts := ramfake.Options{Users: users, Latency: latency,
		Credentials: map[string]ramfake.Credential{stsKeyID: {Secret: stsSecret, Token: stsToken, Role: restoreFnRole}}}
	account, extra := accountID, []string{}
	if member {
		opts.Users = nil
		opts.Accounts = []ramfake.Account{{ID: devID, DisplayName: "dev", Users: users,
			Roles: []ramfake.Role{{Name: restorerRole, Trusted: []string{"acs:ram::" + accountID + ":role/" + restoreFnRole}}}}}
		account = devID
	}
	api := ramfake.New(opts)
	defer api.Close()
	if member {
		extra = []string{"ACCOUNTS=*", "STS_ENDPOINT=" + api.URL(), "RESOURCEMANAGER_ENDPOINT=" + api.URL()}
	}
	vendors := notifytest.NewVendors(b, nil)
	slack := restoretest.NewSlack(b, signingSecret, teamID, appID)
	signer, err := restore.NewSigner(tokenSecret)
	if err != nil {
		b.Fatal(err)
	}
	rt := fcfake.NewTest(b)
	cmd := exec.Command(binary)
	cmd.Env = append(benchEnviron(api, vendors, b.TempDir()), "FC_RUNTIME_API="+rt.Addr(), "RAM_USERS=",
		"SLACK_SIGNING_SECRET="+signingSecret, "SLACK_TEAM_ID="+teamID, "SLACK_APP_ID="+appID,
		"RESTORE_ALLOWED_USERS="+allowedUser, "RESTORE_TOKEN_SECRET="+tokenSecret, "SLACK_API_URL="+slack.URL())
	cmd.Env = append(cmd.Env, extra...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	clicks := make([][]byte, b.N)
	for i, u := range users {
		v, err := signer.Sign(restore.Target{AccountID: account, UserID: u.ID, AccessKeyID: u.Keys[0].AccessKeyID,
			AlertID: fmt.Sprintf("alrt_%032x", i)})
		if err != nil {
			b.Fatal(err)
		}
		req, _ := slack.Request(restoretest.Click{Value: v})
		clicks[i] = restoretest.Event(req, false)
	}
	b.ResetTimer()
	for i := range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), maxWait)
		resp, err := rt.Invoke(ctx, fcfake.Request{Body: clicks[i], AccountID: accountID, Timeout: restoreWait,
			Credentials: roleCreds})
		cancel()
		var r restore.HTTPResponse
		if err != nil || json.Unmarshal(resp.Body, &r) != nil || r.StatusCode != http.StatusOK {
			b.Fatalf("click %d: %v %s", i, err, resp.Body)
		}
	}
	b.StopTimer()
	if n := api.Calls("RestoreAccessKeyFromRecycleBin"); n != b.N || len(slack.Posts()) != b.N || len(vendors.Posts("webhook")) != b.N {
		b.Fatalf("%d restores, %d replies, %d audit events for %d clicks", n, len(slack.Posts()), len(vendors.Posts("webhook")), b.N)
	}
}
