# The project's commands. `make test` is what CI runs.
GO ?= go
# Packages whose tests drive the real RocketMQ broker; see testenv.RocketMQNameServer.
ROCKETMQ_PKGS = ./internal/testenv/ ./mqtrace/ ./conformance/
# Nested modules (own go.mod, replace to ../): gin and GORM stay out of the
# library's go.mod. Tested, formatted and vetted with the library.
NESTED_MODULES = gintrace examples

.PHONY: test demo check fuzz bench soak services-up services-down services-status

## test: bring the real service stack up, install the interop tests' Python
## peers, run the format and vet checks, then every test with the race
## detector; a test whose service or peer is missing fails
test: services-up peers-setup check
	TRACEWRAP_REQUIRE_SERVICES=1 $(GO) test -race -count=1 -timeout 20m ./...
	for m in $(NESTED_MODULES); do \
		(cd $$m && TRACEWRAP_REQUIRE_SERVICES=1 $(GO) test -race -count=1 -timeout 20m ./...) || exit 1; \
	done
	@echo "RocketMQ broker tests (skipped above: the client library races internally):"
	TRACEWRAP_REQUIRE_SERVICES=1 $(GO) test -count=1 -timeout 10m $(ROCKETMQ_PKGS)
	cd gintrace && TRACEWRAP_REQUIRE_SERVICES=1 $(GO) test -count=1 -timeout 10m -run RocketMQ .

## demo: bring the services up, run the example shop as four processes, send
## a few requests and print each trace from Jaeger; stops what it started
demo:
	$(GO) run -C examples ./demo

## services-up / services-down / services-status: the native service stack
services-up:
	scripts/services up
services-down:
	scripts/services down
services-status:
	scripts/services status

.PHONY: peers-setup
## peers-setup: the Python peers of the interop tests (interop/), pinned in
## interop/peers/requirements.txt, in a virtualenv under .services/peers
peers-setup:
	scripts/peers/setup

## bench: every wrapper against the bare client and its peers (bench/, a
## module of its own, not part of `make test`); writes bench/RESULTS.md.
## Takes about 20 minutes; COUNT and BENCHTIME tune it, naming wrappers
## (make bench WRAPPERS="http grpc") runs only those.
bench: services-up
	cd bench && $(GO) vet ./... && GO=$(GO) ./run.sh $(WRAPPERS)

## soak: the standing soak and fault suite (soak/, package main; not part
## of `make test`, which runs its short versions): load held against the
## untraced handler, spans delivered to Jaeger and counted lost, outages of
## Redis, MySQL and Jaeger mid-run, the hostile corpus over HTTP, gRPC and
## RocketMQ, a secrets scan; writes soak/RESULTS.md. About three minutes;
## SOAK_FLAGS tunes it (e.g. SOAK_FLAGS="-duration 60s -workers 64").
soak: services-up
	$(GO) run ./soak $(SOAK_FLAGS)

## check: gofmt and go vet (the library and the nested modules)
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	for m in $(NESTED_MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

## fuzz: run each fuzz target for a short while
fuzz:
	$(GO) test -run XXX -fuzz FuzzExtractHTTPHeaders -fuzztime 30s ./internal/core
	$(GO) test -run XXX -fuzz FuzzTruncate -fuzztime 30s ./internal/core
	$(GO) test -run XXX -fuzz FuzzParsePeer -fuzztime 30s ./internal/core
	$(GO) test -run XXX -fuzz FuzzInjectHeaders -fuzztime 30s ./internal/core
	$(GO) test -run XXX -fuzz FuzzTraceparent -fuzztime 30s ./internal/propagation
	$(GO) test -run XXX -fuzz FuzzBaggage -fuzztime 30s ./internal/propagation
	$(GO) test -run XXX -fuzz FuzzB3 -fuzztime 30s ./internal/propagation
	$(GO) test -run XXX -fuzz FuzzJaeger -fuzztime 30s ./internal/propagation
	$(GO) test -run XXX -fuzz FuzzStatement -fuzztime 30s ./redistrace
	$(GO) test -run XXX -fuzz FuzzMiddlewareTraceHeaders -fuzztime 30s ./nethttp
	$(GO) test -run XXX -fuzz FuzzServerExtract -fuzztime 30s ./grpctrace
	$(GO) test -run XXX -fuzz FuzzInjectBaggage -fuzztime 30s ./grpctrace
	$(GO) test -run XXX -fuzz FuzzParseDSN -fuzztime 30s ./sqltrace
	$(GO) test -run XXX -fuzz FuzzMaskQuoted -fuzztime 30s ./sqltrace
