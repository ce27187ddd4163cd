// The text side's bindings for the wasm (its import module "t"): every
// piece of work on text the agent needs — scrubbing, attribution by URL,
// node or stack, selectors, reading error events, the events' JSON, session
// storage, sending. The wasm passes slots and numbers (load.js); the
// modules beside this one do the work on values.
import { hold, valueOf, report } from './load.js';
import { attempt, byteLength } from './fields.js';
import { scrubUrl } from './scrub.js';
import { readErrorEvent, fingerprint } from './errors.js';
import { selector, shiftCause, ownerNameOfNode } from './dom.js';
import {
  vitalEvent, navigationEvent, resourceEvent, resourceSummaryEvent, longFrameEvent, apiSummaryEvent, scriptTiming,
  inpParts, lcpParts, appEvent, withCount, encodeEvent, envelope, assemble, VITAL_NAMES, RATINGS,
} from './encode.js';
import { restoreSession, saveSession, randomId, samplePoint } from './session.js';
import { watchHistory } from './history.js';

// The LCP image's request, as web-vitals finds it: the last one of its URL
// made before the LCP rendered (a URL may be requested more than once), from
// the last 50 resources observed (the page's buffer stops at 250 entries),
// else from that buffer.
const RECENT_RESOURCES = 50;

/** The bindings for the agent of `page`: `{ config, apps }` once init ran. */
export function textImports(page) {
  const recent = [];
  const scrub = (url) => scrubUrl(String(url ?? ''), page.config.keepQueryParams);
  // `make` as a binding: its arguments as `kinds` says, by position — `s` a
  // slot's value, `a` an app number's name (-1: none), anything else a number.
  const slotted = (make, kinds = 'ss') => (...args) => make(...args.map((arg, at) =>
    kinds[at] == 's' ? valueOf(arg) : kinds[at] == 'a' ? (arg < 0 ? undefined : page.apps.nameOf(arg)) : arg));
  // …returning its result in a slot.
  const held = (make, kinds) => {
    const call = slotted(make, kinds);
    return (...args) => hold(call(...args));
  };
  const ownerOfUrl = (url) => page.apps.ownerOfUrl(url);
  return {
    scrub: held(scrub),
    selector: held(selector),
    id_selector: held((id) => '#' + id),
    shift_cause: held(shiftCause),
    read_error: held((event) => {
      const caught = readErrorEvent(event, scrub);
      return caught && { ...caught, fingerprint: fingerprint(caught.report) };
    }),
    chunk_failed: held((caught) => appEvent('failed', 'chunk failed to load: ' + caught.chunk)),
    report_of: held((caught) => caught.report),
    array: held(() => []),
    random_id: held(randomId),
    stored_session: held(() => restoreSession(Date.now())),
    page_url: held(() => scrub(location.href)),
    is_own: slotted((url) => String(url).startsWith(page.config.beaconUrl)),
    owner_of_url: slotted(ownerOfUrl),
    owner_of_node: slotted((node) => {
      const name = ownerNameOfNode(node);
      return name === undefined ? -1 : page.apps.indexOf(name);
    }),
    keep_resource: slotted((entry) => {
      recent.push(entry);
      if (recent.length > RECENT_RESOURCES) recent.shift();
    }),
    lcp_resource: held((url, rendered) => {
      const requested = (entry) => entry.name === url && (entry.requestStart || entry.startTime) <= rendered;
      return recent.findLast(requested) || performance.getEntriesByType('resource').findLast(requested);
    }, 's'),
    claimant: slotted(({ report: error, chunk }) => page.apps.claimantOfError(chunk || error.url, error.frames || [])),
    chunk_owner: slotted(({ chunk }) => {
      const owner = chunk ? ownerOfUrl(chunk) : -1;
      return owner > 0 ? owner : -1;
    }),
    fingerprint: slotted((caught) => caught.fingerprint),
    with_count: held(withCount, 's'),
    vital_event: held((name, value, rating, ...rest) => vitalEvent(VITAL_NAMES[name], value, RATINGS[rating], ...rest), '---sssa-ss'),
    parts: (...times) => hold((Number.isNaN(times[3]) ? inpParts : lcpParts)(...times)),
    script: held(scriptTiming, 'sss'),
    navigation_event: held(navigationEvent, 's'),
    resource_event: held(resourceEvent, 'ss'),
    resource_summary_event: held(resourceSummaryEvent, ''),
    long_frame_event: held(longFrameEvent, '--s'),
    api_summary_event: held(apiSummaryEvent, ''),
    encode: held((app, at, event) => encodeEvent(app, at, event, page.config.beforeSend), 'a-s'),
    byte_length: slotted(byteLength),
    push: slotted((list, item) => list.push(item)),
    envelope: held((sessionId, viewId, pageUrl, dropped) => envelope({
      id: randomId(), sessionId, viewId, pageUrl, sentAt: Date.now(), apps: page.apps.infos(), dropped,
    }), 'sss'),
    assemble: held(assemble),
    save_session: slotted((id, started, lastActive) => saveSession({ id, started, lastActive }), 's'),
    sample_point: slotted(samplePoint, 'sa'),
    sample_rate: (app) => page.apps.sampleRate(app),
    same: slotted((a, b) => a === b),
    watch_history: (tag) => watchHistory((href) => report(tag, scrub(href))),
    send_beacon: slotted((body) => attempt(() => navigator.sendBeacon(bodyUrl(page, body), body))),
    post: slotted((body, keepalive, retry, tag) => {
      const answered = (response) => report(tag, response);
      try {
        fetch(bodyUrl(page, body, retry), { method: 'POST', body, keepalive: !!keepalive }).then(answered, () => answered());
      } catch {
        answered();
      }
    }, 's'),
    gzip: slotted((body, tag) => {
      const done = (bytes) => report(tag, bytes);
      try {
        const stream = new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'));
        new Response(stream).arrayBuffer().then((buffer) => done(new Uint8Array(buffer)), () => done());
      } catch {
        done();
      }
    }, 's'),
    can_gzip: () => typeof CompressionStream == 'function',
    retry_after: slotted((response) => {
      // The server's form: whole seconds.
      const seconds = attempt(() => response.headers.get('Retry-After'));
      return /^\s*\d+\s*$/.test(seconds) ? Number(seconds) * 1000 : NaN;
    }),
  };
}

/** Where a body goes: gzipped bytes say so, a retry says when it is sent (the server dates events by it). */
function bodyUrl(page, body, retry) {
  return page.config.beaconUrl + (typeof body == 'string' ? '' : '&encoding=gzip') + (retry ? '&sent_at=' + Date.now() : '');
}
