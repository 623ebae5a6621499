#!/usr/bin/env bash
# The tests behind the optional features (`serde`, `arbitrary`), which the plain
# `cargo test` does not build: the serde round trips and the `Arbitrary` unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-features --test serde
cargo test --all-features --lib arbitrary
