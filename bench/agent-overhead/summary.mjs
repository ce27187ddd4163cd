// Medians over the repeated runs of each variant, and the Markdown tables
// scripts/bench-agent puts into docs/PERFORMANCE.md.
const ENTRY_TYPES = [
  'resource', 'event', 'first-input', 'largest-contentful-paint', 'layout-shift', 'navigation', 'paint', 'long-animation-frame',
];
const KINDS = ['setup', 'promise', 'observer', 'listener', 'timer', 'frame', 'idle', 'microtask'];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const sum = (values) => values.reduce((a, b) => a + b, 0);

/** One run's totals. */
function totals(run) {
  const toolMs = sum(Object.values(run.time).map((t) => t.ms));
  const entries = sum(Object.values(run.entries));
  return {
    toolMs,
    entries,
    usPerEntry: entries ? (toolMs * 1000) / entries : 0,
    calls: sum(Object.values(run.time).map((t) => t.calls)),
    deliveries: run.deliveries,
    beacons: run.canopy.beacons + run.sink.beacons,
    bytes: run.canopy.bytes + run.sink.bytes,
    seconds: run.seconds,
  };
}

/** Per variant: the median of each total, of each entry type's count and of each kind's time. */
export function summarize(runs, variants) {
  return variants.map((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    const each = mine.map(totals);
    const medianOf = (pick) => median(mine.map(pick));
    return {
      variant,
      ...Object.fromEntries(Object.keys(each[0]).map((key) => [key, median(each.map((t) => t[key]))])),
      range: [Math.min(...each.map((t) => t.toolMs)), Math.max(...each.map((t) => t.toolMs))],
      entryTypes: Object.fromEntries(ENTRY_TYPES.map((type) => [type, medianOf((r) => r.entries[type] ?? 0)])),
      kinds: Object.fromEntries(KINDS.map((kind) => [kind, {
        ms: medianOf((r) => r.time[kind]?.ms ?? 0),
        calls: medianOf((r) => r.time[kind]?.calls ?? 0),
      }])),
    };
  });
}

const ms = (value) => value.toFixed(1);
const row = (cells) => `| ${cells.join(' | ')} |`;

export function markdown(summary, repeats) {
  const by = Object.fromEntries(summary.map((s) => [s.variant, s]));
  const tools = summary.filter((s) => s.variant !== 'baseline');
  const lines = [
    `Medians of ${repeats} runs per variant.`,
    '',
    row(['variant', 'tool main-thread ms (min–max)', 'entries observed', 'µs per entry', 'tool calls', 'beacons (bytes)', 'run s']),
    row(['---', '--:', '--:', '--:', '--:', '--:', '--:']),
    ...summary.map((s) => row([
      s.variant, `${ms(s.toolMs)} (${ms(s.range[0])}–${ms(s.range[1])})`, s.entries, s.entries ? ms(s.usPerEntry) : '–', s.calls,
      `${s.beacons} (${s.bytes})`, ms(s.seconds),
    ])),
    '',
  ];
  if (by.canopy && by['web-vitals']) {
    const ratio = (key) => (by.canopy[key] / by['web-vitals'][key]).toFixed(2);
    lines.push(
      row(['agent / web-vitals', 'ratio']),
      row(['---', '--:']),
      row(['main-thread ms per observed entry', `**${ratio('usPerEntry')}×**`]),
      row(['main-thread ms in all', `${ratio('toolMs')}×`]),
      row(['entries observed', `${ratio('entries')}×`]),
      '',
    );
  }
  lines.push(
    row(['entries observed (distinct)', ...tools.map((s) => s.variant)]),
    row(['---', ...tools.map(() => '--:')]),
    ...ENTRY_TYPES.map((type) => row([type, ...tools.map((s) => s.entryTypes[type])])),
    '',
    row(['where the time went: ms (calls)', ...tools.map((s) => s.variant)]),
    row(['---', ...tools.map(() => '--:')]),
    ...KINDS.map((kind) => row([kind, ...tools.map((s) => `${ms(s.kinds[kind].ms)} (${s.kinds[kind].calls})`)])),
  );
  return `${lines.join('\n')}\n`;
}
