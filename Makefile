# Binance USD-M futures auto-trader: every function in functions/<name>/ builds
# as its own Lambda `bootstrap`, all linking the core library built from shared/.
#
#   make            release build: build/<name>/bootstrap, local tools in build/bin/
#   make test       sanitizer build (ASan + UBSan) in build/asan/, then every test
#   make demo       local gateway + scheduler over the bundled replay data (offline)
#   make run        local gateway + scheduler against the configured Binance
#   make bench      benchmarks (release build), printed as a table
#   make bench-cold only the cold start beside Debian's shared libcurl (bench/coldstart.sh)
#   make telegram-webhook WEBHOOK_URL=https://.../telegram/webhook
#                   registers the telegram function's webhook (setWebhook with
#                   TELEGRAM_WEBHOOK_SECRET; infra/telegram_webhook.sh)
#   make fuzz       libFuzzer targets (clang, ASan + UBSan) in build/fuzz/, each
#                   run FUZZ_SECONDS (default 60) from its seed corpus; a table
#                   of execs, corpus and findings (README.md, "Fuzzing")
#   make package    one zip per function in build/package/ (bootstrap, certs/,
#                   zoneinfo/): what Lambda runs (README.md, "Deployment")
#   make deps       only the static libraries below
#
# VARIANT=release|asan|fuzz picks the build (fuzz: clang, its libcore.a built
# with -fsanitize=fuzzer-no-link,address,undefined). Every variant links the
# same static libcurl and cJSON, built once from Debian's source packages by
# infra/third_party.sh into build/third_party/<versions+flags key>/, and
# Debian's static OpenSSL: a bootstrap needs nothing but libc, libm and the
# loader. LIBCURL=system (release only, in build/syscurl/) links Debian's
# shared libcurl, cJSON and OpenSSL instead: for the benchmark's comparison,
# never for shipping. Sources are found by convention:
#   shared/<layer>/*.c          core library (libcore.a); layers in shared/README.md
#   functions/<name>/*.c        one bootstrap per folder
#   infra/local/<prog>.c        local tools listed in LOCAL_PROGS; the other .c files there are their library
#   infra/relr_own.c            the release bootstraps' post-link step (shared/platform/relr.h)
#   tests/fakes/<prog>.c        fake upstream servers listed in FAKE_PROGS (+ tests/fakes/lib/*.c)
#   tests/unit/test_*.c         one unit-test program each (+ tests/unit/support/*.c)
#   tests/*/run_*.c             test drivers (+ the support files above)
#   tests/layers/fixtures/      fake trees the include check reads; never compiled
#   bench/bench_*.c             benchmark programs
#   tests/fuzz/fuzz_*.c         one libFuzzer target each (VARIANT=fuzz only)

VARIANT ?= release
LIBCURL ?= static
CC      ?= gcc
# what the local tools and tests link besides the bootstraps' libraries
PKGS    := yaml-0.1 libmicrohttpd

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

