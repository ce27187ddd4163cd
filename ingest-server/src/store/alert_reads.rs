//! Reading alerts for the API and dashboard: the newest alerts matching a
//! filter, and counts of every alert matching it, counted by ClickHouse (not
//! from a page of rows), by app, severity and status.

use clickhouse::query::Query;
use clickhouse::Row;
use serde::Deserialize;

use super::alerting::AlertRow;
use super::{Store, StoreError};
use crate::model::alert::{Alert, Status};
use crate::model::rule::Severity;

/// Filters of `GET /api/alerts` and `/api/alerts/stats`; each one left out
/// matches every alert.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertFilter {
    pub status: Option<Status>,
    pub app: Option<String>,
    pub severity: Option<Severity>,
    /// Unix seconds: alerts still open at or after it (pending or firing
    /// then, or resolved at or after it).
    pub from: Option<u32>,
    /// Unix seconds: alerts that began (went pending) before it.
    pub to: Option<u32>,
}

impl AlertFilter {
    /// The filter with `status` set.
    pub fn with_status(status: Status) -> Self {
        Self {
            status: Some(status),
            ..Self::default()
        }
    }
}

/// The alerts of one app, severity and status: how many.
#[derive(Debug, Clone, Row, Deserialize, PartialEq, Eq)]
pub struct AlertCount {
    pub app: String,
    pub severity: String,
    pub status: String,
    pub alerts: u64,
}

/// An alert matches when it matches every filter given: an alert is in the
/// range `[from, to)` when it was open at some time within it.
const MATCHING: &str =
    "(? = '' OR status = ?) AND (? = '' OR app = ?) AND (? = '' OR severity = ?) \
     AND pending_since < toDateTime64(?, 3) \
     AND (resolved_at IS NULL OR resolved_at >= toDateTime64(?, 3))";

/// The newest alerts a list shows.
const RECENT_ALERTS: u64 = 500;

fn bind_filter(query: Query, filter: &AlertFilter) -> Query {
    let status = filter.status.map_or("", Status::as_str);
    let app = filter.app.as_deref().unwrap_or("");
    let severity = filter.severity.map_or("", Severity::as_str);
    query
        .bind(status)
        .bind(status)
        .bind(app)
        .bind(app)
        .bind(severity)
        .bind(severity)
        .bind(filter.to.unwrap_or(u32::MAX))
        .bind(filter.from.unwrap_or(0))
}

impl Store {
    /// The newest alerts matching the filter (parameters bound, never spliced).
    pub async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
        let sql = format!(
            "SELECT ?fields FROM alerts FINAL WHERE {MATCHING} ORDER BY updated_at DESC LIMIT ?"
        );
        let query = bind_filter(self.client.query(&sql), filter).bind(RECENT_ALERTS);
        let rows: Vec<AlertRow> = query.fetch_all().await?;
        Ok(rows.into_iter().filter_map(AlertRow::into_alert).collect())
    }

    /// Every alert matching the filter, counted by app, severity and status.
    pub async fn alert_counts(&self, filter: &AlertFilter) -> Result<Vec<AlertCount>, StoreError> {
        let sql = format!(
            "SELECT app, severity, status, count() AS alerts FROM alerts FINAL WHERE {MATCHING} \
             GROUP BY app, severity, status ORDER BY app, severity, status"
        );
        Ok(bind_filter(self.client.query(&sql), filter)
            .fetch_all()
            .await?)
    }
}
