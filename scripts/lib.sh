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
