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
start_embedded_clickhouse() { # port data-dir log
  local port=$1 data_dir=$2 log=$3
  "$VENV/bin/python" "$ROOT/scripts/embedded-clickhouse.py" --port "$port" --data-dir "$data_dir" >"$log" 2>&1 &
  CHILDREN+=($!)
  wait_for_url "http://127.0.0.1:$port/ping" "the embedded ClickHouse (log: $log)" 90
  export CLICKHOUSE_URL="http://127.0.0.1:$port"
}

# CPU time, to tell how much of a benchmark's machine was someone else's:
# busy jiffies of all CPUs (/proc/stat), and the user + system seconds of this
# shell's finished children from a file holding bash's `times` output (`times`
# must run in the script's own shell: in $(...) it would see the subshell's).
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
children_seconds() { tail -1 "$1" | awk '{ for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } print s }'; }

# Replaces the section "## TITLE" of a Markdown document (up to the next "## "
# heading) with the contents of SECTION_FILE, which starts with that heading,
# leaving the other sections as they are; appends it if the document has none.
write_doc_section() { # title section-file document
  python3 - "$1" "$2" "$3" <<'PY'
import os, sys
title, section_path, doc_path = sys.argv[1:4]
section = open(section_path, encoding="utf-8").read().rstrip("\n") + "\n"
if os.path.exists(doc_path):
    lines = open(doc_path, encoding="utf-8").read().splitlines(keepends=True)
else:
    lines = ["# Performance\n", "\n", "Measured sizes and timings. Each section says how it was measured and how to measure it again.\n"]
start = next((i for i, line in enumerate(lines) if line.rstrip() == "## " + title), None)
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
