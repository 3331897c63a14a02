# The Rust API and its aws-sdk feature (src/aws_sdk.rs), included by the top-level Makefile.
#
#   make test-rust-sdk
#       the feature's unit tests and doctests, clippy with the feature; then tests/aws-sdk-rust: the
#       real aws-config + aws-sdk-sts against a local moto server that checks SigV4 signatures
#       (moto from PyPI in a virtualenv under build/, mk/moto.mk), and examples/rust_sdk.rs built
#       and run.
#       The SDK crates are built once into target/aws-sdk-rust (a workspace of its own, so the
#       library's own `cargo test` never builds them).
#   make doc-rust
#       `cargo doc --no-deps` with warnings denied, without and with the feature (docs.rs builds it
#       with the feature).

RSDK_DIR     := tests/aws-sdk-rust
RSDK_TARGET  := $(CURDIR)/target/aws-sdk-rust
RSDK_CARGO   := $(CARGO) --quiet

TEST_TARGETS += doc-rust test-rust-sdk

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
RSDK_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-rust-sdk test-rust-sdk-feature test-rust-sdk-moto doc-rust

test-rust-sdk: test-rust-sdk-feature test-rust-sdk-moto

test-rust-sdk-feature:
	$(RSDK_CARGO) clippy --features aws-sdk --all-targets -- -D warnings
	$(RSDK_CARGO) test --features aws-sdk --lib aws_sdk
	$(RSDK_CARGO) test --features aws-sdk --doc

test-rust-sdk-moto: $(MOTO_SERVER)
	cd $(RSDK_DIR) && $(CARGO) fmt --check
	cd $(RSDK_DIR) && MOTO_SERVER=$(abspath $(MOTO_SERVER)) \
	    $(RSDK_CARGO) test --target-dir $(RSDK_TARGET)

doc-rust:
	RUSTDOCFLAGS="-D warnings" $(RSDK_CARGO) doc --no-deps
	RUSTDOCFLAGS="-D warnings" $(RSDK_CARGO) doc --no-deps --features aws-sdk

.DEFAULT_GOAL := $(RSDK_SAVED_GOAL)
