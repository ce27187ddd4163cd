//! The ClickHouse rows a beacon becomes: one table per kind of event, each
//! with the same leading columns (see ARCHITECTURE.md for why).

use canopy_wire::{AppInfo, Beacon, Event, EventBody, Frame, ScriptTiming};

use super::row_binary::{append_row, row_len, RowBinaryError};
use crate::clock::{millis_of, time_from_millis};
use crate::enrich::{Accepted, Client};
use serde::Serialize;
use time::OffsetDateTime;

/// Oldest event time accepted relative to receipt; older ones are clamped.
const MAX_EVENT_AGE_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// A field's column: its name, or the one given with `as` (a column of a
/// `Nested` one, like `scripts.url`).
macro_rules! column {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $column:literal) => {
        $column
    };
}

/// Declares a row type with the columns every event table shares, its
/// column list, and a constructor taking the shared ones as [`Context`].
/// `field as "name": type` stores a field under another column name.
macro_rules! event_row {
    ($name:ident<$lt:lifetime> { $($field:ident $(as $column:literal)? : $ty:ty),* $(,)? }) => {
        #[derive(Debug, Serialize)]
        pub struct $name<$lt> {
            #[serde(with = "clickhouse::serde::time::datetime64::millis")]
            pub received_at: OffsetDateTime,
            #[serde(with = "clickhouse::serde::time::datetime64::millis")]
            pub at: OffsetDateTime,
            pub app: &$lt str,
            pub app_version: &$lt str,
            pub session_id: &$lt str,
            pub view_id: &$lt str,
            pub page_url: &$lt str,
            pub browser: &$lt str,
            pub browser_version: &$lt str,
            pub os: &$lt str,
            pub device: &$lt str,
            /// Migration 6: last in every table, so listed last.
            pub app_attrs: &$lt [(String, String)],
            $($(#[serde(rename = $column)])? pub $field: $ty,)*
        }

        impl<$lt> $name<$lt> {
            /// The columns, in the order the fields are encoded.
            pub const COLUMNS: &'static [&'static str] = &[
                "received_at", "at", "app", "app_version", "session_id", "view_id", "page_url",
                "browser", "browser_version", "os", "device", "app_attrs", $(column!($field $(, $column)?)),*
            ];

            #[allow(clippy::too_many_arguments)]
            fn new(context: &Context<$lt>, $($field: $ty),*) -> Self {
                Self {
                    received_at: context.received_at,
                    at: context.at,
                    app: context.app,
                    app_version: context.app_info.map_or("", |info| info.version.as_str()),
                    session_id: context.session_id,
                    view_id: context.view_id,
                    page_url: context.page_url,
                    browser: context.client.browser.as_str(),
                    browser_version: context.client.browser_version.as_str(),
                    os: context.client.os.as_str(),
                    device: context.client.device.as_str(),
                    app_attrs: context.app_info.map_or(&[], |info| info.attrs.0.as_slice()),
                    $($field,)*
                }
            }
        }
    };
}

event_row!(VitalRow<'a> {
    name: &'a str, value: f64,
    // Migration 3, in its order.
    rating: &'a str, target: &'a str, resource: &'a str, event_type: &'a str, owner: &'a str, restored: bool,
    // Migration 6.
    parts: &'a [(String, f64)],
    script_urls as "scripts.url": Vec<&'a str>,
    script_functions as "scripts.function": Vec<&'a str>,
    script_invokers as "scripts.invoker": Vec<&'a str>,
    script_durations as "scripts.duration": Vec<f64>,
});
event_row!(NavigationRow<'a> {
    nav_type: &'a str, dns: f64, tcp: f64, tls: f64, ttfb: f64, download: f64,
    dom_parse: f64, dom_ready: f64, load: f64, transfer_size: u64,
});
event_row!(ResourceRow<'a> { url: &'a str, initiator: &'a str, duration: f64, transfer_size: u64, cache_hit: bool });
event_row!(ErrorRow<'a> {
    source: &'a str, error_type: &'a str, message: &'a str, stack: &'a str,
    url: &'a str, line: u32, column: u32,
    // Migration 6.
    frame_functions as "frames.function": Vec<&'a str>,
    frame_files as "frames.file": Vec<&'a str>,
    frame_lines as "frames.line": Vec<u32>,
    frame_columns as "frames.column": Vec<u32>,
    count: u32,
    // Migration 10 (log record format 3; see `COLUMNS_BEFORE_LEVELS`).
    level: &'a str,
    attrs: &'a [(String, String)],
});

