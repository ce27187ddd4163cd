// What a page passes to `init`, checked before use; the messages are the ones
// the wasm agent gave (pages and tests read them).

import { MAX_BEACON_BYTES, checkAppName, readFields } from './fields.js';

const INIT_FIELDS =
  'Sendpoint Skey sshell wflushIntervalMs wmaxQueueBytes lkeepQueryParams sresources bcompress fbeforeSend ' +
  'sapiErrorStatuses ltracePropagationTargets';

/** `{ config }` from `init`'s options, or `{ error: 'init: <why>' }` naming the first bad one (checked in the wasm's order). */
export function checkOptions(raw) {
  const fields = readFields(raw, 'options', INIT_FIELDS);
  if (typeof fields == 'string') return { error: 'init: ' + fields };
  const [endpoint, key, shell = 'shell', flushIntervalMs = 5000, maxQueueBytes = 256 * 1024, keepQueryParams = [],
    resources = 'summary', compress = false, beforeSend, apiErrorStatuses = '5xx', targets = []] = fields;
  const base = endpoint.replace(/\/+$/, ''), badShell = checkAppName(shell);
  // `scheme://host[:port]` of http(s): the package compares it as `URL.origin`
  // writes it, so case and a default port do not matter.
  const badTarget = targets.find((target) => !/^https?:\/\/[^/?#@ ]+$/i.test(target));
  const why = !/^https?:\/\//.test(base) ? `endpoint must be an absolute http(s) URL, got "${endpoint}"`
    : !/^[\w-]{8,}$/.test(key) ? `key must be at least 8 letters, digits, '-' or '_', got "${key}"`
    : badShell ? 'shell: ' + badShell
    : flushIntervalMs < 100 ? 'flushIntervalMs must be at least 100, got ' + flushIntervalMs
    : maxQueueBytes < MAX_BEACON_BYTES ? `maxQueueBytes must be at least ${MAX_BEACON_BYTES}, got ${maxQueueBytes}`
    : resources != 'summary' && resources != 'all' ? `resources must be "summary" or "all", got "${resources}"`
    : apiErrorStatuses != '5xx' && apiErrorStatuses != '4xx+5xx' ? `apiErrorStatuses must be "5xx" or "4xx+5xx", got "${apiErrorStatuses}"`
    : badTarget !== undefined ? `tracePropagationTargets must list origins like "https://api.example.com" (no path), got "${badTarget}"`
    : '';
  if (why) return { error: 'init: ' + why };
  const beaconUrl = base + '/v1/beacon?key=' + key;
  return { config: { beaconUrl, shell, flushIntervalMs, maxQueueBytes, keepQueryParams, allResources: resources == 'all', compress, beforeSend } };
}
