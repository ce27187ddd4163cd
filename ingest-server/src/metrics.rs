//! Metric names, defined once, and the Prometheus recorder behind `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const BEACONS_ACCEPTED: &str = "canopy_beacons_accepted_total";
pub const EVENTS_ACCEPTED: &str = "canopy_events_accepted_total";
/// Beacons whose id was stored already (a retry whose first answer was lost):
/// answered 202, not stored again.
pub const BEACONS_DUPLICATE: &str = "canopy_beacons_duplicate_total";
/// Labelled by `reason`: the error code of the response.
pub const BEACONS_REJECTED: &str = "canopy_beacons_rejected_total";
pub const FIELDS_TRUNCATED: &str = "canopy_fields_truncated_total";
/// Errors an ignore rule (`[[ignore]]`) matched: dropped on receipt.
pub const ERRORS_IGNORED: &str = "canopy_errors_ignored_total";
/// Events agents report having dropped (queue full, or too large to send).
pub const AGENT_DROPPED_EVENTS: &str = "canopy_agent_dropped_events_total";
pub const ACK_SECONDS: &str = "canopy_beacon_ack_seconds";
/// What each accepted beacon adds to the log (its record's bytes): the figure
/// `limits.max_stored_bytes` and the stored-byte rate limits bound.
pub const BEACON_STORED_BYTES: &str = "canopy_beacon_stored_bytes";
pub const SPOOL_BYTES: &str = "canopy_spool_bytes";
pub const SPOOL_PENDING_RECORDS: &str = "canopy_spool_pending_records";
pub const SPOOL_OLDEST_AGE_SECONDS: &str = "canopy_spool_oldest_age_seconds";
pub const SPOOL_CORRUPT_SEGMENTS: &str = "canopy_spool_corrupt_segments_total";
/// Group commits: one write and one fsync each (records per fsync = records / this).
pub const SPOOL_SYNCS: &str = "canopy_spool_syncs_total";
/// How long a group commit's write and fsync took.
pub const SPOOL_SYNC_SECONDS: &str = "canopy_spool_sync_seconds";
pub const INSERT_BATCHES: &str = "canopy_insert_batches_total";
pub const INSERT_ROWS: &str = "canopy_insert_rows_total";
pub const INSERT_SECONDS: &str = "canopy_insert_seconds";
pub const CLICKHOUSE_ERRORS: &str = "canopy_clickhouse_errors_total";

/// Adds events agents report as dropped to [`AGENT_DROPPED_EVENTS`], stopping
/// at `u64::MAX`: the figure comes from clients, and a plain counter would
/// wrap round to a small number on one hostile beacon.
pub fn count_agent_drops(dropped: u64) {
    static TOTAL: AtomicU64 = AtomicU64::new(0);
    let add = |total: u64| Some(total.saturating_add(dropped));
    let before = TOTAL
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, add)
        .unwrap_or_else(|total| total);
    // `absolute` keeps the larger value, so racing updates cannot lower it.
    metrics::counter!(AGENT_DROPPED_EVENTS).absolute(before.saturating_add(dropped));
}

/// The process-wide recorder (installed on first use).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let byte_buckets = [
            1024.0,
            4096.0,
            16384.0,
            65536.0,
            262_144.0,
            1_048_576.0,
            4_194_304.0,
            16_777_216.0,
        ];
        PrometheusBuilder::new()
            .set_buckets(&buckets)
            .expect("the bucket list is not empty")
            .set_buckets_for_metric(Matcher::Full(BEACON_STORED_BYTES.into()), &byte_buckets)
            .expect("the bucket list is not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}
