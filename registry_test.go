package main

// The registry of channels (notify/channels) is the one place that lists them: these tests walk it and
// check that everything derived from it holds for every channel, and that a channel added to it needs
// nothing else to be configured, checked, kept secret, named and wired.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/config"
	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/internal/env"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

// specEnv configures spec with the Examples of its variables, every URL moved to the channel's URL on
// vendors (notifytest.NewVendors), with the example's path and query.
func specEnv(t *testing.T, spec notify.Spec, vendors *notifytest.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, v := range spec.Vars {
		if v.Example == "" {
			t.Fatalf("%s: %s has no Example", spec.Name, v.Name)
		}
		out[v.Name] = v.Example
		if u, err := url.Parse(v.Example); err == nil && u.Scheme == "https" {
			out[v.Name] = vendors.ChannelURL(spec.Name, u.RequestURI())
		}
	}
	return out
}

// secretValues are the values of spec's secret variables in e, as they may appear in text: a URL's
// path and query as in its example (its scheme, host and the channel's name that specEnv put first
// are no secret), any other value as it is.
func secretValues(spec notify.Spec, e map[string]string) []string {
	var out []string
	for _, v := range spec.Vars {
		val := e[v.Name]
		if !v.Secret || val == "" {
			continue
		}
		if u, err := url.Parse(val); err == nil && u.Host != "" {
			val = strings.TrimPrefix(u.RequestURI(), "/"+spec.Name)
		}
		out = append(out, val)
	}
	return out
}

// registryRun is one timer run of main's handler, built from the environment e with specs, against a
// RAM/IMS emulator holding one recycled key.
type registryRun struct {
	h    *handler.Handler
	res  *handler.Result
	err  error
	logs bytes.Buffer
}

