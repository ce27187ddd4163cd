// The real stack for end-to-end tests: the ingest server binary (on the
// ClickHouse at CLICKHOUSE_URL, in a database of the test's own), the demo
// site, and headless Chromium. Everything is stopped when the test ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const ROOT = new URL('../../', import.meta.url);
const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL;
const INGEST_BIN = process.env.CANOPY_INGEST_BIN;

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const KEY = 'e2e-public-key';

/** The server's whole configuration: the environment must not override it. */
function serverConfig({ ingestPort, demoPort, database, spool, extraConfig, origins }) {
  return `listen = "127.0.0.1:${ingestPort}"
[clickhouse]
url = "${CLICKHOUSE_URL}"
database = "${database}"
[spool]
dir = "${spool}"
[writer]
batch_interval_ms = 200
[[projects]]
name = "demo"
key = "${KEY}"
origins = ${JSON.stringify([`http://127.0.0.1:${demoPort}`, ...origins])}
${extraConfig}
`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url, what, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`${what} did not answer at ${url} within ${seconds}s`);
}

function start(t, command, args) {
  const { CLICKHOUSE_URL: _, ...inherited } = process.env; // the config file says where ClickHouse is
  const child = spawn(command, args, { env: inherited, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Hooks run in the order they were added: files the process writes are
  // removed by a later hook, once it has exited.
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  child.output = () => Buffer.concat(output).toString();
  return child;
}

/**
 * Starts ingest server + demo site + Chromium for test `t`; `extraConfig` is TOML
 * for the server, `origins` more page origins it accepts beacons from, `launch`
 * more options for Chromium's launch. `demo: false` leaves the demo site out.
 */
export async function startStack(t, { extraConfig = '', origins = [], launch = {}, demo = true } = {}) {
  if (!CLICKHOUSE_URL || !INGEST_BIN) {
    throw new Error('CLICKHOUSE_URL and CANOPY_INGEST_BIN must be set (scripts/test sets both)');
  }
  const database = `canopy_e2e_${process.pid}_${Date.now()}`;
  const [ingestPort, demoPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'canopy-e2e-'));
  const config = join(dir, 'canopy-ingest.toml');
  writeFileSync(config, serverConfig({ ingestPort, demoPort, database, spool: join(dir, 'spool'), extraConfig, origins }));
  const ingest = start(t, INGEST_BIN, ['--config', config]);
  t.after(() => rmSync(dir, { recursive: true, force: true })); // after the server has stopped
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  await waitFor(`${ingestUrl}/healthz`, 'ingest server').catch((error) => {
    throw new Error(`${error.message}\n${ingest.output()}`);
  });

  const demoUrl = `http://127.0.0.1:${demoPort}/`;
  if (demo) {
    const demoArgs = ['--port', String(demoPort), '--endpoint', ingestUrl, '--key', KEY];
    start(t, process.execPath, [new URL('www-demo/serve.mjs', ROOT).pathname, ...demoArgs]);
    await waitFor(demoUrl, 'demo site');
  }

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, ...launch });
  t.after(() => browser.close());
  const setFaults = (faults) => fetch(`${demoUrl}__faults`, { method: 'POST', body: JSON.stringify(faults) });
  return { browser, demoUrl, ingestUrl, ingest, setFaults, query: (sql) => query(database, sql) };
}

/** Rows of a ClickHouse query, as objects. */
async function query(database, sql) {
  const url = `${CLICKHOUSE_URL}/?database=${encodeURIComponent(database)}&output_format_json_quote_64bit_integers=0`;
  const response = await fetch(url, { method: 'POST', body: `${sql} FORMAT JSON` });
  const text = await response.text();
  if (!response.ok) throw new Error(`ClickHouse: ${text}`);
  return JSON.parse(text).data;
}

/**
 * Polls `probe` until it returns a truthy value, or throws with `what`. The
 * deadline only bounds a failing test: a passing one returns as soon as the
 * condition holds, so it is generous for a machine busy with other runs.
 */
export async function eventually(what, probe, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
