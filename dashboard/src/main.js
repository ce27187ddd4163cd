// The built-in dashboard: overview cards, an app page with charts and
// tables, an error group page (errors.js), an app's versions side by side
// (versions.js), and an alerts page (counts from /api/alerts/stats; silences:
// silences.js). Apps and
// the page show their health from firing alerts. Routes live in the URL hash so the server
// serves one page; every number comes from /api/dashboard/….
import './style.css';
import { api, ApiError, rangeQuery, tokens } from './api.js';
import { lineChart } from './chart.js';
import { errorGroupPage, resolvedAt } from './errors.js';
import { VITALS, availabilityRating, count, crumbs, el, errorRateRating, metric, percent, table, time, vital } from './format.js';
import { silencesSection } from './silences.js';
import { versionsPage } from './versions.js';

const page = document.getElementById('page');
const rangeSelect = document.getElementById('range');
rangeSelect.value = localStorage.getItem('canopy.range') || '86400';
rangeSelect.addEventListener('change', () => {
  localStorage.setItem('canopy.range', rangeSelect.value);
  render();
});
window.addEventListener('hashchange', render);

const query = () => rangeQuery(Number(rangeSelect.value));

async function render() {
  // #/app/<app>[/versions | /errors/<fingerprint>], #/alerts, else the overview.
  page.replaceChildren(el('p', { class: 'loading' }, 'Loading…'));
  delete page.dataset.ready;
  try {
    const [, route, arg, part, id] = location.hash.split('/').map(decodeURIComponent);
    if (route === 'app' && arg && part === 'versions') await versionsPage(page, arg, query());
    else if (route === 'app' && arg && part === 'errors' && id) await errorGroupPage(page, arg, id, query());
    else if (route === 'app' && arg) await appPage(arg);
    else if (route === 'alerts') await alertsPage();
    else await overviewPage();
    page.dataset.ready = 'true';
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return askToken('read', render);
    page.replaceChildren(el('p', { class: 'error' }, `Could not load: ${error.message}`));
  }
}

function askToken(kind, then) {
  const input = el('input', { type: 'password', placeholder: `${kind} token` });
  const save = () => { (kind === 'read' ? tokens.setRead : tokens.setAdmin)(input.value); then(); };
  page.replaceChildren(el('form', { class: 'token', onsubmit: (e) => { e.preventDefault(); save(); } },
    el('p', {}, `This server needs a ${kind} token.`), input, el('button', {}, 'Save')));
}

const HEALTH_TEXT = { healthy: 'Healthy', degraded: 'Degraded', unhealthy: 'Unhealthy' };

/** An app's or the page's health (docs/ALERTING.md, "Health"). */
function health(status, label = '') {
  return el('span', { class: `health ${status}`, 'data-health': status, title: 'From firing alerts: critical → unhealthy, warning → degraded' },
    label, HEALTH_TEXT[status] || status);
}

async function overviewPage() {
  // Badges count every active alert (ClickHouse counts them: /api/alerts/stats).
  const [data, stats] = await Promise.all([api.overview(query()), api.alertStats()]);
  const cards = data.apps.map((a) => {
    const active = stats.active_by_app[a.app] || 0;
    return el('a', { class: 'card', href: `#/app/${encodeURIComponent(a.app)}`, 'data-app': a.app },
      el('h2', {}, a.app, el('span', { class: 'tags' }, health(a.health),
        active ? el('span', { class: 'badge' }, `${active} alert${active > 1 ? 's' : ''}`) : null)),
      el('p', { class: 'views' }, `${count(a.views)} views`,
        a.muted_errors ? el('span', { class: 'muted', title: 'Cross-origin script errors the browser hid ("Script error."): load those scripts with crossorigin="anonymous" and CORS headers' }, ` · ${count(a.muted_errors)} muted errors`) : null),
      el('div', { class: 'metrics' },
        metric('Availability', percent(a.availability, 2), availabilityRating(a.availability)),
        metric('Error rate', percent(a.error_rate), errorRateRating(a.error_rate)),
        ['lcp', 'inp', 'cls'].map((n) => metric(`${VITALS[n].label} p75`, vital(n, a.vitals[n]?.p75), a.vitals[n]?.rating || 'unknown'))));
  });
  page.replaceChildren(el('h1', {}, 'Apps ', el('span', { class: 'page-health' }, health(data.health, 'Page: '))),
    cards.length ? el('div', { class: 'cards' }, cards) : el('p', {}, 'No data in this range yet.'));
}

