# brokerlink: the two commands that matter are `make demo` and `make test`.
CC ?= cc
CFLAGS ?= -std=c11 -Wall -Wextra -Werror -pedantic -O2
RELEASE := target/release
BUILD := build

.PHONY: demo test sdk soak bench header lint release clean windows test-windows

## Build the library, brokersim and the C examples, then run the demo against brokersim.
demo: release $(BUILD)/quickstart $(BUILD)/noren_oauth $(BUILD)/dhan
	scripts/demo.sh

## Run every test: Rust unit and integration tests, the header check, C programs under valgrind.
test:
	# cargo test does not copy the cdylib to target/debug, where the C,
	# binding and packaging tests link against it: cargo build does (and
	# the packaging test installs the brokerlink tool from there).
	cargo build -p brokerlink -p brokersim -p brokerlink-cli
	cargo test --workspace --no-fail-fast

## Run each broker's official Python SDK against brokersim (installs them from PyPI into target/sdk-venv).
sdk:
	scripts/sdk.sh

## Soak (not part of `make test`): many threads on sessions of every broker family against an
## in-process brokersim with forced expiries, faults and sessions freed in use, for
## SOAK_SECONDS (default 600); prints a report and fails on any unexplained failure.
soak:
	cargo run --release -p brokerlink --example soak

## Build brokerlink.dll for 64-bit (x86_64) and 32-bit (i686) Windows in a Debian chroot
## made on first use (needs root), and write one package per architecture to dist/.
windows:
	scripts/windows.sh build

## `make windows`, then test both DLLs under Wine against brokersim (tests/windows/wintest.c),
## check their exports against the header, and run the unit tests for Windows under Wine.
test-windows:
	scripts/windows.sh test

## Run every benchmark against brokersim and write BENCHMARKS.md
## (BENCH_QUICK=1 for a short run; needs python3-venv and PyPI for the SDK comparison).
bench:
	scripts/bench.sh

## Regenerate include/brokerlink.h after changing src/ffi.
header:
	BROKERLINK_BLESS=1 cargo test -p brokerlink --test it header::checked_in_header_is_current

## Formatting and lints, as the CI expects them.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

release:
	cargo build --release -p brokerlink -p brokersim -p brokerlink-cli

$(BUILD)/%: examples-c/%.c include/brokerlink.h release
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -Iinclude $< -L$(RELEASE) -Wl,-rpath,$(CURDIR)/$(RELEASE) -lbrokerlink -o $@

clean:
	cargo clean
	rm -rf $(BUILD)

# --- Installing (Linux) ------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=/staging] [LIBDIR=...] [INCLUDEDIR=...]
# builds the library and the brokerlink tool (PROFILE=release by default) and installs:
#   $(BINDIR)/brokerlink, the command-line tool
#   $(LIBDIR)/libbrokerlink.so.$(VERSION), with the soname symlink
#     libbrokerlink.so.$(SOVERSION) and the link-time symlink libbrokerlink.so
#   $(LIBDIR)/libbrokerlink.a
#   $(INCLUDEDIR)/brokerlink.h and brokerlink.hpp (the C++ binding)
#   $(LIBDIR)/pkgconfig/brokerlink.pc
#   $(LIBDIR)/cmake/brokerlink/brokerlinkConfig.cmake and ...ConfigVersion.cmake
# The pkg-config and CMake files name the final paths (without DESTDIR).
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
DESTDIR ?=
# A cargo profile; tests/packaging.rs runs `make install-built PROFILE=dev` on
# the build `cargo test` already made.
PROFILE ?= release
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
LIB_BUILD := $(TARGET_DIR)/$(if $(filter dev,$(PROFILE)),debug,$(PROFILE))

VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
# The same rule as build.rs, which links the soname into the library.
SOVERSION := $(if $(filter 0,$(VERSION_MAJOR)),0.$(VERSION_MINOR),$(VERSION_MAJOR))
# What Rust's standard library needs from the system in a static link
# (`rustc --print native-static-libs`); tests/packaging.rs links statically with it.
NATIVE_STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl
CMAKE_DIR := $(LIBDIR)/cmake/brokerlink

