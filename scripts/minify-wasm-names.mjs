// Shortens the names the agent's wasm and its wasm-bindgen glue use for each
// other; scripts/build runs it after wasm-pack. wasm-bindgen names each import
// like `__wbg_addEventListener_70e3766f6252144d`, in the module
// "./canopy_agent_bg.js", and each is written in the wasm and again in the
// glue: about 50 names whose hashes gzip cannot compress. Here every import,
// its module and every export get a name of one or two letters, in the wasm
// and in the glue alike; the build fails if the glue does not use the names
// where this expects them.
//
// Usage: node scripts/minify-wasm-names.mjs <dir> <name>, for <dir>/<name>_bg.wasm
// and <dir>/<name>.js (wasm-bindgen's `--target web` output).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, name] = process.argv.slice(2);
const wasmPath = join(dir, `${name}_bg.wasm`);
const gluePath = join(dir, `${name}.js`);
const IMPORT_SECTION = 2;
const EXPORT_SECTION = 7;

// --- Reading and writing the wasm binary format (only what these sections need).

function readUnsigned(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

function unsigned(value) {
  const out = [];
  do {
    const low = value % 128;
    value = Math.floor(value / 128);
    out.push(value > 0 ? low | 0x80 : low);
  } while (value > 0);
  return out;
}

const text = new TextDecoder();
const encoded = (string) => {
  const utf8 = new TextEncoder().encode(string);
  return [...unsigned(utf8.length), ...utf8];
};

function readName(bytes, at) {
  const [length, start] = readUnsigned(bytes, at);
  return [text.decode(bytes.subarray(start, start + length)), start + length];
}

function skipLimits(bytes, at) {
  const flags = bytes[at];
  at = readUnsigned(bytes, at + 1)[1];
  return flags & 1 ? readUnsigned(bytes, at)[1] : at;
}

// Where an import's description (after its two names) ends, by its kind.
function skipImportDescription(bytes, at) {
  const kind = bytes[at++];
  switch (kind) {
    case 0: return readUnsigned(bytes, at)[1]; // function: type index
    case 1: return skipLimits(bytes, at + 1); // table: element type, limits
    case 2: return skipLimits(bytes, at); // memory: limits
    case 3: return at + 2; // global: value type, mutability
    default: throw new Error(`minify-wasm-names: import of unknown kind ${kind}`);
  }
}

// `a`…`z`, `A`…`Z`, then two letters: valid JS identifiers, none special.
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const shortName = (index) =>
  index < LETTERS.length ? LETTERS[index] : LETTERS[Math.floor(index / LETTERS.length) - 1] + LETTERS[index % LETTERS.length];

// --- Renaming in the wasm.

const wasm = readFileSync(wasmPath);
const importNames = new Map(); // old name → short name
const moduleNames = new Map();
const exportNames = new Map();
const sections = [wasm.subarray(0, 8)];
let at = 8;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, start] = readUnsigned(wasm, at + 1);
  const end = start + size;
  if (id === IMPORT_SECTION) {
    const [count, first] = readUnsigned(wasm, start);
    const body = [...unsigned(count)];
    let entry = first;
    for (let i = 0; i < count; i++) {
      const [module, afterModule] = readName(wasm, entry);
      const [field, afterField] = readName(wasm, afterModule);
      const afterDescription = skipImportDescription(wasm, afterField);
      if (!moduleNames.has(module)) moduleNames.set(module, shortName(moduleNames.size));
      // An inline_js function taking JS values as they are is imported
      // straight from its snippet module, under its own name: only the
      // glue's own shims (module "./<name>_bg.js") can be renamed.
      let short = field;
      if (module === `./${name}_bg.js`) {
        if (importNames.has(field)) throw new Error(`minify-wasm-names: import ${field} appears twice`);
        short = shortName(importNames.size);
        importNames.set(field, short);
      }
      body.push(...encoded(moduleNames.get(module)), ...encoded(short));
      body.push(...wasm.subarray(afterField, afterDescription));
      entry = afterDescription;
    }
    sections.push(Uint8Array.of(id, ...unsigned(body.length), ...body));
  } else if (id === EXPORT_SECTION) {
    const [count, first] = readUnsigned(wasm, start);
    const body = [...unsigned(count)];
    let entry = first;
    for (let i = 0; i < count; i++) {
      const [field, afterField] = readName(wasm, entry);
      const afterDescription = readUnsigned(wasm, afterField + 1)[1]; // kind, index
      exportNames.set(field, shortName(exportNames.size));
      body.push(...encoded(exportNames.get(field)), ...wasm.subarray(afterField, afterDescription));
      entry = afterDescription;
    }
    sections.push(Uint8Array.of(id, ...unsigned(body.length), ...body));
  } else {
    sections.push(wasm.subarray(at, end));
  }
  at = end;
}

// --- The same names in the glue.

let glue = readFileSync(gluePath, 'utf8');
const escape = (string) => string.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Replaces every match of `pattern`; fails unless there are `expected` of
// them (`undefined`: any number, as for exports the glue never calls).
function replaceIn(pattern, replacement, expected) {
  const regex = new RegExp(pattern, 'g');
  const found = glue.match(regex)?.length ?? 0;
  if (expected !== undefined && found !== expected) {
    throw new Error(`minify-wasm-names: expected ${expected} of /${pattern}/ in ${gluePath}, found ${found}`);
  }
  glue = glue.replace(regex, replacement);
}
// Each import is one key of the imports object (`name: function…`), each
// module one key of the object returned (`"module": import0`), and each
// export is used as `wasm.name`.
for (const [old, short] of importNames) replaceIn(`(?<=\\n\\s+)${escape(old)}(?=: )`, short, 1);
for (const [old, short] of moduleNames) replaceIn(`(?<=\\n\\s+)"${escape(old)}"(?=: )`, `"${short}"`, 1);
for (const [old, short] of exportNames) replaceIn(`(?<=\\bwasm\\.)${escape(old)}\\b`, short);

writeFileSync(wasmPath, Buffer.concat(sections));
writeFileSync(gluePath, glue);
