//! Beacon decoding, as the endpoint does it: a request body is decompressed
//! (`receive::decode::decompress`) and validated (`validate::validate`).
//!
//! The first byte picks what the rest is (a body starting with `{` is taken
//! whole as an identity-encoded JSON body, so plain JSON seeds work):
//!
//! | first % 4 | input | checks |
//! |---|---|---|
//! | 0 | identity body | decoded unchanged |
//! | 1 | gzipped here, server limit | decodes back to the input |
//! | 2 | limit byte, encoding, arbitrary compressed bytes | never more than the limit |
//! | 3 | limit byte, gzipped here | exactly the input, or `TooLarge` past the limit |
//!
//! Whatever decodes and validates must then: respect the shared limits;
//! re-encode with serde_json and validate again to an equal beacon; and
//! become a write-ahead log record (`store::record`) that reads back as
//! exactly one ClickHouse row per event (and one for the agent's drop count
//! when it reports drops), the same rows it was made of.
#![no_main]

use std::io::Write;

use canopy_wire::limits::{
    check_app_name, check_metric_name, MAX_APP_NAME_BYTES, MAX_ATTRS, MAX_ATTR_KEY_BYTES, MAX_ATTR_VALUE_BYTES,
    MAX_EVENTS_PER_BEACON, MAX_FRAMES, MAX_ID_BYTES, MAX_METHOD_BYTES, MAX_SCRIPTS, MAX_STACK_BYTES, MAX_TEXT_BYTES,
};
use canopy_wire::{Attrs, Beacon, CustomEvent, CustomMetric, EventBody};
use flate2::write::GzEncoder;
use flate2::Compression;
use ingest_server::enrich::enrich;
use ingest_server::receive::decode::{decompress, DecodeError, Encoding};
use ingest_server::record::{self, Rows, TableBatch};
use ingest_server::validate::validate;
use libfuzzer_sys::fuzz_target;

/// The server's default `limits.max_decompressed_bytes`.
const LIMIT: usize = 256 * 1024;
const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode == b'{' {
        return identity(data);
    }
    match mode % 4 {
        0 => identity(rest),
        1 => gzipped_here(rest, LIMIT),
        2 => {
            let Some((&limit, body)) = rest.split_first() else { return };
            let encoding = [Encoding::Gzip, Encoding::Deflate, Encoding::DeflateRaw][usize::from(mode / 4) % 3];
            arbitrary_compressed(body, encoding, small_limit(limit));
        }
        _ => {
            let Some((&limit, body)) = rest.split_first() else { return };
            gzipped_here(body, small_limit(limit));
        }
    }
});

