//! Reading the plain objects a page passes to `init`, `registerApp` and the
//! other calls.
//!
//! One JS function reads and type-checks every field a call takes and hands
//! back their values in order; the Rust side takes them one by one and keeps
//! the checks that are logic (formats, ranges: `config.rs`). Read field by
//! field through `Reflect.get`, each read and its error messages cost wasm
//! code and data inlined into the export shims; in JS they are a few bytes.
//! As with serde, unknown fields are ignored; an `undefined` field counts as
//! absent.

use canopy_wire::limits::{truncate, MAX_ATTRS, MAX_ATTR_KEY_BYTES, MAX_ATTR_VALUE_BYTES};
use js_sys::Array;
use wasm_bindgen::prelude::*;

// `spec` lists the fields as `<kind><name>`, separated by spaces. Kinds:
// S a string that must be there, s a string, w a whole number in u32 range
// (null: absent), r a number from 0 to 1, n a finite number (required),
// b true or false, f a function (null: absent), l an array of strings,
// j an array (as its JSON text), a an object of strings, numbers or booleans
// (null: absent; its first `maxAttrs` entries, as [name, text, …]).
// Reads stop at the first bad field; a getter that throws is reported.
#[wasm_bindgen(inline_js = r#"
export function read_fields(object, what, spec, maxAttrs) {
  if (typeof object != 'object' || !object) return what + ' must be an object';
  const values = [];
  for (const field of spec.split(' ')) {
    const kind = field[0], key = field.slice(1);
    let value;
    try { value = object[key]; } catch { return key + ' could not be read'; }
    if (value === null && 'wfa'.includes(kind)) value = undefined;
    const type = typeof value;
    if (value === undefined) {
      if (kind == 'S') return 'missing field `' + key + '`';
      if (kind == 'n') return key + ' must be a finite number';
    } else if (kind == 'S' || kind == 's') {
      if (type != 'string') return key + ' must be a string';
    } else if (kind == 'w') {
      if (!(Number.isInteger(value) && value >= 0 && value <= 4294967295)) return key + ' must be a whole number';
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
      for (const [name, item] of Object.entries(value).slice(0, maxAttrs)) {
        const type = typeof item;
        if (type != 'string' && type != 'number' && type != 'boolean') return key + '.' + name + ' must be a string, number or boolean';
        pairs.push(name, type == 'string' ? item : JSON.stringify(item));
      }
      value = pairs;
    }
    values.push(value);
  }
  return values;
}
"#)]
extern "C" {
    fn read_fields(object: &JsValue, what: &str, spec: &str, max_attrs: usize) -> JsValue;
}

/// The values of the fields an options object was read for, taken in the
/// order its `spec` lists them.
pub struct Fields {
    values: Array,
    next: u32,
}

impl Fields {
    /// Reads the fields `spec` lists (see `read_fields` above) from `value`;
    /// `what` names the argument in the error when it is not an object.
    pub fn read(value: &JsValue, what: &str, spec: &str) -> Result<Self, String> {
        let values = read_fields(value, what, spec, MAX_ATTRS);
        match values.as_string() {
            Some(error) => Err(error),
            None => Ok(Self {
                values: values.unchecked_into(),
                next: 0,
            }),
        }
    }

    /// The next field's value; `undefined` when it was absent.
    fn next(&mut self) -> JsValue {
        self.next += 1;
        self.values.get(self.next - 1)
    }

    /// An `S` (empty if absent, which `read` refused) or `s` field.
    pub fn string(&mut self) -> Option<String> {
        self.next().as_string()
    }

    /// A `w`, `r` or `n` field.
    pub fn number(&mut self) -> Option<f64> {
        self.next().as_f64()
    }

    pub fn boolean(&mut self) -> Option<bool> {
        self.next().as_bool()
    }

    pub fn function(&mut self) -> Option<js_sys::Function> {
        self.next().dyn_into().ok()
    }

    /// An `l` field; a `j` field is a `string`.
    pub fn strings(&mut self) -> Option<Vec<String>> {
        let value = self.next();
        let mut strings = Vec::new();
        for item in value.dyn_ref::<Array>()?.iter() {
            strings.push(item.as_string().unwrap_or_default());
        }
        Some(strings)
    }

    /// An `a` field, as text pairs cut to the shared limits.
    pub fn attrs(&mut self) -> canopy_wire::Attrs {
        let mut pairs = Vec::new();
        let flat = self.next();
        if let Some(flat) = flat.dyn_ref::<Array>() {
            let text = |index| flat.get(index).as_string().unwrap_or_default();
            let mut index = 0;
            while index < flat.length() {
                let (mut name, mut value) = (text(index), text(index + 1));
                truncate(&mut name, MAX_ATTR_KEY_BYTES);
                truncate(&mut value, MAX_ATTR_VALUE_BYTES);
                pairs.push((name, value));
                index += 2;
            }
        }
        canopy_wire::Pairs(pairs)
    }
}
