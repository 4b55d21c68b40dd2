#!/usr/bin/env bash
# The soak (a benchmark, not CI): three nodes (a gateway and two workers) at moderate load for
# an hour; prints each node's resident memory and open descriptors, and the p99 latency, in
# the first and the last window, and fails if they rose. LLP_SOAK_SECS sets the length.
#   bash scripts/soak.sh                 # one hour
#   LLP_SOAK_SECS=600 bash scripts/soak.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
export LLP_SOAK_SECS="${LLP_SOAK_SECS:-3600}"
say "soaking three nodes for $LLP_SOAK_SECS s"
cargo test --locked --test main -- --ignored --nocapture soak:: 2>&1 | grep -E "^soak|test result|panicked"
