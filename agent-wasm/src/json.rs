//! A minimal serde serializer to JSON text, for the wire types of `canopy-wire`.
//!
//! The agent used to go through serde-wasm-bindgen (a JS object per event)
//! and `JSON.stringify`; that pulled in a generic JS-value serializer and
//! core's float formatting, which made up much of the wasm. This writes the
//! JSON straight into a `String`, byte for byte what `serde_json` writes (the
//! host tests check every event kind) except for the notation of floats; see
//! [`push_float`]. Shapes the wire types never use (bytes, enum variants with
//! data, non-string map keys, `f32`) are refused, not guessed at.

use std::fmt;

use serde::ser::{self, Impossible, Serialize};

/// `value` as JSON, or `None` if it holds a shape this encoder refuses.
pub fn to_string(value: &impl Serialize) -> Option<String> {
    let mut writer = Writer {
        out: String::with_capacity(256),
    };
    value.serialize(&mut writer).ok()?;
    Some(writer.out)
}

/// Why a value could not be encoded. Carries no text: formatting serde's
/// messages would bring back the machinery this module exists to avoid.
#[derive(Debug)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("value not supported by the agent's JSON encoder")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

struct Writer {
    out: String,
}

impl Writer {
    fn string(&mut self, text: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.out.push('"');
        for c in text.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '\u{8}' => self.out.push_str("\\b"),
                '\u{c}' => self.out.push_str("\\f"),
                c if c < ' ' => {
                    self.out.push_str("\\u00");
                    self.out.push(HEX[c as usize >> 4] as char);
                    self.out.push(HEX[c as usize & 0xf] as char);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    fn unsigned(&mut self, mut value: u64) {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        for &digit in &digits[start..] {
            self.out.push(digit as char);
        }
    }

    fn signed(&mut self, value: i64) {
        if value < 0 {
            self.out.push('-');
        }
        self.unsigned(value.unsigned_abs());
    }

    fn float(&mut self, value: f64) {
        if value.is_finite() {
            push_float(&mut self.out, value);
        } else {
            // JSON has no NaN or infinity; serde_json and JSON.stringify write null.
            self.out.push_str("null");
        }
    }
}

/// A finite float's shortest round-trip text. In the browser that is JS's own
/// `String(number)`, the text `JSON.stringify` writes: a float formatter in the
/// wasm would cost ~2 KB gzipped. On the host (tests) it is `zmij`'s, as in
/// serde_json. Both give the same digits; the notation differs only for whole
/// numbers (`1` / `1.0`) and for where exponents start (`10000000000000000` /
/// `1e+16`), which every JSON parser reads as the same number.
#[cfg(target_arch = "wasm32")]
fn push_float(out: &mut String, value: f64) {
    // `String(number)` cannot throw; `null` keeps the JSON valid regardless.
    out.push_str(
        crate::js::string_of(&value.into())
            .as_deref()
            .unwrap_or("null"),
    );
}

#[cfg(not(target_arch = "wasm32"))]
fn push_float(out: &mut String, value: f64) {
    out.push_str(zmij::Buffer::new().format_finite(value));
}

/// An array or object being written: the separator goes before every item but the first.
pub struct Compound<'a> {
    writer: &'a mut Writer,
    first: bool,
}

impl Compound<'_> {
    fn separate(&mut self) {
        if !self.first {
            self.writer.out.push(',');
        }
        self.first = false;
    }

    fn field(&mut self, key: &str) {
        self.separate();
        self.writer.string(key);
        self.writer.out.push(':');
    }
}

