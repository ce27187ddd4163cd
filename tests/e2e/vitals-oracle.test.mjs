// The oracle test: on scenario pages (tests/e2e/oracle/), the official
// web-vitals library runs beside the Canopy agent, and the values Canopy
// stored in ClickHouse must equal the values web-vitals reported, within the
// tolerance stated per metric (docs/VITALS.md lists scenarios and tolerances).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { readBody, startPageServer } from './page-server.mjs';
import { CHROMIUM_ARGS, KEY, eventually, startStack } from './stack.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MOUNTS = [
  ['/oracle/', fileURLToPath(new URL('oracle/', import.meta.url))],
  ['/agent/', join(ROOT, 'npm-package/')],
  ['/web-vitals/', dirname(fileURLToPath(import.meta.resolve('web-vitals')))],
];

/**
 * How close Canopy's value must be to web-vitals'. Both read the same entries
 * (the same startTime, duration, value, activationStart), so the values are
 * equal; the bounds only absorb float noise. A restored page's FCP and LCP are
 * each library's own measurement of "two frames after pageshow", taken in
 * requestAnimationFrame callbacks of the same frame: apart by the time the
 * callbacks between them take (web-vitals' run first), at most a frame.
 */
const TOLERANCE = { ttfb: 0.001, fcp: 0.001, lcp: 0.001, inp: 0.001, cls: 1e-9 };
const RESTORED_PAINT_TOLERANCE_MS = 17;
/** LCP sub-parts and INP phases: computed from the same entries, so float noise only. */
const PARTS_TOLERANCE_MS = 0.001;

/** The pages' own server: scenario pages, the built agent, web-vitals, slow images, and the reports. */
async function startOracleServer(t) {
  const reports = [];
  const collect = async (request, response) => {
    reports.push(JSON.parse(await readBody(request)));
    response.end();
  };
  const server = await startPageServer({ mounts: MOUNTS, routes: [['/report', collect]] });
  t.after(server.close);
  return { ...server, reports };
}

/** The last value web-vitals reported per metric, for the first view (`restored` false) or the restored one. */
function oracleValues(server, scenario, restored = false) {
  const last = {};
  for (const r of server.reports.filter((r) => r.scenario === scenario)) {
    if ((r.navigationType === 'back-forward-cache') !== restored) continue;
    if (!last[r.name] || r.seq > last[r.name].seq) last[r.name] = r;
  }
  return last;
}

/** Canopy's vitals for a scenario page: the last row per app, name and view. */
async function canopyValues(stack, server, scenario) {
  const rows = await stack.query(
    `SELECT app, name, value, rating, target, resource, event_type, owner, restored, view_id, parts FROM vitals
     WHERE page_url = '${server.origin}/oracle/${scenario}.html' ORDER BY at, received_at`,
  );
  const last = {};
  for (const row of rows) last[`${row.restored ? 'restored:' : ''}${row.app}:${row.name}`] = row;
  return last;
}

/** Waits until both sides reported `names` for the page's shell (and the restored view's `restoredNames`). */
async function settled(stack, server, scenario, names, restoredNames = []) {
  const done = async () => {
    const canopy = await canopyValues(stack, server, scenario);
    const oracle = oracleValues(server, scenario);
    const restored = oracleValues(server, scenario, true);
    return names.every((n) => canopy[`shell:${n}`] && oracle[n])
      && restoredNames.every((n) => canopy[`restored:shell:${n}`] && restored[n]);
  };
  await eventually(`${scenario}: ${[...names, ...restoredNames.map((n) => `restored ${n}`)].join(', ')} from both sides`, done);
  await sleep(1000); // a later report of the same values, if any, lands too
  return canopyValues(stack, server, scenario);
}

