# brokerlink: the two commands that matter are `make demo` and `make test`.
CC ?= cc
CFLAGS ?= -std=c11 -Wall -Wextra -Werror -pedantic -O2
RELEASE := target/release
BUILD := build

.PHONY: demo test bench header lint release clean

## Build the library, brokersim and the C examples, then run the demo against brokersim.
demo: release $(BUILD)/quickstart
	scripts/demo.sh

## Run every test: Rust unit and integration tests, the header check, C programs under valgrind.
test:
	cargo test --workspace

## Run the benchmarks against brokersim and write BENCHMARKS.md.
bench:
	cargo build --release -p brokerlink
	cargo bench --bench brokerlink

## Regenerate include/brokerlink.h after changing src/ffi.
header:
	BROKERLINK_BLESS=1 cargo test -p brokerlink --test header

## Formatting and lints, as the CI expects them.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

release:
	cargo build --release -p brokerlink -p brokersim

$(BUILD)/%: examples-c/%.c include/brokerlink.h release
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -Iinclude $< -L$(RELEASE) -Wl,-rpath,$(CURDIR)/$(RELEASE) -lbrokerlink -o $@

clean:
	cargo clean
	rm -rf $(BUILD)
