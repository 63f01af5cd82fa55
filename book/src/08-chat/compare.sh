#!/usr/bin/env bash
# The slow member, measured: the same load against lesson 08's chat-server (a queue and a writer thread per
# member) and against examples/naive_chat_server.rs (writes to every member while holding the roster's
# lock), with one member that never reads. Prints one Markdown table, the one chapter 08 shows.
#
#   book/src/08-chat/compare.sh           # the chapter's run: 20 members, 1 slow, 100 lines of 60 kB
#   book/src/08-chat/compare.sh --quick   # a short run for CI: 5 members, 30 lines
#
# The lines are large on purpose: on loopback the kernel buffers megabytes for a member that does not read,
# and a server that waits for it shows it only once the lines add up to more than that.
set -euo pipefail
cd "$(dirname "$0")/../../.."

members=20 lines=100 timeout=500ms
if [[ "${1:-}" == "--quick" ]]; then members=5 lines=30; fi
bytes=60000 max_line=65536

# Build in release and ask cargo where the programs are (never assume target/).
binaries=$(cargo build --release --quiet -p chat --bin chat-server --example naive_chat_server \
    -p shared --bin room-load --message-format=json |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["target"]["name"], m["executable"])')
path_of() { awk -v name="$1" '$1 == name { print $2 }' <<<"$binaries"; }
load=$(path_of room-load)

run() { # label, server program
  local label=$1 program=$2 out pid addr
  out=$(mktemp)
  "$program" --addr 127.0.0.1:0 --max-members $((members + 5)) --max-line "$max_line" >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do [[ -s "$out" ]] && break; sleep 0.05; done
  addr=$(sed -n 's/^listening on //p' "$out" | head -1)
  "$load" --addr "$addr" --members "$members" --slow 1 --lines "$lines" --bytes "$bytes" \
    --timeout "$timeout" --pid "$pid" --label "$label" "${@:3}" || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$out"
}

run "lesson 08 (queues)" "$(path_of chat-server)"
run "naive (writes under the lock)" "$(path_of naive_chat_server)" --no-header
