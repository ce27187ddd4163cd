//! Named values sent as a JSON object: custom attributes (string values) and
//! the millisecond parts of a vital (number values).
//!
//! Kept as a list of pairs rather than a map type, so the browser agent does
//! not carry a B-tree for a handful of entries.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq)]
pub struct Pairs<V>(pub Vec<(String, V)>);

/// Custom attributes: string keys and values.
pub type Attrs = Pairs<String>;

/// Named parts of a vital, in milliseconds: LCP's sub-parts, INP's phases.
pub type Parts = Pairs<f64>;

impl<V> Default for Pairs<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> Pairs<V> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Serialize> Serialize for Pairs<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Pairs<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for PairsVisitor<V> {
            type Value = Pairs<V>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an object")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Pairs<V>, M::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, V>()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }

        deserializer.deserialize_map(PairsVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrs_are_a_json_object_of_strings() {
        let attrs = Pairs(vec![
            ("plan".into(), "pro".into()),
            ("step".into(), "2".into()),
        ]);
        let json = serde_json::to_string(&attrs).unwrap();
        assert_eq!(json, r#"{"plan":"pro","step":"2"}"#);
        assert_eq!(serde_json::from_str::<Attrs>(&json).unwrap(), attrs);
        assert!(
            serde_json::from_str::<Attrs>(r#"{"n":1}"#).is_err(),
            "values are strings"
        );
    }

    #[test]
    fn parts_are_a_json_object_of_numbers() {
        let parts: Parts = Pairs(vec![
            ("input_delay".into(), 12.5),
            ("processing".into(), 80.0),
        ]);
        let json = serde_json::to_string(&parts).unwrap();
        assert_eq!(json, r#"{"input_delay":12.5,"processing":80.0}"#);
        assert_eq!(serde_json::from_str::<Parts>(&json).unwrap(), parts);
        assert!(
            serde_json::from_str::<Parts>(r#"{"x":"1"}"#).is_err(),
            "values are numbers"
        );
    }
}
