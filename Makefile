# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A thin wrapper around Meson.  Build trees:
#   build/          debug build with ASan+UBSan and -Werror: make, make test, make demo
#   build-release/  optimised (link-time too), no sanitizers: make bench
#   build-install/  optimised (link-time too), -Werror, only what ships (-Dtests=false):
#                   make install
#   build-fuzz/     clang + libFuzzer: make fuzz
#   build-deb/      the Debian packages (dpkg-buildpackage, debian/): make deb, make deb-test
# Each is configured on first use; scripts/install-deps installs missing Debian
# packages first (as root).

BUILD ?= build
RELEASE ?= build-release
INSTALLBUILD ?= build-install
FUZZBUILD ?= build-fuzz
DEBBUILD ?= build-deb
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 60
MESON_TEST_ARGS ?=

SANITIZE := -Db_sanitize=address,undefined -Db_lundef=false
# What `make install` and `make bench` build is optimised across files too (the null ORPC
# call ~1-2% faster; the tests pass in such a build as in the others); trees configured
# before are switched over.  The Debian packages take Debian's build flags.
LTO := -Db_lto=true
OPTIMISE := --buildtype=release $(LTO)

.PHONY: all build test demo fuzz bench install deb deb-test deps clean

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
	meson setup $(RELEASE) $(OPTIMISE) --prefix=$(PREFIX)

bench: $(RELEASE)/build.ninja
	meson configure $(RELEASE) $(LTO)
	ninja -C $(RELEASE)
	scripts/run-bench $(RELEASE) $(BENCH_ARGS)

# Builds and installs only what ships (libdcom, headers, dcom.pc, IDL, tools, services,
# man pages) with the build dependencies only; DESTDIR=... stages it (meson install
# reads it from the environment).  Installed programs find libdcom.so through an RPATH
# relative to themselves, so any PREFIX works without ldconfig.
$(INSTALLBUILD)/build.ninja:
	scripts/install-deps install
	meson setup $(INSTALLBUILD) $(OPTIMISE) -Dtests=false -Dwerror=true --prefix=$(PREFIX)

install: $(INSTALLBUILD)/build.ninja
	meson configure $(INSTALLBUILD) --prefix=$(PREFIX) $(LTO)
	ninja -C $(INSTALLBUILD)
	meson install -C $(INSTALLBUILD)

# Debian packages from the tree into build-deb/ (scripts/build-deb), lintian-checked;
# deb-test also installs, upgrades and purges them in a throwaway overlay of / (root).
deb:
	scripts/install-deps deb
	scripts/build-deb $(DEBBUILD)

deb-test: deb
	tests/test-deb.sh $(DEBBUILD)

$(FUZZBUILD)/build.ninja:
	scripts/install-deps fuzz
	CC=clang meson setup $(FUZZBUILD) -Dfuzzing=true $(SANITIZE)

fuzz: $(FUZZBUILD)/build.ninja
	ninja -C $(FUZZBUILD)
	scripts/run-fuzz $(FUZZBUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(RELEASE) $(INSTALLBUILD) $(FUZZBUILD) $(DEBBUILD)
