#!/usr/bin/env bash
# The three models, measured in one run: the same room served by lesson 08 (two threads a member), lesson 09
# (one mio loop), lesson 10 (tokio tasks, multi-thread and current-thread runtimes) and the tutorial-style
# Python asyncio room (lessons/10-async/python/asyncio_chat.py). Two loads, each on every server:
#
#   idle:  N members join and stay; one talker sends lines one at a time, each once the one before has
#          reached everyone. Row: join time, resident memory (VmRSS) and threads once all have joined,
#          and the time for one line to reach every member (p50, p99).
#   talk:  100 members, 99 of them talking: each sends its next line once its last one reached
#          the 99 others. Row: lines delivered per second (each line counted once per member that got it).
#
#   book/src/10-async/compare.sh                       # the chapter's run: 100, 1,000, 10,000 idle; talk
#   book/src/10-async/compare.sh --sizes 100,1000      # other idle sizes (2 to 10,000 members)
#   book/src/10-async/compare.sh --quick               # a short run for CI: 10 and 30 members, 3 lines
#   book/src/10-async/compare.sh --out book/src/10-async/results.txt
#                                                      # also writes the tables with a note of where and when
#
# Every join is told to every member already there (n * n / 2 lines), so 10,000 members take minutes to
# join, lesson 08 most. Each member is a descriptor in the server and one in room-load (plus a reader
# thread there), lesson 08 two threads; the script raises its open-file limit up to the hard limit, and a
# size that does not fit is not run: its row and stderr say what to run.
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=book/src/10-async

sizes=100,1000,10000 lines=20 talk_lines=50 talkers=100 out="" timeout=1800
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) sizes=10,30 lines=3 talk_lines=3 talkers=10 timeout=30 ;;
    --sizes) sizes=${2:?--sizes needs a list, e.g. 100,1000}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
IFS=, read -r -a size_list <<<"$sizes"
for n in "${size_list[@]}"; do
  if ! [[ "$n" =~ ^[0-9]+$ ]] || ((n < 2 || n > 10000)); then
    echo "compare.sh: each size must be 2 to 10000 members, not '$n'" >&2
    exit 2
  fi
done
command -v python3 >/dev/null || { echo "compare.sh: python3 is needed (the asyncio room, and cargo's JSON)" >&2; exit 1; }
max_line=1024 queue=64 talk_queue=1024 window=64 listen_buffer=4096

binaries=$(cargo build --release --quiet -p chat --bin chat-server -p event-loop --bin chat-server-loop \
    -p async-chat --bin chat-server-async -p shared --bin room-load --message-format=json |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["target"]["name"], m["executable"])')
path_of() { awk -v name="$1" '$1 == name { print $2 }' <<<"$binaries"; }
load=$(path_of room-load)
for program in "$load" "$(path_of chat-server)" "$(path_of chat-server-loop)" "$(path_of chat-server-async)"; do
  [[ -x "$program" ]] || { echo "compare.sh: cargo built no program at '$program'" >&2; exit 1; }
done

# The servers: key, label; `command_of KEY` sets the array `cmd`.
servers=(08 09 10mt 10ct py)
declare -A label=(
  [08]="lesson 08 (threads)" [09]="lesson 09 (mio loop)" [10mt]="lesson 10 (tokio, multi-thread)"
  [10ct]="lesson 10 (tokio, current-thread)" [py]="Python asyncio"
)
command_of() {
  case "$1" in
    08) cmd=("$(path_of chat-server)") ;;
    09) cmd=("$(path_of chat-server-loop)") ;;
    10mt) cmd=("$(path_of chat-server-async)" --runtime multi-thread) ;;
    10ct) cmd=("$(path_of chat-server-async)" --runtime current-thread) ;;
    py) cmd=(python3 lessons/10-async/python/asyncio_chat.py) ;;
  esac
}

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

hard_files=$(ulimit -Hn)
if [[ "$hard_files" == unlimited ]]; then hard_files=1048576; fi
ulimit -n "$hard_files" 2>/dev/null || true
soft_files=$(ulimit -n)
if [[ "$soft_files" == unlimited ]]; then soft_files=1048576; fi
pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 4194304)
max_maps=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 1048576)

# Prints why SERVER cannot hold N members here, with what to run; nothing if it can.
blocked() { # server, members
  local server=$1 n=$2 tasks running
  if ((n + 64 > soft_files)); then
    echo "needs $((n + 64)) open files, the hard limit is $hard_files: raise it as root (\`ulimit -Hn $((n + 64))\`), then run again"
    return
  fi
  tasks=$((n + 16))
  [[ "$server" == 08 ]] && tasks=$((tasks + 2 * n))
  running=$(awk '{ split($4, t, "/"); print t[2] }' /proc/loadavg 2>/dev/null || echo 0)
  if ((tasks > pid_max - running - 500)); then
    echo "needs $tasks threads, and pid_max is $pid_max: as root, \`echo 4194304 > /proc/sys/kernel/pid_max\`"
    return
  fi
  if [[ "$server" == 08 ]] && ((8 * n + 4096 > max_maps)); then
    echo "needs about $((8 * n + 4096)) memory mappings for its $((2 * n)) threads, and vm.max_map_count is $max_maps: as root, \`sysctl -w vm.max_map_count=$((8 * n + 4096))\`"
  fi
}