# The bootstraps' libraries. A `make clean` alone needs no apt look-up.
ifeq ($(LIBCURL),static)
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),all)),)
THIRD_PARTY := $(shell infra/third_party.sh dir)
ifeq ($(THIRD_PARTY),)
$(error the static libcurl and cJSON cannot be built here (the line above says why); the build never falls back to the system's shared libcurl, which Lambda lacks)
endif
endif
DEPS_OK := $(THIRD_PARTY)/ok
DEP_CFLAGS := -I$(THIRD_PARTY)/include
DEP_LIBS := $(THIRD_PARTY)/lib/libcurl.a $(THIRD_PARTY)/lib/libcjson.a -l:libssl.a -l:libcrypto.a -lpthread
ifeq ($(VARIANT),release)
# Our code in one section per function and object, so --gc-sections keeps
# only what a bootstrap reaches: a function that never calls log() or round()
# then needs no libm (see the bootstrap rule), and its cold start skips the
# loader's work on a second library (README "Benchmarks").
OPT     += -ffunction-sections -fdata-sections
LDOPT   += -Wl,--gc-sections
# The bootstraps' relative relocations packed (DT_RELR, 6 KB instead of
# 450 KB of RELA) and applied by the bootstrap itself at DT_INIT, since
# provided.al2023's glibc 2.34 does not apply DT_RELR: shared/platform/relr.h.
# infra/relr_own.c hands the table over after each link.
BOOT_LDOPT := -Wl,-z,pack-relative-relocs -Wl,-u,relr_init -Wl,-init=relr_init
RELR_OWN := $(OUT)/tools/relr_own
endif
else ifeq ($(LIBCURL)$(VARIANT),systemrelease)
OUT     := build/syscurl
DEP_CFLAGS := $(shell pkg-config --cflags libcurl libcjson openssl 2>/dev/null)
DEP_LIBS := $(shell pkg-config --libs libcurl libcjson openssl 2>/dev/null)
else
$(error LIBCURL must be static, or system with VARIANT=release (the benchmark's comparison build))
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CSTD) $(WARN) $(OPT) $(DEPFLAGS) -Ishared $(DEP_CFLAGS) $(PKG_CFLAGS)
# bootstraps link only their own libraries (libm only when they need it: the
# bootstrap rule); tools and tests add the rest
BOOT_LDLIBS := $(DEP_LIBS)
LDLIBS  += $(DEP_LIBS) $(PKG_LIBS) -lm

OBJ     := $(OUT)/obj
FUNCS   := $(notdir $(patsubst %/,%,$(wildcard functions/*/)))
CORE_SRC := $(wildcard shared/*/*.c)
CORE_LIB := $(OUT)/libcore.a
LOCAL_LIB := $(OUT)/liblocal.a

LOCAL_PROGS := gateway invoke backtest signal_score
LOCAL_LIB_SRC := $(filter-out $(LOCAL_PROGS:%=infra/local/%.c),$(wildcard infra/local/*.c))
FAKE_PROGS := $(basename $(notdir $(wildcard tests/fakes/*.c)))
FAKE_LIB_SRC := $(wildcard tests/fakes/lib/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
TEST_SUPPORT_SRC := $(wildcard tests/unit/support/*.c)
DRIVER_SRC := $(wildcard tests/*/run_*.c)
BENCH_SRC := $(wildcard bench/bench_*.c) bench/floor_fn.c
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

.PHONY: all functions tools tests-build fuzz-build test fuzz demo run bench bench-cold clean clean-deps deps package telegram-webhook
.DEFAULT_GOAL := all

all: functions tools
functions: $(BOOTSTRAPS)
tools: $(LOCAL_BINS) $(FAKE_BINS)
tests-build: all $(UNIT_BINS) $(DRIVER_BINS)
fuzz-build: $(FUZZ_BINS)

deps: $(DEPS_OK)

# the static libraries: built once per key (a new Debian version of curl,
# cJSON or libssl-dev, or a change to the script's flags, makes a new key)
$(THIRD_PARTY)/ok:
	@echo '  DEPS $(THIRD_PARTY) (curl, cJSON from Debian source; ~30 s on 2 cores)'
	@infra/third_party.sh build $(THIRD_PARTY)

$(OBJ)/%.o: %.c | $(DEPS_OK)
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
# A bootstrap links libm only when the code it keeps calls into it: ld's
# --as-needed counts references from sections that --gc-sections then drops,
# so -lm on every link would make each bootstrap load libm at start (~0.1x the
# floor's cold start here) for log() it never calls. The first link leaves
# libm out; one that then misses a symbol is linked again with it (and shows
# any other error).
$(OUT)/%/bootstrap: $$(call obj,$$(wildcard functions/$$*/*.c)) $(CORE_LIB) $(DEPS_OK) $(RELR_OWN)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) $(BOOT_LDOPT) -o $@ $(filter %.o %.a,$^) $(BOOT_LDLIBS) 2>/dev/null || \
	 $(CC) $(LDOPT) $(BOOT_LDOPT) -o $@ $(filter %.o %.a,$^) $(BOOT_LDLIBS) -lm
	@$(if $(RELR_OWN),$(RELR_OWN) $@ || { rm -f $@; exit 1; })

# the build's own tool (release bootstraps only): libc alone
$(OUT)/tools/relr_own: $(call obj,infra/relr_own.c)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) -o $@ $^

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

# the cold-start floor (bench_runtime --compare): libc alone
$(OUT)/bench/floor_fn: $(call obj,bench/floor_fn.c)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^

$(OUT)/bench/%: $$(call obj,bench/$$*.c) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^ $(LDLIBS)

$(FUZZ_BINS): $(OUT)/%: $$(call obj,tests/fuzz/$$*.c) $(LOCAL_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(LDOPT) -o $@ $^ $(LDLIBS)

# the fuzz targets join the test run when clang is there (tests/run.sh then
# runs each over its corpus plus a few seconds); without clang that suite is skipped.
# The release zips too: tests/package checks what ships.
test:
	$(MAKE) VARIANT=asan tests-build
	$(MAKE) VARIANT=release package
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

# (and candles on Debian's shared libcurl, for the cold-start comparison;
# bench-cold runs that comparison alone: bench/coldstart.sh)
bench:
	$(MAKE) VARIANT=release all $(BENCH_BINS) build/certs/ok
	$(MAKE) VARIANT=release LIBCURL=system build/syscurl/candles/bootstrap
	bench/run.sh build

bench-cold:
	$(MAKE) VARIANT=release all build/bench/bench_runtime build/bench/floor_fn build/certs/ok
	$(MAKE) VARIANT=release LIBCURL=system build/syscurl/candles/bootstrap
	bench/coldstart.sh build

# keeps build/third_party (the static libraries: `make clean-deps`)
clean:
	find build -mindepth 1 -maxdepth 1 ! -name third_party -exec rm -rf {} + 2>/dev/null || true

clean-deps:
	rm -rf build/third_party

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- packaging (README.md, "Deployment") ----------------------------------
# A function's zip: bootstrap (the release build, stripped) at the root, the
# hashed CA directory certs/ (Debian's ca-certificates: the bootstrap's
# default CURLOPT_CAPATH, /var/task/certs) and zoneinfo/ with PACKAGE_ZONES
# (TZ=<zone> with TZDIR=/var/task/zoneinfo; provided.al2023 may lack zone
# data). Files are sorted and dated PKG_DATE so the same build zips the same.
PACKAGE_ZONES ?= UTC Asia/Seoul
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
PKG_DIR   := build/package
PKG_DATE  := 2020-01-01T00:00:00Z

# From another variant, a make of its own for the release one (never two
# makes on one tree at once: `make -j2 package tools` shares build/libcore.a).
ifeq ($(VARIANT)$(LIBCURL),releasestatic)
package: $(FUNCS:%=$(PKG_DIR)/%.zip)
else
package:
	$(MAKE) VARIANT=release LIBCURL=static package
endif

build/certs/ok: $(CA_BUNDLE) infra/ca_dir.sh
	@echo '  CA   build/certs (from $(CA_BUNDLE))'
	@infra/ca_dir.sh $(CA_BUNDLE) build/certs

# the zip's content tree, $(PKG_DIR)/<name>/, and its stamp beside it
$(PKG_DIR)/%.staged: build/%/bootstrap build/certs/ok
	@rm -rf $(PKG_DIR)/$* && mkdir -p $(PKG_DIR)/$*/certs
	@strip -o $(PKG_DIR)/$*/bootstrap build/$*/bootstrap && chmod 0755 $(PKG_DIR)/$*/bootstrap
	@cp build/certs/*.[0-9] $(PKG_DIR)/$*/certs/
	@for z in $(PACKAGE_ZONES); do \
	  mkdir -p $(PKG_DIR)/$*/zoneinfo/$$(dirname $$z) && cp /usr/share/zoneinfo/$$z $(PKG_DIR)/$*/zoneinfo/$$z || exit 1; done
	@find $(PKG_DIR)/$* -exec touch -h -d $(PKG_DATE) {} +
	@touch $@

$(PKG_DIR)/%.zip: $(PKG_DIR)/%.staged
	@echo '  ZIP  $@'
	@rm -f $@ && cd $(PKG_DIR)/$* && find . -type f | LC_ALL=C sort | sed 's|^\./||' | zip -X -q -@ ../$*.zip

# `sam build` (BuildMethod: makefile) runs build-<LogicalId> with ARTIFACTS_DIR
# set: CandlesFunction -> functions/candles; the same tree as its zip.
build-%Function: $$(PKG_DIR)/$$(shell echo '$$*' | tr A-Z a-z).staged
	@test -n "$(ARTIFACTS_DIR)" || { echo "make $@ needs ARTIFACTS_DIR (sam build sets it)" >&2; exit 2; }
	cp -R $(PKG_DIR)/$(shell echo '$*' | tr A-Z a-z)/. "$(ARTIFACTS_DIR)/"
