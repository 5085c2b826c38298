# ak-recycle-alert: `make help` lists the targets.
SHELL := /bin/bash
GO    ?= go
# Every target (tests, benchmarks, the demo, s) runs with the Alibaba Cloud SDK's credential chain kept
# off the ECS metadata service and the CLI's profile, whatever the shell holds.
export ALIBABA_CLOUD_ECS_METADATA_DISABLED := true
export ALIBABA_CLOUD_CLI_PROFILE_DISABLED  := true
# The packages whose tests take -update (internal/golden defines it; every channel's tests use it
# through notify/notifytest): the root package (the README's configuration table), the end-to-end
# tests (each channel's message of the hostile run), notify's, and the emulator's (its answers).
GOLDEN_PKGS := . ./e2e ./notify/... ./alibaba/ramfake

# Serverless Devs, the `s` command of deploy, invoke and preview: the one on PATH if there is one,
# else the version pinned in package-lock.json, which `npm ci` installs into node_modules/ on first
# use (make S=/path/to/s deploy picks another). The deploy test runs the pinned one.
S_PINNED  := node_modules/.bin/s
S         := $(or $(shell command -v s 2>/dev/null),$(S_PINNED))
NPM_STAMP := node_modules/.package-lock.json
S_DEPS    := $(if $(filter $(S_PINNED),$(S)),$(NPM_STAMP))
# The access alias (`s config add`) that deploy, invoke and preview use: make deploy ACCESS=prod,
# or export ACCESS=prod. s.yaml names `default`; `s -a` overrides it.
ACCESS    ?= default
# make deploy RESTORE_ENABLED=true also deploys the restore function of the Slack Restore buttons:
# s.restore.yaml, which extends s.yaml with it (README, "One-click restore from Slack").
RESTORE_ENABLED ?= false
S_TEMPLATE := $(if $(filter true,$(RESTORE_ENABLED)), -t s.restore.yaml)

.PHONY: help build test golden demo bench deploy invoke preview clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 10

# target/ is the code folder s.yaml deploys whole: it is emptied first, so that it holds the binary alone.
build: ## static, stripped linux/amd64 binary at target/main (what s.yaml deploys)
	rm -rf target
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags="-s -w" -o target/main .
	@ls -l target/main | awk '{printf "target/main: %.1f MB\n", $$5/1e6}'

test: $(NPM_STAMP) ## gofmt, go vet and every test with the race detector (what CI runs)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

golden: $(NPM_STAMP) ## rewrite the golden files (every package's testdata/, the README's configuration table) after a deliberate change
	$(GO) test -count=1 $(GOLDEN_PKGS) -update

# The demo's binary is built for this machine, and outside target/, which s.yaml deploys whole.
demo: ## the main job end to end, offline, on the sample data in testdata/ (the function built for this machine)
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/main .
	$(GO) run ./cmd/demo -bin bin/main -fixtures testdata/sample-users.json

bench: ## benchmarks: start-up, 1,000 and 5,000 users, many accounts, throttling, memory, restore clicks
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x -p 1 ./...

deploy: $(S_DEPS) ## s deploy: builds target/main (s.yaml's pre-deploy action), then deploys it (RESTORE_ENABLED=true: the restore function too)
	$(S) deploy -y -a "$(ACCESS)"$(S_TEMPLATE)

invoke: $(S_DEPS) ## s invoke of a digest run: posts the current bins (the last deploy step)
	$(S) invoke -e '{"mode":"digest"}' -a "$(ACCESS)"

preview: $(S_DEPS) ## the same digest run as a dry run: shows what would be posted, sends nothing
	$(S) invoke -e '{"mode":"digest","dryRun":true}' -a "$(ACCESS)"

clean: ## remove build output
	rm -rf target bin

# npm ci installs the pinned Serverless Devs (package-lock.json) and writes this file; nothing is
# fetched while it is newer than the lock file.
$(NPM_STAMP): package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js and npm (apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@
