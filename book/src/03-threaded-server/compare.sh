#!/usr/bin/env bash
# Lesson 02's server (one client at a time), lesson 03's (a thread per client) and a Python threaded server
# under the same load, in one run on this machine: one Markdown table, for the book.
#
#   book/src/03-threaded-server/compare.sh                        # 100 clients x 500 rounds, release build
#   book/src/03-threaded-server/compare.sh --clients 200 --rounds 1000
#   book/src/03-threaded-server/compare.sh --quick                # tiny and a debug build: does it still work?
#
# Settings also come from the environment: CLIENTS, ROUNDS, TIMEOUT, and SERVERS (which servers, in order,
# from "02 03 python"). Each server listens on 127.0.0.1:0; `greet-load` (shared/src/bin) loads it; every
# server is stopped when the script ends, whatever the reason.
set -euo pipefail

CLIENTS=${CLIENTS:-100}
ROUNDS=${ROUNDS:-500}
# Lesson 02 greets the last client only after all the others are done: its wait grows with clients x rounds.
TIMEOUT=${TIMEOUT:-30s}
SERVERS=${SERVERS:-"02 03 python"}
profile=release

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --quick) CLIENTS=4 ROUNDS=5 profile=debug ;;
    --clients | --rounds | --timeout | --servers)
      [ $# -ge 2 ] || { echo "compare.sh: $1 needs a value" >&2; exit 2; }
      case $1 in
        --clients) CLIENTS=$2 ;; --rounds) ROUNDS=$2 ;; --timeout) TIMEOUT=$2 ;; --servers) SERVERS=$2 ;;
      esac
      shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "compare.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# The repository root, wherever the script is started from.
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
script_dir=book/src/03-threaded-server

# Build only what runs; lesson 03 only if it is asked for.
packages=(-p shared --bin greet-load)
for server in $SERVERS; do
  case $server in
    02) packages+=(-p single-server --bin single-server) ;;
    03) packages+=(-p threaded-server --bin threaded-server) ;;
    python) command -v python3 >/dev/null || { echo "compare.sh: python3 is missing" >&2; exit 1; } ;;
    *) echo "compare.sh: unknown server $server in SERVERS (known: 02 03 python)" >&2; exit 2 ;;
  esac
done
if [ "$profile" = release ]; then
  cargo build --release -q "${packages[@]}"
else
  cargo build -q "${packages[@]}"
fi
bin=${CARGO_TARGET_DIR:-target}/$profile

# Every server started is killed on exit, even when a step fails.
logs=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap cleanup EXIT

# Starts a server on port 0 and sets `addr` from its `listening on` line: no sleep, just a read that waits
# (at most 20 s) for the line. stdout stays open on fd 3 so the server never writes into a closed pipe.
start_server() {
  local name=$1 line
  shift
  exec 3< <(exec "$@" --addr 127.0.0.1:0 2>"$logs/$name.err")
  pids+=("$!")
  if ! read -r -t 20 -u 3 line || [[ $line != "listening on "* ]]; then
    echo "compare.sh: $name did not say 'listening on ADDR' (it said '${line:-}'); its stderr:" >&2
    cat "$logs/$name.err" >&2
    exit 1
  fi
  addr=${line#listening on }
}

stop_server() {
  kill "${pids[-1]}" 2>/dev/null || true
  exec 3<&-
}

load=(--clients "$CLIENTS" --rounds "$ROUNDS" --timeout "$TIMEOUT")
rows=()
for server in $SERVERS; do
  case $server in
    02) label="lesson 02 (one at a time)"; start_server single-server "$bin/single-server" ;;
    03) label="lesson 03 (thread per client)"; start_server threaded-server "$bin/threaded-server" ;;
    python) label="Python threaded server"; start_server python python3 "$script_dir/threaded_server.py" ;;
  esac
  rows+=("$("$bin/greet-load" --addr "$addr" "${load[@]}" --row "$label")")
  stop_server
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "Greeting servers under load: $CLIENTS clients at once, $ROUNDS rounds each, timeout $TIMEOUT;" \
  "$profile build (\`greet-load ${load[*]}\`)."
echo "Machine: $(nproc) CPUs (greet-load's clients share them with the server), $(uname -srm), ${cpu:-CPU model unknown}; $(rustc --version | cut -d' ' -f1-2)," \
  "$(python3 --version 2>&1)."
echo
"$bin/greet-load" --header
printf '%s\n' "${rows[@]}"

# Ratios, as the book quotes them: round trips per second against the Python server's.
printf '%s\n' "${rows[@]}" | awk -F' [|] ' '
  { label[NR] = substr($1, 3); rate[NR] = $6 }
  $1 ~ /Python/ { python = $6 }
  END {
    if (python > 0) {
      line = "Round trips per second, relative to the Python server:"
      for (i = 1; i <= NR; i++) line = line sprintf(" %s %.1fx%s", label[i], rate[i] / python, i < NR ? ";" : ".")
      print "\n" line
    }
  }'
