#!/usr/bin/env bash
# Runs every cargo-fuzz target for a fixed time (FUZZ_SECONDS, default 30). Installs the
# nightly toolchain and cargo-fuzz when missing. A crash fails the script and libFuzzer
# prints the reproducing input (also saved under fuzz/artifacts/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-30}"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cd fuzz
targets=$(cargo +nightly fuzz list)
cargo +nightly fuzz build -O 2>&1 | tail -n 3
for t in $targets; do
    echo "== fuzz $t for ${seconds}s"
    cargo +nightly fuzz run -O "$t" -- -max_total_time="$seconds" -rss_limit_mb=4096 2>&1 | tail -n 5
    test "${PIPESTATUS[0]}" -eq 0
done
