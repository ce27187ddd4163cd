// The events the agent sends, as the wire (wire/src/lib.rs) names them, and
// their JSON: the builders take the numbers and values the wasm hands over;
// `encodeEvent` cuts every string to its limit, leaves out what the wire
// leaves out and runs the page's `beforeSend`; `envelope` and `assemble`
// make a request body of encoded events (canopy_wire::assemble).
import { truncate, MAX_U32 as U32, MAX_TEXT_BYTES, MAX_STACK_BYTES, MAX_ATTR_KEY_BYTES, MAX_ATTR_VALUE_BYTES } from './fields.js';

/** Bumped only for changes an older server cannot read (canopy_wire::SCHEMA_VERSION). */
export const SCHEMA_VERSION = 1;
/** Longest HTTP method of an API call, in bytes (limits.rs). */
export const MAX_METHOD_BYTES = 16;

/** A whole number as Rust's `as` casts a float to an unsigned type (NaN and below 0: 0; capped), so serde reads it as an integer. */
export const whole = (value, max = Number.MAX_SAFE_INTEGER) =>
  typeof value == 'number' && value > 0 ? Math.min(Math.floor(value), max) : 0;

// Numbers cast as the wire types them, by the mark before a field's name.
const CASTS = { '#': whole, '%': (value) => whole(value, U32), '!': (value) => !!value };

/** A builder of `{ kind, …fields }` from the values of `fields` (names in the wire's order), each cast by its mark: `#` a whole number, `%` one up to u32, `!` a flag; no `kind` for a part of an event. */
const builder = (kind, fields) => (...values) => {
  const event = kind ? { kind } : {};
  fields.split(' ').forEach((field, at) => {
    const cast = CASTS[field[0]];
    event[cast ? field.slice(1) : field] = cast ? cast(values[at]) : values[at];
  });
  return event;
};

/** The wire's vital names and ratings in the order of its variants (VitalName, Rating): the wasm passes their numbers. */
export const VITAL_NAMES = 'lcp cls inp fcp ttfb'.split(' ');
export const RATINGS = 'good needs-improvement poor'.split(' ');

/** A vital (LCP, INP, CLS, FCP, TTFB): name and rating as the wire's strings, attribution where known. */
export const vitalEvent = builder('vital', 'name value rating target resource event_type owner !restored parts scripts');
/** The page's navigation timing in phases (ms). */
export const navigationEvent = builder('navigation', 'nav_type dns tcp tls ttfb download dom_parse dom_ready load #transfer_size');
/** One loaded resource. */
export const resourceEvent = builder('resource', 'url initiator duration #transfer_size !cache_hit');
/** An app's resources of one view, summed up. */
export const resourceSummaryEvent = builder('resource_summary', '%count #transfer_size %cache_hits duration');
/** A long animation frame (or long task), with the scripts that ran in it. */
export const longFrameEvent = builder('long_frame', 'duration blocking scripts');
/** A script that ran in a long frame (or an INP's), as the frame's `scripts` list it. */
export const scriptTiming = builder('', 'url function invoker duration');
/** An app's finished API calls of one view. */
export const apiSummaryEvent = builder('api_summary', '%calls %failed duration');
/** The parts of a vital: INP's three phases, LCP's four sub-parts. */
export const inpParts = builder('', 'input_delay processing presentation');
export const lcpParts = builder('', 'ttfb load_delay load_duration render_delay');
/** An app's lifecycle event (registered, mounted, failed). */
export const appEvent = (phase, detail = '') => ({ kind: 'app', phase, detail });

/** A repeated error's first report sent again with its count, without its stack text (repeats.rs keeps the frames only). */
export const withCount = (report, count) => ({ ...report, stack: '', count: whole(count, U32) });

// Text the wire leaves out when empty (text_if_any in json.rs); every other
// string is sent even when empty.
const OPTIONAL_TEXT = 'rating target resource event_type owner function invoker health_check declared_rules trace_id'.split(' ');
// Fields cut to other than MAX_TEXT_BYTES: declared rules are JSON, never cut.
const LIMITS = { stack: MAX_STACK_BYTES, method: MAX_METHOD_BYTES, declared_rules: Infinity, attrs: MAX_ATTR_VALUE_BYTES };

/** A copy of `value` (the field `key`) as json.rs writes it: strings cut to their limit; empty optional text, empty lists and objects and false flags left out. */
function wire(value, key) {
  if (typeof value == 'string') return truncate(value, LIMITS[key] || MAX_TEXT_BYTES);
  if (Array.isArray(value)) return value.map((item) => wire(item, key));
  if (!value || typeof value != 'object') return value;
  // Attributes and parts are named values: their names are the app's, never fields.
  const named = key == 'attrs' || key == 'parts';
  const fields = [];
  for (const [name, item] of Object.entries(value)) {
    const field = wire(item, named ? key : name);
    const left = named ||
      !(field === undefined || field === false || (field === '' && OPTIONAL_TEXT.includes(name)) ||
        (typeof field == 'object' && field && !Object.keys(field).length));
    if (left) fields.push([named ? truncate(name, MAX_ATTR_KEY_BYTES) : name, field]);
  }
  return Object.fromEntries(fields);
}

/** Runs the page's `beforeSend` on an encoded event (privacy.rs): the hook gets a copy to change or replace; null drops it, undefined keeps the copy as left; a throw or a non-object return sends it unchanged, since the page's bug must not cost its data. */
function runBeforeSend(hook, encoded) {
  try {
    const event = JSON.parse(encoded), returned = hook.call(null, event);
    if (returned === null) return null;
    const changed = returned === undefined ? event : returned;
    const json = typeof changed == 'object' ? JSON.stringify(changed) : undefined;
    return typeof json == 'string' ? json : encoded;
  } catch {
    return encoded;
  }
}

/** The JSON text of `event` for the app named `appName` at `at` (epoch ms), after `beforeSend`; null when the hook drops it (or it cannot be written). */
export function encodeEvent(appName, at, event, beforeSend) {
  try {
    const written = wire({ app: appName, at, ...event });
    // An error's defaults: it happened once, at level error.
    if (written.kind == 'error') {
      if (written.count === 1) delete written.count;
      if (written.level == 'error') delete written.level;
    }
    const encoded = JSON.stringify(written);
    return typeof beforeSend == 'function' ? runBeforeSend(beforeSend, encoded) : encoded;
  } catch {
    return null;
  }
}

/** A beacon without events as JSON, ending in the empty `events` array `assemble` fills; `id` and a `dropped` of 0 are left out. */
export function envelope({ sessionId, viewId, pageUrl, sentAt, apps, dropped, id }) {
  try {
    return JSON.stringify({
      schema: SCHEMA_VERSION, id, session_id: sessionId, view_id: viewId, page_url: pageUrl,
      sent_at: sentAt, apps: apps || [], dropped: whole(dropped) || undefined, events: [],
    });
  } catch {
    return null;
  }
}

/** The body: encoded events spliced into the envelope's trailing empty `events` array; null when the envelope does not end with it. */
export function assemble(envelope, events) {
  return typeof envelope == 'string' && envelope.endsWith('[]}') && Array.isArray(events)
    ? envelope.slice(0, -2) + events.join(',') + ']}'
    : null;
}
