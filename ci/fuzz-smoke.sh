#!/usr/bin/env bash
# Runs every cargo-fuzz target for a fixed time (FUZZ_SECONDS, default 20). Installs the
# nightly toolchain and cargo-fuzz when missing. A crash fails the script and libFuzzer
# prints the reproducing input (also saved under fuzz/artifacts/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cd fuzz
targets="${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}"
cargo +nightly fuzz build -O 2>&1 | tail -n 3
status=0
for t in $targets; do
    echo "== fuzz $t for ${seconds}s"
    log=$(mktemp)
    if cargo +nightly fuzz run -O "$t" -- -max_total_time="$seconds" -rss_limit_mb=4096 >"$log" 2>&1; then
        grep -E '^Done ' "$log" || tail -n 2 "$log"
    else
        status=1
        echo "!! $t failed:"
        grep -E "panicked at|assertion|left:|right:|ERROR:|SUMMARY" "$log" | head -n 20
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | head -n 1)
        if [ -n "$artifact" ] && [ -f "$artifact" ]; then
            echo "reproducing input ($artifact), base64:"
            base64 -w 0 "$artifact"
            echo
            echo "as the target's Debug:"
            cargo +nightly fuzz fmt -O "$t" "$artifact" 2>&1 | sed -n '/Output of/,$p' | head -n 60
        fi
    fi
    rm -f "$log"
done
exit $status
