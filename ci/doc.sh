#!/usr/bin/env bash
# API docs build without a warning (broken links, missing docs), and every public item
# has an example.
set -euo pipefail
cd "$(dirname "$0")/.."
# The internals' docs link to each other too: keep those links resolving. (Built first,
# so that the public docs below are what `target/doc` holds afterwards.)
RUSTDOCFLAGS="-D warnings --document-private-items" cargo doc --no-deps --all-features
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features
# Every public item carries a runnable example.
python3 ci/doc-audit.py
