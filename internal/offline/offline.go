// Package offline keeps the project's tests, benchmarks and demo on loopback: nothing of the developer's
// shell may send their calls elsewhere. The Alibaba Cloud SDK sends every call through HTTP_PROXY or
// HTTPS_PROXY when one is set, loopback included (it skips only the hosts NO_PROXY names), and reads
// credentials and profiles from the environment; a configuration variable left in the shell (a real
// webhook URL, an endpoint) would point a run at the internet. Environ builds a child process's
// environment from scratch; Isolate clears this process's for the code that runs in it.
package offline

import (
	"os"
	"strings"
)

// Switches are the variables that keep the Alibaba Cloud SDK's default credential chain off the ECS
// metadata service and the CLI's profile; Environ and Isolate set them, and the Makefile exports them.
var Switches = []string{"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true"}

// kept are the variables of this process that Environ passes on: a child needs them to find programs
// and a place for temporary files, and none of them reaches a network.
var kept = []string{"PATH", "HOME", "TMPDIR"}

// Environ returns a child process's whole environment: PATH, HOME and TMPDIR of this process, the
// Switches, then vars ("NAME=value", in order; a later one wins). Nothing else of this process's
// environment is passed: no proxy variable (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, in either
// case), no configuration variable, no credential.
func Environ(vars ...string) []string {
	var env []string
	for _, name := range kept {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	env = append(env, Switches...)
	return append(env, vars...)
}

// Dropped reports whether Isolate clears the variable name whatever the caller names: a proxy's, the
// Alibaba Cloud SDK's and CLI's (ALIBABA_CLOUD_*, ALICLOUD_*, but the Switches), Function Compute's
// (FC_*) and DEBUG, with which the SDK prints its requests.
func Dropped(name string) bool {
	upper := strings.ToUpper(name)
	switch {
	case strings.HasSuffix(upper, "_PROXY"), upper == "DEBUG":
		return true
	case strings.HasPrefix(upper, "ALIBABA_CLOUD_"), strings.HasPrefix(upper, "ALICLOUD_"):
		for _, s := range Switches {
			if strings.HasPrefix(s, name+"=") {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(name, "FC_")
}

// Isolate clears, in this process, every variable that Dropped names and every one of names (the
// project's configuration variables), and sets the Switches. setenv is a test's Setenv, which restores
// the environment when the test ends, or os.Setenv in a TestMain. A cleared variable is set empty:
// the SDK, net/http and the configuration take an empty value as unset.
func Isolate(setenv func(name, value string), names ...string) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); Dropped(name) {
			setenv(name, "")
		}
	}
	for _, name := range names {
		setenv(name, "")
	}
	for _, s := range Switches {
		name, value, _ := strings.Cut(s, "=")
		setenv(name, value)
	}
}