impl ErrorRow<'_> {
    /// The columns of a row in a log record of format 1, written before
    /// migration 10: all but `level` and `attrs`, which ClickHouse defaults.
    pub const COLUMNS_BEFORE_LEVELS: &'static [&'static str] =
        Self::COLUMNS.split_at(Self::COLUMNS.len() - 2).0;
}
event_row!(AppEventRow<'a> {
    phase: &'a str, detail: &'a str, health_check: &'a str, dependencies: &'a [String], declared_rules: &'a str,
    sample_rate: f64,
});
event_row!(ResourceSummaryRow<'a> { count: u32, transfer_size: u64, cache_hits: u32, duration: f64 });
event_row!(LongFrameRow<'a> {
    duration: f64, blocking: f64,
    script_urls as "scripts.url": Vec<&'a str>,
    script_functions as "scripts.function": Vec<&'a str>,
    script_invokers as "scripts.invoker": Vec<&'a str>,
    script_durations as "scripts.duration": Vec<f64>,
});
// `app` is empty: the agent is one per page.
event_row!(AgentDropRow<'a> { dropped: u64 });

event_row!(CustomMetricRow<'a> { name: &'a str, value: f64, attrs: &'a [(String, String)] });
event_row!(CustomEventRow<'a> { name: &'a str, attrs: &'a [(String, String)] });
// Migration 10.
event_row!(ApiSummaryRow<'a> { calls: u32, failed: u32, duration: f64 });
event_row!(ApiFailureRow<'a> {
    method: &'a str, url: &'a str, status: u16, duration: f64, message: &'a str, trace_id: &'a str,
});

/// The event tables, in the order [`Rows::append_row_binary`] encodes them
/// (and a write-ahead log record lists them), each with its columns.
pub const TABLES: [(&str, &[&str]); TABLE_COUNT] = [
    ("vitals", VitalRow::COLUMNS),
    ("navigations", NavigationRow::COLUMNS),
    ("resources", ResourceRow::COLUMNS),
    ("errors", ErrorRow::COLUMNS),
    ("app_events", AppEventRow::COLUMNS),
    ("custom_metrics", CustomMetricRow::COLUMNS),
    ("custom_events", CustomEventRow::COLUMNS),
    ("resource_summaries", ResourceSummaryRow::COLUMNS),
    ("long_frames", LongFrameRow::COLUMNS),
    ("agent_drops", AgentDropRow::COLUMNS),
    ("api_summaries", ApiSummaryRow::COLUMNS),
    ("api_failures", ApiFailureRow::COLUMNS),
];
pub const TABLE_COUNT: usize = 12;

/// The tables of a log record of format 1: the first ten, `errors` the fourth.
pub const TABLE_COUNT_BEFORE_API: usize = 10;
pub const ERRORS_TABLE: usize = 3;

/// Where one table's rows went in an encoding: how many, and their bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableSpan {
    pub rows: usize,
    pub bytes: usize,
}

/// The shared leading columns of one event's row.
struct Context<'a> {
    received_at: OffsetDateTime,
    at: OffsetDateTime,
    app: &'a str,
    /// The app as it registered: its version and attributes (none if it did not).
    app_info: Option<&'a AppInfo>,
    session_id: &'a str,
    view_id: &'a str,
    page_url: &'a str,
    client: &'a Client,
}

/// A beacon split into rows per table.
#[derive(Debug, Default)]
pub struct Rows<'a> {
    pub vitals: Vec<VitalRow<'a>>,
    pub navigations: Vec<NavigationRow<'a>>,
    pub resources: Vec<ResourceRow<'a>>,
    pub errors: Vec<ErrorRow<'a>>,
    pub app_events: Vec<AppEventRow<'a>>,
    pub custom_metrics: Vec<CustomMetricRow<'a>>,
    pub custom_events: Vec<CustomEventRow<'a>>,
    pub resource_summaries: Vec<ResourceSummaryRow<'a>>,
    pub long_frames: Vec<LongFrameRow<'a>>,
    /// Not an event: one row per beacon reporting drops.
    pub agent_drops: Vec<AgentDropRow<'a>>,
    pub api_summaries: Vec<ApiSummaryRow<'a>>,
    pub api_failures: Vec<ApiFailureRow<'a>>,
}

