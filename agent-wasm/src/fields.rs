//! Reading the plain objects a page passes to `init` and `registerApp`.
//!
//! Reads each field with `Reflect.get` and checks its JS type, instead of a
//! serde `Deserialize` through serde-wasm-bindgen, whose generic machinery and
//! messages cost more wasm than the rest of the agent. As with serde, unknown
//! fields are ignored; an `undefined` field counts as absent.

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// The fields of one options object.
pub struct Fields<'a> {
    object: &'a JsValue,
}

impl<'a> Fields<'a> {
    /// `what` names the argument in the error when it is not an object.
    pub fn of(value: &'a JsValue, what: &str) -> Result<Self, String> {
        if value.is_object() {
            Ok(Self { object: value })
        } else {
            Err([what, " must be an object"].concat())
        }
    }

    /// The field's value; `None` when absent or `undefined`. A getter that
    /// throws is reported, not propagated.
    fn get(&self, key: &str) -> Result<Option<JsValue>, String> {
        let value = Reflect::get(self.object, &key.into()).map_err(|_| [key, " could not be read"].concat())?;
        Ok(if value.is_undefined() { None } else { Some(value) })
    }

    pub fn required_string(&self, key: &str) -> Result<String, String> {
        self.string(key)?.ok_or_else(|| ["missing field `", key, "`"].concat())
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, String> {
        self.get(key)?.map(|value| value.as_string().ok_or_else(|| [key, " must be a string"].concat())).transpose()
    }

    /// A whole number in `u32` range; `null` counts as absent, as serde reads an `Option`.
    pub fn whole_number(&self, key: &str) -> Result<Option<u32>, String> {
        let Some(value) = self.get(key)?.filter(|value| !value.is_null()) else { return Ok(None) };
        match value.as_f64() {
            Some(number) if (0.0..=u32::MAX as f64).contains(&number) && number.trunc() == number => {
                Ok(Some(number as u32))
            }
            _ => Err([key, " must be a whole number"].concat()),
        }
    }

    /// A number from 0 to 1; `None` when absent.
    pub fn fraction(&self, key: &str) -> Result<Option<f64>, String> {
        let Some(value) = self.get(key)? else { return Ok(None) };
        match value.as_f64() {
            Some(number) if (0.0..=1.0).contains(&number) => Ok(Some(number)),
            _ => Err([key, " must be a number from 0 to 1"].concat()),
        }
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, String> {
        self.get(key)?.map(|value| value.as_bool().ok_or_else(|| [key, " must be true or false"].concat())).transpose()
    }

    pub fn function(&self, key: &str) -> Result<Option<js_sys::Function>, String> {
        let Some(value) = self.get(key)?.filter(|value| !value.is_null()) else { return Ok(None) };
        value.dyn_into().map(Some).map_err(|_| [key, " must be a function"].concat())
    }

    /// A finite number.
    pub fn number(&self, key: &str) -> Result<f64, String> {
        let value = self.get(key)?.and_then(|value| value.as_f64()).filter(|n| n.is_finite());
        value.ok_or_else(|| [key, " must be a finite number"].concat())
    }

    /// An object of strings, numbers or booleans, as text pairs, cut to the
    /// shared limits.
    pub fn attrs(&self, key: &str) -> Result<canopy_wire::Attrs, String> {
        use canopy_wire::limits::{truncate, MAX_ATTRS, MAX_ATTR_KEY_BYTES, MAX_ATTR_VALUE_BYTES};
        let Some(value) = self.get(key)?.filter(|value| !value.is_null()) else { return Ok(Default::default()) };
        if !value.is_object() || Array::is_array(&value) {
            return Err([key, " must be an object"].concat());
        }
        let mut pairs = Vec::new();
        for entry in js_sys::Object::entries(value.unchecked_ref()).iter().take(MAX_ATTRS) {
            let entry: Array = entry.unchecked_into();
            let (Some(mut name), item) = (entry.get(0).as_string(), entry.get(1)) else { continue };
            let text = match item.as_string() {
                Some(text) => Some(text),
                None if item.as_f64().is_some() || item.as_bool().is_some() => {
                    js_sys::JSON::stringify(&item).ok().and_then(|s| s.as_string())
                }
                None => None,
            };
            let Some(mut text) = text else { return Err([key, ".", &name, " must be a string, number or boolean"].concat()) };
            truncate(&mut name, MAX_ATTR_KEY_BYTES);
            truncate(&mut text, MAX_ATTR_VALUE_BYTES);
            pairs.push((name, text));
        }
        Ok(canopy_wire::Pairs(pairs))
    }

    /// An array, as JSON text (passed through to the server untouched).
    pub fn json_array(&self, key: &str) -> Result<Option<String>, String> {
        let Some(value) = self.get(key)? else { return Ok(None) };
        if !Array::is_array(&value) {
            return Err([key, " must be an array"].concat());
        }
        let json = js_sys::JSON::stringify(&value).ok().and_then(|s| s.as_string());
        json.map(Some).ok_or_else(|| [key, " could not be written as JSON"].concat())
    }

    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, String> {
        let Some(value) = self.get(key)? else { return Ok(None) };
        let not_strings = || [key, " must be an array of strings"].concat();
        if !Array::is_array(&value) {
            return Err(not_strings());
        }
        let mut strings = Vec::new();
        for item in value.unchecked_ref::<Array>().iter() {
            strings.push(item.as_string().ok_or_else(not_strings)?);
        }
        Ok(Some(strings))
    }
}
