#!/usr/bin/env bash
# Many idle members, measured: the same room loaded into lesson 08's chat-server (two threads per member)
# and lesson 09's chat-server-loop (one thread, one mio Poll), in one run. For each size and server, one row:
# how long the members took to join, the server's resident memory (VmRSS) and thread count once every member
# has joined, and the time for one line to reach every member (p50, p99). Prints one Markdown table.
#
#   book/src/09-event-loop/compare.sh                     # the chapter's run: 100, 1,000 and 10,000 members
#   book/src/09-event-loop/compare.sh --sizes 100,1000    # other sizes (2 to 10,000 members)
#   book/src/09-event-loop/compare.sh --quick             # a short run for CI: 10 and 50 members, 5 lines
#   book/src/09-event-loop/compare.sh --out book/src/09-event-loop/results.txt
#                                                         # also writes the table, with a note of where and
#                                                         # when, and redraws book/src/diagrams/09-members.svg
#                                                         # from it (book/src/09-event-loop/chart.py)
#
# One talker sends its lines one at a time, each once the one before has reached everyone. A warm-up line
# goes first, not measured: while the members join, each hears `* NAME joined` for every later one and reads
# none of it until the talking starts, and the first line would reach them behind all that.
#
# Every join is told to every member already there: n * n / 2 lines for n members, 50 million for 10,000, so
# the biggest size takes minutes to join (lesson 08's most: a thread is woken for each of those lines). Each
# wait (all the joins, then each line) is bounded by 20 minutes.
#
# Limits: each member is a connection, so a descriptor in the server and one in room-load; and in lesson 08
# two threads, plus room-load's reader thread per member. The script raises its own open-file limit up to
# the hard limit; a size that still does not fit is not run, and its row and stderr say what to run.
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=book/src/09-event-loop

sizes=100,1000,10000 lines=20 out="" timeout=1200
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) sizes=10,50 lines=5 timeout=30 ;;
    --sizes) sizes=${2:?--sizes needs a list, e.g. 100,1000}; shift ;;
    --lines) lines=${2:?--lines needs a number}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
IFS=, read -r -a size_list <<<"$sizes"
for n in "${size_list[@]}"; do
  if ! [[ "$n" =~ ^[0-9]+$ ]] || ((n < 2 || n > 10000)); then
    echo "compare.sh: each size must be 2 to 10000 members (room-load's and lesson 08's bound), not '$n'" >&2
    exit 2
  fi
done
if ! [[ "$lines" =~ ^[0-9]+$ ]] || ((lines < 1)); then
  echo "compare.sh: --lines must be a positive number, not '$lines'" >&2
  exit 2
fi
max_line=1024 queue=64 window=64 warmup=1

# Build in release and ask cargo where the programs are (never assume target/).
binaries=$(cargo build --release --quiet -p chat --bin chat-server -p event-loop --bin chat-server-loop \
    -p shared --bin room-load --message-format=json |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["target"]["name"], m["executable"])')
path_of() { awk -v name="$1" '$1 == name { print $2 }' <<<"$binaries"; }
load=$(path_of room-load)
for program in "$load" "$(path_of chat-server)" "$(path_of chat-server-loop)"; do
  [[ -x "$program" ]] || { echo "compare.sh: cargo built no program at '$program'" >&2; exit 1; }
done

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

# Open files: as many as the hard limit allows, for this shell and what it starts.
hard_files=$(ulimit -Hn)
if [[ "$hard_files" == unlimited ]]; then hard_files=1048576; fi
ulimit -n "$hard_files" 2>/dev/null || true
soft_files=$(ulimit -n)
if [[ "$soft_files" == unlimited ]]; then soft_files=1048576; fi

pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 4194304)
threads_max=$(cat /proc/sys/kernel/threads-max 2>/dev/null || echo 4194304)
user_procs=$(ulimit -u)
max_maps=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 1048576)

# Prints why a run of SERVER with N members cannot be done here, with what to run; nothing if it can.
blocked() { # server (08 or 09), members
  local server=$1 n=$2 files tasks running free
  files=$((n + 64)) # the server's and room-load's: one per member, and a few of their own
  if ((files > soft_files)); then
    echo "needs $files open files, the hard limit is $hard_files: raise it as root (\`ulimit -Hn $files\` in a root shell, or \`prlimit --nofile=$files:$files --pid \$\$\`), then run again"
    return
  fi
  # Threads: room-load's reader per member, and lesson 08's two per member.
  tasks=$((n + 16))
  [[ "$server" == 08 ]] && tasks=$((tasks + 2 * n))
  running=$(awk '{ split($4, t, "/"); print t[2] }' /proc/loadavg 2>/dev/null || echo 0)
  free=$(((pid_max < threads_max ? pid_max : threads_max) - running - 500))
  if ((tasks > free)); then
    echo "needs $tasks threads, and pid_max ($pid_max) leaves about $free: as root, \`echo 4194304 > /proc/sys/kernel/pid_max\`"
    return
  fi
  # Each thread costs its process memory mappings (its stack, a guard page, its allocator's): about four,
  # and Linux allows a process vm.max_map_count of them (65530 by default, about 8,000 of lesson 08's
  # members).
  if [[ "$server" == 08 ]] && ((8 * n + 4096 > max_maps)); then
    echo "needs about $((8 * n + 4096)) memory mappings for its $((2 * n)) threads, and vm.max_map_count is $max_maps: as root, \`sysctl -w vm.max_map_count=$((8 * n + 4096))\`"
    return
  fi
  if [[ "$user_procs" != unlimited && "$(id -u)" != 0 ]] && ((tasks + running > user_procs)); then
    echo "needs $tasks threads, and \`ulimit -u\` is $user_procs: raise it (\`ulimit -u $((tasks + running + 500))\`)"
  fi
}

