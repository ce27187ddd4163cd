# Shared by the scripts in this folder: paths, progress lines, the embedded
# ClickHouse, and cleanup of whatever a script started.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.canopy"          # everything setup and runs create; never committed
VENV="$STATE/venv"
mkdir -p "$STATE"

say() { printf '\033[1;32m[canopy]\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31m[canopy] error:\033[0m %s\n' "$*" >&2; exit 1; }

# The toolchain choice setup made for wasm (rustup's target or Debian's rustc-web).
load_toolchain() {
  [[ -f "$STATE/toolchain.env" ]] || fail "run scripts/setup first"
  # shellcheck disable=SC1091
  source "$STATE/toolchain.env"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Background processes started by the calling script, stopped when it exits.
CHILDREN=()
stop_children() {
  local pid
  for pid in "${CHILDREN[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${CHILDREN[@]}"; do wait "$pid" 2>/dev/null || true; done
  CHILDREN=()
}
trap stop_children EXIT
trap 'exit 130' INT TERM

# Waits until a URL answers, or fails naming what did not come up.
wait_for_url() { # url what seconds
  local deadline=$((SECONDS + ${3:-60}))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    (( SECONDS < deadline )) || fail "$2 did not answer at $1 within ${3:-60}s"
    sleep 0.3
  done
}

# Starts the embedded ClickHouse (chdb-core) on loopback and exports CLICKHOUSE_URL.
# More arguments go to scripts/embedded-clickhouse.py (e.g. --query-log).
start_embedded_clickhouse() { # port data-dir log [flag...]
  local port=$1 data_dir=$2 log=$3
  "$VENV/bin/python" "$ROOT/scripts/embedded-clickhouse.py" --port "$port" --data-dir "$data_dir" "${@:4}" >"$log" 2>&1 &
  CHILDREN+=($!)
  wait_for_url "http://127.0.0.1:$port/ping" "the embedded ClickHouse (log: $log)" 90
  export CLICKHOUSE_URL="http://127.0.0.1:$port"
}

# Starts an N-shard embedded cluster named canopy (scripts/embedded-cluster.py)
# on 2N consecutive ports from PORT and exports CANOPY_CLUSTER_URLS (its
# nodes' HTTP URLs, comma-separated) once every node answers.
start_embedded_cluster() { # nodes port data-dir log
  local nodes=$1 port=$2 data_dir=$3 log=$4 k urls=()
  "$VENV/bin/python" "$ROOT/scripts/embedded-cluster.py" --nodes "$nodes" --port "$port" --data-dir "$data_dir" >"$log" 2>&1 &
  CHILDREN+=($!)
  for ((k = 0; k < nodes; k++)); do
    urls+=("http://127.0.0.1:$((port + k))")
    wait_for_url "${urls[-1]}/ping" "node $((k + 1)) of the embedded cluster (log: $log)" 120
  done
  CANOPY_CLUSTER_URLS="$(IFS=,; echo "${urls[*]}")"
  export CANOPY_CLUSTER_URLS
}

# A free port P with P+1 … P+N-1 free too (for a cluster's consecutive ports).
free_ports() { # count
  python3 - "$1" <<'PY'
import socket, sys
count = int(sys.argv[1])
for _ in range(100):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        first = s.getsockname()[1]
    if first + count > 65535:
        continue
    free = True
    for port in range(first, first + count):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                free = False
                break
    if free:
        print(first)
        sys.exit(0)
sys.exit("no run of free ports found")
PY
}

# --- For the benchmarks (scripts/bench, scripts/bench-queries) ---

# A temporary work directory (WORK, removed on exit) and an embedded
# ClickHouse of its own with its data in it (CLICKHOUSE_URL, CLICKHOUSE_PID,
# CLICKHOUSE_VERSION). Flags go to scripts/embedded-clickhouse.py.
start_bench_clickhouse() { # name [flag...]
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/canopy-$1.XXXXXX")"
  # IDLE_CGROUP: set by idle_clickhouse; removable once ClickHouse has stopped.
  trap 'stop_children; [[ -z ${IDLE_CGROUP:-} ]] || rmdir "$IDLE_CGROUP" 2>/dev/null; rm -rf "$WORK"' EXIT
  say "$1: starting an embedded ClickHouse of its own (data in $WORK)"
  start_embedded_clickhouse "$(free_port)" "$WORK/clickhouse" "$WORK/clickhouse.log" "${@:2}"
  CLICKHOUSE_PID="${CHILDREN[-1]}"
  CLICKHOUSE_VERSION="$(curl -fsS --data-binary 'SELECT version() FORMAT TabSeparated' "$CLICKHOUSE_URL/")"
}

# Gives ClickHouse only the CPU the benchmark's own processes leave, standing
# in for the machines of its own it has in production. Preferred: a cpu cgroup
# with cpu.idle=1, which the scheduler treats as one idle entity. Per-thread
# SCHED_IDLE is the fallback (no writable cpu cgroup): with ClickHouse's ~170
# threads, the scheduler was seen running them for 4 ms slices while the
# server's threads waited up to 24 ms (docs/PERFORMANCE.md, fifth session).
# Sets CLICKHOUSE_ISOLATION to a sentence saying which was used.
idle_clickhouse() { # clickhouse-pid
  local root group task
  for root in /sys/fs/cgroup/cpu /sys/fs/cgroup; do
    group="$root/canopy-bench-$$"
    mkdir "$group" 2>/dev/null || continue
    if [[ -e $group/cpu.idle ]] && { echo 1 >"$group/cpu.idle" && echo "$1" >"$group/cgroup.procs"; } 2>/dev/null; then
      IDLE_CGROUP="$group"
      CLICKHOUSE_ISOLATION="ClickHouse ran in a cpu cgroup of its own with cpu.idle=1, standing in for the machines of its own it has in production: it gets every cycle the server and the load generator leave, and no more."
      return
    fi
    rmdir "$group" 2>/dev/null || true
  done
  say "no writable cpu cgroup: ClickHouse's threads get SCHED_IDLE one by one instead (a weaker isolation: expect a longer ack tail)"
  for task in /proc/"$1"/task/*; do chrt --idle -p 0 "${task##*/}" >/dev/null; done
  CLICKHOUSE_ISOLATION="ClickHouse's threads ran at SCHED_IDLE one by one (no writable cpu cgroup for cpu.idle), standing in for the machines of its own it has in production; the scheduler still let them delay the server by whole ticks at times."
}

