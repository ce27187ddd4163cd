// Time-series charts with uPlot; horizontal threshold lines (web-vitals
// good/poor and alert rules) drawn by a small plugin.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

function thresholdPlugin(lines) {
  return {
    hooks: {
      draw: [(u) => {
        const { ctx } = u;
        for (const { value, color, label } of lines) {
          const y = u.valToPos(value, 'y', true);
          if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
          ctx.save();
          ctx.strokeStyle = color;
          ctx.setLineDash([6, 4]);
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.beginPath();
          ctx.moveTo(u.bbox.left, y);
          ctx.lineTo(u.bbox.left + u.bbox.width, y);
          ctx.stroke();
          ctx.fillStyle = color;
          ctx.font = `${11 * devicePixelRatio}px sans-serif`;
          ctx.fillText(label, u.bbox.left + 4, y - 4);
          ctx.restore();
        }
      }],
    },
  };
}

/**
 * A time axis (Unix seconds) for `points` ([{ at, … }], empty buckets left
 * out): every `bucket` from `from` to `to`, and every point's time.
 */
export function timeAxis(points, { from, to, bucket }) {
  const grid = [];
  for (let at = Math.floor(from / bucket) * bucket; at < to; at += bucket) grid.push(at);
  return [...new Set([...grid, ...points.map((p) => p.at)])].sort((a, b) => a - b);
}

/** `value(point)` at each time of `t`, 0 where no point is. */
export function valuesOn(t, points, value) {
  const byTime = new Map(points.map((p) => [p.at, value(p)]));
  return t.map((at) => byTime.get(at) ?? 0);
}

/**
 * A chart of series over `t` (Unix seconds) with threshold lines: `values`
 * for one series, or `series` ([{ label, values, color }]) for several.
 */
export function lineChart(container, { title, t, values, color = '#2563eb', series = [{ label: title, values, color }], lines = [], format = (v) => v }) {
  const all = series.flatMap((s) => s.values).filter((v) => v != null);
  const max = Math.max(0, ...all, ...lines.map((l) => l.value));
  const opts = {
    title,
    width: Math.max(320, container.clientWidth || 480),
    height: 200,
    plugins: [thresholdPlugin(lines)],
    scales: { y: { range: [0, max * 1.15 || 1] } },
    series: [{}, ...series.map((s) => ({
      label: s.label, stroke: s.color, width: 2, spanGaps: true, points: { show: true, size: 4 },
      value: (u, v) => (v == null ? '–' : format(v)),
    }))],
    axes: [{}, { values: (u, ticks) => ticks.map(format), size: 70 }],
  };
  return new uPlot(opts, [t, ...series.map((s) => s.values)], container);
}
