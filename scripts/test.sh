#!/usr/bin/env bash
# The test suite: installs what is missing (scripts/setup.sh), then runs every test with the real
# llama.cpp engine and the default model. Extra arguments go to `cargo test`.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
say "running the tests"
cargo test --locked "$@"
# The cheaters of the verified-work tests exist only in a build with `fault-injection` (never in
# a default or release build, whose test above shows it has no such flag).
if [ $# -eq 0 ]; then
    say "running the cheater tests (a build with --features fault-injection)"
    cargo test --locked --features fault-injection --test main -- trust::every_kind_of_cheater trust::a_worker_that_claims_a_bigger_model
fi
