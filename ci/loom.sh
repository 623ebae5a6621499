#!/usr/bin/env bash
# The loom models of the concurrent core (tests/loom.rs). The cfg flags change every
# crate's build, so they build in their own target directory and never invalidate the
# normal one.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="--cfg leakless_loom --cfg crossbeam_loom"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/loom}"
cargo test --release --test loom -- --nocapture --test-threads=1 "$@"
