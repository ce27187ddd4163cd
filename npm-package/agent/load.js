// The compact wasm loader: instantiates the agent's wasm with the browser
// bindings it imports (module "c") and the text side (module "t", given).
//
// The wasm holds JS values as numbers, slots in `values` (0–3 are fixed:
// undefined, null, true, false), and releases each slot it was handed. It
// names properties, methods and events by number (words.js). Every binding
// is total: what throws reads as undefined. Calls into the wasm never nest:
// one made while another runs (a beforeSend hook calling pushEvent) waits
// until it returns — the agent is never re-entered, and nothing is lost.
import { WORDS } from './words.js';
import { attempt, property as read } from './fields.js';

const values = [undefined, null, true, false];
const free = [];
const MAX_DEFERRED = 100;

/** A slot holding `value`, for the wasm. */
export function hold(value) {
  if (value === undefined) return 0;
  if (value === null) return 1;
  if (value === true) return 2;
  if (value === false) return 3;
  const slot = free.length ? free.pop() : values.length;
  values[slot] = value;
  return slot;
}

/** The value in a slot the wasm passed. */
export const valueOf = (slot) => values[slot];

const invoke = (value, method, argument) => attempt(() => read(value, method).call(value, argument));

let exports;
let running = false;
const deferred = [];

/** Runs `name` of the wasm's exports, unless a call is running: then after it. */
export function enter(name, ...args) {
  if (running) {
    if (deferred.length < MAX_DEFERRED) deferred.push([name, args]);
    return;
  }
  running = true;
  let result;
  try {
    result = exports[name](...args);
  } catch {
    // a trap in the agent must not reach the page
  }
  running = false;
  if (deferred.length) {
    const [next, nextArgs] = deferred.shift();
    enter(next, ...nextArgs);
  }
  return result;
}

/** Reports `value` to the wasm's callback `tag`. */
export const report = (tag, value) => enter('on', tag, hold(value));

const browser = {
  keep: (slot) => hold(values[slot]),
  release: (slot) => {
    if (slot > 3) {
      values[slot] = undefined;
      free.push(slot);
    }
  },
  get: (slot, key) => hold(read(values[slot], WORDS[key])),
  number: (slot, key) => {
    const value = read(values[slot], WORDS[key]);
    return typeof value == 'number' ? value : NaN;
  },
  num: (slot, key) => browser.number(slot, key) || 0,
  equals: (slot, key, word) => read(values[slot], WORDS[key]) === WORDS[word],
  item: (slot, index) => hold(read(values[slot], index)),
  call: (slot, method, argument) => hold(invoke(values[slot], WORDS[method], values[argument])),
  is_object: (slot) => Object(values[slot]) === values[slot],
  word: (word) => hold(WORDS[word]),
  global: (name) => hold(read(globalThis, WORDS[name])),
  now: () => performance.now(),
  epoch_now: () => Date.now(),
  listen: (slot, event, tag, capture) => {
    try {
      values[slot].addEventListener(WORDS[event], (value) => report(tag, value), !!capture);
    } catch {}
  },
  observe: (kind, tag, durationThreshold, window) => {
    try {
      const observer = new (values[window] || globalThis).PerformanceObserver((list) => report(tag, list));
      observer.observe({ type: WORDS[kind], buffered: true, durationThreshold });
      return hold(observer);
    } catch {
      return 0;
    }
  },
  timer: (tag, ms, repeat) => {
    const due = () => report(tag);
    if (ms < 0) requestAnimationFrame(due);
    else (repeat ? setInterval : setTimeout)(due, Math.min(ms, 2 ** 31 - 1));
  },
};

/**
 * Loads the wasm from `source` (a URL, a Response, bytes or a module; by
 * default next to the package) with the text side's bindings `text`;
 * resolves to its exports.
 */
export async function load(source, text) {
  const imports = { c: browser, t: text };
  source ??= new URL('../wasm/canopy_agent_bg.wasm', import.meta.url);
  if (typeof source == 'string' || source instanceof URL) source = fetch(source);
  source = await source;
  let instance;
  if (source instanceof Response) {
    if (!source.ok) throw new Error(`failed to fetch the agent's wasm: ${source.status} ${source.statusText} (${source.url})`);
    try {
      ({ instance } = await WebAssembly.instantiateStreaming(source.clone(), imports));
    } catch {
      // served without the application/wasm type: compile the bytes
      instance = (await WebAssembly.instantiate(await source.arrayBuffer(), imports)).instance;
    }
  } else {
    instance = await WebAssembly.instantiate(source, imports);
    instance = instance.instance || instance;
  }
  exports = instance.exports;
  return exports;
}
