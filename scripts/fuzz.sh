#!/usr/bin/env bash
# Fuzzing (a benchmark, not CI: CI runs 2,000 inputs a target): every decoder of what others
# write, for LLP_FUZZ_SECS seconds each (default 600). Targets and corpus: src/fuzz.rs and
# tests/corpus/; a panicking input is saved there as crash-*.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
export LLP_FUZZ_SECS="${LLP_FUZZ_SECS:-600}"
say "fuzzing each target for $LLP_FUZZ_SECS s"
cargo test --locked --lib -- --test-threads 1 --nocapture fuzz 2>&1 | grep -E "^fuzz|test result|panicked"
