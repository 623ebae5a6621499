#!/usr/bin/env bash
# Formatting and lints, warnings denied.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all --check
cargo clippy --all-targets --all-features -- -D warnings
