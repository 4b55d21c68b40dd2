#!/usr/bin/env bash
# The pipelines' benchmark (not CI): the default model whole on one candle node, then split in
# 1, 2 and 3 stages over three hosts, on loopback and through the network lab with 20 ms round
# trips (needs root; skipped otherwise); and the longest wait between tokens when a stage is
# killed mid-answer. Figures go to stderr, one line each ("bench ...").
#   bash scripts/bench-pipeline.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
say "pipelines: 1, 2 and 3 stages against the whole model, loopback and 20 ms links"
cargo test --locked --test main -- --ignored --test-threads 1 --nocapture \
  pipeline::bench_pipelines 2>&1 | grep -E "^(bench|SKIPPED)|test result|panicked"
