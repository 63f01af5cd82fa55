#!/usr/bin/env bash
# Lesson 05's benchmark: the same large body downloaded from a local server by http-fetch (at several read
# buffer sizes) and by curl, one after the other in the same run, with both throughputs and their ratio.
#
#   bash lessons/05-http-fetch/compare-curl.sh            # 256 MiB, 5 rounds: the chapter's table
#   bash lessons/05-http-fetch/compare-curl.sh --quick    # 16 MiB, 1 round: CI checks the script still runs
#   bash lessons/05-http-fetch/compare-curl.sh --size 1024 --rounds 3   # any of fetch-bench's options
set -euo pipefail
cd "$(dirname "$0")/../.."

args=(--size 256 --rounds 5)
if [ "${1:-}" = "--quick" ]; then
  shift
  args=(--size 16 --rounds 1)
fi
if [ $# -gt 0 ]; then
  args=("$@")
fi

command -v curl >/dev/null || { echo "error: curl is missing (apt-get install curl)" >&2; exit 1; }
# Release builds: a debug build of http-fetch would measure the debug build, not the program.
cargo build --quiet --release -p http-fetch --bin http-fetch --example fetch-bench
exec target/release/examples/fetch-bench "${args[@]}"
