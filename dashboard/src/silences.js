// Silences on the alerts page (docs/ALERTING.md, "Silences"): the current
// ones and the last expired, each pending or active one with an Expire
// button, and a form to create one. Changes need the admin token, as ack and
// resolve do: `act` saves the token typed on the page and re-renders.
import { api } from './api.js';
import { el, table, time } from './format.js';

const AUTHOR_KEY = 'canopy.silenceAuthor';
/** Expired silences listed below the current ones. */
const RECENTLY_EXPIRED = 10;

/** Matchers picking out one alert: its rule and its app (values quoted as the server reads them). */
export const matchersOf = (alert) => [`alertname=${JSON.stringify(alert.rule)}`, `app=${JSON.stringify(alert.app)}`];

/** A `datetime-local` value as Unix milliseconds (local time), or undefined. */
const millisOf = (value) => (value ? new Date(value).getTime() : undefined);

/**
 * The silences section; `act(what, change)` runs a change with the admin
 * token. Returns the section and `prefill(alert)`, which fills the form to
 * silence that alert.
 */
export function silencesSection(silences, act) {
  const input = (name, attrs = {}) => el('input', { name, ...attrs });
  const matchers = el('textarea', { name: 'matchers', rows: 3, cols: 32, placeholder: 'app="cart"\nseverity=~"warning|info"' });
  const duration = input('duration', { value: '2h', size: 6, title: 'e.g. 30m, 2h, 1d' });
  const endsAt = input('ends_at', { type: 'datetime-local', title: 'or an end (instead of the duration)' });
  const author = input('created_by', { value: localStorage.getItem(AUTHOR_KEY) || '', placeholder: 'your name' });
  const comment = input('comment', { placeholder: 'why', size: 30 });
  const create = (event) => {
    event.preventDefault();
    localStorage.setItem(AUTHOR_KEY, author.value);
    const ends = millisOf(endsAt.value);
    const asked = {
      matchers: matchers.value.split('\n').map((m) => m.trim()).filter(Boolean),
      created_by: author.value,
      comment: comment.value,
      ...(ends === undefined ? { duration: duration.value } : { ends_at: ends }),
    };
    return act('silence', () => api.createSilence(asked));
  };
  const form = el('form', { class: 'silence-form', 'data-form': 'silence', onsubmit: create },
    el('label', {}, 'Matchers (one a line) ', matchers),
    el('label', {}, 'For ', duration), el('label', {}, 'or until ', endsAt),
    el('label', {}, 'Author ', author), el('label', {}, 'Comment ', comment),
    el('button', { type: 'submit', 'data-action': 'create-silence' }, 'Create silence'));

  const current = silences.filter((s) => s.state !== 'expired');
  const expired = silences.filter((s) => s.state === 'expired').slice(0, RECENTLY_EXPIRED);
  const rows = [...current, ...expired].map((s) => [
    el('span', { class: `silence-state ${s.state}`, 'data-silence': s.id, 'data-state': s.state }, s.state),
    el('code', {}, s.matchers.join(', ')), time(s.starts_at), time(s.ends_at), s.created_by, s.comment,
    s.state === 'expired' ? '' : el('button', { 'data-action': 'expire', 'data-silence': s.id, onclick: () => act('expire', () => api.expireSilence(s.id)) }, 'Expire'),
  ]);
  const section = el('section', { class: 'silences' }, el('h2', {}, 'Silences'),
    table(['state', 'matchers', 'starts', 'ends', 'author', 'comment', ''], rows), form);
  const prefill = (alert) => {
    matchers.value = matchersOf(alert).join('\n');
    comment.value ||= `silencing ${alert.rule} on ${alert.app}`;
    form.scrollIntoView();
    (author.value ? comment : author).focus();
  };
  return { section, prefill };
}
