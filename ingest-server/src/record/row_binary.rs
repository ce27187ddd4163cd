//! ClickHouse's `RowBinary` format, written by serde: a row is its fields one
//! after another, little-endian numbers, strings and arrays prefixed by a
//! LEB128 length, maps as a length and key–value pairs.
//!
//! The clickhouse crate has such a serializer but keeps it private; the
//! server needs its own because it encodes each beacon's rows once, on
//! receipt, into the write-ahead log record, and the drain then sends the
//! logged bytes as they are (see [`super::record`]).

use serde::ser::{self, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum RowBinaryError {
    #[error("RowBinary cannot encode {0}")]
    Unsupported(&'static str),
    #[error("RowBinary needs the length of a sequence or map up front")]
    UnknownLength,
    #[error("{0}")]
    Custom(String),
}

impl ser::Error for RowBinaryError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        RowBinaryError::Custom(message.to_string())
    }
}

/// Appends `row` to `out` as RowBinary.
pub fn append_row<T: Serialize + ?Sized>(row: &T, out: &mut Vec<u8>) -> Result<(), RowBinaryError> {
    row.serialize(&mut RowBinary { out })
}

fn put_length(out: &mut Vec<u8>, mut length: usize) {
    loop {
        let byte = (length & 0x7f) as u8;
        length >>= 7;
        if length == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

struct RowBinary<'a> {
    out: &'a mut Vec<u8>,
}

macro_rules! little_endian {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, value: $ty) -> Result<(), RowBinaryError> {
            self.out.extend_from_slice(&value.to_le_bytes());
            Ok(())
        })*
    };
}

macro_rules! unsupported {
    ($($method:ident($($arg:ty),*) -> $ret:ty: $what:literal),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, RowBinaryError> {
            Err(RowBinaryError::Unsupported($what))
        })*
    };
}

impl<'a, 'b> ser::Serializer for &'b mut RowBinary<'a> {
    type Ok = ();
    type Error = RowBinaryError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = ser::Impossible<(), RowBinaryError>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = ser::Impossible<(), RowBinaryError>;

    little_endian!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_f32: f32, serialize_f64: f64,
    );

    unsupported!(
        serialize_char(char) -> (): "a char",
        serialize_none() -> (): "an absent value (no Nullable columns here)",
        serialize_unit() -> (): "a unit",
        serialize_unit_struct(&'static str) -> (): "a unit struct",
        serialize_unit_variant(&'static str, u32, &'static str) -> (): "an enum",
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant: "an enum",
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant: "an enum",
    );

    fn serialize_bool(self, value: bool) -> Result<(), RowBinaryError> {
        self.out.push(u8::from(value));
        Ok(())
    }

    fn serialize_str(self, value: &str) -> Result<(), RowBinaryError> {
        self.serialize_bytes(value.as_bytes())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), RowBinaryError> {
        put_length(self.out, value.len());
        self.out.extend_from_slice(value);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), RowBinaryError> {
        Err(RowBinaryError::Unsupported(
            "an optional value (no Nullable columns here)",
        ))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), RowBinaryError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), RowBinaryError> {
        Err(RowBinaryError::Unsupported("an enum"))
    }

    fn serialize_seq(self, length: Option<usize>) -> Result<Self, RowBinaryError> {
        put_length(self.out, length.ok_or(RowBinaryError::UnknownLength)?);
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, RowBinaryError> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, RowBinaryError> {
        Ok(self)
    }

    fn serialize_map(self, length: Option<usize>) -> Result<Self, RowBinaryError> {
        self.serialize_seq(length)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, RowBinaryError> {
        Ok(self)
    }
}

/// Sequences, tuples and structs alike: their elements one after another.
macro_rules! elements_in_order {
    ($($trait:ident :: $method:ident($($name:ident: $ty:ty),*)),* $(,)?) => {
        $(impl<'a, 'b> ser::$trait for &'b mut RowBinary<'a> {
            type Ok = ();
            type Error = RowBinaryError;

            fn $method<T: Serialize + ?Sized>(&mut self, $($name: $ty,)* value: &T) -> Result<(), RowBinaryError> {
                $(let _ = $name;)*
                value.serialize(&mut **self)
            }

            fn end(self) -> Result<(), RowBinaryError> {
                Ok(())
            }
        })*
    };
}

elements_in_order!(
    SerializeSeq::serialize_element(),
    SerializeTuple::serialize_element(),
    SerializeTupleStruct::serialize_field(),
    SerializeStruct::serialize_field(key: &'static str),
);

impl<'a, 'b> ser::SerializeMap for &'b mut RowBinary<'a> {
    type Ok = ();
    type Error = RowBinaryError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), RowBinaryError> {
        key.serialize(&mut **self)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RowBinaryError> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), RowBinaryError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Sample<'a> {
        flag: bool,
        small: u32,
        float: f64,
        text: &'a str,
        list: &'a [String],
        pairs: &'a [(String, String)],
    }

    #[test]
    fn fields_in_order_with_lengths_and_little_endian_numbers() {
        let long = "x".repeat(300);
        let row = Sample {
            flag: true,
            small: 258,
            float: 1.5,
            text: &long,
            list: &["a".into(), "bc".into()],
            pairs: &[("k".into(), "v".into())],
        };
        let mut out = Vec::new();
        append_row(&row, &mut out).unwrap();
        let mut expected = vec![1, 2, 1, 0, 0];
        expected.extend_from_slice(&1.5f64.to_le_bytes());
        expected.extend_from_slice(&[0xac, 0x02]); // 300 as LEB128
        expected.extend_from_slice(long.as_bytes());
        expected.extend_from_slice(&[2, 1, b'a', 2, b'b', b'c']);
        expected.extend_from_slice(&[1, 1, b'k', 1, b'v']);
        assert_eq!(out, expected);
    }

    #[test]
    fn what_has_no_column_type_here_is_refused() {
        assert!(matches!(
            append_row(&Some(1u8), &mut Vec::new()),
            Err(RowBinaryError::Unsupported(_))
        ));
    }
}
