#!/usr/bin/env bash
# The main job: installs what is missing (scripts/setup.sh), then runs the node on the default
# model in the foreground. Extra arguments go to `llp serve`.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec "$LLP_BIN" serve "$@"