trim() { local s=${1#"${1%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }
mb() { awk -v kb="${1%% kB}" 'BEGIN { if (kb + 0 > 0) printf "%.1f MB", kb / 1024; else print "-" }'; }
ms() { [[ "$1" == *ms ]] && echo "${1%% ms}" || echo ""; }

declare -A rss p50
rows=()
run() { # server (08 or 09), label, program, members
  local server=$1 label=$2 program=$3 n=$4 why addr row joined status f
  why=$(blocked "$server" "$n")
  if [[ -n "$why" ]]; then
    echo "compare.sh: $label with $n members not run: $why" >&2
    rows+=("| $label | $n | - | - | - | - | - | - | not run: $why |")
    return
  fi
  "$program" --addr 127.0.0.1:0 --max-members "$n" --max-line "$max_line" --queue "$queue" \
    >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 200); do
    addr=$(sed -n 's/^listening on //p' "$work/server.out" | head -1)
    [[ -n "$addr" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z "$addr" ]]; then
    echo "compare.sh: $label did not say where it listens within 10 s:" >&2
    cat "$work/server.err" >&2
    exit 1
  fi
  status=0
  timeout --kill-after=5 $((2 * timeout + 60)) \
    "$load" --addr "$addr" --members "$n" --talkers 1 --lines "$lines" --warmup "$warmup" \
    --join-window "$window" --join-time --timeout "${timeout}s" --pid "$server_pid" --label "$label" \
    --no-header >"$work/load.out" 2>"$work/load.err" || status=$?
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  grep -v ' members joined in ' "$work/load.err" >&2 || true
  joined=$(sed -n 's/.* members joined in \([0-9.]*\) s$/\1 s/p' "$work/load.err")
  row=$(grep '^|' "$work/load.out" | tail -1 || true)
  if [[ $status -ne 0 || -z "$row" ]]; then
    local what="room-load failed (exit $status)"
    [[ $status -eq 124 || $status -eq 137 ]] && what="room-load stopped after $((2 * timeout + 60)) s"
    echo "compare.sh: $label with $n members: $what" >&2
    rows+=("| $label | $n | ${joined:--} | - | - | - | - | - | $what |")
    return
  fi
  # room-load's columns: label, members, slow, lines, delivered, errors, p50, p99, max, VmRSS, VmHWM, threads.
  IFS='|' read -r -a f <<<"$row"
  for i in "${!f[@]}"; do f[i]=$(trim "${f[i]}"); done
  rss[$server,$n]=${f[10]%% kB}
  p50[$server,$n]=$(ms "${f[7]}")
  rows+=("| $label | $n | ${joined:--} | $(mb "${f[10]}") | ${f[12]} | ${f[7]} | ${f[8]} | ${f[5]} of ${f[4]} | ${f[6]} |")
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }

for n in "${size_list[@]}"; do
  run 08 "lesson 08 (2 threads a member)" "$(path_of chat-server)" "$n"
  run 09 "lesson 09 (one mio loop)" "$(path_of chat-server-loop)" "$n"
done

table=$(
  echo "| server | members | joined in | VmRSS | threads | line to everyone p50 | p99 | lines delivered | errors |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  printf 'Lesson 09 against lesson 08, same size:'
  sep=""
  for n in "${size_list[@]}"; do
    printf '%s %s members: memory %s, p50 %s' "$sep" "$n" \
      "$(ratio "${rss[09,$n]:-}" "${rss[08,$n]:-}")" "$(ratio "${p50[09,$n]:-}" "${p50[08,$n]:-}")"
    sep=";"
  done
  echo " (09 / 08: below 1 is less memory, a faster line; - where a server did not run)."
)
echo "$table"

if [[ -n "$out" ]]; then
  kernel=$(uname -sr)
  {
    echo "$table"
    echo
    echo "Measured on $(nproc) cores, $kernel, loopback, $(date +%Y-%m-%d), with \`$here/compare.sh\`:" \
      "1 talker, $lines lines after $warmup warm-up line, members joined $window at a time, --queue $queue;" \
      "memory and threads from /proc once every member had joined; open files $soft_files, vm.max_map_count $max_maps."
  } >"$out"
  echo "wrote $out"
  python3 "$here/chart.py" "$out" book/src/diagrams/09-members.svg
fi
