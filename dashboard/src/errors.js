// One error group: its sample stack (resolved through the app's uploaded
// source maps where they cover a frame, the minified frame otherwise), its
// occurrences over time, and where it happens (versions, browsers).
import { api } from './api.js';
import { lineChart, timeAxis, valuesOn } from './chart.js';
import { count, crumbs, el, metric, table, time } from './format.js';

/** The original position; `name` is the identifier the map names there. */
export const resolvedAt = (r) => `${r.source}:${r.line}:${r.column}${r.name ? ` (${r.name})` : ''}`;
const minified = (f) => `${f.function || '(anonymous)'} ${f.file}:${f.line}:${f.column}`;

/** The source lines around a resolved frame, its own line marked. */
function context({ pre, line, post }, number) {
  const first = number - pre.length;
  return el('pre', { class: 'context' }, [...pre, line, ...post].map((text, i) => el('div',
    { class: first + i === number ? 'line current' : 'line' },
    el('span', { class: 'no' }, String(first + i)), el('span', { class: 'text' }, text))));
}

/** A dependency's code (node_modules), shown without its source: its own team's code is what matters. */
const isLibrary = (source) => source.includes('/node_modules/');

function frame(f) {
  const r = f.resolved;
  if (!r) {
    return el('li', { class: 'frame unresolved', 'data-resolved': 'false' },
      el('code', {}, minified(f)), el('span', { class: 'note' }, ' no source map for this file'));
  }
  const library = isLibrary(r.source);
  return el('li', { class: `frame resolved${library ? ' library' : ''}`, 'data-resolved': 'true', 'data-source': r.source },
    el('code', { class: 'where' }, resolvedAt(r)),
    r.context && !library ? context(r.context, r.line) : null,
    el('div', { class: 'minified' }, 'minified: ', el('code', {}, minified(f))));
}

export async function errorGroupPage(page, app, fingerprint, q) {
  const g = await api.errorGroup(app, fingerprint, q);
  const chart = el('div', { class: 'chart', 'data-chart': 'occurrences' });
  page.replaceChildren(crumbs(app, 'error'),
    el('h2', { class: 'message' }, g.error_type ? `${g.error_type}: ` : '', g.message),
    el('p', { class: 'views' }, `${g.source} · group ${g.fingerprint}`),
    el('div', { class: 'metrics wide' },
      metric('Occurrences', count(g.count)), metric('Views', count(g.views)), metric('Sessions affected', count(g.sessions)),
      metric('First seen', time(g.first_seen)), metric('Last seen', time(g.last_seen))),
    el('h2', {}, 'Stack'),
    g.frames.length ? el('ol', { class: 'frames' }, g.frames.map(frame)) : el('p', { class: 'empty' }, 'no stack frames'),
    el('h2', {}, 'Occurrences'), el('div', { class: 'charts' }, chart),
    el('div', { class: 'columns' },
      el('section', {}, el('h2', {}, 'By version'), table(['version', 'occurrences'], g.by_version.map((v) => [v.version || '(none)', count(v.count)]))),
      el('section', {}, el('h2', {}, 'By browser'), table(['browser', 'occurrences'], g.by_browser.map((b) => [b.browser || '(unknown)', count(b.count)])))));
  const range = new URLSearchParams(q);
  const t = timeAxis(g.over_time, { from: Number(range.get('from')), to: Number(range.get('to')), bucket: g.bucket });
  lineChart(chart, { title: 'Occurrences', t, values: valuesOn(t, g.over_time, (p) => p.count), color: '#dc2626', format: count });
}
