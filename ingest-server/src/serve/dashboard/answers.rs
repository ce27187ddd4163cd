//! What the dashboard endpoints answer. Field names are what dashboard/src
//! reads; keep them.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::error_groups::ErrorGroupEntry;
use crate::model::health::HealthStatus;
use crate::store::dashboard::{LongFrameBucket, LongFrameScript, ProbeBucket};

/// The app and the range an answer covers (Unix seconds, `[from, to)`,
/// aligned to what was read).
#[derive(Debug, Serialize, ToSchema)]
pub struct Scope {
    pub app: String,
    pub from: u32,
    pub to: u32,
}

/// A vital's samples and quantiles, with the p75's rating.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VitalSummary {
    pub samples: u64,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p95: Option<f64>,
    /// `good`, `needs-improvement`, `poor`, or `unknown`.
    pub rating: &'static str,
}

/// Vitals by name (`lcp`, `inp`, `cls`, `fcp`, `ttfb`).
pub type Vitals = BTreeMap<String, VitalSummary>;

#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    pub from: u32,
    pub to: u32,
    /// The worst of the apps' health.
    pub health: HealthStatus,
    pub apps: Vec<AppOverview>,
}

/// One app in the overview. Rates are null for an app without views.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppOverview {
    pub app: String,
    pub views: u64,
    pub errors: u64,
    pub error_views: u64,
    pub failed_views: u64,
    /// 1 − failed views ÷ views.
    pub availability: Option<f64>,
    /// Error views ÷ views.
    pub error_rate: Option<f64>,
    /// Cross-origin errors the browser muted ("Script error.").
    pub muted_errors: u64,
    pub vitals: Vitals,
    /// Pending or firing alerts now, whatever the range.
    pub active_alerts: u64,
    /// From its firing alerts now (docs/ALERTING.md, "Health").
    pub health: HealthStatus,
}

impl AppOverview {
    pub fn empty(app: &str) -> Self {
        Self {
            app: app.to_owned(),
            views: 0,
            errors: 0,
            error_views: 0,
            failed_views: 0,
            availability: None,
            error_rate: None,
            muted_errors: 0,
            vitals: Vitals::new(),
            active_alerts: 0,
            health: HealthStatus::Healthy,
        }
    }
}

/// Chart columns, one value per bucket of `t` (null: no data).
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesColumns {
    pub views: Vec<Option<u64>>,
    pub errors: Vec<Option<u64>>,
    pub error_rate: Vec<Option<f64>>,
    pub lcp: Vec<Option<f64>>,
    pub inp: Vec<Option<f64>>,
    pub cls: Vec<Option<f64>>,
    pub fcp: Vec<Option<f64>>,
    pub ttfb: Vec<Option<f64>>,
}

impl SeriesColumns {
    pub fn empty(points: usize) -> Self {
        Self {
            views: vec![None; points],
            errors: vec![None; points],
            error_rate: vec![None; points],
            lcp: vec![None; points],
            inp: vec![None; points],
            cls: vec![None; points],
            fcp: vec![None; points],
            ttfb: vec![None; points],
        }
    }

    /// The p75 column of the vital `name`, if it is charted.
    pub fn vital(&mut self, name: &str) -> Option<&mut Vec<Option<f64>>> {
        let Self {
            lcp,
            inp,
            cls,
            fcp,
            ttfb,
            ..
        } = self;
        field_of_vital(name, [lcp, inp, cls, fcp, ttfb])
    }
}

