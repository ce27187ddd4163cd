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
  vitalEvent, navigationEvent, resourceEvent, resourceSummaryEvent, longFrameEvent, apiSummaryEvent,
  withCount, encodeEvent, envelope, assemble,
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
  const wrap = (make) => (...args) => hold(make(...args.map(valueOf)));
  const wrapped = {
    scrub,
    selector,
    id_selector: (id) => '#' + id,
    shift_cause: shiftCause,
    read_error: (event) => {
      const caught = readErrorEvent(event, scrub);
      return caught && { ...caught, fingerprint: fingerprint(caught.report) };
    },
    chunk_failed: (caught) => ({ kind: 'app', phase: 'failed', detail: 'chunk failed to load: ' + caught.chunk }),
    report_of: (caught) => caught.report,
    array: () => [],
    random_id: randomId,
    stored_session: () => restoreSession(Date.now()),
    page_url: () => scrub(location.href),
  };
  const bindings = {
    is_own: (url) => String(valueOf(url)).startsWith(page.config.beaconUrl),
    owner_of_url: (url) => page.apps.ownerOfUrl(valueOf(url)),
    owner_of_node: (node) => {
      const name = ownerNameOfNode(valueOf(node));
      return name === undefined ? -1 : page.apps.indexOf(name);
    },
    keep_resource: (entry) => {
      recent.push(valueOf(entry));
      if (recent.length > RECENT_RESOURCES) recent.shift();
    },
    lcp_resource: (url, rendered) => {
      const requested = (entry) => entry.name === valueOf(url) && (entry.requestStart || entry.startTime) <= rendered;
      return hold(recent.findLast(requested) || performance.getEntriesByType('resource').findLast(requested));
    },
    claimant: (caught) => {
      const { report: error, chunk } = valueOf(caught);
      return page.apps.claimantOfError(chunk || error.url, error.frames || []);
    },
    chunk_owner: (caught) => {
      const { chunk } = valueOf(caught);
      const owner = chunk ? page.apps.ownerOfUrl(chunk) : -1;
      return owner > 0 ? owner : -1;
    },
    fingerprint: (caught) => valueOf(caught).fingerprint,
    with_count: (error, count) => hold(withCount(valueOf(error), count)),
    vital_event: (name, value, rating, target, resource, eventType, owner, restored, parts, scripts) => hold(vitalEvent(
      name, value, rating, valueOf(target), valueOf(resource), valueOf(eventType),
      owner < 0 ? undefined : page.apps.nameOf(owner), !!restored, valueOf(parts), valueOf(scripts))),
    parts: (a, b, c, d) => hold(Number.isNaN(d)
      ? { input_delay: a, processing: b, presentation: c }
      : { ttfb: a, load_delay: b, load_duration: c, render_delay: d }),
    script: (url, fn, invoker, duration) => hold({ url: valueOf(url), function: valueOf(fn), invoker: valueOf(invoker), duration }),
    navigation_event: (kind, ...timings) => hold(navigationEvent(valueOf(kind), ...timings)),
    resource_event: (url, initiator, duration, transferSize, cacheHit) =>
      hold(resourceEvent(valueOf(url), valueOf(initiator), duration, transferSize, !!cacheHit)),
    resource_summary_event: (...numbers) => hold(resourceSummaryEvent(...numbers)),
    long_frame_event: (duration, blocking, scripts) => hold(longFrameEvent(duration, blocking, valueOf(scripts))),
    api_summary_event: (...numbers) => hold(apiSummaryEvent(...numbers)),
    encode: (app, at, event) => hold(encodeEvent(page.apps.nameOf(app), at, valueOf(event), page.config.beforeSend)),
    byte_length: (text) => byteLength(valueOf(text)),
    push: (list, item) => valueOf(list).push(valueOf(item)),
    envelope: (session, view, url, dropped) => hold(envelope({
      id: randomId(), sessionId: valueOf(session), viewId: valueOf(view), pageUrl: valueOf(url),
      sentAt: Date.now(), apps: page.apps.infos(), dropped,
    })),
    assemble: (head, events) => hold(assemble(valueOf(head), valueOf(events))),
    save_session: (id, started, lastActive) => saveSession({ id: valueOf(id), started, lastActive }),
    sample_point: (session, app) => samplePoint(valueOf(session), page.apps.nameOf(app)),
    sample_rate: (app) => page.apps.sampleRate(app),
    same: (a, b) => valueOf(a) === valueOf(b),
    watch_history: (tag) => watchHistory((href) => report(tag, scrub(href))),
    send_beacon: (body) => {
      try {
        return navigator.sendBeacon(bodyUrl(page, valueOf(body)), valueOf(body));
      } catch {
        return false;
      }
    },
    post: (body, keepalive, retry, tag) => {
      const sent = valueOf(body);
      const answered = (response) => report(tag, response);
      try {
        fetch(bodyUrl(page, sent, retry), { method: 'POST', body: sent, keepalive: !!keepalive }).then(answered, () => answered());
      } catch {
        answered();
      }
    },
    gzip: (body, tag) => {
      const done = (bytes) => report(tag, bytes);
      try {
        const stream = new Blob([valueOf(body)]).stream().pipeThrough(new CompressionStream('gzip'));
        new Response(stream).arrayBuffer().then((buffer) => done(new Uint8Array(buffer)), () => done());
      } catch {
        done();
      }
    },
    can_gzip: () => typeof CompressionStream == 'function',
    retry_after: (response) => {
      // The server's form: whole seconds.
      const seconds = attempt(() => valueOf(response).headers.get('Retry-After'));
      return /^\s*\d+\s*$/.test(seconds) ? Number(seconds) * 1000 : NaN;
    },
  };
  for (const [name, make] of Object.entries(wrapped)) bindings[name] = wrap(make);
  return bindings;
}

/** Where a body goes: gzipped bytes say so, a retry says when it is sent (the server dates events by it). */
function bodyUrl(page, body, retry) {
  return page.config.beaconUrl + (typeof body == 'string' ? '' : '&encoding=gzip') + (retry ? '&sent_at=' + Date.now() : '');
}