/** Asserts that Canopy's page-level value (the shell's) equals web-vitals' for each metric. */
function assertMatches(scenario, canopy, oracle, names, { restored = false, tolerance = {} } = {}) {
  const results = [];
  for (const name of names) {
    const mine = canopy[`${restored ? 'restored:' : ''}shell:${name}`];
    const theirs = oracle[name];
    assert.ok(mine, `${scenario}: Canopy stored no ${name}`);
    assert.ok(theirs, `${scenario}: web-vitals reported no ${name}`);
    const bound = tolerance[name] ?? TOLERANCE[name];
    const diff = Math.abs(mine.value - theirs.value);
    results.push({ scenario: restored ? `${scenario} (restored)` : scenario, name, canopy: mine.value, webVitals: theirs.value, diff });
    assert.ok(diff <= bound, `${scenario} ${name}: Canopy ${mine.value}, web-vitals ${theirs.value} (more than ${bound} apart)`);
    assert.equal(mine.rating, theirs.rating, `${scenario} ${name} rating`);
    assert.equal(mine.restored, restored, `${scenario} ${name} restored flag`);
  }
  console.log(results.map((r) => `  ${r.scenario} ${r.name}: canopy ${r.canopy} web-vitals ${r.webVitals} (diff ${r.diff})`).join('\n'));
  return results;
}

/**
 * Canopy's `parts` of the shell's vitals against web-vitals' attribution of
 * the same values (LCP sub-parts, INP phases), each within PARTS_TOLERANCE_MS.
 */
function assertParts(scenario, canopy, oracle, names) {
  const results = [];
  for (const name of names) {
    const mine = canopy[`shell:${name}`].parts;
    const theirs = oracle[name].parts;
    assert.deepEqual(Object.keys(mine).sort(), Object.keys(theirs).sort(), `${scenario} ${name} parts`);
    for (const [part, value] of Object.entries(theirs)) {
      const diff = Math.abs(mine[part] - value);
      results.push({ scenario, name: `${name} ${part}`, canopy: mine[part], webVitals: value, diff });
      assert.ok(diff <= PARTS_TOLERANCE_MS, `${scenario} ${name} ${part}: Canopy ${mine[part]}, web-vitals ${value}`);
    }
  }
  console.log(results.map((r) => `  ${r.scenario} ${r.name}: canopy ${r.canopy} web-vitals ${r.webVitals} (diff ${r.diff})`).join('\n'));
  return results;
}

/** Web-vitals' CLS rule (1 s gap, 5 s cap, largest window) over some shifts; and the largest window's largest shift. */
function sessionWindows(shifts) {
  let best = { value: 0, largest: null };
  let session = [];
  let sum = 0;
  for (const shift of [...shifts].sort((a, b) => a.start - b.start)) {
    if (sum && shift.start - session.at(-1).start < 1000 && shift.start - session[0].start < 5000) {
      sum += shift.value;
      session.push(shift);
    } else {
      sum = shift.value;
      session = [shift];
    }
    if (sum > best.value) best = { value: sum, largest: session.reduce((a, b) => (a.value > b.value ? a : b)) };
  }
  return best;
}

/** Web-vitals' INP rule (longest entry per interaction, skip one per 50) over some event entries. */
function p98(events) {
  const latency = new Map();
  for (const e of events) latency.set(e.id, Math.max(latency.get(e.id) ?? 0, e.duration));
  const sorted = [...latency.values()].sort((a, b) => b - a);
  return sorted[Math.min(sorted.length - 1, Math.floor(latency.size / 50))];
}

/** Opens a scenario page in a fresh context and waits for the agent. */
async function open(browser, server, stack, scenario) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(pageUrl(server, stack, scenario));
  await page.waitForSelector('html[data-agent="ready"]');
  return page;
}

function pageUrl(server, stack, scenario) {
  const query = new URLSearchParams({ endpoint: stack.ingestUrl, key: KEY });
  return `${server.origin}/oracle/${scenario}.html?${query}`;
}