/// An alert rule in force on a charted metric.
#[derive(Debug, Serialize, ToSchema)]
pub struct Threshold {
    pub rule: String,
    pub metric: &'static str,
    pub threshold: f64,
    pub severity: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Series {
    #[serde(flatten)]
    pub scope: Scope,
    pub bucket: u32,
    /// Bucket starts, Unix seconds.
    pub t: Vec<u32>,
    pub series: SeriesColumns,
    pub thresholds: Vec<Threshold>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Errors {
    #[serde(flatten)]
    pub scope: Scope,
    /// Most frequent first, grouped on resolved frames.
    pub errors: Vec<ErrorGroupEntry>,
}

/// A resource's loads: duration quantiles in ms.
#[derive(Debug, Serialize, ToSchema)]
pub struct Resource {
    pub url: String,
    pub initiator: String,
    pub samples: u64,
    pub bytes: u64,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p95: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Resources {
    #[serde(flatten)]
    pub scope: Scope,
    /// Slowest p75 first.
    pub resources: Vec<Resource>,
}

/// The vitals of one page path or browser.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreakdownEntry {
    pub key: String,
    pub vitals: Vitals,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Pages {
    #[serde(flatten)]
    pub scope: Scope,
    /// Worst LCP p75 first.
    pub pages: Vec<BreakdownEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Browsers {
    #[serde(flatten)]
    pub scope: Scope,
    /// Worst LCP p75 first.
    pub browsers: Vec<BreakdownEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Probes {
    #[serde(flatten)]
    pub scope: Scope,
    pub bucket: u32,
    pub probes: Vec<ProbeBucket>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LongFrames {
    #[serde(flatten)]
    pub scope: Scope,
    pub bucket: u32,
    pub frames: Vec<LongFrameBucket>,
    /// Longest total first.
    pub scripts: Vec<LongFrameScript>,
}

/// Each version's p75 (null: no samples in the range).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct VersionVitals {
    pub lcp: Option<f64>,
    pub inp: Option<f64>,
    pub cls: Option<f64>,
    pub fcp: Option<f64>,
    pub ttfb: Option<f64>,
}

impl VersionVitals {
    /// The p75 of the vital `name`, if it is one of these.
    pub fn vital(&mut self, name: &str) -> Option<&mut Option<f64>> {
        let Self {
            lcp,
            inp,
            cls,
            fcp,
            ttfb,
        } = self;
        field_of_vital(name, [lcp, inp, cls, fcp, ttfb])
    }
}

/// Of an answer's fields for LCP, INP, CLS, FCP and TTFB (in that order),
/// the one of the vital `name`.
fn field_of_vital<'a, T>(name: &str, fields: [&'a mut T; 5]) -> Option<&'a mut T> {
    let [lcp, inp, cls, fcp, ttfb] = fields;
    match name {
        "lcp" => Some(lcp),
        "inp" => Some(inp),
        "cls" => Some(cls),
        "fcp" => Some(fcp),
        "ttfb" => Some(ttfb),
        _ => None,
    }
}

/// One bucket of a version's views.
#[derive(Debug, Serialize, ToSchema)]
pub struct Adoption {
    /// Bucket start, Unix seconds.
    pub at: u32,
    pub views: u64,
}

/// One version of an app over the range. Rates are null without views (or
/// API calls).
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionHealth {
    /// `app_version` as the app registered it (empty: none given).
    pub version: String,
    /// When the version was first seen at all, epoch ms.
    pub first_seen: i64,
    /// When it was last seen, epoch ms.
    pub last_seen: i64,
    pub views: u64,
    /// Counted errors (occurrences): uncaught errors and rejections, handled
    /// errors, `fatal` and `error` messages.
    pub errors: u64,
    /// Error views ÷ views.
    pub error_rate: Option<f64>,
    /// 1 − failed views ÷ views.
    pub availability: Option<f64>,
    pub api_calls: u64,
    pub api_failures: u64,
    /// API failures ÷ calls.
    pub api_error_rate: Option<f64>,
    pub vitals: VersionVitals,
    /// Views per bucket, oldest first (buckets without views left out).
    pub adoption: Vec<Adoption>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Versions {
    #[serde(flatten)]
    pub scope: Scope,
    /// Seconds per adoption bucket (whole hours).
    pub bucket: u32,
    /// Newest first seen first.
    pub versions: Vec<VersionHealth>,
}
