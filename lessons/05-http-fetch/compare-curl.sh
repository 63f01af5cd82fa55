#!/usr/bin/env bash
# Lesson 05's benchmark: the same large body downloaded from a local server (a process of its own) by
# http-fetch, at several read buffer sizes, and by curl, round after round in a changing order; it prints
# each client's median throughput, its spread and its CPU time, and the ratios of http-fetch to curl paired
# round by round.
#
#   bash lessons/05-http-fetch/compare-curl.sh               # 1 GiB, 10 rounds: the chapter's first table
#   bash lessons/05-http-fetch/compare-curl.sh --self-check  # the same, http-fetch in curl's place: the noise
#   bash lessons/05-http-fetch/compare-curl.sh --quick       # 16 MiB, 2 rounds: CI checks it still runs
#   bash lessons/05-http-fetch/compare-curl.sh --size 256 --rounds 20   # any of fetch-bench's options
#
# It works with any target folder (CARGO_TARGET_DIR, or build.target-dir in a cargo config): cargo says
# where it is.
set -euo pipefail
cd "$(dirname "$0")/../.."

args=(--size 1024 --rounds 10)
if [ "${1:-}" = "--quick" ]; then
  shift
  args=(--size 16 --rounds 2)
elif [ "${1:-}" = "--self-check" ]; then
  shift
  args+=(--self-check)
fi
if [ $# -gt 0 ]; then
  args=("$@")
fi

command -v curl >/dev/null || { echo "error: curl is missing (apt-get install curl)" >&2; exit 1; }
# Release builds: a debug build of http-fetch would measure the debug build, not the program.
cargo build --quiet --release -p http-fetch --bin http-fetch --example fetch-bench
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
exec "$target_dir/release/examples/fetch-bench" "${args[@]}"
