# ak-recycle-alert: `make help` lists the targets.
SHELL := /bin/bash
GO    ?= go
# Packages whose tests define the -update flag for golden files: go test ./notify -update
GOLDEN_PKGS := ./notify . 

.PHONY: help build test demo bench deploy invoke preview clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 10

build: ## static, stripped linux/amd64 binary at target/main (what s.yaml deploys)
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags="-s -w" -o target/main .
	@ls -l target/main | awk '{printf "target/main: %.1f MB\n", $$5/1e6}'

test: ## gofmt, go vet and every test with the race detector (what CI runs)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

demo: build ## the main job end to end, offline, on the sample data in testdata/
	$(GO) run ./cmd/demo -bin target/main -fixtures testdata/sample-users.json

bench: ## benchmarks: start-up, 1,000 and 5,000 users, throttling, memory
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x -p 1 ./...

deploy: build ## s deploy (Serverless Devs; needs `s config add` and the variables in README.md)
	s deploy -y

invoke: ## s invoke of a digest run: posts the current bins (the last deploy step)
	s invoke -e '{"mode":"digest"}'

preview: ## the same digest run as a dry run: shows what would be posted, sends nothing
	s invoke -e '{"mode":"digest","dryRun":true}'

clean: ## remove build output
	rm -rf target