func runRegistry(t *testing.T, specs []notify.Spec, e map[string]string) *registryRun {
	t.Helper()
	cur := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	api := ramfake.New(ramfake.Options{
		Users: []ramfake.User{{ID: "2073290024939201", Name: "alice", Keys: []ramfake.Key{{
			AccessKeyID: "LTAI5tEveryChannel000001", CreateDate: cur.AddDate(-1, 0, 0),
			RecycleDate: cur.Add(-3 * time.Hour), DeleteDate: cur.Add(30*24*time.Hour - 3*time.Hour)}}}},
		Credentials: map[string]ramfake.Credential{"LTAI5tTestCaller00000001": {Secret: "test-secret"}},
	})
	t.Cleanup(api.Close)
	base := api.EndpointEnv()
	base["RAM_USERS"] = "alice"
	base["SCHEDULE"] = "CRON_TZ=Asia/Shanghai 0 0 9 * * *"
	// The SDK's default credential chain reads the process environment itself.
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tTestCaller00000001")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "test-secret")
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")
	r := &registryRun{}
	r.h = build(func(k string) string {
		if v, ok := e[k]; ok {
			return v
		}
		return base[k]
	}, &r.logs, specs).check
	if r.h.ConfigErr != nil {
		return r
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	event := `{"triggerTime":"2026-11-30T01:00:00Z","triggerName":"daily-check","payload":""}`
	r.res, r.err = r.h.Handle(ctx, handler.Invocation{RequestID: "req-registry"}, []byte(event))
	return r
}

// checkNoSecrets fails when the run's result, error or logs hold a piece of a secret.
func (r *registryRun) checkNoSecrets(t *testing.T, secrets []string) {
	t.Helper()
	out, _ := json.Marshal(r.res)
	text := string(out) + "\n" + r.logs.String()
	if r.err != nil {
		text += "\n" + r.err.Error()
	}
	if piece := notifytest.Leaked(text, append(secrets, "test-secret")...); piece != "" {
		t.Errorf("the result, error or logs hold %q, a piece of a secret", piece)
	}
}

// TestRegistryEveryChannel configures each channel of the registry from its variables' examples, and
// then all of them at once: main builds exactly the configured channels, a run posts one message to
// each, every message names the alerted AccessKey, and no secret reaches the result, the error or the
// logs, also when every vendor refuses the post quoting the request.
func TestRegistryEveryChannel(t *testing.T) {
	check := func(t *testing.T, specs []notify.Spec, refuse bool) {
		var check notifytest.Check
		if refuse {
			check = notifytest.Careless
		}
		vendors := notifytest.NewVendors(t, check)
		e := map[string]string{}
		var secrets, want []string
		for _, spec := range specs {
			se := specEnv(t, spec, vendors)
			for k, v := range se {
				e[k] = v
			}
			secrets = append(secrets, secretValues(spec, se)...)
			want = append(want, spec.Name)
		}
		r := runRegistry(t, channels.All, e)
		if r.h.ConfigErr != nil {
			t.Fatalf("build: %v", r.h.ConfigErr)
		}
		var built []string
		for _, ch := range r.h.Channels {
			built = append(built, ch.Name())
		}
		if !slices.Equal(built, want) {
			t.Errorf("main built %v, want %v", built, want)
		}
		r.checkNoSecrets(t, secrets)
		if refuse {
			if r.err == nil || !strings.Contains(r.err.Error(), "delivery failed: "+want[0]+": ") {
				t.Errorf("Handle() = %v, want the refused deliveries", r.err)
			}
			return
		}
		if r.err != nil {
			t.Fatalf("Handle() = %v", r.err)
		}
		for _, name := range want {
			posts := vendors.Posts(name)
			if len(posts) != 1 {
				t.Errorf("%s received %d posts, want 1", name, len(posts))
				continue
			}
			if !bytes.Contains(posts[0].Body, []byte("LTAI5tEveryChannel000001")) {
				t.Errorf("%s message lacks the AccessKey ID: %.300s", name, posts[0].Body)
			}
		}
		if len(r.res.Deliveries) != len(want) {
			t.Fatalf("deliveries = %+v, want %d", r.res.Deliveries, len(want))
		}
		for _, d := range r.res.Deliveries {
			if !d.OK || d.Messages != 1 {
				t.Errorf("delivery %+v, want ok with 1 message", d)
			}
		}
	}
	for _, spec := range channels.All {
		t.Run(spec.Name, func(t *testing.T) { check(t, []notify.Spec{spec}, false) })
		t.Run(spec.Name+" refused", func(t *testing.T) { check(t, []notify.Spec{spec}, true) })
	}
	t.Run("all at once", func(t *testing.T) { check(t, channels.All, false) })
}

// TestRegistryDocumented checks each channel's variables where people meet them: the README's
// configuration table, s.yaml's environmentVariables (a secret with no default written in it), the "no
// channel configured" message (the variable that turns the channel on); and a secret value that fails
// its check is not quoted in the configuration error.
func TestRegistryDocumented(t *testing.T) {
	readme := readReadme(t)
	_, r := readSYaml(t)
	_, noChannel := config.Load(func(k string) string { return map[string]string{"RAM_USERS": "alice"}[k] }, channels.All)
	for _, spec := range channels.All {
		t.Run(spec.Name, func(t *testing.T) {
			if noChannel == nil || !strings.Contains(noChannel.Error(), spec.Vars[0].Name) {
				t.Errorf("the no-channel error %v does not name %s", noChannel, spec.Vars[0].Name)
			}
			for _, v := range spec.Vars {
				if !strings.Contains(readme, "| `"+v.Name+"` |") {
					t.Errorf("%s has no row in the README's configuration table", v.Name)
				}
				if got, want := r.Props.EnvironmentVariables[v.Name], sYamlValue(v); got != want {
					t.Errorf("s.yaml environmentVariables %s = %q, want %q", v.Name, got, want)
				}
				if v.Secret && v.Check != nil {
					const bad = "not valid S3CRETVALUE"
					_, err := config.Load(func(k string) string {
						return map[string]string{"RAM_USERS": "alice", "DRY_RUN": "true", v.Name: bad}[k]
					}, channels.All)
					if err == nil || !strings.Contains(err.Error(), v.Name+": ") || strings.Contains(err.Error(), "S3CRET") {
						t.Errorf("Load(%s=%q) = %v, want an error naming %s and not quoting the value", v.Name, bad, err, v.Name)
					}
				}
			}
		})
	}
}

// sYamlValue is what s.yaml sets a variable to: the deployer's environment, else the default (none for
// a variable whose default is a description, or a secret).
func sYamlValue(v env.Var) string {
	if v.Default == "(required)" {
		return "${env('" + v.Name + "')}" // no default: s stops when it is not set
	}
	def := v.Default
	if strings.HasPrefix(def, "(") || v.Secret {
		def = ""
	}
	return "${env('" + v.Name + "', '" + def + "')}"
}

// teamsChannel is a channel that only the test below knows: it posts a message naming the alerted keys
// to its URL.
type teamsChannel struct {
	url    string
	client *http.Client
}

func (c *teamsChannel) Name() string        { return "teams" }
func (c *teamsChannel) Pace() time.Duration { return 0 }
func (c *teamsChannel) Render(r *alert.Report) ([]notify.Post, error) {
	var keys []string
	for _, a := range r.Alerts {
		keys = append(keys, a.AccessKeyID)
	}
	return c.post("AccessKeys: " + strings.Join(keys, ", "))
}

func (c *teamsChannel) RenderNotice(n *notify.Notice) ([]notify.Post, error) {
	return c.post(n.Title + ": " + n.Text)
}

// post is the one post of a message of text.
func (c *teamsChannel) post(text string) ([]notify.Post, error) {
	body, err := json.Marshal(map[string]any{"text": text})
	if err != nil {
		return nil, err
	}
	return []notify.Post{notify.NewPost(body, func(ctx context.Context) error {
		p := notify.Poster{Name: "teams", Client: c.client, Secrets: notify.URLSecrets(c.url)}
		return p.Post(ctx, func(ctx context.Context, _ time.Time) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
		}, nil)
	})}, nil
}

