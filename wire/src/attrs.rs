//! Custom attributes: string keys and values, a JSON object on the wire.
//!
//! Kept as a list of pairs rather than a map type, so the browser agent does
//! not carry a B-tree for a handful of entries.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs(pub Vec<(String, String)>);

impl Attrs {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Attrs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;

        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Attrs;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an object of string values")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Attrs, M::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(Attrs(pairs))
            }
        }

        deserializer.deserialize_map(PairsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_object_both_ways() {
        let attrs = Attrs(vec![("plan".into(), "pro".into()), ("step".into(), "2".into())]);
        let json = serde_json::to_string(&attrs).unwrap();
        assert_eq!(json, r#"{"plan":"pro","step":"2"}"#);
        assert_eq!(serde_json::from_str::<Attrs>(&json).unwrap(), attrs);
        assert!(serde_json::from_str::<Attrs>(r#"{"n":1}"#).is_err(), "values are strings");
    }
}
