#!/usr/bin/env python3
"""Run an N-node ClickHouse cluster on loopback from the `chdb-core` wheel.

    .canopy/venv/bin/python scripts/embedded-cluster.py --nodes N --port P --data-dir DIR
        [--name canopy] [--node K]

Node K (1-based) is shard K of the cluster NAME (N shards, one replica each):
HTTP on 127.0.0.1:P+K-1, native TCP on P+N+K-1, data in DIR/node-K. Each node
is scripts/embedded-clickhouse.py in a process of its own (the engine is one
per process), with the same generated `remote_servers` and its own macros.
Once every node answers /ping, prints one line per node,
`clickhouse node K ready on http://127.0.0.1:PORT (tcp PORT, pid PID)`, then
`cluster ready` and runs until SIGTERM or SIGINT, when it stops every node
(each stops cleanly on SIGTERM) and exits 0.

A node that stops (e.g. a test's outage: SIGTERM to its pid) leaves the
others running; once its process has exited (the engine holds a lock on its
data dir until then), `--node K` with the same other arguments starts that
node alone again, in the foreground, on the same data. Such a node is not
this launcher's child: stop it with SIGTERM to its own pid. Starting the whole
cluster again on the same DIR keeps the data (each node's config is
rewritten identically).

Why separate processes, and no Keeper: see TOOLCHAIN.md section 4b. The
nodes shard; they do not replicate.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
READY_TIMEOUT_S = 90  # N engines starting at once on 2 busy cores
STOP_TIMEOUT_S = 40  # a node's own limit is 30 s


def node_ports(args, node):
    return args.port + node - 1, args.port + args.nodes + node - 1


def node_command(args, node):
    """The command line of one node: scripts/embedded-clickhouse.py with its shard's part."""
    http_port, tcp_port = node_ports(args, node)
    all_tcp = ",".join(str(node_ports(args, k)[1]) for k in range(1, args.nodes + 1))
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "embedded-clickhouse.py")
    return [sys.executable, script, "--port", str(http_port), "--tcp-port", str(tcp_port),
            "--data-dir", os.path.join(args.data_dir, f"node-{node}"),
            "--cluster", args.name, "--shard", str(node), "--shard-tcp-ports", all_tcp]


def main():
    parser = argparse.ArgumentParser(description="Run an N-shard embedded ClickHouse cluster on loopback.")
    parser.add_argument("--nodes", type=int, required=True, help="number of nodes (shards)")
    parser.add_argument("--port", type=int, required=True,
                        help="first HTTP port; HTTP uses P..P+N-1, native TCP P+N..P+2N-1")
    parser.add_argument("--data-dir", required=True, help="holds one directory per node")
    parser.add_argument("--name", default="canopy", help="the cluster's name in remote_servers")
    parser.add_argument("--node", type=int, help="start only this node (1-based), in the foreground")
    args = parser.parse_args()
    if args.nodes < 1 or (args.node is not None and not 1 <= args.node <= args.nodes):
        parser.error("--nodes must be at least 1 and --node within 1..N")
    args.data_dir = os.path.abspath(args.data_dir)
    if args.node is not None:
        os.execv(sys.executable, node_command(args, args.node))

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    # Each node prints its ready line on stdout; its stderr passes through.
    nodes = {k: subprocess.Popen(node_command(args, k), stdout=subprocess.PIPE, text=True)
             for k in range(1, args.nodes + 1)}
    ready = {}

    def await_ready(k, node):
        for line in node.stdout:  # ends when the node exits
            if line.startswith("clickhouse ready on "):
                ready[k] = line.split()[-1]
                break

    waiters = [threading.Thread(target=await_ready, args=item, daemon=True) for item in nodes.items()]
    for waiter in waiters:
        waiter.start()
    deadline = time.monotonic() + READY_TIMEOUT_S
    for waiter in waiters:
        waiter.join(timeout=max(0.0, deadline - time.monotonic()))
    status = 0
    if len(ready) == args.nodes and not stop.is_set():
        for k, node in nodes.items():
            print(f"clickhouse node {k} ready on {ready[k]} (tcp {node_ports(args, k)[1]}, pid {node.pid})",
                  flush=True)
        print("cluster ready", flush=True)
        stop.wait()
    elif not stop.is_set():
        missing = sorted(set(nodes) - set(ready))
        print(f"embedded-cluster: nodes {missing} did not get ready within {READY_TIMEOUT_S} s",
              file=sys.stderr, flush=True)
        status = 1

    print("embedded-cluster: stopping", file=sys.stderr, flush=True)
    for node in nodes.values():
        if node.poll() is None:
            node.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for k, node in nodes.items():
        try:
            node.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"embedded-cluster: node {k} did not stop; killing it", file=sys.stderr, flush=True)
            node.kill()
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
