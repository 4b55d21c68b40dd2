#!/usr/bin/env bash
# Regenerates the files in assets/ that come from the code: shell completions and man pages
# (from the clap definitions) and the UI's screenshot (from its own rendering). The test
# `cli::generated_assets_match_the_code` fails until they are regenerated after a change.
# Usage: bash scripts/assets.sh [path/to/llp]   (default: the debug build in the target dir)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
llp="${1:-${CARGO_TARGET_DIR:-$HOME/.cache/llp/cargo-target}/debug/llp}"
[ -x "$llp" ] || { echo "no llp at $llp: build it first (cargo build)" >&2; exit 1; }
mkdir -p assets/completions
"$llp" completions bash >assets/completions/llp.bash
"$llp" completions zsh >assets/completions/_llp
"$llp" completions fish >assets/completions/llp.fish
"$llp" completions powershell >assets/completions/_llp.ps1
rm -rf assets/man
"$llp" man --dir assets/man >/dev/null
LLP_WRITE_ASSETS=1 cargo test --offline --lib -- tui::tests::screenshot_in_assets_matches_the_ui >/dev/null
echo "assets regenerated with $llp"