empty :=
space := $(empty) $(empty)
SUBSTITUTE := sed \
	-e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	-e 's|@VERSION@|$(VERSION)|g' -e 's|@MAJOR@|$(VERSION_MAJOR)|g' -e 's|@MINOR@|$(VERSION_MINOR)|g' \
	-e 's|@SOVERSION@|$(SOVERSION)|g' -e 's|@NATIVE_STATIC_LIBS@|$(NATIVE_STATIC_LIBS)|g' \
	-e 's|@CMAKE_NATIVE_STATIC_LIBS@|$(subst $(space),;,$(patsubst -l%,%,$(NATIVE_STATIC_LIBS)))|g'

.PHONY: install install-built uninstall

## Build the library and the tool and install them, the headers, brokerlink.pc and the CMake package.
install:
	cargo build --profile $(PROFILE) -p brokerlink -p brokerlink-cli
	$(MAKE) --no-print-directory install-built

## Install the library as already built for PROFILE, without building it.
install-built:
	install -d "$(DESTDIR)$(LIBDIR)/pkgconfig" "$(DESTDIR)$(CMAKE_DIR)" "$(DESTDIR)$(INCLUDEDIR)" "$(DESTDIR)$(BINDIR)"
	install -m 0755 "$(LIB_BUILD)/brokerlink" "$(DESTDIR)$(BINDIR)/brokerlink"
	install -m 0755 "$(LIB_BUILD)/libbrokerlink.so" "$(DESTDIR)$(LIBDIR)/libbrokerlink.so.$(VERSION)"
	ln -sf "libbrokerlink.so.$(VERSION)" "$(DESTDIR)$(LIBDIR)/libbrokerlink.so.$(SOVERSION)"
	ln -sf "libbrokerlink.so.$(SOVERSION)" "$(DESTDIR)$(LIBDIR)/libbrokerlink.so"
	install -m 0644 "$(LIB_BUILD)/libbrokerlink.a" "$(DESTDIR)$(LIBDIR)/libbrokerlink.a"
	install -m 0644 include/brokerlink.h bindings/cpp/brokerlink.hpp "$(DESTDIR)$(INCLUDEDIR)/"
	$(SUBSTITUTE) packaging/brokerlink.pc.in > "$(DESTDIR)$(LIBDIR)/pkgconfig/brokerlink.pc"
	$(SUBSTITUTE) packaging/brokerlinkConfig.cmake.in > "$(DESTDIR)$(CMAKE_DIR)/brokerlinkConfig.cmake"
	$(SUBSTITUTE) packaging/brokerlinkConfigVersion.cmake.in > "$(DESTDIR)$(CMAKE_DIR)/brokerlinkConfigVersion.cmake"

## Remove what `make install` installed (same PREFIX, DESTDIR, LIBDIR, INCLUDEDIR).
uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/brokerlink" "$(DESTDIR)$(LIBDIR)/libbrokerlink.so.$(VERSION)" "$(DESTDIR)$(LIBDIR)/libbrokerlink.so.$(SOVERSION)" \
		"$(DESTDIR)$(LIBDIR)/libbrokerlink.so" "$(DESTDIR)$(LIBDIR)/libbrokerlink.a" \
		"$(DESTDIR)$(INCLUDEDIR)/brokerlink.h" "$(DESTDIR)$(INCLUDEDIR)/brokerlink.hpp" \
		"$(DESTDIR)$(LIBDIR)/pkgconfig/brokerlink.pc" \
		"$(DESTDIR)$(CMAKE_DIR)/brokerlinkConfig.cmake" "$(DESTDIR)$(CMAKE_DIR)/brokerlinkConfigVersion.cmake"
	-rmdir "$(DESTDIR)$(CMAKE_DIR)" 2>/dev/null
