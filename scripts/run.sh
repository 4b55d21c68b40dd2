#!/usr/bin/env bash
# The main job: installs what is missing (scripts/setup.sh), then runs the node on the default
# model with its terminal UI (`llp`). Without a terminal (a service, a pipe) it runs the node
# headless instead (`llp serve`). Extra arguments go to llp, e.g. `--theme light` or `--join T`.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
if [ -t 0 ] && [ -t 1 ]; then
  exec "$LLP_BIN" "$@"
fi
say "no terminal here: running the node without its UI (llp serve)"
exec "$LLP_BIN" serve "$@"