impl<'a> Rows<'a> {
    /// The rows of many accepted beacons, in order.
    pub fn from_accepted(accepted: &'a [Accepted]) -> Self {
        let mut rows = Rows::default();
        for one in accepted {
            rows.add_beacon(
                &one.beacon,
                &one.client,
                time_from_millis(one.received_at_ms),
            );
        }
        rows
    }

    fn add_beacon(&mut self, beacon: &'a Beacon, client: &'a Client, received_at: OffsetDateTime) {
        let context = |app: &'a str, at| Context {
            received_at,
            at,
            app,
            app_info: beacon.apps.iter().find(|info| info.name == app),
            session_id: &beacon.session_id,
            view_id: &beacon.view_id,
            page_url: &beacon.page_url,
            client,
        };
        for event in &beacon.events {
            let at = event_time(event, beacon.sent_at, received_at);
            self.push(&context(&event.app, at), &event.body);
        }
        if beacon.dropped > 0 {
            let row = AgentDropRow::new(&context("", received_at), beacon.dropped);
            self.agent_drops.push(row);
        }
    }

    pub fn len(&self) -> usize {
        self.tables().iter().map(|table| table.rows()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends every table's rows to `out` as RowBinary, table after table
    /// in [`TABLES`] order; what each table took.
    pub fn append_row_binary(
        &self,
        out: &mut Vec<u8>,
    ) -> Result<[TableSpan; TABLE_COUNT], RowBinaryError> {
        let mut spans = [TableSpan::default(); TABLE_COUNT];
        for (span, table) in spans.iter_mut().zip(self.tables()) {
            *span = table.append(out)?;
        }
        Ok(spans)
    }

    /// The bytes [`Self::append_row_binary`] would append, counted without
    /// writing them.
    pub fn row_binary_len(&self) -> Result<usize, RowBinaryError> {
        self.tables().iter().map(|table| table.encoded_len()).sum()
    }

    /// Every table's rows, in [`TABLES`] order.
    fn tables(&self) -> [&dyn TableOfRows; TABLE_COUNT] {
        [
            &self.vitals,
            &self.navigations,
            &self.resources,
            &self.errors,
            &self.app_events,
            &self.custom_metrics,
            &self.custom_events,
            &self.resource_summaries,
            &self.long_frames,
            &self.agent_drops,
            &self.api_summaries,
            &self.api_failures,
        ]
    }

    fn push(&mut self, c: &Context<'a>, body: &'a EventBody) {
        match body {
            EventBody::Vital(v) => {
                let scripts = ScriptColumns::of(&v.scripts);
                self.vitals.push(VitalRow::new(
                    c,
                    v.name.as_str(),
                    v.value,
                    // An older agent sends no rating: the shared thresholds give it.
                    v.rating.unwrap_or_else(|| v.name.rating(v.value)).as_str(),
                    &v.target,
                    &v.resource,
                    &v.event_type,
                    &v.owner,
                    v.restored,
                    &v.parts.0,
                    scripts.urls,
                    scripts.functions,
                    scripts.invokers,
                    scripts.durations,
                ))
            }
            EventBody::Navigation(n) => self.navigations.push(NavigationRow::new(
                c,
                &n.nav_type,
                n.dns,
                n.tcp,
                n.tls,
                n.ttfb,
                n.download,
                n.dom_parse,
                n.dom_ready,
                n.load,
                n.transfer_size,
            )),
            EventBody::Resource(r) => self.resources.push(ResourceRow::new(
                c,
                &r.url,
                &r.initiator,
                r.duration,
                r.transfer_size,
                r.cache_hit,
            )),
            EventBody::ResourceSummary(r) => self.resource_summaries.push(ResourceSummaryRow::new(
                c,
                r.count,
                r.transfer_size,
                r.cache_hits,
                r.duration,
            )),
            EventBody::LongFrame(f) => {
                let scripts = ScriptColumns::of(&f.scripts);
                self.long_frames.push(LongFrameRow::new(
                    c,
                    f.duration,
                    f.blocking,
                    scripts.urls,
                    scripts.functions,
                    scripts.invokers,
                    scripts.durations,
                ))
            }
            EventBody::Error(e) => {
                let frames = FrameColumns::of(&e.frames);
                self.errors.push(ErrorRow::new(
                    c,
                    e.source.as_str(),
                    &e.error_type,
                    &e.message,
                    &e.stack,
                    &e.url,
                    e.line,
                    e.column,
                    frames.functions,
                    frames.files,
                    frames.lines,
                    frames.columns,
                    e.count,
                    e.level.as_str(),
                    &e.attrs.0,
                ))
            }
            EventBody::ApiSummary(a) => self
                .api_summaries
                .push(ApiSummaryRow::new(c, a.calls, a.failed, a.duration)),
            EventBody::ApiCall(a) => self.api_failures.push(ApiFailureRow::new(
                c,
                &a.method,
                &a.url,
                a.status,
                a.duration,
                &a.message,
                &a.trace_id,
            )),
            EventBody::Metric(m) => self
                .custom_metrics
                .push(CustomMetricRow::new(c, &m.name, m.value, &m.attrs.0)),
            EventBody::Custom(e) => self
                .custom_events
                .push(CustomEventRow::new(c, &e.name, &e.attrs.0)),
            EventBody::App(a) => self.app_events.push(AppEventRow::new(
                c,
                a.phase.as_str(),
                &a.detail,
                &a.health_check,
                &a.dependencies,
                &a.declared_rules,
                // An app missing from the beacon's list reports every session.
                c.app_info.map_or(1.0, |info| info.sample_rate),
            )),
        }
    }
}

/// One table's rows, whatever their row type.
trait TableOfRows {
    fn rows(&self) -> usize;
    fn append(&self, out: &mut Vec<u8>) -> Result<TableSpan, RowBinaryError>;
    fn encoded_len(&self) -> Result<usize, RowBinaryError>;
}

impl<R: Serialize> TableOfRows for Vec<R> {
    fn rows(&self) -> usize {
        self.len()
    }

    fn append(&self, out: &mut Vec<u8>) -> Result<TableSpan, RowBinaryError> {
        let start = out.len();
        for row in self {
            append_row(row, out)?;
        }
        Ok(TableSpan {
            rows: self.len(),
            bytes: out.len() - start,
        })
    }

    fn encoded_len(&self) -> Result<usize, RowBinaryError> {
        self.iter().map(row_len).sum()
    }
}

/// Scripts as the arrays of a `scripts` Nested column.
struct ScriptColumns<'a> {
    urls: Vec<&'a str>,
    functions: Vec<&'a str>,
    invokers: Vec<&'a str>,
    durations: Vec<f64>,
}

