// scrub.js: URLs lose fragments and unlisted query parameters (ported from agent-wasm/src/privacy.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scrubUrl } from '../agent/scrub.js';
import { MAX_TEXT_BYTES, byteLength } from '../agent/fields.js';

test('fragments and unlisted parameters go', () => {
  assert.equal(scrubUrl('https://x.example/cart?token=1#top', []), 'https://x.example/cart');
  assert.equal(scrubUrl('https://x.example/a#b?c', []), 'https://x.example/a');
  assert.equal(scrubUrl('https://x.example/', []), 'https://x.example/');
  const keep = ['page', 'tab'];
  assert.equal(scrubUrl('https://x.example/l?token=s&page=2&tab&pager=9#f', keep), 'https://x.example/l?page=2&tab');
  assert.equal(scrubUrl('https://x.example/l?token=s', keep), 'https://x.example/l');
  assert.equal(scrubUrl('https://x.example/l?tab=1', keep), 'https://x.example/l?tab=1');
});

test('a name is what precedes its first "=", an empty one is never kept', () => {
  assert.equal(scrubUrl('https://x/l?=1&&tab=a=b', ['', 'tab']), 'https://x/l?tab=a=b');
  assert.equal(scrubUrl('https://x/l?a?b=1', ['a?b']), 'https://x/l?a?b=1');
});

test('scrubbed URLs are cut to the text limit', () => {
  const scrubbed = scrubUrl('https://x.example/' + 'é'.repeat(2000) + '?token=1', []);
  assert.ok(byteLength(scrubbed) <= MAX_TEXT_BYTES && scrubbed.endsWith('…'));
  assert.equal(scrubUrl('https://x.example/a'), 'https://x.example/a', 'no keep-list: none kept');
});