test('Canopy measures the web vitals web-vitals 6 measures', async (t) => {
  const server = await startOracleServer(t);
  // Playwright turns the back/forward cache off by default; these scenarios need it.
  const stack = await startStack(t, { origins: [server.origin], launch: { ignoreDefaultArgs: ['--disable-back-forward-cache'] } });
  const summary = [];

  await t.test('layout shifts across several session windows', async () => {
    const page = await open(stack.browser, server, stack, 'cls');
    await page.waitForSelector('html[data-done="yes"]', { timeout: 20_000 });
    await sleep(300);
    const shifts = await page.evaluate(() => window.oracle.shifts);
    await page.goto('about:blank');
    const canopy = await settled(stack, server, 'cls', ['cls', 'fcp', 'ttfb']);
    await page.context().close();
    const oracle = oracleValues(server, 'cls');
    summary.push(...assertMatches('cls', canopy, oracle, ['cls', 'fcp', 'ttfb']));
    assert.ok(shifts.length >= 10, `${shifts.length} shifts`);
    const windows = sessionWindows(shifts);
    assert.ok(Math.abs(windows.value - oracle.cls.value) <= TOLERANCE.cls, 'the recorded shifts are the ones web-vitals counted');
    assert.ok(oracle.cls.value > sessionWindows(shifts.slice(0, 2)).value, 'the largest window is not the first');
    assert.equal(canopy['shell:cls'].target, oracle.cls.target, 'the largest shift target');
    assert.ok(oracle.cls.target, 'web-vitals named the largest shift target');
    // Each app's CLS: the same rule over the shifts its DOM made.
    for (const app of ['catalog', 'cart']) {
      const expected = sessionWindows(shifts.filter((s) => s.app === app)).value;
      const mine = canopy[`${app}:cls`];
      assert.ok(mine, `${app} CLS stored`);
      assert.ok(Math.abs(mine.value - expected) <= TOLERANCE.cls, `${app} CLS ${mine.value}, expected ${expected}`);
      summary.push({ scenario: 'cls', name: `cls (${app} only)`, canopy: mine.value, webVitals: expected, diff: Math.abs(mine.value - expected) });
    }
    assert.equal(canopy['shell:cls'].owner, windows.largest.app, 'the app whose DOM made the largest shift');
  });

  await t.test('slow interactions: click, keydown, keyup', async () => {
    const page = await open(stack.browser, server, stack, 'inp');
    // A pause after each: an interaction still waiting for its frame when the
    // next one blocks the thread would last as long (and, earlier, win the tie).
    const actions = [
      () => page.click('#more'), () => page.click('#sort'), () => page.click('#add'),
      () => page.click('#search'), () => page.keyboard.press('a'), () => page.keyboard.press('b'),
      () => page.click('#qty'), () => page.keyboard.press('2'),
    ];
    for (const action of actions) {
      await action();
      await sleep(250);
    }
    await sleep(300);
    const events = await page.evaluate(() => window.oracle.events);
    await page.goto('about:blank');
    const canopy = await settled(stack, server, 'inp', ['inp', 'lcp', 'fcp', 'cls', 'ttfb']);
    await page.context().close();
    const oracle = oracleValues(server, 'inp');
    summary.push(...assertMatches('inp', canopy, oracle, ['inp', 'lcp', 'fcp', 'cls', 'ttfb']));
    assert.equal(canopy['shell:inp'].target, oracle.inp.target, 'INP target');
    assert.equal(canopy['shell:inp'].event_type, oracle.inp.eventType, 'INP event type');
    assert.equal(canopy['shell:inp'].event_type, 'keydown', 'the slow keydown is the worst');
    assert.equal(canopy['shell:inp'].target, '#search');
    assert.equal(canopy['shell:inp'].owner, 'shell');
    assert.equal(canopy['shell:lcp'].target, oracle.lcp.target, 'LCP target');
    summary.push(...assertParts('inp', canopy, oracle, ['inp', 'lcp']));
    for (const app of ['catalog', 'cart']) {
      const expected = p98(events.filter((e) => e.app === app));
      assert.equal(canopy[`${app}:inp`]?.value, expected, `${app} INP`);
      summary.push({ scenario: 'inp', name: `inp (${app} only)`, canopy: canopy[`${app}:inp`].value, webVitals: expected, diff: 0 });
    }
  });

  await t.test('more than 50 interactions: INP skips the worst', async () => {
    const page = await open(stack.browser, server, stack, 'inp-many');
    await page.click('#worst');
    await page.click('#second');
    for (let i = 0; i < 52; i += 1) await page.click('#step');
    await sleep(500);
    const count = await page.evaluate(() => performance.interactionCount);
    await page.goto('about:blank');
    const canopy = await settled(stack, server, 'inp-many', ['inp']);
    await page.context().close();
    const oracle = oracleValues(server, 'inp-many');
    summary.push(...assertMatches('inp-many', canopy, oracle, ['inp']));
    assert.ok(count >= 54, `${count} interactions`);
    assert.equal(canopy['shell:inp'].target, oracle.inp.target);
    assert.equal(canopy['shell:inp'].target, '#second', 'the worst (1000 ms) is skipped: the 700 ms click is INP');
    assert.equal(canopy['shell:inp'].owner, 'cart');
    // Per app, the count is the app's own: catalog saw 53 (one skipped), cart 1.
    assert.ok(canopy['catalog:inp'].value < canopy['shell:inp'].value, 'catalog skipped its 1000 ms click');
    assert.equal(canopy['cart:inp'].value, canopy['shell:inp'].value);
  });

  await t.test("INP target when the longest entry's target left the DOM", async () => {
    const page = await open(stack.browser, server, stack, 'inp-gone');
    await page.click('#doomed');
    await sleep(250);
    // A key with no keypress: the keydown alone is the longest entry.
    await page.keyboard.down('ArrowDown');
    await page.waitForFunction(() => !document.querySelector('#doomed'));
    await page.keyboard.up('ArrowDown');
    await page.waitForFunction(() => document.querySelector('h1').textContent === 'released');
    await sleep(500);
    await page.goto('about:blank');
    const canopy = await settled(stack, server, 'inp-gone', ['inp']);
    await page.context().close();
    const oracle = oracleValues(server, 'inp-gone');
    summary.push(...assertMatches('inp-gone', canopy, oracle, ['inp']));
    assert.equal(oracle.inp.eventType, 'keydown', 'the removing keydown is the longest entry');
    assert.equal(canopy['shell:inp'].event_type, 'keydown');
    assert.equal(oracle.inp.target, '', "web-vitals names no target: the longest entry's left the DOM");
    assert.equal(canopy['shell:inp'].target, oracle.inp.target, "not the shorter keyup's (the body)");
  });

  await t.test('a route change inside a click: the click is the view it started in', async () => {
    const page = await open(stack.browser, server, stack, 'spa');
    await page.click('#go');
    await page.waitForFunction(() => window.oracle.reports.some((r) => r.name === 'inp'));
    await sleep(500);
    await page.goto('about:blank');
    // canopyValues reads the first view's rows: the page's URL before the route change.
    const canopy = await settled(stack, server, 'spa', ['inp']);
    await page.context().close();
    const oracle = oracleValues(server, 'spa');
    summary.push(...assertMatches('spa', canopy, oracle, ['inp']));
    assert.equal(canopy['shell:inp'].target, oracle.inp.target);
    assert.equal(canopy['shell:inp'].target, '#go');
    assert.equal(canopy['catalog:inp']?.value, oracle.inp.value, "the catalog's INP too");
    const next = await stack.query(`SELECT app, value, view_id FROM vitals WHERE name = 'inp' AND page_url = '${server.origin}/oracle/spa-next'`);
    assert.deepEqual(next, [], 'the next view had no interaction');
    const views = await stack.query(`SELECT uniqExact(view_id) AS n FROM vitals WHERE page_url = '${server.origin}/oracle/spa-next'`);
    assert.equal(views[0].n, 1, 'the route change started a view (its CLS)');
  });

  await t.test('INP phases when the slowest frame holds entries without an interactionId (dblclick)', async () => {
    const page = await open(stack.browser, server, stack, 'dblclick');
    await page.dblclick('#twice');
    await page.waitForFunction(() => document.querySelector('h1').textContent === 'opened');
    await page.waitForFunction(() => window.oracle.reports.some((r) => r.name === 'inp' && r.value >= 200));
    await sleep(500);
    await page.goto('about:blank');
    const canopy = await settled(stack, server, 'dblclick', ['inp']);
    await page.context().close();
    const oracle = oracleValues(server, 'dblclick');
    summary.push(...assertMatches('dblclick', canopy, oracle, ['inp']));
    assert.ok(oracle.inp.parts.processing >= 200, `the dblclick's handler is processing: ${JSON.stringify(oracle.inp.parts)}`);
    summary.push(...assertParts('dblclick', canopy, oracle, ['inp']));
    assert.equal(canopy['shell:inp'].target, oracle.inp.target);
  });

  for (const [scenario, what] of [['lcp-twice', 'its URL requested twice'], ['lcp-full', 'the resource buffer full before it']]) {
    await t.test(`LCP sub-parts of an image with ${what}`, async () => {
      const page = await open(stack.browser, server, stack, scenario);
      await page.waitForFunction(() => window.oracle.reports.some((r) => r.name === 'lcp' && r.url.includes('/img/')));
      const requests = await page.evaluate(() => ({
        hero: performance.getEntriesByType('resource').filter((e) => e.name.includes('/img/twice.svg')).length,
        buffered: performance.getEntriesByType('resource').length,
      }));
      await sleep(300);
      await page.goto('about:blank');
      const canopy = await settled(stack, server, scenario, ['lcp']);
      await page.context().close();
      const oracle = oracleValues(server, scenario);
      summary.push(...assertMatches(scenario, canopy, oracle, ['lcp']));
      if (scenario === 'lcp-twice') assert.equal(requests.hero, 2, 'the image URL was requested twice');
      else assert.equal(requests.buffered, 250, "the page's resource buffer is full");
      assert.ok(oracle.lcp.parts.load_duration >= 400, `web-vitals found the image's request: ${JSON.stringify(oracle.lcp.parts)}`);
      summary.push(...assertParts(scenario, canopy, oracle, ['lcp']));
      assert.equal(canopy['shell:lcp'].target, '#hero');
    });
  }

  await t.test('a page left before load: Canopy reports TTFB, web-vitals (waiting for load) does not', async () => {
    const page = await (await stack.browser.newContext()).newPage();
    await page.goto(pageUrl(server, stack, 'ttfb-early'), { waitUntil: 'commit' }); // not waiting for load
    await page.waitForSelector('html[data-agent="ready"]');
    const before = await page.evaluate(() => {
      const navigation = performance.getEntriesByType('navigation')[0];
      return { readyState: document.readyState, ttfb: Math.max(navigation.responseStart - navigation.activationStart, 0) };
    });
    await page.goto('about:blank');
    const canopy = await eventually('ttfb-early: TTFB from Canopy', async () => {
      const values = await canopyValues(stack, server, 'ttfb-early');
      return values['shell:ttfb'] && values;
    });
    await page.context().close();
    assert.notEqual(before.readyState, 'complete', 'the page was left before load');
    assert.ok(Math.abs(canopy['shell:ttfb'].value - before.ttfb) <= TOLERANCE.ttfb, `Canopy ${canopy['shell:ttfb'].value}, responseStart ${before.ttfb}`);
    assert.equal(oracleValues(server, 'ttfb-early').ttfb, undefined, 'web-vitals reports TTFB only after load');
    summary.push({ scenario: 'ttfb-early', name: 'ttfb (web-vitals: none)', canopy: canopy['shell:ttfb'].value, webVitals: before.ttfb, diff: 0 });
  });

  await t.test('a late LCP image, final at the first click', async () => {
    const page = await open(stack.browser, server, stack, 'lcp');
    await page.waitForFunction(() => window.oracle.reports.some((r) => r.name === 'lcp' && r.url.includes('hero')));
    await page.click('#continue'); // LCP is final; the bigger image after it does not count
    await page.waitForSelector('#late');
    await sleep(500);
    await page.goto('about:blank');
    const canopy = await settled(stack, server, 'lcp', ['lcp', 'fcp', 'cls', 'ttfb', 'inp']);
    await page.context().close();
    const oracle = oracleValues(server, 'lcp');
    summary.push(...assertMatches('lcp', canopy, oracle, ['lcp', 'fcp', 'cls', 'ttfb', 'inp']));
    summary.push(...assertParts('lcp', canopy, oracle, ['lcp']));
    const lcp = canopy['shell:lcp'];
    assert.equal(lcp.target, oracle.lcp.target);
    assert.equal(lcp.target, '#hero');
    assert.equal(lcp.resource, oracle.lcp.url.split('?')[0], 'the image URL, without its query');
    assert.equal(lcp.owner, 'catalog', 'the catalog painted the LCP element');
    assert.equal(canopy['catalog:lcp']?.value, lcp.value, "and it is the catalog's LCP too");
    assert.ok(lcp.value >= 1200, `LCP ${lcp.value} waited for the image`);
  });

  await t.test('a back/forward-cache restore is a new, restored view', async () => {
    const page = await open(stack.browser, server, stack, 'bfcache');
    await sleep(800);
    await page.click('#slow');
    await sleep(300);
    await page.click('#leave');
    await page.waitForURL('**/away.html');
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForFunction(() => window.oracle.reports.some((r) => r.navigationType === 'back-forward-cache' && r.name === 'fcp'));
    await sleep(1400);
    await page.click('#slow');
    await sleep(300);
    const shifts = await page.evaluate(() => window.oracle.shifts);
    await page.goto('about:blank');
    const names = ['ttfb', 'fcp', 'lcp', 'cls', 'inp'];
    const canopy = await settled(stack, server, 'bfcache', names, names);
    await page.context().close();
    summary.push(...assertMatches('bfcache', canopy, oracleValues(server, 'bfcache'), names));
    const tolerance = { fcp: RESTORED_PAINT_TOLERANCE_MS, lcp: RESTORED_PAINT_TOLERANCE_MS };
    summary.push(...assertMatches('bfcache', canopy, oracleValues(server, 'bfcache', true), names, { restored: true, tolerance }));
    assert.equal(canopy['restored:shell:ttfb'].value, 0);
    assert.notEqual(canopy['restored:shell:cls'].view_id, canopy['shell:cls'].view_id, 'a new view id');
    assert.ok(canopy['restored:shell:cls'].value > 0, `the shifts after the restore count for the restored view: ${JSON.stringify(shifts)}`);
  });

  await t.test('a page opened in the background (hidden before its first paint)', async () => {
    // A background tab of the browser's default context: Playwright does not
    // attach to it, so it stays hidden (an attached page is shown at once,
    // racing its first paint) until it is activated.
    const cdp = await stack.browser.newBrowserCDPSession();
    const { targetId: front } = await cdp.send('Target.createTarget', { url: 'about:blank' });
    const { targetId } = await cdp.send('Target.createTarget', { url: pageUrl(server, stack, 'hidden'), background: true });
    const ready = await eventually('the hidden page to start its agent', () => server.reports.find((r) => r.scenario === 'hidden' && r.name === 'ready'));
    assert.equal(ready.visibility[0], 'hidden@0', `the page started hidden (${ready.visibility})`);
    await sleep(1000);
    await cdp.send('Target.activateTarget', { targetId }); // shown: it paints now, and leaves 1.5 s later
    await eventually('the hidden page to be shown and left', () => server.hits.includes('/oracle/away.html?from=hidden'));
    const canopy = await settled(stack, server, 'hidden', ['ttfb']);
    for (const id of [targetId, front]) await cdp.send('Target.closeTarget', { targetId: id });
    const oracle = oracleValues(server, 'hidden');
    summary.push(...assertMatches('hidden', canopy, oracle, ['ttfb']));
    for (const name of ['fcp', 'lcp', 'cls']) {
      assert.equal(oracle[name], undefined, `web-vitals reported no ${name}`);
      assert.equal(canopy[`shell:${name}`], undefined, `Canopy stored no ${name}`);
    }
  });

  await t.test('a prerendered page counts from its activation', async (st) => {
    // DevTools (and so Playwright) turns prerendering off: this browser runs
    // on its own, and the pages drive themselves.
    const profile = mkdtempSync(join(tmpdir(), 'canopy-prerender-'));
    const query = new URLSearchParams({ endpoint: stack.ingestUrl, key: KEY });
    const chromium = spawn('/usr/bin/chromium', [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, `${server.origin}/oracle/prerender.html?${query}`], {
      stdio: 'ignore',
      detached: true,
    });
    const exited = new Promise((resolve) => chromium.on('exit', resolve));
    const stop = async () => {
      try {
        process.kill(-chromium.pid, 'SIGTERM'); // its process group: the browser and its renderers
      } catch {
        // already gone
      }
      await Promise.race([exited, sleep(5000)]);
      rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    };
    st.after(stop);
    await eventually('the prerendered page to be activated and left', () => server.hits.includes('/oracle/away.html?from=prerendered'));
    const names = ['ttfb', 'fcp', 'lcp', 'cls'];
    const canopy = await settled(stack, server, 'prerendered', names);
    const oracle = oracleValues(server, 'prerendered');
    assert.equal(oracle.lcp.navigationType, 'prerender', 'Chromium prerendered the page');
    assert.ok(oracle.lcp.activationStart > 0, `activationStart ${oracle.lcp.activationStart}`);
    summary.push(...assertMatches('prerendered', canopy, oracle, names));
    assert.equal(canopy['shell:lcp'].target, oracle.lcp.target);
  });

  console.log(`scenario | metric | Canopy | web-vitals | |diff|\n${summary
    .map((r) => `${r.scenario} | ${r.name} | ${r.canopy} | ${r.webVitals} | ${r.diff}`)
    .join('\n')}`);
});
