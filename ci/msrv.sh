#!/usr/bin/env bash
# The library builds with the rust-version stated in Cargo.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
rustup toolchain list | grep -q "^$msrv" || rustup toolchain install "$msrv" --profile minimal
cargo +"$msrv" check --lib --all-features
