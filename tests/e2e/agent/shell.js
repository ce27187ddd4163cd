// The shell of the agent test pages: registers itself and starts the page's
// one agent, with the endpoint and key from the page's query string and
// `?resources=` from this module's own URL; <html data-agent> says how that
// went. Each micro-frontend on a page is a bundle of its own with its own
// copy of the package.
import { init, registerApp } from '/agent/index.js';

const params = new URLSearchParams(location.search);
const resources = new URL(import.meta.url).searchParams.get('resources');
registerApp({ name: 'shell', version: '1.0.0' });
const ok = await init({
  endpoint: params.get('endpoint'),
  key: params.get('key'),
  wasmUrl: '/agent/wasm/canopy_agent_bg.wasm',
  ...(resources ? { resources } : {}),
});
document.documentElement.dataset.agent = ok ? 'ready' : 'failed';
