// The shell: starts the page's one agent. The micro-frontends register themselves.
import { init, registerApp } from '@canopy/agent';

const endpoint = document.querySelector('meta[name="canopy-endpoint"]').content;
init({ endpoint, shell: 'shell', flushIntervalMs: 2000 });
registerApp({ name: 'shell', version: '1.0.0', assetPrefixes: [new URL('./', import.meta.url).href] });
