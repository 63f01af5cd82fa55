#!/usr/bin/env bash
# Greeting servers of the same protocol under the same loads, in one run on this machine: lesson 02's (one
# client at a time), lesson 03's (a thread per client), a tokio server (a task per client: the lesson's
# examples/tokio_greeting_server.rs) and a Python threaded server; one Markdown table per load, for the book.
#
#   book/src/03-threaded-server/compare.sh                      # 100, then 1000 clients, 500 rounds each
#   book/src/03-threaded-server/compare.sh --clients 100 --rounds 1000
#   book/src/03-threaded-server/compare.sh --quick              # tiny and a debug build: does it still work?
#
# Settings also come from the environment: CLIENTS (the loads, "100 1000"), ROUNDS, TIMEOUT, and SERVERS
# (which servers, in order, from "02 03 tokio python"). Lesson 02 runs only at loads of 100 clients or
# fewer. 1000 clients need about 2100 open files per process: the script raises its own limit (`ulimit -n`)
# as far as the hard limit allows, and says what to do when that is not enough. Each server listens on
# 127.0.0.1:0; `greet-load` (shared/src/bin) loads it; every server is stopped when the script ends.
set -euo pipefail

CLIENTS=${CLIENTS:-"100 1000"}
ROUNDS=${ROUNDS:-500}
# Lesson 02 greets the last client only after all the others are done: its wait grows with clients x rounds.
TIMEOUT=${TIMEOUT:-30s}
SERVERS=${SERVERS:-"02 03 tokio python"}
# Past this many clients, lesson 02's table row would only say that one at a time is slow (its 1000th client
# waits for 999 sessions, and its backlog of 128 cannot even hold them): it is left out.
LESSON_02_MAX_CLIENTS=100
profile=release

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
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

# Each client is a socket in greet-load, and one or two descriptors in the server (lesson 03 keeps a copy
# of each socket for its stop): raise this shell's limit, which the servers and greet-load inherit.
most=0
for clients in $CLIENTS; do
  case $clients in '' | *[!0-9]*) echo "compare.sh: --clients takes numbers, not '$clients'" >&2; exit 2 ;; esac
  [ "$clients" -gt "$most" ] && most=$clients
done
need=$((2 * most + 100))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  if ! ulimit -n "$need" 2>/dev/null; then
    echo "compare.sh: $most clients need about $need open files per process, and this shell may open at most" \
      "$(ulimit -Hn) (\`ulimit -Hn\`). Raise the hard limit (as root, \`ulimit -Hn $need\` in the shell that" \
      "runs the script, or \`nofile\` in /etc/security/limits.conf), or run with --clients 100." >&2
    exit 1
  fi
fi

# Build only what runs, and ask cargo where it put each program: it knows the target folder, wherever
# CARGO_TARGET_DIR or a config put it (the JSON lines it prints name each executable).
packages=(-p shared --bin greet-load)
for server in $SERVERS; do
  case $server in
    02) packages+=(-p single-server --bin single-server) ;;
    03) packages+=(-p threaded-server --bin threaded-server) ;;
    tokio) packages+=(-p threaded-server --example tokio_greeting_server) ;;
    python) command -v python3 >/dev/null || { echo "compare.sh: python3 is missing" >&2; exit 1; } ;;
    *) echo "compare.sh: unknown server $server in SERVERS (known: 02 03 tokio python)" >&2; exit 2 ;;
  esac
done
build=(cargo build -q --message-format=json-render-diagnostics "${packages[@]}")
[ "$profile" = release ] && build+=(--release)
executables=$("${build[@]}" | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')
program() {
  local path
  path=$(printf '%s\n' "$executables" | grep "/$1\$" | head -n 1)
  [ -n "$path" ] || { echo "compare.sh: cargo built no program named $1" >&2; exit 1; }
  printf '%s\n' "$path"
}
greet_load=$(program greet-load)
echo "compare.sh: the programs are in $(dirname "$greet_load")" >&2

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

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
load_average() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime | sed 's/.*load average[s]*: //'; }
echo "Greeting servers under load, $ROUNDS rounds per client, timeout $TIMEOUT; $profile build."
echo "Machine: $(nproc) CPUs (greet-load's clients share them with the server), $(uname -srm)," \
  "${cpu:-CPU model unknown}; $(rustc --version | cut -d' ' -f1-2), $(python3 --version 2>&1)."
echo "Load average (1, 5, 15 min) at the start: $(load_average)."

for clients in $CLIENTS; do
  # Every server admits the whole load (lesson 03's default bound, 256, would turn most of 1000 away).
  max_clients=$((clients + clients / 10 + 1))
  [ "$max_clients" -lt 256 ] && max_clients=256
  load=(--clients "$clients" --rounds "$ROUNDS" --timeout "$TIMEOUT")
  rows=()
  costs=()
  for server in $SERVERS; do
    case $server in
      02)
        if [ "$clients" -gt "$LESSON_02_MAX_CLIENTS" ]; then continue; fi
        label="lesson 02 (one at a time)"; start_server single-server "$(program single-server)" ;;
      03)
        label="lesson 03 (thread per client)"
        start_server threaded-server "$(program threaded-server)" --max-clients "$max_clients" ;;
      tokio)
        label="tokio (task per client)"
        start_server tokio "$(program tokio_greeting_server)" --max-clients "$max_clients" ;;
      python)
        label="Python threaded server"
        start_server python python3 "$script_dir/threaded_server.py" --max-clients "$max_clients" ;;
    esac
    rows+=("$("$greet_load" --addr "$addr" "${load[@]}" --row "$label")")
    # What the load cost the server in memory: its peak resident set (VmHWM, on Linux).
    peak=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/${pids[-1]}/status" 2>/dev/null || true)
    [ -n "$peak" ] && costs+=("$label $((peak / 1024)) MiB")
    stop_server
  done

  echo
  echo "$clients clients at once (\`greet-load ${load[*]}\`, servers with --max-clients $max_clients):"
  echo
  "$greet_load" --header
  printf '%s\n' "${rows[@]}"

  # Ratios, as the book quotes them: round trips per second against the tokio server's.
  printf '%s\n' "${rows[@]}" | awk -F' [|] ' -v clients="$clients" '
    { label[NR] = substr($1, 3); rate[NR] = $6 }
    $1 ~ /tokio/ { tokio = $6 }
    END {
      if (tokio > 0) {
        line = "Round trips per second at " clients " clients, relative to the tokio server:"
        for (i = 1; i <= NR; i++) line = line sprintf(" %s %.2fx%s", label[i], rate[i] / tokio, i < NR ? ";" : ".")
        print "\n" line
      }
    }'
  if [ "${#costs[@]}" -gt 0 ]; then
    line="Peak resident memory of each server (VmHWM):"
    for i in "${!costs[@]}"; do line+=" ${costs[$i]}"; [ "$i" -lt $((${#costs[@]} - 1)) ] && line+=";"; done
    echo "$line."
  fi
  if [ "$clients" -gt "$LESSON_02_MAX_CLIENTS" ] && [[ " $SERVERS " == *" 02 "* ]]; then
    echo "(Lesson 02 is left out past $LESSON_02_MAX_CLIENTS clients: one at a time, its last client would wait for all the others.)"
  fi
done
echo
echo "Load average at the end: $(load_average)."
