// Privacy: what leaves the page. URLs lose their fragment and every query
// parameter not on the page's keep-list (tokens and personal data ride in both).

import { MAX_TEXT_BYTES, truncate } from './fields.js';

/** `url` without its fragment and the query parameters not named in `keep`, cut to MAX_TEXT_BYTES. */
export function scrubUrl(url, keep = []) {
  url = String(url).split('#')[0];
  const at = url.indexOf('?');
  let scrubbed = at < 0 ? url : url.slice(0, at);
  if (at >= 0) {
    let separator = '?';
    for (const pair of url.slice(at + 1).split('&')) {
      const name = pair.split('=')[0];
      if (name && keep.includes(name)) {
        scrubbed += separator + pair;
        separator = '&';
      }
    }
  }
  return truncate(scrubbed, MAX_TEXT_BYTES);
}
