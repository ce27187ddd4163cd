// The agent's calls as the hub makes them (index.js): each checks its
// argument's text here, then hands the wasm numbers and values. A call the
// agent refuses throws an Error naming the call; the hub warns with it once.
import { load, hold, enter } from './load.js';
import { textImports } from './imports.js';
import { checkOptions } from './options.js';
import { createApps } from './apps.js';
import { readFields, truncate, checkAppName, MAX_TEXT_BYTES } from './fields.js';
import { parseStack } from '../stack.js';
import { scrubUrl } from './scrub.js';
import { captureReport, fingerprint } from './errors.js';
import { appEvent as lifecycle } from './encode.js';
import { readMetric, readCustomEvent, readApiCall } from './custom.js';
import { watchApiCalls } from '../api-calls.js';

const fail = (call, why) => {
  throw new Error(`${call}: ${why}`);
};
const now = () => performance.now();

/** Loads the wasm (from `wasmUrl`, else next to the package); resolves to the calls. */
export async function loadAgent(wasmUrl) {
  // Filled by init: the checked options, and the app registry.
  const page = { config: null, apps: null };
  const wasm = await load(wasmUrl, textImports(page));
  const running = (call) => page.config || fail(call, 'call init first');
  const record = (app, event) => enter('record', app, now(), hold(event));
  const registered = (call, name) => {
    const index = page.apps.indexOf(name);
    return index >= 0 ? index : fail(call, `"${name}" is not registered; call registerApp first`);
  };
  const ownerOfCaller = (stack) => page.apps.ownerOfError('', parseStack(stack));
  const ctx = () => ({ apps: page.apps, scrub: (url) => scrubUrl(url, page.config.keepQueryParams) });
  return {
    init(options) {
      if (page.config) fail('init', 'the agent is already running on this page');
      const checked = checkOptions(options);
      if (checked.error) throw new Error(checked.error);
      const { config } = checked;
      page.apps = createApps(config.shell, ctx().scrub);
      page.config = config;
      enter('start', config.flushIntervalMs, config.maxQueueBytes, config.allResources, config.compress);
    },
    registerApp(app) {
      running('registerApp');
      const result = page.apps.register(app);
      if (result.error) throw new Error(result.error);
      record(result.index, result.event);
    },
    appMounted(name) {
      running('appMounted');
      if (typeof name != 'string') fail('appMounted', 'the app name must be a string');
      record(registered('appMounted', name), lifecycle('mounted'));
    },
    appFailed(report) {
      running('appFailed');
      const fields = readFields(report, 'the report', 'Sname serror');
      if (typeof fields == 'string') fail('appFailed', fields);
      const [name, error = ''] = fields;
      const problem = checkAppName(name);
      if (problem) fail('appFailed', problem);
      // An app that failed before its code could register (its remote entry
      // did not load, a framework gave up on it) is registered here, so the
      // failed load counts against its availability and nobody else's.
      const { index, event } = page.apps.ensure(name);
      if (event) record(index, event);
      record(index, lifecycle('failed', truncate(error, MAX_TEXT_BYTES)));
    },
    pushMetric(call) {
      running('pushMetric');
      const read = readMetric(call);
      if (read.error) fail('pushMetric', read.error);
      record(ownerOfCaller(read.stack), read.event);
    },
    pushEvent(call) {
      running('pushEvent');
      const read = readCustomEvent(call);
      if (read.error) fail('pushEvent', read.error);
      record(ownerOfCaller(read.stack), read.event);
    },
    captureError(call) {
      capture('captureError', call, 'handled', 'error', 'Error');
    },
    captureMessage(call) {
      capture('captureMessage', call, 'message', 'info', 'Message');
    },
    recordApiCall(call) {
      running('api calls');
      const read = readApiCall(call, ctx());
      if (read.error) fail('api calls', read.error);
      enter('api_call', read.app, read.at, read.duration, read.failed, hold(read.event));
    },
    recordEarly(events) {
      if (page.config) enter('record_early', hold(Array.from(events)));
    },
    watch({ target, app }) {
      running('watch');
      const index = page.apps.indexOf(app);
      if (index < 0) fail('watch', 'the app is not registered');
      enter('watch', hold(target), index);
    },
    flush() {
      if (page.config) enter('flush');
    },
    stats() {
      const [queuedEvents, queuedBytes, dropped] = [0, 1, 2].map((which) => wasm.stat(which));
      if (Number.isNaN(queuedEvents)) return null;
      return { queuedEvents, queuedBytes, dropped, memoryBytes: wasm.memory.buffer.byteLength };
    },
    watchApiCalls,
  };

  function capture(call, report, source, level, type) {
    running(call);
    // A report may name an app that never registered: its own, all the same.
    const apps = { ...page.apps, indexOf: (name) => page.apps.ensure(name).index };
    const read = captureReport(report, source, level, type, { ...ctx(), apps });
    if (read.error) fail(call, read.error);
    const caught = { report: read.report, chunk: '', fingerprint: fingerprint(read.report) };
    enter('record_caught', read.app, now(), hold(caught));
  }
}
