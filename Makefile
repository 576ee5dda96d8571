# Binance USD-M futures auto-trader: every function in functions/<name>/ builds
# as its own Lambda `bootstrap`, all linking the core library built from shared/.
#
#   make            release build: build/<name>/bootstrap, local tools in build/bin/
#   make test       sanitizer build (ASan + UBSan) in build/asan/, then every test
#   make demo       local gateway + scheduler over the bundled replay data (offline)
#   make run        local gateway + scheduler against the configured Binance
#   make bench      benchmarks (release build), printed as a table
#   make telegram-webhook WEBHOOK_URL=https://.../telegram/webhook
#                   registers the telegram function's webhook (setWebhook with
#                   TELEGRAM_WEBHOOK_SECRET; infra/telegram_webhook.sh)
#   make fuzz       libFuzzer targets (clang, ASan + UBSan) in build/fuzz/, each
#                   run FUZZ_SECONDS (default 60) from its seed corpus; a table
#                   of execs, corpus and findings (README.md, "Fuzzing")
#
# VARIANT=release|asan|fuzz picks the build (fuzz: clang, its libcore.a built
# with -fsanitize=fuzzer-no-link,address,undefined); sources are found by convention:
#   shared/<layer>/*.c          core library (libcore.a); layers in shared/README.md
#   functions/<name>/*.c        one bootstrap per folder
#   infra/local/<prog>.c        local tools listed in LOCAL_PROGS; the other .c files there are their library
#   tests/fakes/<prog>.c        fake upstream servers listed in FAKE_PROGS (+ tests/fakes/lib/*.c)
#   tests/unit/test_*.c         one unit-test program each (+ tests/unit/support/*.c)
#   tests/*/run_*.c             test drivers (+ the support files above)
#   tests/layers/fixtures/      fake trees the include check reads; never compiled
#   bench/bench_*.c             benchmark programs
#   tests/fuzz/fuzz_*.c         one libFuzzer target each (VARIANT=fuzz only)

VARIANT ?= release
CC      ?= gcc
PKGS    := libcurl libcjson yaml-0.1 libmicrohttpd openssl

CSTD    := -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wpointer-arith -Wundef
DEPFLAGS = -MMD -MP

ifeq ($(VARIANT),asan)
OUT     := build/asan
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDOPT   := -fsanitize=address,undefined
else ifeq ($(VARIANT),release)
OUT     := build
OPT     := -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
LDOPT   := -Wl,-z,relro,-z,now -Wl,--as-needed
else ifeq ($(VARIANT),fuzz)
CC      := clang
OUT     := build/fuzz
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
           -fno-sanitize-recover=all
LDOPT   := -fsanitize=fuzzer,address,undefined
else
$(error VARIANT must be release, asan or fuzz)
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CSTD) $(WARN) $(OPT) $(DEPFLAGS) -Ishared $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lm

