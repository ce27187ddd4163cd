// stack.js' parseStack: Chrome, Firefox and Safari stacks (ported from agent-wasm/src/stack.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStack } from '../stack.js';
import { MAX_FRAMES, MAX_TEXT_BYTES, byteLength } from '../agent/fields.js';

const frame = (name, file, line, column) => (name ? { function: name, file, line, column } : { file, line, column });

test('chrome', () => {
  const stack = [
    "TypeError: Cannot read properties of undefined (reading 'x') at https://x/bad.js:1:1",
    '    at render (https://cdn.example/cart/main.js:10:5)',
    '    at new Widget (https://cdn.example/cart/main.js?v=3:20:7)',
    '    at https://shop.example/app.js:1:99',
    '    at async Promise.all (index 0)',
    '    at eval (eval at load (https://cdn.example/cat/x.js:4:2), <anonymous>:1:1)',
  ].join('\n');
  assert.deepEqual(parseStack(stack), [
    frame('render', 'https://cdn.example/cart/main.js', 10, 5),
    frame('new Widget', 'https://cdn.example/cart/main.js?v=3', 20, 7),
    frame('', 'https://shop.example/app.js', 1, 99),
    frame('async Promise.all', 'index 0', 0, 0),
    frame('eval', 'https://cdn.example/cat/x.js', 4, 2),
  ]);
});

test('firefox', () => {
  const stack = [
    'render@https://cdn.example/cart/main.js:10:5',
    'Widget/<@https://cdn.example/cart/main.js:20:7',
    '@https://shop.example/app.js:1:99',
    'load@https://cdn.example/cat/x.js line 4 > eval:1:1',
    '',
  ].join('\n');
  assert.deepEqual(parseStack(stack), [
    frame('render', 'https://cdn.example/cart/main.js', 10, 5),
    frame('Widget/<', 'https://cdn.example/cart/main.js', 20, 7),
    frame('', 'https://shop.example/app.js', 1, 99),
    frame('load', 'https://cdn.example/cat/x.js', 4, 0),
  ]);
});

test('safari', () => {
  const stack = [
    'render@https://cdn.example/cart/main.js:10:5',
    'forEach@[native code]',
    'global code@https://shop.example/app.js:1:99',
    'https://shop.example/vendor.js:3:12',
  ].join('\n');
  assert.deepEqual(parseStack(stack), [
    frame('render', 'https://cdn.example/cart/main.js', 10, 5),
    frame('forEach', '[native code]', 0, 0),
    frame('global code', 'https://shop.example/app.js', 1, 99),
    frame('', 'https://shop.example/vendor.js', 3, 12),
  ]);
});

test('ports survive and odd input gives no frames', () => {
  assert.deepEqual(parseStack('f@http://127.0.0.1:8080/a.js:7\r\ng@file:///c.js'), [
    frame('f', 'http://127.0.0.1:8080/a.js', 7, 0),
    frame('g', 'file:///c.js', 0, 0),
  ]);
  assert.deepEqual(parseStack(''), []);
  assert.deepEqual(parseStack('just a message'), []);
  assert.equal(parseStack('Error: a@b.example is taken\n    at f (https://x/a.js:1:2)')[0].file, 'https://x/a.js');
  const deep = Array.from({ length: 100 }, (_, i) => `f@https://x/${i}.js:1:1\n`).join('');
  assert.equal(parseStack(deep).length, MAX_FRAMES);
});

test('numbers past u32 read as 0, only ASCII whitespace is trimmed, long names are cut', () => {
  assert.deepEqual(parseStack('f@https://x/a.js:4294967296:4294967295'), [frame('f', 'https://x/a.js', 0, 4294967295)]);
  // A no-break space is no ASCII whitespace: the line is no V8 frame, and Firefox's reading finds no '@'.
  assert.deepEqual(parseStack('\u00a0at f (https://x/a.js:1:2)'), [frame('', '\u00a0at f (https://x/a.js:1:2)', 0, 0)]);
  const [long] = parseStack(`${'f'.repeat(3000)}@https://x/${'a'.repeat(3000)}.js:1:1`);
  assert.equal(byteLength(long.function), MAX_TEXT_BYTES);
  assert.equal(byteLength(long.file), MAX_TEXT_BYTES);
  assert.deepEqual(parseStack(undefined), []);
});
