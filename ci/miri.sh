#!/usr/bin/env bash
# Every test that reaches unsafe code, under Miri with strict provenance. Tests scale
# themselves down under cfg(miri). Installs nightly, miri and rust-src when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup component add miri rust-src --toolchain nightly >/dev/null
cargo +nightly miri setup >/dev/null

# Isolation off: proptest reads the working directory (for its regression files).
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-strict-provenance -Zmiri-disable-isolation}"
# The test targets that reach unsafe code: the crate's unit tests, the hashbrown-backed
# core through the HashMap and FinalizingMap suites (hashbrown's unsafe, our use of its
# bucket API), and the concurrent core (our own unsafe). LruMap's one unsafe block, the
# SSE2 tag compare of its index (src/raw/index.rs), runs in the unit tests (the index's
# own, and LruMap's). NestedMap and WeakKeyMap contain no unsafe code of their own and
# sit on the same core; add them with MIRI_TESTS="... nested weak lru" for a deeper
# (slower) run (WeakKeyMap's unit tests are compiled out under Miri for the same reason).
# Proptest cases are scaled down by PROPTEST_CASES where a test uses the default count.
export PROPTEST_CASES="${PROPTEST_CASES:-4}"
cargo +nightly miri test --lib
for t in ${MIRI_TESTS:-hash_map finalizing concurrent}; do
    flags="$MIRIFLAGS"
    # crossbeam-epoch (under ConcurrentMap) casts integers to pointers and derives its
    # participants from list entries, which strict provenance and Stacked Borrows reject
    # inside crossbeam itself; check that target with permissive provenance and Tree
    # Borrows instead.
    if [ "$t" = concurrent ]; then flags="-Zmiri-permissive-provenance -Zmiri-tree-borrows"; fi
    MIRIFLAGS="$flags" cargo +nightly miri test --test "$t"
done
