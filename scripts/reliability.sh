#!/usr/bin/env bash
# The reliability benchmarks (not CI): the whole ladder of degraded links with more requests per
# level, and the churn run for its full 5 minutes. Needs root for the network lab
# (tests/netlab.rs). Figures go to stderr, one line per level and one for the churn.
#   bash scripts/reliability.sh            # 200 requests per level, 300 s of churn
#   LLP_LADDER_REQUESTS=50 LLP_CHURN_SECS=120 bash scripts/reliability.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
export LLP_LADDER_REQUESTS="${LLP_LADDER_REQUESTS:-200}"
export LLP_CHURN_SECS="${LLP_CHURN_SECS:-300}"
say "the ladder of degraded links ($LLP_LADDER_REQUESTS requests a level) and $LLP_CHURN_SECS s of churn"
cargo test --locked --test main -- --test-threads 1 --nocapture degraded:: churn:: 2>&1 \
  | grep -E "^(level|churn|host|SKIPPED)|test result|panicked"
