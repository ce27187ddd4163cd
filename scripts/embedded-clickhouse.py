#!/usr/bin/env python3
"""Run a local ClickHouse for development and tests, from the `chdb-core` wheel.

    .canopy/venv/bin/python scripts/embedded-clickhouse.py --data-dir DIR [--port 8123]

Serves ClickHouse's HTTP interface on 127.0.0.1:PORT (loopback only: no auth),
prints `clickhouse ready on http://127.0.0.1:PORT` once /ping answers, then runs
until SIGTERM or SIGINT, stops the engine and exits 0. Data (MergeTree tables)
lives in DIR/clickhouse/ and survives restarts on the same DIR.

Why chdb: Debian's clickhouse-server is from 2018 and nothing else can be
downloaded here; chdb-core 26.9 is ClickHouse 26.9 built as a Python module
(see TOOLCHAIN.md section 4). It is clickhouse-local underneath: one node, the
default user, no Keeper. The low-level `_chdb.query()` reads `config.xml` from
the working directory, so `SYSTEM START LISTEN HTTP` opens the configured port;
the server lives only as long as that call runs, hence the query that never ends.

How it stops: `_chdb.query()` releases the GIL, so it runs in a worker thread
while the main thread keeps running Python signal handlers (they would never run
if the main thread were the one blocked inside the engine; SIGTERM would then be
left pending or, with no handler, kill the process on the spot). On a signal the
main thread sends `KILL QUERY ... SYNC` for the blocking query over HTTP; the
engine cancels it (and logs "Query was cancelled" on stderr), `_chdb.query()`
returns, and the engine shuts down the way clickhouse-local does after its last
query: it closes the port and detaches tables. Then we exit 0. A second signal,
or an engine that does not stop within 30 s, exits at once with status 1.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from xml.sax.saxutils import escape

HOST = "127.0.0.1"  # fixed: the engine has no authentication
READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30

# The marker lets KILL QUERY find exactly this query. It is split in the KILL
# statement so that the KILL does not match (and cancel) itself.
MARKER = "canopy-embedded-clickhouse-hold"
HOLD_QUERY = (
    f"SELECT /* {MARKER} */ count() FROM system.numbers"
    " WHERE NOT ignore(sleepEachRow(1))"
    " SETTINGS max_block_size=1, function_sleep_max_microseconds_per_block=0,"
    " max_execution_time=0"
)
KILL_QUERY = (
    "KILL QUERY WHERE query LIKE concat('%', '"
    + MARKER[:10] + "', '" + MARKER[10:] + "', '%') SYNC"
)


def import_chdb():
    """Import chdb; if this python lacks it, re-run under the repo's venv."""
    try:
        from chdb import _chdb
        return _chdb
    except ImportError:
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        venv = os.path.join(repo, ".canopy", "venv")
        venv_python = os.path.join(venv, "bin", "python")
        # sys.prefix, not the executable: venv/bin/python is a symlink to the system one.
        if os.path.exists(venv_python) and os.path.realpath(sys.prefix) != os.path.realpath(venv):
            os.execv(venv_python, [venv_python, os.path.abspath(__file__)] + sys.argv[1:])
        sys.exit("embedded-clickhouse: chdb is not installed; create the venv:\n"
                 "  python3 -m venv .canopy/venv && .canopy/venv/bin/pip install chdb-core==26.9.0")


def http(url, body=None, timeout=5.0):
    with urllib.request.urlopen(url, data=body, timeout=timeout) as resp:
        return resp.read().decode()


def port_is_free(port):
    # SO_REUSEADDR as servers use it: a port left in TIME_WAIT counts as free,
    # a port someone listens on does not.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def main():
    parser = argparse.ArgumentParser(description="Run an embedded ClickHouse HTTP server (chdb-core) on loopback.")
    parser.add_argument("--port", type=int, default=8123, help="HTTP port (default 8123)")
    parser.add_argument("--data-dir", required=True, help="where config.xml and the data live (created if missing)")
    parser.add_argument("--host", default=HOST, choices=[HOST], help="always 127.0.0.1")
    args = parser.parse_args()
    _chdb = import_chdb()  # before any chdir, so a re-exec sees the same relative paths

    base = f"http://{HOST}:{args.port}"
    if not port_is_free(args.port):
        sys.exit(f"embedded-clickhouse: port {args.port} on {HOST} is already in use")

    # The engine reads config.xml from the working directory and may write
    # beside it, so both live in the data dir, never in the caller's directory.
    data_dir = os.path.abspath(args.data_dir)
    os.makedirs(data_dir, exist_ok=True)
    with open(os.path.join(data_dir, "config.xml"), "w") as f:
        f.write("<clickhouse>"
                f"<http_port>{args.port}</http_port>"
                f"<listen_host>{HOST}</listen_host>"
                f"<path>{escape(os.path.join(data_dir, 'clickhouse'))}/</path>"
                "</clickhouse>\n")
    os.chdir(data_dir)

    stop = threading.Event()
    signals_seen = []

    def on_signal(signum, _frame):
        signals_seen.append(signum)
        if len(signals_seen) > 1:  # impatient second Ctrl-C: give up on a clean stop
            os._exit(1)
        stop.set()

    # Explicitly, also for SIGINT: a shell starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # The engine reports errors (e.g. the port being taken) on stderr and
    # returns; either way the server is gone once this thread ends.
    engine = threading.Thread(
        target=lambda: _chdb.query("SYSTEM START LISTEN HTTP; " + HOLD_QUERY, "CSV"),
        name="clickhouse", daemon=True)
    engine.start()

    deadline = time.monotonic() + READY_TIMEOUT_S
    while not stop.is_set():
        try:
            if http(base + "/ping", timeout=1).strip() == "Ok.":
                break
        except (OSError, urllib.error.URLError):
            pass
        if not engine.is_alive():
            sys.exit("embedded-clickhouse: the engine stopped before serving HTTP (see its error above)")
        if time.monotonic() > deadline:
            print(f"embedded-clickhouse: {base}/ping did not answer 'Ok.' within {READY_TIMEOUT_S} s",
                  file=sys.stderr, flush=True)
            os._exit(1)  # the engine thread cannot be stopped without its HTTP port
        time.sleep(0.1)
    if not stop.is_set():
        print(f"clickhouse ready on {base}", flush=True)

    # Run until a signal, or until the engine ends on its own (an error).
    while not stop.wait(0.5):
        if not engine.is_alive():
            sys.exit("embedded-clickhouse: the engine stopped unexpectedly")

    # Stop: cancel the hold query; retry briefly in case HTTP is not up yet
    # (a signal during startup).
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while engine.is_alive() and time.monotonic() < deadline:
        try:
            http(base + "/", KILL_QUERY.encode(), timeout=10)
        except (OSError, urllib.error.URLError):
            pass
        engine.join(timeout=1)
    if engine.is_alive():
        print(f"embedded-clickhouse: the engine did not stop within {STOP_TIMEOUT_S} s", file=sys.stderr, flush=True)
        os._exit(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
