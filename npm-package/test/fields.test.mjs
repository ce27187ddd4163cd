// fields.js: reading option objects, the limits, truncation and the app-name
// rule (ported from agent-wasm/src/fields.rs' read_fields and wire/src/limits.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_NAME, attrsObject, byteLength, checkAppName, readFields, truncate } from '../agent/fields.js';

test('truncate marks and respects char boundaries', () => {
  const text = 'abcé and more'; // 'é' is two bytes
  assert.equal(truncate(text, 7), 'abc…');
  assert.ok(byteLength(truncate(text, 7)) <= 7);
  assert.equal(truncate('ok', 10), 'ok');
  assert.equal(truncate('abcdefg', 7), 'abcdefg', 'exactly at the limit');
  assert.equal(truncate('😀😀😀', 8), '😀…', 'a four-byte character is not split');
  assert.equal(truncate('abcdef', 2), '…', 'below the mark: only the mark, as the wasm did');
});

test('app names are short and plain, with the wire words', () => {
  assert.equal(checkAppName('cart-v2.eu_1'), '');
  assert.equal(checkAppName(''), 'app name must be 1 to 64 characters, got ""');
  assert.equal(checkAppName('cart app'), `app name may hold only letters, digits, '-', '_' and '.', got "cart app"`);
  assert.match(checkAppName('a'.repeat(65)), /^app name must be 1 to 64 characters/);
  assert.equal(checkAppName('a'.repeat(64)), '');
  // Bytes count, not characters: 40 'é' are 80 bytes (too long), 30 are 60 (the wrong letters).
  assert.match(checkAppName('é'.repeat(40)), /must be 1 to 64 characters/);
  assert.match(checkAppName('é'.repeat(30)), /may hold only/);
  assert.match(checkAppName('x y', 'name'), /^name may hold only/);
  assert.ok(APP_NAME.test('cart') && !APP_NAME.test('cart!'));
});

test('fields are read in order, absent ones undefined, unknown ones ignored', () => {
  const hook = () => {};
  const values = readFields(
    { s: 'x', w: 7, r: 0.5, n: -1.5, b: false, f: hook, l: ['a', 'b'], j: [{ x: 1 }], a: { k: 'v', n: 2, t: true }, other: 1 },
    'options',
    'Ss ww rr nn bb ff ll jj aa sabsent',
  );
  assert.deepEqual(values, ['x', 7, 0.5, -1.5, false, hook, ['a', 'b'], '[{"x":1}]', ['k', 'v', 'n', '2', 't', 'true'], undefined]);
  assert.deepEqual(readFields({ w: null, f: null, a: null }, 'o', 'ww ff aa'), [undefined, undefined, undefined]);
});

test('bad fields are named with the wasm messages', () => {
  const cases = [
    [null, 'Sname', 'the app must be an object'],
    ['text', 'Sname', 'the app must be an object'],
    [{}, 'Sname', 'missing field `name`'],
    [{ name: 1 }, 'Sname', 'name must be a string'],
    [{ name: null }, 'sname', 'name must be a string'],
    [{ w: -1 }, 'ww', 'w must be a whole number'],
    [{ w: 1.5 }, 'ww', 'w must be a whole number'],
    [{ w: 4294967296 }, 'ww', 'w must be a whole number'],
    [{ r: 1.01 }, 'rr', 'r must be a number from 0 to 1'],
    [{ r: NaN }, 'rr', 'r must be a number from 0 to 1'],
    [{}, 'nn', 'n must be a finite number'],
    [{ n: Infinity }, 'nn', 'n must be a finite number'],
    [{ b: 1 }, 'bb', 'b must be true or false'],
    [{ f: 'f' }, 'ff', 'f must be a function'],
    [{ l: 'a' }, 'll', 'l must be an array of strings'],
    [{ l: ['a', 1] }, 'll', 'l must be an array of strings'],
    [{ j: {} }, 'jj', 'j must be an array'],
    [{ j: [1n] }, 'jj', 'j could not be written as JSON'],
    [{ a: [] }, 'aa', 'a must be an object'],
    [{ a: { x: {} } }, 'aa', 'a.x must be a string, number or boolean'],
    [{ get g() { throw new Error('no'); } }, 'sg', 'g could not be read'],
    [{ a: new Proxy({}, { ownKeys() { throw new Error('no'); } }) }, 'aa', 'a could not be read'],
  ];
  for (const [object, spec, message] of cases) assert.equal(readFields(object, 'the app', spec), message, spec);
  assert.equal(readFields({ a: 1, b: 2 }, 'o', 'sa Sb'), 'a must be a string', 'reading stops at the first bad field');
});

test('attributes: the first 16, cut to the limits, as the wire object', () => {
  const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => ['k' + i, i]));
  const [pairs] = readFields({ a: many }, 'o', 'aa');
  assert.equal(pairs.length, 32);
  assert.equal(pairs[30], 'k15');
  const [long] = readFields({ a: { ['k'.repeat(100)]: 'v'.repeat(300) } }, 'o', 'aa');
  assert.deepEqual(long.map(byteLength), [64, 256]);
  assert.ok(long[0].endsWith('…') && long[1].endsWith('…'));
  assert.deepEqual(attrsObject(['a', '1', '__proto__', '2']), JSON.parse('{"a":"1","__proto__":"2"}'));
  assert.equal(JSON.stringify(attrsObject(['a', '1', '__proto__', '2'])), '{"a":"1","__proto__":"2"}');
});