var teamsSpec = notify.Spec{
	Name: "teams",
	Vars: []env.Var{
		{Name: "TEAMS_WEBHOOK_URL", Secret: true, Check: notify.CheckURL, Help: "Microsoft Teams workflow URL",
			Example: "https://prod.westeurope.logic.azure.com/workflows/0123456789abcdef/triggers/manual/paths/invoke?sig=S3CRETSIGNATURE0123"},
		{Name: "TEAMS_TITLE", Required: true, Help: "a title", Example: "alerts"},
	},
	New: func(get func(string) string, o notify.Options) (notify.Channel, error) {
		if get("TEAMS_TITLE") == "" {
			return nil, errors.New("no title")
		}
		return &teamsChannel{url: get("TEAMS_WEBHOOK_URL"), client: o.Client}, nil
	},
}

// TestRegistryExtraChannel adds a channel to the registry and nothing else: the configuration lists,
// reads and checks its variables without quoting its secret, the "no channel configured" message names
// it, main builds it, and a run delivers to it without its secret reaching the result or the logs.
func TestRegistryExtraChannel(t *testing.T) {
	specs := append(slices.Clone(channels.All), teamsSpec)
	if vars := config.Vars(specs); !slices.ContainsFunc(vars, func(v env.Var) bool { return v.Name == "TEAMS_WEBHOOK_URL" }) {
		t.Errorf("config.Vars lacks TEAMS_WEBHOOK_URL")
	}
	load := func(e map[string]string) error {
		_, err := config.Load(func(k string) string {
			if k == "RAM_USERS" {
				return "alice"
			}
			return e[k]
		}, specs)
		return err
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string // in the error; "" for none
	}{
		{"no channel", nil, "WECOM_WEBHOOK_URL or TEAMS_WEBHOOK_URL with TEAMS_TITLE, or DRY_RUN=true"},
		{"configured", map[string]string{"TEAMS_WEBHOOK_URL": "https://teams.example/hook/S3CRET", "TEAMS_TITLE": "t"}, ""},
		{"bad URL", map[string]string{"TEAMS_WEBHOOK_URL": "http://teams.example/hook/S3CRET", "TEAMS_TITLE": "t"},
			"TEAMS_WEBHOOK_URL: http://teams.example is not allowed"},
		{"required", map[string]string{"TEAMS_WEBHOOK_URL": "https://teams.example/hook/S3CRET"}, "TEAMS_TITLE: required with TEAMS_WEBHOOK_URL"},
		{"set without", map[string]string{"TEAMS_TITLE": "t", "DRY_RUN": "true"}, "TEAMS_WEBHOOK_URL: required with TEAMS_TITLE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := load(tt.env)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Load() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Load() = %v, want %q in it", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "S3CRET"):
				t.Errorf("Load() = %v, quotes the secret", err)
			}
		})
	}
	t.Run("built and delivered", func(t *testing.T) {
		vendors := notifytest.NewVendors(t, nil)
		e := specEnv(t, teamsSpec, vendors)
		r := runRegistry(t, specs, e)
		if r.h.ConfigErr != nil || len(r.h.Channels) != 1 || r.h.Channels[0].Name() != "teams" {
			t.Fatalf("build = %v, channels %v; want the teams channel alone", r.h.ConfigErr, r.h.Channels)
		}
		if r.err != nil {
			t.Fatalf("Handle() = %v", r.err)
		}
		var got []string
		for _, p := range vendors.Posts("teams") {
			got = append(got, string(p.Body))
		}
		if len(got) != 1 || !strings.Contains(got[0], "LTAI5tEveryChannel000001") {
			t.Errorf("teams received %q, want one post naming the key", got)
		}
		r.checkNoSecrets(t, secretValues(teamsSpec, e))
	})
}

// TestRedirectsAreNotFollowed: a channel answering 302 gets no second post elsewhere; the delivery fails.
func TestRedirectsAreNotFollowed(t *testing.T) {
	vendors := notifytest.NewVendors(t, nil)
	vendors.SetAnswers("slack-webhook", notifytest.Answer{Status: http.StatusFound,
		Header: map[string]string{"Location": vendors.ChannelURL("elsewhere", "/collect")}})
	e := map[string]string{"RAM_USERS": "alice", "SLACK_WEBHOOK_URL": vendors.ChannelURL("slack-webhook", "/services/T/B/x")}
	h := build(func(k string) string { return e[k] }, io.Discard, channels.All).check
	if h.ConfigErr != nil {
		t.Fatal(h.ConfigErr)
	}
	posts, err := h.Channels[0].Render(&alert.Report{Findings: alert.Findings{Mode: alert.ModeDigest}})
	if err != nil {
		t.Fatal(err)
	}
	err = posts[0].Send(t.Context())
	if n := len(vendors.Posts("elsewhere")); err == nil || n != 0 {
		t.Errorf("Send() = %v, with %d posts to the redirect target; want an error and none", err, n)
	}
}
