# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A thin wrapper around Meson.  Build trees:
#   build/          debug build with ASan+UBSan and -Werror: make, make test, make demo
#   build-release/  optimised, no sanitizers: make bench, make install
#   build-fuzz/     clang + libFuzzer: make fuzz
# Each is configured on first use; scripts/install-deps installs missing Debian
# packages first (as root).

BUILD ?= build
RELEASE ?= build-release
FUZZBUILD ?= build-fuzz
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 60
MESON_TEST_ARGS ?=

SANITIZE := -Db_sanitize=address,undefined -Db_lundef=false

.PHONY: all build test demo fuzz bench install deps clean

all: build

deps:
	scripts/install-deps build

$(BUILD)/build.ninja:
	scripts/install-deps build
	meson setup $(BUILD) $(SANITIZE) -Dwerror=true

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The closing line "N passed, N failed, N skipped" comes from Meson's test log.
test: build
	@status=0; \
	meson test -C $(BUILD) --print-errorlogs $(MESON_TEST_ARGS) || status=$$?; \
	scripts/test-summary $(BUILD) || status=1; \
	exit $$status

demo: build
	scripts/demo $(BUILD)

$(RELEASE)/build.ninja:
	scripts/install-deps bench
	meson setup $(RELEASE) --buildtype=release --prefix=$(PREFIX)

bench: $(RELEASE)/build.ninja
	ninja -C $(RELEASE)
	scripts/run-bench $(RELEASE) $(BENCH_ARGS)

install: $(RELEASE)/build.ninja
	meson configure $(RELEASE) --prefix=$(PREFIX)
	ninja -C $(RELEASE)
	meson install -C $(RELEASE)

$(FUZZBUILD)/build.ninja:
	scripts/install-deps fuzz
	CC=clang meson setup $(FUZZBUILD) -Dfuzzing=true $(SANITIZE)

fuzz: $(FUZZBUILD)/build.ninja
	ninja -C $(FUZZBUILD)
	scripts/run-fuzz $(FUZZBUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(RELEASE) $(FUZZBUILD)
