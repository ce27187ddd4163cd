// errors.js: the error hooks' readers (observe/errors.rs), captureError /
// captureMessage (capture.rs) and the repeat fingerprint (repeats.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { readErrorEvent, captureReport, fingerprint, chunkInMessage } from '../agent/errors.js';

// The agent's scrub keeps `page` and marks what it scrubbed, so a test sees which URLs went through it.
const scrub = (url) => 'S:' + url.split('#')[0].split('?')[0];
// A registry: cart owns https://cdn.example/cart/, the shell (0) the rest.
const apps = {
  indexOf: (name) => ['shell', 'cart'].indexOf(name),
  ownerOfError: (url, frames) => (frames.some((frame) => frame.file.startsWith('https://cdn.example/cart/')) ? 1 : 0),
};
const ctx = { apps, scrub };
const element = (tagName, props) => ({ nodeType: 1, tagName, ...props });

test('failed dynamic imports name their chunk', () => {
  const chrome = 'Failed to fetch dynamically imported module: https://cdn.example/cart/chunk-7.js';
  assert.equal(chunkInMessage(chrome), 'https://cdn.example/cart/chunk-7.js');
  const firefox = 'error loading dynamically imported module: http://127.0.0.1:9/cart/c.js';
  assert.equal(chunkInMessage(firefox), 'http://127.0.0.1:9/cart/c.js');
  const webpack = 'Loading chunk 7 failed.\n(error: https://cdn.example/cart/7.js)';
  assert.equal(chunkInMessage(webpack), 'https://cdn.example/cart/7.js');
  assert.equal(chunkInMessage('fetch failed: https://api.example/x'), undefined);
  assert.equal(chunkInMessage('Loading chunk 7 failed.'), undefined);
  // The earlier of the two schemes; a vertical tab is not ASCII white space to Rust.
  assert.equal(chunkInMessage('Loading CSS chunk http://a/x\vy https://b/z'), 'http://a/x\vy');
});

test('a failed load of an element is a resource_load report; scripts and stylesheets are chunks', () => {
  const image = readErrorEvent({ type: 'error', target: element('IMG', { src: 'https://x.example/a.png?token=1#f' }) }, scrub);
  assert.deepEqual(image, {
    chunk: '',
    report: {
      kind: 'error', source: 'resource_load', error_type: 'img', message: 'failed to load img https://x.example/a.png',
      stack: '', url: 'S:https://x.example/a.png', line: 0, column: 0, frames: [],
    },
  });
  const script = readErrorEvent({ type: 'error', target: element('SCRIPT', { src: 'https://cdn.example/cart/7.js?v=2' }) }, scrub);
  assert.equal(script.chunk, 'S:https://cdn.example/cart/7.js');
  const link = readErrorEvent({ type: 'error', target: element('LINK', { src: 3, href: 'https://cdn.example/cart/a.css' }) }, scrub);
  assert.deepEqual([link.chunk, link.report.error_type], ['S:https://cdn.example/cart/a.css', 'link']);
  // Only ASCII letters are lowered, as Rust's to_ascii_lowercase.
  const custom = readErrorEvent({ type: 'error', target: element('MY-ÉL', {}) }, scrub);
  assert.deepEqual([custom.report.error_type, custom.report.message, custom.chunk], ['my-Él', 'failed to load my-Él ', '']);
});