async function appPage(app) {
  const q = query();
  const [series, errors, resources, pages, browsers, probes] = await Promise.all(
    ['series', 'errors', 'resources', 'pages', 'browsers', 'probes'].map((part) => api.app(app, part, q)));
  const charts = el('div', { class: 'charts' });
  const appPath = `#/app/${encodeURIComponent(app)}`;
  page.replaceChildren(crumbs(app), el('nav', { class: 'tabs' }, el('a', { href: `${appPath}/versions`, class: 'versions-link' }, 'Versions side by side')),
    charts,
    el('h2', {}, 'Top errors'),
    table(['message', 'top frame', 'count', 'views', 'first seen', 'last seen'],
      errors.errors.map((e) => [el('a', { href: `${appPath}/errors/${encodeURIComponent(e.fingerprint)}`, 'data-fingerprint': e.fingerprint }, e.message),
        el('code', {}, e.resolved_top_frame ? resolvedAt(e.resolved_top_frame) : e.top_frame || '–'), count(e.count), count(e.views), time(e.first_seen), time(e.last_seen)])),
    el('h2', {}, 'Slowest resources'),
    table(['url', 'initiator', 'p75', 'p95', 'samples'],
      resources.resources.map((r) => [r.url, r.initiator, vital('lcp', r.p75), vital('lcp', r.p95), count(r.samples)])),
    el('h2', {}, 'Worst pages'), breakdown('page', pages.pages),
    el('h2', {}, 'Browsers'), breakdown('browser', browsers.browsers),
    el('h2', {}, 'Health probes'),
    table(['time', 'probes', 'ok', 'avg latency', 'p95 latency'],
      probes.probes.map((p) => [time(p.t * 1000), count(p.probes), percent(p.ok), vital('lcp', p.avg), vital('lcp', p.p95)])));
  const rules = (metricName) => series.thresholds.filter((r) => r.metric === metricName)
    .map((r) => ({ value: r.threshold, color: '#7c3aed', label: `alert ${r.rule} (${r.severity})` }));
  const box = (name) => { const div = el('div', { class: 'chart', 'data-chart': name }); charts.append(div); return div; };
  lineChart(box('error_rate'), { title: 'Error rate', t: series.t, values: series.series.error_rate, color: '#dc2626', lines: rules('error_rate'), format: (v) => percent(v) });
  for (const name of ['lcp', 'inp', 'cls', 'fcp', 'ttfb']) {
    const v = VITALS[name];
    lineChart(box(name), {
      title: `${v.label} p75`, t: series.t, values: series.series[name], format: (x) => vital(name, x),
      lines: [{ value: v.good, color: '#16a34a', label: 'good' }, { value: v.poor, color: '#dc2626', label: 'poor' }, ...rules(name)],
    });
  }
}

function breakdown(what, rows) {
  return table([what, 'LCP p75', 'INP p75', 'CLS p75', 'samples'], rows.map((r) => [
    r.key || '(none)',
    ...['lcp', 'inp', 'cls'].map((n) => el('span', { class: `rating ${r.vitals[n]?.rating || 'unknown'}` }, vital(n, r.vitals[n]?.p75))),
    count(Object.values(r.vitals).reduce((s, v) => s + (v.samples || 0), 0)),
  ]));
}

async function alertsPage() {
  // The alerts open at some time in the range, and their counts (all of them,
  // not just the 500 newest the list shows).
  const q = query();
  const [{ alerts }, stats, { silences }] = await Promise.all([api.alerts(q), api.alertStats(q), api.silences()]);
  const admin = el('input', { type: 'password', placeholder: 'admin token', value: tokens.admin() });
  const status = el('p', { class: 'status' });
  const act = async (action, change) => {
    tokens.setAdmin(admin.value);
    try {
      await change();
      await render();
    } catch (error) {
      status.textContent = `${action} failed: ${error.message}`;
    }
  };
  const change = (id, action) => act(action, () => api.change(id, action));
  const { section: silencing, prefill } = silencesSection(silences, act);
  // Silenced alerts are evaluated and shown, not notified (until the silence ends).
  const silenced = (a) => (a.silenced_by?.length
    ? el('span', { class: 'silenced', 'data-silenced-by': a.silenced_by.join(' '), title: `silenced by ${a.silenced_by.join(', ')}` }, 'silenced')
    : null);
  const rows = alerts.map((a) => [a.app, a.rule, a.severity,
    el('span', { 'data-status': a.status }, a.status + (a.acknowledged ? ' (acknowledged)' : ''), silenced(a)),
    String(Math.round(a.value * 1000) / 1000), time(a.firing_since || a.pending_since),
    a.status === 'resolved' ? '' : el('span', {},
      el('button', { 'data-action': 'ack', disabled: a.acknowledged ? '' : null, onclick: () => change(a.id, 'ack') }, 'Ack'),
      el('button', { 'data-action': 'resolve', onclick: () => change(a.id, 'resolve') }, 'Resolve'),
      el('button', { 'data-action': 'silence', 'data-alert': a.id, onclick: () => prefill(a) }, 'Silence'))]);
  const stat = (name, label) => el('span', { class: `stat ${name}`, 'data-stat': name }, el('b', {}, count(stats[name])), ` ${label}`);
  page.replaceChildren(el('h1', {}, 'Alerts'),
    el('p', { class: 'stats' }, stat('firing', 'firing'), stat('pending', 'pending'), stat('resolved', 'resolved'), stat('total', 'in this range'),
      Object.entries(stats.active_by_severity).map(([severity, n]) => el('span', { class: `stat ${severity}`, 'data-severity': severity }, el('b', {}, count(n)), ` ${severity} active`))),
    el('label', {}, 'Admin token ', admin), status,
    table(['app', 'rule', 'severity', 'status', 'value', 'since', ''], rows), silencing);
}

render();
