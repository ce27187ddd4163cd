// Added to every benchmark page before its own scripts (page.addInitScript).
// Times, with performance.now(), the main-thread work of the tool under test:
// its setup calls (run through __meter.asTool) and every callback registered
// while tool code runs — PerformanceObserver callbacks, event listeners,
// timers, animation frames, idle callbacks, microtasks and promise reactions.
// The page's own callbacks are registered outside tool code and are left
// untouched. It also counts the entries delivered to the tool's observers.
// When the page is left, the totals are kept in sessionStorage for the runner.
(() => {
  const now = performance.now.bind(performance);
  const STORAGE_KEY = 'canopy-overhead-meter';
  const time = {}; // kind → { calls, ms }
  const entries = {}; // entry type → distinct entries delivered to the tool's observers
  const seen = new WeakSet();
  const toolObservers = new WeakSet();
  let deliveries = 0; // entries delivered, counting an entry once per observer
  let depth = 0; // tool calls on the stack: what they register belongs to the tool
  let leaving = false;

  const save = () => sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ time, entries, deliveries, isolated: crossOriginIsolated }));

  /** Runs tool code, timing it as `kind` unless it runs inside tool code already timed. */
  function timed(kind, fn, self, args) {
    if (depth > 0) return Reflect.apply(fn, self, args);
    depth += 1;
    const start = now();
    try {
      return Reflect.apply(fn, self, args);
    } finally {
      const ms = now() - start;
      depth -= 1;
      const total = (time[kind] ??= { calls: 0, ms: 0 });
      total.calls += 1;
      total.ms += ms;
      if (leaving) save(); // the tool's last work happens while the page goes away
    }
  }

  /** `callback` timed as `kind` if tool code is registering it; else as it is. */
  const own = (kind, callback) =>
    depth > 0 && typeof callback === 'function'
      ? function metered(...args) { return timed(kind, callback, this, args); }
      : callback;

  function count(list) {
    for (const entry of list) {
      deliveries += 1;
      if (seen.has(entry)) continue;
      seen.add(entry);
      entries[entry.entryType] = (entries[entry.entryType] ?? 0) + 1;
    }
  }

  // Scheduling functions: the callback is the first argument.
  for (const [name, kind] of [
    ['setTimeout', 'timer'], ['setInterval', 'timer'], ['requestAnimationFrame', 'frame'],
    ['requestIdleCallback', 'idle'], ['queueMicrotask', 'microtask'],
  ]) {
    const original = globalThis[name];
    globalThis[name] = function (callback, ...rest) {
      return Reflect.apply(original, globalThis, [own(kind, callback), ...rest]);
    };
  }

  const then = Promise.prototype.then;
  Promise.prototype.then = function (onFulfilled, onRejected) {
    return Reflect.apply(then, this, [own('promise', onFulfilled), own('promise', onRejected)]);
  };

  // One wrapper per listener, so that removeEventListener finds it.
  const listeners = new WeakMap();
  const { addEventListener, removeEventListener } = EventTarget.prototype;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (depth > 0 && listener && !listeners.has(listener)) {
      const handle = typeof listener === 'function' ? listener : listener.handleEvent;
      listeners.set(listener, function metered(event) {
        return timed('listener', handle, typeof listener === 'function' ? this : listener, [event]);
      });
    }
    return Reflect.apply(addEventListener, this, [type, listeners.get(listener) ?? listener, options]);
  };
  EventTarget.prototype.removeEventListener = function (type, listener, options) {
    return Reflect.apply(removeEventListener, this, [type, listeners.get(listener) ?? listener, options]);
  };

  const Observer = PerformanceObserver;
  globalThis.PerformanceObserver = class extends Observer {
    constructor(callback) {
      if (depth === 0) {
        super(callback);
        return;
      }
      super((list, observer) => {
        const result = timed('observer', callback, undefined, [list, observer]);
        count(list.getEntries()); // after the timing: counting is not the tool's work
        return result;
      });
      toolObservers.add(this);
    }

    takeRecords() {
      const records = super.takeRecords();
      if (toolObservers.has(this)) count(records);
      return records;
    }
  };

  Reflect.apply(addEventListener, globalThis, ['pagehide', () => {
    leaving = true;
    save();
  }, { capture: true }]);

  globalThis.__meter = {
    /** Runs the tool's setup (init, registration) as tool code. */
    asTool: (fn) => timed('setup', fn, undefined, []),
  };
})();
