#!/usr/bin/env python3
"""Run a local ClickHouse for development and tests, from the `chdb-core` wheel.

    .canopy/venv/bin/python scripts/embedded-clickhouse.py --data-dir DIR [--port 8123] [--query-log]
        [--tcp-port 9000 [--cluster NAME --shard K --shard-tcp-ports P1,P2,...]]

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
while the main thread keeps running Python signal handlers (with the main thread
itself blocked inside the engine, a handled SIGTERM is never acted on, and an
unhandled one kills the process on the spot). On a signal the main thread lets
queries in flight finish for up to 2 s, then sends `KILL QUERY ... SYNC` for all
queries over HTTP, as clickhouse-server cancels queries when it shuts down. The
hold query ends, `_chdb.query()` returns once the engine has closed the port,
waited for open HTTP connections to close and detached its tables; we exit 0.
With --tcp-port the node also serves ClickHouse's native protocol (`SYSTEM
START LISTEN TCP`), which Distributed tables use between nodes. --cluster
adds a `remote_servers` definition NAME with one shard per native port in
--shard-tcp-ports (all on loopback, one replica each) and the macros
`{cluster}`, `{shard}` (K) and `{replica}`; scripts/embedded-cluster.py starts
a whole cluster of such nodes, each in its own process (the engine is one per
process).

Clients' idle keep-alive connections are what the engine waits for, so we set
keep_alive_timeout to 3 s (the value of ClickHouse's shipped config.xml, which
the Rust `clickhouse` crate's 2 s pool timeout is made for; unset it is 30 s).
A connection still busy after 5 s makes the engine itself end the process with
status 1. A second signal, or an engine not stopped after 30 s, exits with 1.
An INSERT that has returned has its part written (not fsynced) to the data dir,
so even then, or after SIGKILL, no acknowledged row is lost.
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
GRACE_S = 2

# The query that holds the server open. Cancellation is checked between rows,
# so 0.1 s rows let it stop in ~0.3 s (1 s rows: ~1.2 s), for ~1% of a core.
HOLD_QUERY = (
    "SELECT /* embedded-clickhouse: holds the server open */ count()"
    " FROM system.numbers WHERE NOT ignore(sleepEachRow(0.1))"
    " SETTINGS max_block_size=1, function_sleep_max_microseconds_per_block=0,"
    " max_execution_time=0"
)
IN_FLIGHT = "SELECT count() FROM system.processes WHERE query_id != queryID()"
KILL_ALL = "KILL QUERY WHERE query_id != queryID() SYNC"


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


def stop_engine(base, engine):
    """Cancel every query, the hold query included, so that _chdb.query() returns."""
    grace_end = time.monotonic() + GRACE_S
    while time.monotonic() < grace_end:  # until only the hold query is left
        try:
            if http(base + "/", IN_FLIGHT.encode()).strip() == "1":
                break
        except (OSError, urllib.error.URLError):
            break
        time.sleep(0.05)
    # Retried: after a signal during startup, HTTP or the hold query may not be up yet.
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while engine.is_alive() and time.monotonic() < deadline:
        try:
            http(base + "/", KILL_ALL.encode(), timeout=10)
        except (OSError, urllib.error.URLError):
            pass
        engine.join(timeout=1)
    if engine.is_alive():
        print(f"embedded-clickhouse: the engine did not stop within {STOP_TIMEOUT_S} s", file=sys.stderr, flush=True)
        os._exit(1)


def cluster_config(name, shard, shard_tcp_ports):
    """remote_servers (one replica per shard, each a loopback native port) and macros."""
    shards = "".join(f"<shard><replica><host>{HOST}</host><port>{port}</port></replica></shard>"
                     for port in shard_tcp_ports)
    return (f"<remote_servers><{name}>{shards}</{name}></remote_servers>"
            f"<macros><cluster>{name}</cluster><shard>{shard}</shard><replica>node-{shard}</replica></macros>")


def parse_ports(text):
    try:
        return [int(port) for port in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of ports: {text!r}")


def main():
    parser = argparse.ArgumentParser(description="Run an embedded ClickHouse HTTP server (chdb-core) on loopback.")
    parser.add_argument("--port", type=int, default=8123, help="HTTP port (default 8123)")
    parser.add_argument("--data-dir", required=True, help="where config.xml and the data live (created if missing)")
    parser.add_argument("--host", default=HOST, choices=[HOST], help="always 127.0.0.1")
    # Off by default: logging every query costs the ingest benchmark's inserts a little.
    parser.add_argument("--query-log", action="store_true",
                        help="keep system.query_log (what each query read, how long it took)")
    parser.add_argument("--tcp-port", type=int, help="also serve the native protocol on this port")
    parser.add_argument("--cluster", help="name of the cluster this node belongs to (needs --tcp-port)")
    parser.add_argument("--shard", type=int, help="this node's shard number, 1-based (with --cluster)")
    parser.add_argument("--shard-tcp-ports", type=parse_ports,
                        help="every shard's native port, in shard order (with --cluster)")
    args = parser.parse_args()
    clustered = (args.cluster, args.shard, args.shard_tcp_ports)
    if any(clustered) and not (all(clustered) and args.tcp_port):
        parser.error("--cluster needs --shard, --shard-tcp-ports and --tcp-port")
    if args.cluster and args.shard_tcp_ports[args.shard - 1:args.shard] != [args.tcp_port]:
        parser.error("--shard-tcp-ports must list --tcp-port at position --shard")
    base = f"http://{HOST}:{args.port}"
    for port in filter(None, (args.port, args.tcp_port)):
        if not port_is_free(port):
            sys.exit(f"embedded-clickhouse: port {port} on {HOST} is already in use")

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

    _chdb = import_chdb()  # before any chdir, so a re-exec sees the same relative paths

    # The engine reads config.xml from the working directory and may write
    # beside it, so both live in the data dir, never in the caller's directory.
    data_dir = os.path.abspath(args.data_dir)
    query_log = ("<query_log><database>system</database><table>query_log</table></query_log>"
                 if args.query_log else "")
    native = f"<tcp_port>{args.tcp_port}</tcp_port>" if args.tcp_port else ""
    cluster = cluster_config(args.cluster, args.shard, args.shard_tcp_ports) if args.cluster else ""
    try:
        os.makedirs(data_dir, exist_ok=True)
        with open(os.path.join(data_dir, "config.xml"), "w") as f:
            f.write("<clickhouse>"
                    f"<http_port>{args.port}</http_port>"
                    f"<listen_host>{HOST}</listen_host>"
                    # ClickHouse's shipped default (30 s when unset); see "How it stops".
                    "<keep_alive_timeout>3</keep_alive_timeout>"
                    f"{query_log}{native}{cluster}"
                    f"<path>{escape(os.path.join(data_dir, 'clickhouse'))}/</path>"
                    "</clickhouse>\n")
    except OSError as e:
        sys.exit(f"embedded-clickhouse: cannot use --data-dir {data_dir}: {e}")
    os.chdir(data_dir)
    if stop.is_set():  # signalled while loading chdb (~0.6 s): nothing to stop yet
        return 0

    # The engine reports errors (e.g. the port being taken) on stderr and
    # returns; either way the server is gone once this thread ends.
    listen = "SYSTEM START LISTEN HTTP; " + ("SYSTEM START LISTEN TCP; " if args.tcp_port else "")
    engine = threading.Thread(
        target=lambda: _chdb.query(listen + HOLD_QUERY, "CSV"),
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

    print("embedded-clickhouse: stopping", file=sys.stderr, flush=True)
    stop_engine(base, engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