OBJ     := $(OUT)/obj
FUNCS   := $(notdir $(patsubst %/,%,$(wildcard functions/*/)))
CORE_SRC := $(wildcard shared/*/*.c)
CORE_LIB := $(OUT)/libcore.a
LOCAL_LIB := $(OUT)/liblocal.a

LOCAL_PROGS := gateway invoke backtest sim_backtest
LOCAL_LIB_SRC := $(filter-out $(LOCAL_PROGS:%=infra/local/%.c),$(wildcard infra/local/*.c))
FAKE_PROGS := $(basename $(notdir $(wildcard tests/fakes/*.c)))
FAKE_LIB_SRC := $(wildcard tests/fakes/lib/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
TEST_SUPPORT_SRC := $(wildcard tests/unit/support/*.c)
DRIVER_SRC := $(wildcard tests/*/run_*.c)
BENCH_SRC := $(wildcard bench/bench_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 60

BOOTSTRAPS := $(FUNCS:%=$(OUT)/%/bootstrap)
LOCAL_BINS := $(LOCAL_PROGS:%=$(OUT)/bin/%)
FAKE_BINS  := $(FAKE_PROGS:%=$(OUT)/bin/%)
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(OUT)/tests/%)
DRIVER_BINS := $(foreach f,$(DRIVER_SRC),$(OUT)/tests/$(basename $(notdir $(f))))
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(OUT)/bench/%)
FUZZ_BINS  := $(FUZZ_SRC:tests/fuzz/%.c=$(OUT)/%)

obj = $(patsubst %.c,$(OBJ)/%.o,$(1))

# Production code sees only shared/ (and its own folder); tests also see
# their support kit and the local gateway's headers they exercise.
$(OBJ)/tests/%.o: CFLAGS += -Itests/unit/support -Iinfra/local

.PHONY: all functions tools tests-build fuzz-build test fuzz demo run bench clean deps telegram-webhook
.DEFAULT_GOAL := all

all: functions tools
functions: $(BOOTSTRAPS)
tools: $(LOCAL_BINS) $(FAKE_BINS)
tests-build: all $(UNIT_BINS) $(DRIVER_BINS)
fuzz-build: $(FUZZ_BINS)

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	@echo '  CC   $<'
	@$(CC) $(CFLAGS) -c $< -o $@

$(CORE_LIB): $(call obj,$(CORE_SRC))
	@mkdir -p $(@D)
	@rm -f $@ && $(AR) rcs $@ $^

# the local gateway's library (infra/local minus its programs), for its unit tests
$(LOCAL_LIB): $(call obj,$(LOCAL_LIB_SRC))
	@mkdir -p $(@D)
	@rm -f $@ && $(AR) rcs $@ $^

# objects are products, not intermediates: keep them between builds
.SECONDARY:
.SECONDEXPANSION:
$(OUT)/%/bootstrap: $$(call obj,$$(wildcard functions/$$*/*.c)) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^ $(LDLIBS)

$(OUT)/bin/%: $$(call obj,infra/local/$$*.c $(LOCAL_LIB_SRC)) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^ $(LDLIBS)

$(FAKE_BINS): $(OUT)/bin/%: $$(call obj,tests/fakes/$$*.c $(FAKE_LIB_SRC)) $(LOCAL_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^ $(LDLIBS)

$(OUT)/tests/test_%: $$(call obj,tests/unit/test_$$*.c $(TEST_SUPPORT_SRC)) $(LOCAL_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^ $(LDLIBS) -lcmocka

$(OUT)/tests/run_%: $$(call obj,$$(wildcard tests/*/run_$$*.c) $(TEST_SUPPORT_SRC)) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^ $(LDLIBS) -lcmocka

# the execution scenarios run the trader through the local function host (infra/local/fnhost)
$(OUT)/tests/run_exec_scenarios: $$(call obj,tests/scenarios/run_exec_scenarios.c $(TEST_SUPPORT_SRC)) $(LOCAL_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^ $(LDLIBS)

$(OUT)/bench/%: $$(call obj,bench/$$*.c) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^ $(LDLIBS)

$(FUZZ_BINS): $(OUT)/%: $$(call obj,tests/fuzz/$$*.c) $(LOCAL_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^ $(LDLIBS)

# the fuzz targets join the test run when clang is there (tests/run.sh then
# runs each over its corpus plus a few seconds); without clang that suite is skipped
test:
	$(MAKE) VARIANT=asan tests-build
	if command -v clang >/dev/null; then $(MAKE) VARIANT=fuzz fuzz-build; fi
	tests/run.sh build/asan

fuzz:
	$(MAKE) VARIANT=fuzz fuzz-build
	tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

demo: all
	infra/local/demo.sh

run: all
	infra/local/run.sh

telegram-webhook:
	@test -n "$(WEBHOOK_URL)" || { echo "make telegram-webhook WEBHOOK_URL=https://.../telegram/webhook" >&2; exit 2; }
	infra/telegram_webhook.sh set "$(WEBHOOK_URL)"

bench:
	$(MAKE) VARIANT=release all $(BENCH_BINS)
	bench/run.sh build

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# `sam build` (BuildMethod: makefile) runs build-<LogicalId> with ARTIFACTS_DIR
# set: CandlesFunction -> functions/candles, bootstrap at the zip root.
build-%Function:
	$(MAKE) VARIANT=release build/$(shell echo '$*' | tr A-Z a-z)/bootstrap
	install -m 0755 build/$(shell echo '$*' | tr A-Z a-z)/bootstrap "$(ARTIFACTS_DIR)/bootstrap"
