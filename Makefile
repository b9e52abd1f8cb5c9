# bcvipps — the two commands a newcomer needs are `make run` and `make test`.
GO        ?= go
PKGS      ?= ./...
STATICCHECK_VERSION ?= v0.8.2
# How long each fuzz target runs inside `make test` (seeded by the golden
# files): a count of inputs, not a duration. With a duration, Go 1.26's fuzz
# coordinator can fail a target with "context deadline exceeded" when the
# time runs out while a worker is mid-input on a busy machine
# (golang/go#75804, fixed in Go 1.27); a count has no deadline to race.
FUZZTIME  ?= 3000x
BIN       ?= bin/bcvipps
IMAGE     ?= bcvipps:dev
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/bcvipps/bcvipps/cmd/bcvipps/internal/version.Version=$(VERSION)

.PHONY: run test unit fuzz bench lint build image tidy

## run: start the offline sandbox (connector + simulated Vipps, BC and NP Retail)
run:
	$(GO) run ./cmd/bcvipps sandbox

## test: every test, with the race detector, plus short fuzz runs
test: unit fuzz

unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -race -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# BENCHTIME keeps the micro-benchmarks short so the whole target stays under
# 5 minutes on 2 cores; LOADFLAGS are passed to the load generator.
BENCHTIME ?= 200ms
LOADFLAGS ?=

## bench: micro-benchmarks of the hot paths and the end-to-end load generator
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)
	@if [ -d cmd/bcvipps-load ]; then $(GO) run ./cmd/bcvipps-load $(LOADFLAGS); fi

## lint: formatting, go.mod tidy, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run make tidy"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

## tidy: bring go.mod and go.sum in line with the imports
tidy:
	$(GO) mod tidy

## build: the binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/bcvipps

## image: the container image (needs a Docker engine)
image:
	docker build -f deploy/Dockerfile -t $(IMAGE) --build-arg VERSION=$(VERSION) .