trim() { local s=${1#"${1%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }
mb() { awk -v kb="${1%% kB}" 'BEGIN { if (kb + 0 > 0) printf "%.1f MB", kb / 1024; else print "-" }'; }

# Starts SERVER with the given --max-members and --queue; sets `addr` and `server_pid`.
start() { # server, max members, queue
  command_of "$1"
  "${cmd[@]}" --addr 127.0.0.1:0 --max-members "$2" --max-line "$max_line" --queue "$3" \
    >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  addr=""
  for _ in $(seq 200); do
    addr=$(sed -n 's/^listening on //p' "$work/server.out" | head -1)
    [[ -n "$addr" ]] && return
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "compare.sh: ${label[$1]} did not say where it listens within 10 s:" >&2
  cat "$work/server.err" >&2
  exit 1
}

stop() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# Runs room-load with the given options against the running server; sets `row` (its table row, or empty)
# and `status`.
load_it() {
  status=0
  timeout --kill-after=5 $((2 * timeout + 60)) "$load" --addr "$addr" --timeout "${timeout}s" \
    --no-header "$@" >"$work/load.out" 2>"$work/load.err" || status=$?
  grep -v ' members joined in ' "$work/load.err" >&2 || true
  row=$(grep '^|' "$work/load.out" | tail -1 || true)
  [[ $status -eq 0 ]] || row=""
}

# room-load's columns: label, members, slow, lines, delivered, errors, p50, p99, max, VmRSS, VmHWM,
# threads, lines/s.
cells() { IFS='|' read -r -a f <<<"$row"; for i in "${!f[@]}"; do f[i]=$(trim "${f[i]}"); done; }

idle_rows=() talk_rows=()
idle() { # server, members
  local server=$1 n=$2 why joined base
  why=$(blocked "$server" "$n")
  if [[ -n "$why" ]]; then
    echo "compare.sh: ${label[$server]} with $n members not run: $why" >&2
    idle_rows+=("| ${label[$server]} | $n | - | - | - | - | - | - | - | not run: $why |")
    return
  fi
  start "$server" "$n" "$queue"
  base=$(awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0)
  load_it --members "$n" --talkers 1 --lines "$lines" --warmup 1 --join-window "$window" --join-time \
    --listen-buffer "$listen_buffer" \
    --pid "$server_pid" --label "${label[$server]}"
  stop
  joined=$(sed -n 's/.* members joined in \([0-9.]*\) s$/\1 s/p' "$work/load.err")
  if [[ -z "$row" ]]; then
    idle_rows+=("| ${label[$server]} | $n | ${joined:--} | - | - | - | - | - | - | room-load failed (exit $status) |")
    return
  fi
  cells
  local per
  per=$(awk -v kb="${f[10]%% kB}" -v base="${base:-0}" -v n="$n" \
    'BEGIN { if (kb + 0 > 0) printf "%.2f KiB", (kb - base) / n; else print "-" }')
  idle_rows+=("| ${label[$server]} | $n | ${joined:--} | $(mb "${f[10]}") | $per | ${f[12]} | ${f[7]} | ${f[8]} | ${f[5]} of ${f[4]} | ${f[6]} |")
}

talk() { # server
  local server=$1
  start "$server" $((talkers + 8)) "$talk_queue"
  load_it --members "$talkers" --talkers $((talkers - 1)) --lines "$talk_lines" --warmup 1 \
    --pid "$server_pid" --label "${label[$server]}"
  stop
  if [[ -z "$row" ]]; then
    talk_rows+=("| ${label[$server]} | $talkers | - | - | - | room-load failed (exit $status) |")
    return
  fi
  cells
  talk_rows+=("| ${label[$server]} | $((talkers - 1)) | ${f[13]} | ${f[7]} | ${f[8]} | ${f[5]} of ${f[4]}, errors ${f[6]} |")
}

for n in "${size_list[@]}"; do
  for server in "${servers[@]}"; do idle "$server" "$n"; done
done
for server in "${servers[@]}"; do talk "$server"; done

table=$(
  echo "Idle members (one talker, one line at a time):"
  echo
  echo "| server | members | joined in | VmRSS | per member | threads | line to everyone p50 | p99 | lines delivered | errors |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"
  printf '%s\n' "${idle_rows[@]}"
  echo
  echo "Members talking ($talkers members, all but one talking, $talk_lines lines each, each line sent once the last reached everyone; --queue $talk_queue):"
  echo
  echo "| server | talkers | lines delivered per second | line to everyone p50 | p99 | delivered |"
  echo "|---|--:|--:|--:|--:|---|"
  printf '%s\n' "${talk_rows[@]}"
)
echo "$table"

if [[ -n "$out" ]]; then
  {
    echo "$table"
    echo
    echo "Measured on $(nproc) cores, $(uname -sr), loopback, $(date +%Y-%m-%d), with \`$here/compare.sh\`:" \
      "idle runs: $lines lines after a warm-up line, members joined $window at a time, each listening member with a $((listen_buffer / 1024)) KiB receive buffer, --queue $queue;" \
      "memory and threads from /proc once every member had joined (per member: VmRSS less the server's VmRSS before any member came, divided by members);" \
      "open files $soft_files, vm.max_map_count $max_maps; $(python3 --version)."
  } >"$out"
  echo "wrote $out"
fi
