// Variant B: web-vitals' attribution build, every metric reported to a sink
// on the benchmark server as a page would send them to its analytics.
import { onCLS, onFCP, onINP, onLCP, onTTFB } from '/web-vitals/web-vitals.attribution.js';

const sink = (metric) => navigator.sendBeacon('/sink', JSON.stringify(metric));
__meter.asTool(() => {
  for (const on of [onCLS, onFCP, onINP, onLCP, onTTFB]) on(sink);
});
