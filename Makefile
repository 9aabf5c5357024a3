# AppStack - build, test and developer targets. GNU make, no generator.
#
# Layout: lib/<concern>/*.c are shared by every program; operator/, webhook/
# and cli/ each hold one program (main.c plus its own modules). Every
# non-main object goes into one static archive that programs and tests link,
# so a new source file needs no Makefile change.

.DEFAULT_GOAL := all
# Keep intermediate objects (test .o files) so rebuilds stay incremental.
.SECONDARY:
SHELL := /bin/bash

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CC ?= cc
PKGS := libcurl jansson yaml-0.1 libwebsockets openssl zlib
# Evaluated lazily, so `make test` can install the packages first.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
ifeq ($(CI),true)
WARN += -Werror
endif
CPPFLAGS += -Ilib -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
            -DAS_VERSION='"$(VERSION)"' -DAS_GIT_COMMIT='"$(GIT_COMMIT)"'
BASE_CFLAGS := -std=c11 $(WARN) -g -MMD -MP

# VARIANT=asan builds everything with address+undefined sanitizers into build/asan.
VARIANT ?= release
ifeq ($(VARIANT),asan)
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN := -fsanitize=address,undefined
else ifeq ($(VARIANT),tsan)
OPT := -O1 -fno-omit-frame-pointer -fsanitize=thread
LDSAN := -fsanitize=thread
else
OPT := -O2
LDSAN :=
endif

BUILD := build/$(VARIANT)
BIN := $(if $(filter release,$(VARIANT)),bin,$(BUILD)/bin)

LIB_SRCS := $(wildcard lib/*/*.c)
OPERATOR_SRCS := $(filter-out operator/main.c,$(wildcard operator/*.c))
WEBHOOK_SRCS := $(filter-out webhook/main.c,$(wildcard webhook/*.c))
CLI_SRCS := $(filter-out cli/main.c,$(wildcard cli/*.c))
ARCHIVE_SRCS := $(LIB_SRCS) $(OPERATOR_SRCS) $(WEBHOOK_SRCS) $(CLI_SRCS)
ARCHIVE_OBJS := $(ARCHIVE_SRCS:%.c=$(BUILD)/%.o)
ARCHIVE := $(BUILD)/libappstack.a

PROGRAMS := $(BIN)/appstack-operator $(BIN)/appstack-webhook $(BIN)/appstackctl
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
ITEST_SRCS := $(wildcard tests/integration/itest_*.c)
ITEST_BINS := $(ITEST_SRCS:tests/integration/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 20

##@ Build
.PHONY: all
all: $(PROGRAMS) ## Build appstack-operator, appstack-webhook and appstackctl into bin/

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(OPT) $(CPPFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(ARCHIVE): $(ARCHIVE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN)/appstack-operator: $(BUILD)/operator/main.o $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS)

$(BIN)/appstack-webhook: $(BUILD)/webhook/main.o $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS)

$(BIN)/appstackctl: $(BUILD)/cli/main.o $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

$(BUILD)/tests/itest_%: $(BUILD)/tests/integration/itest_%.o $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

.PHONY: test-bins
test-bins: $(UNIT_BINS) $(ITEST_BINS) $(PROGRAMS) ## Build the unit and integration test programs

.PHONY: deps
deps: ## Install every Debian package needed to build and test (idempotent)
	@hack/deps

##@ Test
.PHONY: test
test: ## Install deps, build, run every unit, golden, apiserver, integration test and a fuzz smoke run
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory test-bins
	@python3 tests/run.py --build $(BUILD) --bin $(BIN)

.PHONY: test-unit
test-unit: test-bins ## Run the unit tests (Check) only
	@python3 tests/run.py --build $(BUILD) --bin $(BIN) --tier unit

.PHONY: test-golden
test-golden: test-bins ## Run the golden tests only (UPDATE_GOLDEN=1 regenerates them)
	@python3 tests/run.py --build $(BUILD) --bin $(BIN) --tier golden

.PHONY: test-apiserver
test-apiserver: ## Run the local API server's own test suite
	@python3 tests/run.py --build $(BUILD) --bin $(BIN) --tier apiserver

.PHONY: test-integration
test-integration: test-bins ## Run the integration tier (local API server, or TEST_KUBECONFIG=<path>)
	@python3 tests/run.py --build $(BUILD) --bin $(BIN) --tier integration

.PHONY: e2e
e2e: ## Integration suite + operator and webhook against the cluster KUBECONFIG names (README)
	@hack/e2e.sh

.PHONY: sanitize
sanitize: ## Build with -fsanitize=address,undefined and run unit, golden and integration tests
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory VARIANT=asan test-bins
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		python3 tests/run.py --build build/asan --bin build/asan/bin --tier unit,golden,integration

.PHONY: tsan
tsan: ## Build with -fsanitize=thread and run the unit tests
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory VARIANT=tsan CC=clang test-bins
	@TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp $$TSAN_OPTIONS" \
		python3 tests/run.py --build build/tsan --bin build/tsan/bin --tier unit

.PHONY: fuzz
fuzz: ## Build the libFuzzer targets with clang and run each for FUZZ_SECONDS (default 20)
	@hack/fuzz $(FUZZ_SECONDS) $(FUZZ_SRCS)

.PHONY: lint
lint: ## clang-format check, cppcheck, include-direction check
	@hack/lint

.PHONY: format
format: ## Reformat all C sources with clang-format
	@clang-format -i $(shell git ls-files '*.c' '*.h')

##@ Run
.PHONY: demo
demo: ## Install deps, build, start the local API server and show AppStack at work
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@hack/demo

.PHONY: bench
bench: ## Install deps, build, run the benchmarks (figures go to docs/benchmarks.md by hand)
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@hack/bench

.PHONY: bench-operator
bench-operator: ## Operator: time, requests and RSS to converge BENCH_STACKS (1000) AppStacks
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@hack/bench-operator

.PHONY: bench-webhook
bench-webhook: ## Benchmark appstack-webhook against nginx over TLS with h2load (docs/benchmarks.md)
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@hack/bench-webhook

.PHONY: clean
clean: ## Remove build outputs
	rm -rf build bin

.PHONY: help
help: ## List every target with one line
	@awk 'BEGIN {FS = ":.*## "} /^##@/ {printf "\n%s\n", substr($$0, 5)} \
		/^[a-zA-Z0-9_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
