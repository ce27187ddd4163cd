// What apps push themselves — metrics (`pushMetric`), events (`pushEvent`) —
// and the API calls the package's `fetch` / `XMLHttpRequest` wrappers saw
// finish, read and checked here with the messages the calls fail with. Each
// is attributed by the stack of the call (its first frame is the caller's).
import { readFields, truncate, checkAppName, attrsObject, MAX_TEXT_BYTES } from './fields.js';
import { parseStack } from '../stack.js';
import { whole, MAX_METHOD_BYTES } from './encode.js';

/** The checked `name` of a custom metric or event (`what` names the call's object), or `{ error }`. */
function customName(call, what) {
  const fields = readFields(call, what, 'Sname');
  if (typeof fields == 'string') return { error: fields };
  const problem = checkAppName(fields[0], 'name');
  return problem ? { error: problem } : { name: fields[0] };
}

/** `pushMetric` passes `{ name, value, attrs, stack }`: `{ stack, event }` (a metric event), or `{ error }`. */
export function readMetric(call) {
  const { name, error } = customName(call, 'the metric');
  if (error) return { error };
  // Read after the name is checked: a bad name is the error to report.
  const fields = readFields(call, 'the metric', 'nvalue aattrs sstack');
  if (typeof fields == 'string') return { error: fields };
  const [value, attrs, stack = ''] = fields;
  return { stack, event: { kind: 'metric', name, value, attrs: attrsObject(attrs) } };
}

/** `pushEvent` passes `{ name, attrs, stack }`: `{ stack, event }` (a custom event), or `{ error }`. */
export function readCustomEvent(call) {
  const { name, error } = customName(call, 'the event');
  if (error) return { error };
  const fields = readFields(call, 'the event', 'aattrs sstack');
  if (typeof fields == 'string') return { error: fields };
  const [attrs, stack = ''] = fields;
  return { stack, event: { kind: 'custom', name, attrs: attrsObject(attrs) } };
}

/** A finished API call (`{ method, url, status, duration, message, traceId, caller, failed }`) as `{ app, duration, failed, at, event }` — `at` when it started (ms since the time origin), `event` the api_call sent if it failed — or `{ error }`. `ctx`: `{ apps, scrub, now? }`. */
export function readApiCall(call, ctx) {
  const fields = readFields(call, 'the call', 'Smethod Surl nstatus nduration smessage straceId scaller bfailed');
  if (typeof fields == 'string') return { error: fields };
  const [method, url, status, duration, message = '', traceId = '', caller = '', failed = false] = fields;
  const spent = Math.max(duration, 0);
  const now = ctx.now ? ctx.now() : performance.now();
  const event = {
    kind: 'api_call', method: truncate(method, MAX_METHOD_BYTES), url: ctx.scrub(url),
    // Responses have a status from 200 to 599; anything else saturates as Rust's `as u16`.
    status: whole(status, 65535), duration: spent, message: truncate(message, MAX_TEXT_BYTES), trace_id: traceId,
  };
  return { app: ctx.apps.ownerOfError('', parseStack(caller)), duration: spent, failed, at: now - spent, event };
}
