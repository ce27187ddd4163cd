// The agent overhead benchmark (issue 3): main-thread time the Canopy agent
// spends per observed entry, beside web-vitals on the same page, as a ratio.
//
//   node bench/agent-overhead/run.mjs [--repeats 5] [--markdown results.md]
//
// Each run opens page/bench.html in a fresh browser context with one tool
// (or none: the baseline), lets it load its 500 resources, makes 100
// interactions, then leaves the page (so each tool sends its last report)
// and reads what meter.js measured. It prints each run as a JSON line, then
// the Markdown tables; scripts/bench-agent puts them into docs/PERFORMANCE.md.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../tests/e2e/stack.mjs';
import { interact } from './interact.mjs';
import { startBenchServer } from './server.mjs';
import { markdown, summarize } from './summary.mjs';

const VARIANTS = ['baseline', 'canopy', 'web-vitals'];
const METER = fileURLToPath(new URL('meter.js', import.meta.url));
// After the last interaction: web-vitals' idle callbacks (capped at 1 s) and
// any trailing timers run before the page is left.
const SETTLE_MS = 1500;

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '5' }, markdown: { type: 'string' } } });
const repeats = Number(values.repeats);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats takes a whole number above 0');

async function runOnce(browser, server, variant) {
  const before = structuredClone(server.received);
  const context = await browser.newContext();
  const page = await context.newPage();
  // A tool that failed to start (it warns) would make the numbers meaningless.
  const problems = [];
  page.on('console', (message) => ['warning', 'error'].includes(message.type()) && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.addInitScript({ path: METER });
  const started = Date.now();
  await page.goto(`${server.origin}/page/bench.html?tool=${variant}`);
  await page.waitForFunction(() => document.documentElement.dataset.loaded === 'yes', null, { timeout: 30_000 });
  await interact(page);
  await sleep(SETTLE_MS);
  await page.goto(`${server.origin}/page/done.html`); // pagehide, visibilitychange: each tool reports
  const meter = await page.evaluate(() => JSON.parse(sessionStorage.getItem('canopy-overhead-meter')));
  await context.close();
  await sleep(300); // the last beacons land
  if (problems.length) throw new Error(`${variant}: the page reported problems:\n${problems.join('\n')}`);
  if (!meter.isolated) throw new Error('the page was not cross-origin isolated: performance.now() would be coarse');
  const sent = (name) => ({
    beacons: server.received[name].beacons - before[name].beacons,
    bytes: server.received[name].bytes - before[name].bytes,
  });
  return { variant, ...meter, canopy: sent('canopy'), sink: sent('sink'), seconds: (Date.now() - started) / 1000 };
}

const server = await startBenchServer();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const runs = [];
try {
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    // Variants take turns, so drift in the machine's load spreads over all of them.
    for (const variant of VARIANTS) {
      const run = await runOnce(browser, server, variant);
      runs.push(run);
      console.log(JSON.stringify(run));
    }
  }
} finally {
  await browser.close();
  server.close();
}
const text = markdown(summarize(runs, VARIANTS), repeats);
console.log(text);
if (values.markdown) writeFileSync(values.markdown, text);
