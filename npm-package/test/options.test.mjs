// options.js: init's options, checked with the wasm's messages (ported from agent-wasm/src/config.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOptions } from '../agent/options.js';

const options = (endpoint, more = {}) => ({ endpoint, key: 'test-key-1', ...more });
const error = (raw) => checkOptions(raw).error;

test('the endpoint becomes the beacon URL, and defaults fill the rest', () => {
  const hook = () => null;
  assert.deepEqual(checkOptions(options('http://127.0.0.1:8787/')), {
    config: {
      beaconUrl: 'http://127.0.0.1:8787/v1/beacon?key=test-key-1',
      shell: 'shell',
      flushIntervalMs: 5000,
      maxQueueBytes: 256 * 1024,
      keepQueryParams: [],
      allResources: false,
      compress: false,
      beforeSend: undefined,
    },
  });
  const given = options('https://in.example//', {
    shell: 'host', flushIntervalMs: 100, maxQueueBytes: 60000, keepQueryParams: ['page'], resources: 'all', compress: true,
    beforeSend: hook, apiErrorStatuses: '4xx+5xx', tracePropagationTargets: ['https://api.example.com'], unknown: 1,
  });
  assert.deepEqual(checkOptions(given).config, {
    beaconUrl: 'https://in.example/v1/beacon?key=test-key-1',
    shell: 'host', flushIntervalMs: 100, maxQueueBytes: 60000, keepQueryParams: ['page'], allResources: true, compress: true, beforeSend: hook,
  });
  assert.equal(checkOptions(options('https://x', { resources: 'summary', flushIntervalMs: null, beforeSend: null })).config.allResources, false);
});

test('bad options are named in the error', () => {
  assert.equal(error(undefined), 'init: options must be an object');
  assert.equal(error({ key: 'test-key-1' }), 'init: missing field `endpoint`');
  assert.equal(error(options('/relative')), 'init: endpoint must be an absolute http(s) URL, got "/relative"');
  assert.equal(error(options('http://')), 'init: endpoint must be an absolute http(s) URL, got "http://"');
  assert.equal(error(options('HTTPS://x')), 'init: endpoint must be an absolute http(s) URL, got "HTTPS://x"');
  assert.equal(error(options('https://x', { maxQueueBytes: 10 })), 'init: maxQueueBytes must be at least 60000, got 10');
  assert.equal(error(options('https://x', { key: 'k y' })), `init: key must be at least 8 letters, digits, '-' or '_', got "k y"`);
  assert.match(error(options('https://x', { key: 'short' })), /^init: key must be/);
  assert.equal(error(options('https://x', { key: 'schlüssel-1' })).slice(0, 16), 'init: key must b');
  assert.equal(error(options('https://x', { shell: 'my shell' })), `init: shell: app name may hold only letters, digits, '-', '_' and '.', got "my shell"`);
  assert.equal(error(options('https://x', { flushIntervalMs: 99 })), 'init: flushIntervalMs must be at least 100, got 99');
  assert.equal(error(options('https://x', { flushIntervalMs: 1.5 })), 'init: flushIntervalMs must be a whole number');
  assert.equal(error(options('https://x', { resources: 'some' })), 'init: resources must be "summary" or "all", got "some"');
  assert.equal(error(options('https://x', { compress: 'yes' })), 'init: compress must be true or false');
  assert.equal(error(options('https://x', { beforeSend: {} })), 'init: beforeSend must be a function');
  assert.equal(error(options('https://x', { keepQueryParams: [1] })), 'init: keepQueryParams must be an array of strings');
  assert.equal(error(options('/relative', { key: 'k' })), 'init: endpoint must be an absolute http(s) URL, got "/relative"', 'the first problem');
});

test('api options are checked', () => {
  const api = (statuses, target) => checkOptions(options('https://x', { apiErrorStatuses: statuses, tracePropagationTargets: [target] }));
  assert.ok(api('4xx+5xx', 'https://api.example.com').config);
  assert.ok(api('5xx', 'http://127.0.0.1:8080').config);
  assert.ok(api('5xx', 'HTTPS://API.example.com:443').config);
  assert.equal(api('4xx', 'https://api.example.com').error, 'init: apiErrorStatuses must be "5xx" or "4xx+5xx", got "4xx"');
  for (const target of ['https://api.example.com/v1', 'api.example.com', 'https://', 'https://a?b', 'https://a#b', 'https://u@a', 'https://a b']) {
    assert.equal(api('5xx', target).error, `init: tracePropagationTargets must list origins like "https://api.example.com" (no path), got "${target}"`, target);
  }
});