# CPU accounting, to tell how much of the machine was someone else's during a
# measurement: jiffies from /proc/stat (all CPUs), the ClickHouse process's
# own, and the calling script's children's (bash's `times`). Call cpu_start
# and cpu_summary from the script's own shell, not in $(...): `times` in a
# subshell would see the subshell's children.
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
steal_jiffies() { awk '/^cpu / { print $9 }' /proc/stat; }
process_jiffies() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
children_seconds() { tail -1 "$1" | awk '{ for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } print s }'; }

cpu_start() { # work-dir clickhouse-pid
  times >"$1/times0"
  CPU_START=("$(busy_jiffies)" "$(steal_jiffies)" "$(process_jiffies "$2")" "$(children_seconds "$1/times0")" "$SECONDS")
}

# Sets CPU_SUMMARY to a sentence on the time since cpu_start: how busy the
# cores were, how much of it was ClickHouse, the script's own processes
# (named by the third argument) and other work.
cpu_summary() { # work-dir clickhouse-pid "what the script's own processes are"
  times >"$1/times1"
  CPU_SUMMARY="$(awk -v b="$(($(busy_jiffies) - CPU_START[0]))" -v st="$(($(steal_jiffies) - CPU_START[1]))" \
    -v ch="$(($(process_jiffies "$2") - CPU_START[2]))" -v own0="${CPU_START[3]}" -v own1="$(children_seconds "$1/times1")" \
    -v wall="$((SECONDS - CPU_START[4]))" -v n="$(nproc)" -v own_name="$3" 'BEGIN {
  total = b / 100; bench = ch / 100 + own1 - own0; other = total - bench; if (other < 0) other = 0
  printf "Over the %d s run the %d cores were %.0f%% busy: the benchmark (ClickHouse %.0f CPU-s, %s %.0f CPU-s) and %.0f CPU-s of other work (%.2f cores on average)%s.",
    wall, n, 100 * total / (wall * n), ch / 100, own_name, own1 - own0, other, other / wall, (st > 0 ? sprintf("; %.1f CPU-s stolen by the hypervisor", st / 100) : "")
}')"
}

# Where a measurement ran: cores, CPU, memory, kernel, compiler, ClickHouse,
# and the commit of the measured code (marked if the given paths have
# uncommitted changes). Two lines.
machine_description() { # clickhouse-version what path...
  local clickhouse_version=$1 what=$2 revision
  shift 2
  revision="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  git -C "$ROOT" diff --quiet HEAD -- "$@" 2>/dev/null || revision="$revision + uncommitted changes"
  echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo) GB memory, $(uname -sr);"
  echo "$(rustc --version), ClickHouse $clickhouse_version (embedded, chdb-core), $what at $revision."
}

# Writes a section into docs/PERFORMANCE.md: replaces the one with the same
# heading (the section file's first line, "## …") up to the next "## "
# heading, or appends it; the other sections stay as they are.
write_performance_section() { # section-file
  python3 - "$1" "$ROOT/docs/PERFORMANCE.md" <<'PY'
import os, sys
section_path, doc_path = sys.argv[1], sys.argv[2]
section = open(section_path, encoding="utf-8").read().rstrip("\n") + "\n"
heading = section.splitlines()[0].rstrip()
if os.path.exists(doc_path):
    lines = open(doc_path, encoding="utf-8").read().splitlines(keepends=True)
else:
    lines = ["# Performance\n", "\n", "Measured sizes and timings. Each section says how it was measured and how to measure it again.\n"]
start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
if start is None:
    text = "".join(lines).rstrip("\n") + "\n\n" + section
else:
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    after = "".join(lines[end:])
    text = "".join(lines[:start]) + section + ("\n" + after if after else "")
os.makedirs(os.path.dirname(doc_path) or ".", exist_ok=True)
open(doc_path, "w", encoding="utf-8").write(text)
PY
}
