// Reading the plain objects a page passes to `init`, `registerApp` and the
// other calls, and the limits the agent cuts text to (the wire's
// wire/src/limits.rs says the same; wire/src/tests.rs checks the app-name rule).

/** Longest string field in bytes (messages, URLs, names). */
export const MAX_TEXT_BYTES = 2048;
/** Longest stack trace in bytes. */
export const MAX_STACK_BYTES = 8192;
/** Most stack frames one error carries (the top ones). */
export const MAX_FRAMES = 40;
/** Most apps one beacon lists. */
export const MAX_APPS_PER_BEACON = 64;
/** Largest request body; a queue must hold at least one. */
export const MAX_BEACON_BYTES = 60000;
/** Most custom attributes on one event, and the longest key and value (bytes). */
export const MAX_ATTRS = 16;
export const MAX_ATTR_KEY_BYTES = 64;
export const MAX_ATTR_VALUE_BYTES = 256;
/** Longest app name and version, in bytes. */
export const MAX_APP_NAME_BYTES = 64;
/** App names become ClickHouse keys and dashboard labels: short and plain. */
export const APP_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** The largest u32: counts and whole numbers the wire holds in one. */
export const MAX_U32 = 4294967295;

const encoder = /* @__PURE__ */ new TextEncoder();

/** `text` as UTF-8 bytes. */
export const utf8 = (text) => encoder.encode(text);

/** A u32 hash of `text` (FNV-1a over its UTF-8 bytes): tiny, and spreads short ids well enough for a coin toss. */
export function hash(text) {
  let sum = 0x811c9dc5;
  for (const byte of utf8(text)) sum = Math.imul(sum ^ byte, 0x01000193) >>> 0;
  return sum;
}

/** The UTF-8 length of `text`: every limit counts bytes, as the server does. */
export const byteLength = (text) => utf8(text).length;

/** What `get()` returns; undefined when it throws (the page's getters, proxies and missing APIs must not reach it). */
export const attempt = (get) => {
  try {
    return get();
  } catch {}
};

/** `value[key]`; undefined when `value` is no object or reading throws. Read by name, never `instanceof`: a sandbox iframe's values are of its realm. */
export const property = (value, key) => attempt(() => (Object(value) === value ? value[key] : undefined));

/** `text` cut to at most `maxBytes` UTF-8 bytes on a character boundary, ending with '…' so a reader knows it is not whole. */
export function truncate(text, maxBytes) {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most text is short enough
  // without being encoded (every string of every event passes here).
  if (text.length * 3 <= maxBytes) return text;
  const bytes = utf8(text);
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(maxBytes - 3, 0);
  while ((bytes[end] & 0xc0) == 0x80) end--; // a UTF-8 continuation byte: inside a character
  return new TextDecoder().decode(bytes.subarray(0, end)) + '…';
}

/** Why `name` is no app name ('' when it is one), as check_app_name words it; `what` names it ("name" for metrics). */
export function checkAppName(name, what = 'app name') {
  if (APP_NAME.test(name)) return '';
  const length = byteLength(name);
  return length && length <= MAX_APP_NAME_BYTES
    ? what + ` may hold only letters, digits, '-', '_' and '.', got "${name}"`
    : what + ` must be 1 to 64 characters, got "${name}"`;
}

/** An `a` field's [name, text, …] as the wire writes attributes: an object of texts (Object.fromEntries: a `__proto__` name stays a name); undefined for none. */
export function attrsObject(pairs = []) {
  const entries = [];
  for (let at = 0; at < pairs.length; at += 2) entries.push([pairs[at], pairs[at + 1]]);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

// `spec` lists the fields as `<kind><name>`, separated by spaces. Kinds:
// S a string that must be there, s a string, w a whole number in u32 range
// (null: absent), r a number from 0 to 1, n a finite number (required),
// b true or false, f a function (null: absent), l an array of strings,
// j an array (as its JSON text), a an object of strings, numbers or booleans
// (null: absent; its first MAX_ATTRS entries, as [name, text, …] cut to the
// attribute limits). An absent field's value is undefined; unknown fields are
// ignored. Reads stop at the first bad field; a getter that throws is reported.
/** The values of `object`'s fields `spec` lists, in order, or why they cannot be read (`what` names the object). */
export function readFields(object, what, spec) {
  if (typeof object != 'object' || !object) return what + ' must be an object';
  const values = [];
  for (const field of spec.split(' ')) {
    const kind = field[0], key = field.slice(1);
    // A getter or proxy may throw anywhere in the reading: the page's bug is reported, not thrown on.
    try {
      let value = object[key];
      if (value === null && 'wfa'.includes(kind)) value = undefined;
      const type = typeof value;
      if (value === undefined) {
        if (kind == 'S') return 'missing field `' + key + '`';
        if (kind == 'n') return key + ' must be a finite number';
      } else if (kind == 'S' || kind == 's') {
        if (type != 'string') return key + ' must be a string';
      } else if (kind == 'w') {
        if (!(Number.isInteger(value) && value >= 0 && value <= MAX_U32)) return key + ' must be a whole number';
      } else if (kind == 'r') {
        if (!(type == 'number' && value >= 0 && value <= 1)) return key + ' must be a number from 0 to 1';
      } else if (kind == 'n') {
        if (!Number.isFinite(value)) return key + ' must be a finite number';
      } else if (kind == 'b') {
        if (type != 'boolean') return key + ' must be true or false';
      } else if (kind == 'f') {
        if (type != 'function') return key + ' must be a function';
      } else if (kind == 'l') {
        if (!Array.isArray(value)) return key + ' must be an array of strings';
        value = Array.from({ length: value.length }, (_, i) => value[i]);
        if (value.some((item) => typeof item != 'string')) return key + ' must be an array of strings';
      } else if (kind == 'j') {
        if (!Array.isArray(value)) return key + ' must be an array';
        try { value = JSON.stringify(value); } catch { return key + ' could not be written as JSON'; }
      } else if (kind == 'a') {
        if (type != 'object' || Array.isArray(value)) return key + ' must be an object';
        const pairs = [];
        for (const [name, item] of Object.entries(value).slice(0, MAX_ATTRS)) {
          const type = typeof item;
          if (type != 'string' && type != 'number' && type != 'boolean') return key + '.' + name + ' must be a string, number or boolean';
          pairs.push(truncate(name, MAX_ATTR_KEY_BYTES), truncate(type == 'string' ? item : JSON.stringify(item), MAX_ATTR_VALUE_BYTES));
        }
        value = pairs;
      }
      values.push(value);
    } catch {
      return key + ' could not be read';
    }
  }
  return values;
}