impl<'a> ScriptColumns<'a> {
    fn of(scripts: &'a [ScriptTiming]) -> Self {
        Self {
            urls: scripts.iter().map(|s| s.url.as_str()).collect(),
            functions: scripts.iter().map(|s| s.function.as_str()).collect(),
            invokers: scripts.iter().map(|s| s.invoker.as_str()).collect(),
            durations: scripts.iter().map(|s| s.duration).collect(),
        }
    }
}

/// Stack frames as the arrays of the `frames` Nested column.
struct FrameColumns<'a> {
    functions: Vec<&'a str>,
    files: Vec<&'a str>,
    lines: Vec<u32>,
    columns: Vec<u32>,
}

impl<'a> FrameColumns<'a> {
    fn of(frames: &'a [Frame]) -> Self {
        Self {
            functions: frames.iter().map(|f| f.function.as_str()).collect(),
            files: frames.iter().map(|f| f.file.as_str()).collect(),
            lines: frames.iter().map(|f| f.line).collect(),
            columns: frames.iter().map(|f| f.column).collect(),
        }
    }
}

/// The event's time on the server's clock: browsers' clocks drift, but the
/// time between an event and its beacon being sent is measured on one clock.
fn event_time(event: &Event, sent_at: f64, received_at: OffsetDateTime) -> OffsetDateTime {
    let received_ms = millis_of(received_at) as f64;
    let age = (sent_at - event.at).clamp(0.0, MAX_EVENT_AGE_MS);
    let at_ms = (received_ms - age) as i128;
    OffsetDateTime::from_unix_timestamp_nanos(at_ms * 1_000_000).unwrap_or(received_at)
}

#[cfg(test)]
pub(super) mod tests;
