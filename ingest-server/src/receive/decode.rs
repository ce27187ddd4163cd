//! Decompressing beacon bodies within a size limit.
//!
//! sendBeacon cannot set `Content-Encoding`, so the agent names the encoding
//! in the query (`?encoding=gzip`); other clients may use the header. The
//! decoder's output is capped while it is produced, so a compression bomb
//! costs at most the limit in memory.

use std::io::Read;

use axum::http::{header, HeaderMap};
use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    /// zlib-wrapped deflate, as HTTP and CompressionStream("deflate") mean it.
    Deflate,
    DeflateRaw,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("encoding {0:?} is not supported; use gzip, deflate or deflate-raw")]
    UnknownEncoding(String),
    #[error("body decompresses to more than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("body is not valid {encoding}: {reason}")]
    Corrupt {
        encoding: &'static str,
        reason: String,
    },
}

/// The body's encoding, from the query parameter or else the header.
pub fn encoding(query: Option<&str>, headers: &HeaderMap) -> Result<Encoding, DecodeError> {
    let header = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    match query
        .or(header)
        .map(|name| name.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("identity") => Ok(Encoding::Identity),
        Some("gzip") => Ok(Encoding::Gzip),
        Some("deflate") => Ok(Encoding::Deflate),
        Some("deflate-raw") => Ok(Encoding::DeflateRaw),
        Some(other) => Err(DecodeError::UnknownEncoding(other.to_owned())),
    }
}

/// The decoded body, refusing more than `limit` bytes of output.
pub fn decompress(body: &[u8], encoding: Encoding, limit: usize) -> Result<Vec<u8>, DecodeError> {
    let (name, reader): (&'static str, Box<dyn Read + '_>) = match encoding {
        Encoding::Identity if body.len() > limit => return Err(DecodeError::TooLarge { limit }),
        Encoding::Identity => return Ok(body.to_vec()),
        Encoding::Gzip => ("gzip", Box::new(GzDecoder::new(body))),
        Encoding::Deflate => ("deflate", Box::new(ZlibDecoder::new(body))),
        Encoding::DeflateRaw => ("deflate-raw", Box::new(DeflateDecoder::new(body))),
    };
    let mut decoded = Vec::with_capacity(body.len() * 4);
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|error| DecodeError::Corrupt {
            encoding: name,
            reason: error.to_string(),
        })?;
    if decoded.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::{GzEncoder, ZlibEncoder};
    use flate2::Compression;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn round_trips_within_the_limit() {
        let data = b"{\"hello\":\"world\"}".repeat(10);
        assert_eq!(
            decompress(&gzip(&data), Encoding::Gzip, 1_000).unwrap(),
            data
        );
        let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
        zlib.write_all(&data).unwrap();
        assert_eq!(
            decompress(&zlib.finish().unwrap(), Encoding::Deflate, 1_000).unwrap(),
            data
        );
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let bomb = gzip(&vec![b'a'; 50_000_000]);
        assert!(bomb.len() < 100_000, "{} bytes", bomb.len());
        assert_eq!(
            decompress(&bomb, Encoding::Gzip, 256 * 1024).unwrap_err(),
            DecodeError::TooLarge { limit: 256 * 1024 }
        );
        assert_eq!(
            decompress(&[b' '; 11], Encoding::Identity, 10).unwrap_err(),
            DecodeError::TooLarge { limit: 10 }
        );
    }

    #[test]
    fn corrupt_and_unknown_encodings_are_named() {
        assert!(matches!(
            decompress(b"not gzip", Encoding::Gzip, 100),
            Err(DecodeError::Corrupt {
                encoding: "gzip",
                ..
            })
        ));
        let headers = HeaderMap::new();
        assert_eq!(
            encoding(Some("br"), &headers).unwrap_err(),
            DecodeError::UnknownEncoding("br".into())
        );
        assert_eq!(encoding(None, &headers).unwrap(), Encoding::Identity);
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        assert_eq!(encoding(None, &headers).unwrap(), Encoding::Gzip);
    }
}
