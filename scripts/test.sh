#!/usr/bin/env bash
# The test suite: installs what is missing (scripts/setup.sh), then runs every test with the real
# llama.cpp engine and the default model. Extra arguments go to `cargo test`.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
say "running the tests"
cargo test --locked "$@"