test('an uncaught error reads the thrown error, its stack parsed and scrubbed', () => {
  const thrown = { name: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at render (https://cdn.example/cart/main.js?v=3:10:5)' };
  const caught = readErrorEvent({
    type: 'error', message: 'Uncaught TypeError: x is undefined', error: thrown,
    filename: 'https://cdn.example/cart/main.js?v=3', lineno: 10.7, colno: -1,
  }, scrub);
  assert.deepEqual(caught, {
    chunk: '',
    report: {
      kind: 'error', source: 'error', error_type: 'TypeError', message: 'x is undefined', stack: thrown.stack,
      url: 'S:https://cdn.example/cart/main.js', line: 10, column: 0,
      frames: [{ function: 'render', file: 'S:https://cdn.example/cart/main.js', line: 10, column: 5 }],
    },
  });
  // A thrown string: the event's message, type Error.
  const string = readErrorEvent({ type: 'error', message: 'Uncaught boom', error: 'boom', lineno: 2 ** 40 }, scrub);
  assert.deepEqual([string.report.error_type, string.report.message, string.report.line], ['Error', 'Uncaught boom', 4294967295]);
  assert.equal(readErrorEvent({ type: 'error', message: 42 }, scrub), null, 'no message: no ErrorEvent');
  assert.equal(readErrorEvent(undefined, scrub), null);
});

test("a cross-origin script's hidden error is muted; only with a null error and no file", () => {
  const muted = readErrorEvent({ type: 'error', message: 'Script error.', error: null, filename: '' }, scrub);
  assert.deepEqual(muted.report, {
    kind: 'error', source: 'muted', error_type: 'Script error', message: 'Script error.',
    stack: '', url: 'S:', line: 0, column: 0, frames: [],
  });
  const undefinedError = readErrorEvent({ type: 'error', message: 'Script error.' }, scrub);
  assert.deepEqual([undefinedError.report.source, undefinedError.report.error_type], ['error', 'Error']);
  const withFile = readErrorEvent({ type: 'error', message: 'Script error.', error: null, filename: 'https://x/a.js' }, scrub);
  assert.equal(withFile.report.source, 'error');
});

test('rejections keep what a non-Error reason says', () => {
  const error = readErrorEvent({ type: 'unhandledrejection', reason: { name: 'RangeError', message: 'too far', stack: 'f@https://x/a.js:1:2' } }, scrub);
  assert.deepEqual([error.report.source, error.report.error_type, error.report.message, error.report.frames.length], ['rejection', 'RangeError', 'too far', 1]);
  const described = (reason) => readErrorEvent({ type: 'unhandledrejection', reason }, scrub).report;
  assert.deepEqual([described('nope').error_type, described('nope').message], ['UnhandledRejection', 'nope']);
  assert.equal(described({ code: 7 }).message, '{"code":7}');
  assert.equal(described(undefined).message, 'undefined');
  assert.equal(described(Symbol('s')).message, 'Symbol(s)');
  assert.equal(described({ toJSON() { throw new Error('no'); } }).message, '[object Object]');
  assert.equal(described({ message: 'no name' }).error_type, 'Error');
  // A reason whose getter throws reads as absent.
  const hostile = { get message() { throw new Error('trap'); } };
  assert.equal(described(hostile).error_type, 'UnhandledRejection');
  const chunk = readErrorEvent({ type: 'unhandledrejection', reason: new TypeError('Failed to fetch dynamically imported module: https://cdn.example/cart/c.js?x=1') }, scrub);
  assert.equal(chunk.chunk, 'S:https://cdn.example/cart/c.js');
});

test('text is cut to the limits, after the frames are read', () => {
  const long = 'é'.repeat(3000);
  const stack = 'Error\n    at f (https://x/a.js:1:2)\n' + 'x'.repeat(9000);
  const { report } = readErrorEvent({ type: 'error', message: 'm', error: { name: long, message: long, stack } }, scrub);
  assert.equal(Buffer.byteLength(report.message), 2047);
  assert.ok(report.message.endsWith('…') && report.error_type.endsWith('…'));
  assert.ok(Buffer.byteLength(report.stack) <= 8192 && report.stack.endsWith('…'));
  assert.equal(report.frames.length, 1);
});

test('captureError and captureMessage reports: checked with the calls’ messages', () => {
  const error = (call) => captureReport(call, 'handled', 'error', 'Error', ctx).error;
  assert.equal(error('x'), 'the report must be an object');
  assert.equal(error({}), 'missing field `message`');
  assert.equal(error({ message: 1 }), 'message must be a string');
  assert.equal(error({ message: 'm', level: 'critical' }), 'level must be "fatal", "error", "warning", "info" or "debug", got "critical"');
  assert.equal(error({ message: 'm', level: 'Warning' }), 'level must be "fatal", "error", "warning", "info" or "debug", got "Warning"');
  assert.equal(error({ message: 'm', app: 'no way' }), 'app name may hold only letters, digits, \'-\', \'_\' and \'.\', got "no way"');
  assert.equal(error({ message: 'm', app: '' }), 'app name must be 1 to 64 characters, got ""');
  assert.equal(error({ message: 'm', app: 'ghost' }), '"ghost" is not registered; call registerApp first');
  assert.equal(error({ message: 'm', attributes: { a: [] } }), 'attributes.a must be a string, number or boolean');
});

test('a capture belongs to the app named, else to the caller’s', () => {
  const caller = 'Error\n    at buy (https://cdn.example/cart/main.js:3:4)';
  const message = captureReport({ message: 'low stock', caller, level: 'warning', attributes: { order: 42 } }, 'message', 'info', 'Message', ctx);
  assert.deepEqual(message, {
    app: 1,
    report: {
      kind: 'error', source: 'message', error_type: 'Message', message: 'low stock', stack: caller, url: 'S:', line: 0, column: 0,
      frames: [{ function: 'buy', file: 'S:https://cdn.example/cart/main.js', line: 3, column: 4 }],
      level: 'warning', attrs: { order: '42' },
    },
  });
  // The error's own stack places it; the default level "error" is the wire's default, left out.
  const handled = captureReport({ message: 'x', type: 'TypeError', stack: 'TypeError: x\n    at f (https://shell.example/a.js:1:1)', caller, app: 'shell' }, 'handled', 'error', 'Error', ctx);
  assert.equal(handled.app, 0);
  assert.equal(handled.report.frames[0].file, 'S:https://shell.example/a.js');
  assert.equal('level' in handled.report || 'attrs' in handled.report, false);
  const info = captureReport({ message: 'hello' }, 'message', 'info', 'Message', ctx);
  assert.deepEqual([info.app, info.report.level, info.report.error_type, info.report.stack], [0, 'info', 'Message', '']);
});

test('the fingerprint is the same error: kind, level, type, message, place and top frame', () => {
  const report = (changes = {}) => ({
    kind: 'error', source: 'error', error_type: 'TypeError', message: 'boom', stack: 'at f (https://x/a.js:1:1)',
    url: 'https://x/a.js', line: 1, column: 1, frames: [{ function: 'f', file: 'https://x/a.js', line: 1, column: 1 }], ...changes,
  });
  const same = fingerprint(report());
  assert.ok(Number.isInteger(same) && same >= 0 && same < 2 ** 32);
  assert.equal(fingerprint(report({ stack: '', attrs: { a: 'b' }, count: 3 })), same, 'stack, attributes and count do not count');
  assert.equal(fingerprint(report({ frames: [...report().frames, { file: 'https://y/b.js', line: 9, column: 9 }] })), same);
  assert.equal(fingerprint(report({ level: 'error' })), same, 'level error is the default');
  const others = [
    { source: 'rejection' }, { level: 'warning' }, { error_type: 'RangeError' }, { message: 'bang' }, { url: 'https://x/b.js' },
    { line: 2 }, { column: 2 }, { frames: [] }, { frames: [{ file: 'https://x/a.js', line: 2, column: 1 }] },
    { frames: [{ file: 'https://x/b.js', line: 1, column: 1 }] }, { message: 'boom\u{1F332}' },
  ];
  const prints = new Set(others.map((change) => fingerprint(report(change))));
  assert.equal(prints.size, others.length);
  assert.equal(prints.has(same), false);
  assert.equal(typeof fingerprint(undefined), 'number');
});
