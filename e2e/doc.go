// Package e2e holds the end-to-end tests of the built function and the benchmarks that run it; it has no
// code of its own, only tests.
//
// TestMain builds the function (the module's main package) once, with the e2etest tag, which adds the
// events "panic" and "panic-goroutine" (e2e_hook.go at the module's root). Each test starts that binary
// as a subprocess, in an environment of its own that holds nothing of the developer's, against the
// project's emulators on 127.0.0.1: alibaba/ramfake for RAM, IMS and ActionTrail, fcruntime/fcfake for
// the go1 runtime API, and notify/notifytest's NewVendors for every chat vendor and the generic
// webhook. Nothing leaves 127.0.0.1. When a test ends, every output of the binary (stdout, stderr, answers) and every
// post it made is checked for the fake secrets.
//
// The files:
//
//   - main_test.go: the build (TestMain).
//   - world_test.go: a test's world (newWorld): the fixture users and the alerts they give, the fake
//     credentials and secrets, the binary's environment, the secret check.
//   - proc_test.go: running the binary on the go1 runtime (startGo1, invoke), as the custom runtime
//     (startServe) and on the command line (runCLI), and reading its answers.
//   - go1_test.go, custom_test.go, cli_test.go: the three modes.
//   - hostile_test.go: hostile API answers; hostile_channels_test.go and chat_test.go: hostile text
//     through every channel, each message pinned by a golden file under testdata/ and read as its
//     client reads it.
//   - limits_test.go: the event size limit in every mode, and the invocation's deadline.
//   - userbin_test.go: deleted users; deleter_test.go: who deleted a key or a user (ActionTrail).
//   - restore_world_test.go, restore_test.go: the one-click restore from Slack, each case through both
//     runtimes (restoreWorld: the binary as the restore function, restore/restoretest's Slack for the
//     signed clicks and the replies to their response_url).
//   - bench_test.go, bench_memory_test.go: cold start, binary size and the process's memory (make bench).
//     restore_bench_test.go: a Restore click through the binary (make bench).
//
// To add a test, put it in the file of its mode, or in a new file for a new concern. Start it with
// t.Parallel() and e := newWorld(t) (newWorldUsers for other users, newWorldOptions for other emulator
// options: deleted users, ActionTrail events); set e.vars for the configuration, e.ram's faults for the
// API's answers and e.vendors.SetAnswers for a channel's (a status, a refusal, silence); run the binary
// with e.startGo1 and invoke, e.startServe, or e.runCLI; then check the result, e.ram's calls and
// e.vendors.Posts(channel). Secrets are checked for you: a new fake secret goes into secrets. A golden
// file goes under testdata/ through golden.Check, and go test ./e2e -run Name -update rewrites it.
package e2e