/// 1 byte to ~16 KiB: small enough that the fuzzer crosses it.
fn small_limit(byte: u8) -> usize {
    1 + usize::from(byte) * 64
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

fn identity(body: &[u8]) {
    // The endpoint caps the body at limits.max_body_bytes before decoding,
    // and the configuration check keeps that ≤ max_decompressed_bytes;
    // identity decoding relies on it (it does not apply `limit` itself).
    let limit = LIMIT.max(body.len());
    let decoded = decompress(body, Encoding::Identity, limit).expect("identity never fails");
    assert_eq!(decoded, body, "identity changed the body");
    check_decoded(&decoded);
}

fn gzipped_here(plain: &[u8], limit: usize) {
    match decompress(&gzip(plain), Encoding::Gzip, limit) {
        Ok(decoded) => {
            assert!(plain.len() <= limit, "{} bytes decoded past a limit of {limit}", plain.len());
            assert_eq!(decoded, plain, "gzip round trip changed the body");
            check_decoded(&decoded);
        }
        Err(DecodeError::TooLarge { limit: reported }) => {
            assert_eq!(reported, limit);
            assert!(plain.len() > limit, "{} bytes refused as over a limit of {limit}", plain.len());
        }
        Err(error) => panic!("our own gzip of {} bytes failed to decode: {error}", plain.len()),
    }
}

fn arbitrary_compressed(body: &[u8], encoding: Encoding, limit: usize) {
    match decompress(body, encoding, limit) {
        Ok(decoded) => {
            assert!(decoded.len() <= limit, "{encoding:?} returned {} bytes past a limit of {limit}", decoded.len());
            check_decoded(&decoded);
        }
        Err(DecodeError::TooLarge { limit: reported }) => assert_eq!(reported, limit),
        Err(DecodeError::Corrupt { .. }) => {}
        Err(error @ DecodeError::UnknownEncoding(_)) => panic!("decompress itself never names an encoding: {error}"),
    }
}

fn check_decoded(json: &[u8]) {
    let Ok(beacon) = validate(json) else { return };
    check_limits(&beacon);

    let encoded = serde_json::to_vec(&beacon).expect("a validated beacon encodes");
    let again = validate(&encoded).unwrap_or_else(|error| {
        panic!("a validated beacon, re-encoded, fails validation: {error}\n{}", String::from_utf8_lossy(&encoded))
    });
    assert_eq!(again, beacon, "validate is not idempotent over a serde_json round trip");

    // What the endpoint logs, and the drain reads back as rows to insert.
    let events = beacon.events.len() + usize::from(beacon.dropped > 0);
    let accepted = enrich(beacon, Some(USER_AGENT), 1_800_000_000_000);
    let logged = record::encode(&accepted, "key").expect("an accepted beacon encodes");
    let mut batch = TableBatch::default();
    let added = batch.add(&logged).expect("a write-ahead log record reads back");
    assert_eq!((added.rows, batch.rows()), (events, events), "not one row per event");
    let mut rows = Vec::new();
    Rows::from_accepted(std::slice::from_ref(&accepted)).append_row_binary(&mut rows).expect("rows encode");
    let read_back: Vec<u8> = batch.tables.iter().flat_map(|table| table.bytes.iter().copied()).collect();
    assert_eq!(read_back, rows, "the write-ahead log record changed the rows");
}

fn check_limits(beacon: &Beacon) {
    assert!(beacon.events.len() <= MAX_EVENTS_PER_BEACON, "{} events", beacon.events.len());
    for id in [&beacon.session_id, &beacon.view_id] {
        assert!(!id.is_empty() && id.len() <= MAX_ID_BYTES, "id {id:?}");
    }
    if let Some(id) = &beacon.id {
        assert!(canopy_wire::limits::check_beacon_id(id).is_ok(), "beacon id {id:?}");
    }
    assert!(beacon.page_url.len() <= MAX_TEXT_BYTES);
    for app in &beacon.apps {
        assert!(check_app_name(&app.name).is_ok(), "app {:?}", app.name);
        assert!(app.version.len() <= MAX_APP_NAME_BYTES);
        assert!((0.0..=1.0).contains(&app.sample_rate), "sample rate {}", app.sample_rate);
        check_attrs(&app.attrs);
    }
    for event in &beacon.events {
        assert!(check_app_name(&event.app).is_ok(), "event app {:?}", event.app);
        // Whatever fields a kind has (the wire grows), no text is longer than the longest limit.
        let value = serde_json::to_value(&event.body).expect("an event encodes");
        assert_strings_within(&value, MAX_STACK_BYTES);
        match &event.body {
            EventBody::Vital(vital) => {
                assert!(vital.value >= 0.0 && vital.parts.0.len() <= MAX_ATTRS && vital.scripts.len() <= MAX_SCRIPTS);
                assert!(vital.parts.0.iter().all(|(name, ms)| check_metric_name(name).is_ok() && *ms >= 0.0));
            }
            EventBody::LongFrame(frame) => assert!(
                frame.duration >= 0.0 && frame.blocking >= 0.0 && frame.scripts.len() <= MAX_SCRIPTS
            ),
            EventBody::ResourceSummary(summary) => assert!(summary.cache_hits <= summary.count && summary.duration >= 0.0),
            EventBody::Resource(resource) => assert!(
                resource.url.len() <= MAX_TEXT_BYTES
                    && resource.initiator.len() <= MAX_APP_NAME_BYTES
                    && resource.duration >= 0.0
            ),
            EventBody::Error(report) => {
                assert!(
                    report.error_type.len() <= MAX_APP_NAME_BYTES
                        && report.message.len() <= MAX_TEXT_BYTES
                        && report.url.len() <= MAX_TEXT_BYTES
                        && report.frames.len() <= MAX_FRAMES
                        && report.count >= 1
                );
                check_attrs(&report.attrs);
            }
            EventBody::ApiCall(call) => {
                assert!(call.method.len() <= MAX_METHOD_BYTES && call.url.len() <= MAX_TEXT_BYTES);
                assert!(call.message.len() <= MAX_TEXT_BYTES && call.duration >= 0.0);
                assert!(call.status == 0 || (100..=599).contains(&call.status), "status {}", call.status);
                assert!(canopy_wire::limits::check_trace_id(&call.trace_id).is_ok(), "trace id {:?}", call.trace_id);
            }
            EventBody::ApiSummary(summary) => assert!(summary.failed <= summary.calls && summary.duration >= 0.0),
            EventBody::Metric(CustomMetric { name, attrs, .. }) | EventBody::Custom(CustomEvent { name, attrs }) => {
                assert!(check_metric_name(name).is_ok(), "name {name:?}");
                check_attrs(attrs);
            }
            _ => {}
        }
    }
}

fn check_attrs(attrs: &Attrs) {
    assert!(attrs.0.len() <= MAX_ATTRS, "{} attributes", attrs.0.len());
    for (key, value) in &attrs.0 {
        assert!(key.len() <= MAX_ATTR_KEY_BYTES && value.len() <= MAX_ATTR_VALUE_BYTES);
    }
}

fn assert_strings_within(value: &serde_json::Value, max: usize) {
    match value {
        serde_json::Value::String(text) => assert!(text.len() <= max, "a {}-byte string got through", text.len()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| assert_strings_within(item, max)),
        serde_json::Value::Object(fields) => fields.values().for_each(|field| assert_strings_within(field, max)),
        _ => {}
    }
}
