import { MAX_FRAMES, MAX_TEXT_BYTES, MAX_U32, truncate } from './agent/fields.js';

// The stack of whoever called `api`: its first frame is the caller's code,
// outside this package, which may be bundled into the app or shared by every
// app (a Module Federation singleton, an import map). The agent attributes
// the call by that frame's script URL and infers an app's asset prefix from
// it. V8 cuts `api` and what it called off the stack itself; elsewhere the
// two frames above the caller (this function and `api`) are dropped.
export function stackAbove(api) {
  try {
    const error = new Error();
    if (typeof Error.captureStackTrace === 'function') {
      Error.captureStackTrace(error, api);
      return error.stack || '';
    }
    return String(error.stack || '').split('\n').slice(2).join('\n');
  } catch {
    return '';
  }
}

// Stack traces, parsed into frames. Browsers write stacks in two families. V8
// (Chrome, Edge, Node) writes `    at fn (https://x/a.js:10:5)` or
// `    at https://x/a.js:10:5` after a first line with the message;
// SpiderMonkey (Firefox) and JavaScriptCore (Safari) write
// `fn@https://x/a.js:10:5`, Safari also a bare `https://x/a.js:10:5` for
// top-level code. Lines that are neither (the message, `[native code]`) are
// skipped. Frames inside `eval` point at the script that called `eval`, as V8
// and Firefox name it. Files are left as written: the caller scrubs them like
// any other URL.

/** The frames `{ function?, file, line, column }` of `stack`, top first, at most MAX_FRAMES. */
export function parseStack(stack) {
  const lines = String(stack).split('\n');
  // A V8 stack starts with the message, which may contain anything (an `@`,
  // a URL): once a line is a V8 frame, only V8 frames count.
  const v8 = lines.some((line) => /^[ \t\n\f\r]*at /.test(line));
  const frames = [];
  for (let line of lines) {
    if (frames.length == MAX_FRAMES) break;
    line = line.replace(/^[ \t\n\f\r]+|[ \t\n\f\r]+$/g, ''); // ASCII whitespace, as the wasm trimmed
    const frame = v8 ? line.startsWith('at ') && v8Frame(line.slice(3)) : geckoFrame(line);
    if (frame && frame.file) {
      frame.file = truncate(frame.file, MAX_TEXT_BYTES);
      if (frame.function) frame.function = truncate(frame.function, MAX_TEXT_BYTES);
      else delete frame.function;
      frames.push(frame);
    }
  }
  return frames;
}

/** `fn (location)` or `location`, after `at `. */
function v8Frame(rest) {
  const inner = rest.slice(0, -1), at = inner.indexOf(' (');
  const called = rest.endsWith(')') && at >= 0;
  let location = called ? inner.slice(at + 2) : rest;
  // `eval at f (https://x/a.js:1:1), <anonymous>:1:1`: the calling script.
  const open = location.lastIndexOf('(');
  if (open >= 0) location = location.slice(open + 1).split(')')[0];
  return located(called ? inner.slice(0, at) : '', location);
}

/** `fn@location`, `@location` or (Safari, top-level code) a bare URL. */
function geckoFrame(line) {
  const at = line.indexOf('@');
  if (at < 0 && !line.includes('://')) return null;
  const location = line.slice(at + 1), name = at < 0 ? '' : line.slice(0, at);
  // Firefox names eval'd code `https://x/a.js line 2 > eval:1:5`: the
  // calling script and the line of the call.
  const evalAt = location.indexOf(' line ');
  if (evalAt < 0) return located(name, location);
  const line_ = number(location.slice(evalAt + 6).split(' ')[0]);
  return { function: name, file: location.slice(0, evalAt), line: line_, column: 0 };
}

/** A line or column number; 0 when it is not one (as a missing one is). */
const number = (text) => (/^\d+$/.test(text) && +text <= MAX_U32 ? +text : 0);

/** A frame from `file:line:column` (either number may be missing). */
function located(name, file) {
  const numbers = [];
  for (let match; numbers.length < 2 && (match = /:(\d+)$/.exec(file)); ) {
    numbers.push(number(match[1]));
    file = file.slice(0, match.index);
  }
  // Found from the end: the last number is the column when there are two.
  const [line = 0, column = 0] = numbers.length == 2 ? numbers.reverse() : numbers;
  return { function: name, file, line, column };
}
