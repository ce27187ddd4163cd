// An app's versions side by side, newest first: traffic, errors, failed API
// calls and p75 vitals of each, and each one's share of views over time.
import { api } from './api.js';
import { lineChart, timeAxis, valuesOn } from './chart.js';
import { VITALS, availabilityRating, count, crumbs, el, errorRateRating, percent, table, time, vital, vitalRating } from './format.js';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

/** Rows of the comparison: a label and, per version, [text, rating?]. */
const ROWS = [
  ['First seen', (v) => [time(v.first_seen)]],
  ['Last seen', (v) => [time(v.last_seen)]],
  ['Views', (v) => [count(v.views)]],
  ['Errors', (v) => [count(v.errors)]],
  ['Error rate', (v) => [percent(v.error_rate), errorRateRating(v.error_rate)]],
  ['Availability', (v) => [percent(v.availability, 2), availabilityRating(v.availability)]],
  ['API calls', (v) => [count(v.api_calls)]],
  ['Failed API calls', (v) => [count(v.api_failures)]],
  ['API error rate', (v) => [percent(v.api_error_rate), errorRateRating(v.api_error_rate)]],
  ...Object.keys(VITALS).map((n) => [`${VITALS[n].label} p75`, (v) => [vital(n, v.vitals[n]), vitalRating(n, v.vitals[n])]]),
];

function cell([text, rating]) {
  return rating ? el('span', { class: `rating ${rating}`, 'data-rating': rating }, text) : text;
}

/** Views per version over time, each bucket of the range. */
function adoption(container, { versions, ...span }) {
  const t = timeAxis(versions.flatMap((v) => v.adoption), span);
  const series = versions.map((v, i) => ({ label: v.version, color: PALETTE[i % PALETTE.length], values: valuesOn(t, v.adoption, (p) => p.views) }));
  lineChart(container, { title: 'Views by version', t, series, format: count });
}

export async function versionsPage(page, app, q) {
  const answer = await api.app(app, 'versions', q);
  const { versions } = answer;
  if (!versions.length) {
    page.replaceChildren(crumbs(app, 'versions'), el('p', { class: 'empty' }, 'No versions in this range.'));
    return;
  }
  const chart = el('div', { class: 'chart', 'data-chart': 'adoption' });
  const headers = ['', ...versions.map((v, i) => el('span', { 'data-version': v.version }, v.version, i === 0 ? ' (newest)' : ''))];
  page.replaceChildren(crumbs(app, 'versions'),
    el('div', { class: 'versions' }, table(headers, ROWS.map(([label, of]) => [label, ...versions.map((v) => cell(of(v)))]))),
    el('h2', {}, 'Adoption'), el('div', { class: 'charts' }, chart));
  adoption(chart, answer);
}