type Result<T = ()> = std::result::Result<T, Unsupported>;

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_bool(self, value: bool) -> Result {
        self.out.push_str(if value { "true" } else { "false" });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result {
        self.serialize_i64(value.into())
    }

    fn serialize_i16(self, value: i16) -> Result {
        self.serialize_i64(value.into())
    }

    fn serialize_i32(self, value: i32) -> Result {
        self.serialize_i64(value.into())
    }

    fn serialize_i64(self, value: i64) -> Result {
        self.signed(value);
        Ok(())
    }

    fn serialize_u8(self, value: u8) -> Result {
        self.serialize_u64(value.into())
    }

    fn serialize_u16(self, value: u16) -> Result {
        self.serialize_u64(value.into())
    }

    fn serialize_u32(self, value: u32) -> Result {
        self.serialize_u64(value.into())
    }

    fn serialize_u64(self, value: u64) -> Result {
        self.unsigned(value);
        Ok(())
    }

    fn serialize_f32(self, _: f32) -> Result {
        // serde_json writes an f32's own shortest digits; nothing on the wire is one.
        Err(Unsupported)
    }

    fn serialize_f64(self, value: f64) -> Result {
        self.float(value);
        Ok(())
    }

    fn serialize_char(self, value: char) -> Result {
        self.string(value.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, value: &str) -> Result {
        self.string(value);
        Ok(())
    }

    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(Unsupported)
    }

    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result {
        self.out.push_str("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.string(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(Unsupported)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>> {
        self.out.push('[');
        Ok(Compound {
            writer: self,
            first: true,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Unsupported)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>> {
        self.out.push('{');
        Ok(Compound {
            writer: self,
            first: true,
        })
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Unsupported)
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.separate();
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result {
        self.writer.out.push(']');
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        self.separate();
        let start = self.writer.out.len();
        key.serialize(&mut *self.writer)?;
        // JSON keys are strings, and only a string is written starting with a quote.
        if self.writer.out.as_bytes().get(start) != Some(&b'"') {
            return Err(Unsupported);
        }
        self.writer.out.push(':');
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result {
        self.writer.out.push('}');
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key);
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result {
        ser::SerializeMap::end(self)
    }
}

#[cfg(test)]
mod tests {
    use canopy_wire::*;

    use super::to_string;

    fn same_as_serde_json(value: &(impl serde::Serialize + std::fmt::Debug)) {
        let expected = serde_json::to_string(value).unwrap();
        assert_eq!(
            to_string(value).as_deref(),
            Some(expected.as_str()),
            "{value:?}"
        );
    }

    fn event(body: EventBody) -> Event {
        Event {
            app: "cart".into(),
            at: 1_732_000_000_123.4,
            body,
        }
    }

    #[test]
    fn every_event_kind_matches_serde_json() {
        let bodies = [
            EventBody::Vital(Vital::new(VitalName::Cls, 0.012_345_678_9)),
            EventBody::Vital(Vital {
                rating: Some(Rating::NeedsImprovement),
                target: "div#grid>img.hero".into(),
                resource: "https://cdn.example/hero.jpg".into(),
                event_type: "keydown".into(),
                owner: "catalog".into(),
                restored: true,
                parts: Pairs(vec![
                    ("ttfb".into(), 80.5),
                    ("render_delay".into(), 2_532.0),
                ]),
                scripts: vec![ScriptTiming {
                    url: String::new(),
                    function: String::new(),
                    invoker: "Window.setTimeout".into(),
                    duration: 61.0,
                }],
                ..Vital::new(VitalName::Lcp, 2_612.5)
            }),
            EventBody::Vital(Vital::new(VitalName::Ttfb, 250.0)),
            EventBody::Navigation(Navigation {
                nav_type: "back_forward".into(),
                dns: 0.0,
                tcp: 12.5,
                tls: 7.300_000_000_000_182,
                ttfb: 80.1,
                download: 3.0,
                dom_parse: 140.7,
                dom_ready: 812.9,
                load: 1_204.4,
                transfer_size: 18_732,
            }),
            EventBody::Resource(Resource {
                url: "https://cdn.example/mfe/cart/main.js".into(),
                initiator: "script".into(),
                duration: 41.89999999,
                transfer_size: 0,
                cache_hit: true,
            }),
            EventBody::ResourceSummary(ResourceSummary {
                count: 212,
                transfer_size: 1_048_576,
                cache_hits: 7,
                duration: 9_001.25,
            }),
            EventBody::LongFrame(LongFrame {
                duration: 183.0,
                blocking: 120.5,
                scripts: vec![ScriptTiming {
                    url: "https://cdn.example/mfe/cart/main.js".into(),
                    function: "onClick".into(),
                    invoker: "BUTTON#buy.onclick".into(),
                    duration: 150.25,
                }],
            }),
            EventBody::Error(ErrorReport {
                source: ErrorSource::ResourceLoad,
                error_type: "img".into(),
                message: "failed to load img https://x.example/a.png".into(),
                stack: String::new(),
                url: "https://x.example/a.png".into(),
                line: 0,
                column: 0,
                frames: vec![],
                count: 1,
            }),
            EventBody::Error(ErrorReport {
                source: ErrorSource::Rejection,
                error_type: "TypeError".into(),
                message: "say \"hi\"\\ \u{1}\u{1f}\u{7f} é ✓ 🌲 \u{2028}".into(),
                stack: "TypeError: x\n    at f (https://x/a.js:1:2)\r\n\tat\u{8}\u{c}".into(),
                url: "https://x/a.js".into(),
                line: 4_294_967_295,
                column: 17,
                frames: vec![
                    Frame {
                        function: "f".into(),
                        file: "https://x/a.js".into(),
                        line: 1,
                        column: 2,
                    },
                    Frame {
                        function: String::new(),
                        file: "<anonymous>".into(),
                        line: 0,
                        column: 0,
                    },
                ],
                count: 3,
            }),
            EventBody::App(AppLifecycle::new(AppPhase::Registered, "")),
            EventBody::App(AppLifecycle::new(AppPhase::Failed, "mount threw")),
            EventBody::App(AppLifecycle {
                health_check: "https://cdn.example/mfe/cart/health".into(),
                dependencies: vec!["catalog".into(), "shell".into()],
                declared_rules: r#"[{"metric":"lcp","above":2500}]"#.into(),
                ..AppLifecycle::new(AppPhase::Registered, "")
            }),
        ];
        for body in bodies {
            same_as_serde_json(&event(body));
        }
    }

    #[test]
    fn the_envelope_matches_serde_json() {
        let beacon = Beacon {
            schema: SCHEMA_VERSION,
            session_id: "0123456789abcdef0123456789abcdef".into(),
            view_id: "fedcba9876543210fedcba9876543210".into(),
            page_url: "https://shop.example/cart".into(),
            sent_at: 1_732_000_000_999.0,
            apps: vec![
                AppInfo {
                    name: "catalog".into(),
                    version: "2.3.1".into(),
                    sample_rate: 0.25,
                    attrs: Pairs(vec![("tenant".into(), "eu".into())]),
                },
                AppInfo {
                    name: "cart".into(),
                    version: String::new(),
                    sample_rate: 1.0,
                    attrs: Pairs::default(),
                },
            ],
            dropped: 12,
            events: vec![],
        };
        same_as_serde_json(&beacon);
        let lcp = event(EventBody::Vital(Vital::new(VitalName::Lcp, 1.0)));
        same_as_serde_json(&Beacon {
            apps: vec![],
            events: vec![lcp],
            ..beacon
        });
    }

    #[test]
    fn numbers_match_serde_json() {
        for value in [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1e-7,
            123_456.789,
            1e16,
            1e21,
            1.7976931348623157e308,
            5e-324,
        ] {
            same_as_serde_json(&value);
        }
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            same_as_serde_json(&value);
        }
        for value in [0u64, 9, 10, 18_732, u64::MAX] {
            same_as_serde_json(&value);
        }
        for value in [0i64, -1, i64::MIN, i64::MAX] {
            same_as_serde_json(&value);
        }
        same_as_serde_json(&(true, false, (), 'x', Some(2.5), None::<u8>));
    }

    #[test]
    fn shapes_the_wire_never_uses_are_refused() {
        assert_eq!(to_string(&1.5f32), None);
        let map: std::collections::BTreeMap<u32, u32> = [(1, 2)].into();
        assert_eq!(to_string(&map), None);
        let map: std::collections::BTreeMap<&str, u32> = [("a", 2), ("b", 3)].into();
        assert_eq!(to_string(&map).as_deref(), Some(r#"{"a":2,"b":3}"#));
    }
}
