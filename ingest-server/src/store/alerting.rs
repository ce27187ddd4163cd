//! Alert state and its logs in ClickHouse: `alerts` (latest version of each
//! alert), `alert_history` (every version), `notifications` (every delivery
//! attempt), `probes` (every health probe), and what apps declared when they
//! registered. Keeping state here lets any server answer the API and an
//! evaluator restart where it stopped.

use std::time::Duration;

use clickhouse::Row;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::conditions::VIEW_OF_APP;
use super::{Store, StoreError};
use crate::clock::{millis_of, time_from_millis};
use crate::model::alert::{Alert, Notice, Status, VersionComparison};
use crate::model::rule::Severity;

#[derive(Debug, Row, Serialize, Deserialize)]
pub(super) struct AlertRow {
    id: String,
    fingerprint: String,
    rule: String,
    app: String,
    metric: String,
    severity: String,
    status: String,
    value: f64,
    threshold: f64,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    pending_since: OffsetDateTime,
    #[serde(with = "clickhouse::serde::time::datetime64::millis::option")]
    firing_since: Option<OffsetDateTime>,
    #[serde(with = "clickhouse::serde::time::datetime64::millis::option")]
    resolved_at: Option<OffsetDateTime>,
    acknowledged: bool,
    silenced: bool,
    #[serde(with = "clickhouse::serde::time::datetime64::millis::option")]
    last_notified: Option<OffsetDateTime>,
    caused_by: String,
    inhibited: bool,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    updated_at: OffsetDateTime,
    /// A regression rule's versions (migration 12); empty for other rules.
    newest_version: String,
    previous_version: String,
    previous_value: f64,
    /// Migration 13.
    silenced_by: Vec<String>,
}

impl From<&Alert> for AlertRow {
    fn from(alert: &Alert) -> Self {
        let versions = alert.versions.as_ref();
        Self {
            id: alert.id.clone(),
            fingerprint: alert.fingerprint.clone(),
            rule: alert.rule.clone(),
            app: alert.app.clone(),
            metric: alert.metric.clone(),
            severity: alert.severity.as_str().to_owned(),
            status: alert.status.as_str().to_owned(),
            value: alert.value,
            threshold: alert.threshold,
            pending_since: time_from_millis(alert.pending_since),
            firing_since: alert.firing_since.map(time_from_millis),
            resolved_at: alert.resolved_at.map(time_from_millis),
            acknowledged: alert.acknowledged,
            silenced: alert.silenced,
            last_notified: alert.last_notified.map(time_from_millis),
            caused_by: alert.caused_by.clone().unwrap_or_default(),
            inhibited: alert.inhibited,
            updated_at: time_from_millis(alert.updated_at),
            newest_version: versions.map(|v| v.newest.clone()).unwrap_or_default(),
            previous_version: versions.map(|v| v.previous.clone()).unwrap_or_default(),
            previous_value: versions.map_or(0.0, |v| v.previous_value),
            silenced_by: alert.silenced_by.clone(),
        }
    }
}

impl AlertRow {
    pub(super) fn into_alert(self) -> Option<Alert> {
        let severity = Severity::named(&self.severity)?;
        let status = Status::named(&self.status)?;
        Some(Alert {
            id: self.id,
            fingerprint: self.fingerprint,
            rule: self.rule,
            app: self.app,
            metric: self.metric,
            severity,
            status,
            value: self.value,
            threshold: self.threshold,
            pending_since: millis_of(self.pending_since),
            firing_since: self.firing_since.map(millis_of),
            resolved_at: self.resolved_at.map(millis_of),
            acknowledged: self.acknowledged,
            silenced: self.silenced,
            last_notified: self.last_notified.map(millis_of),
            caused_by: Some(self.caused_by).filter(|c| !c.is_empty()),
            inhibited: self.inhibited,
            updated_at: millis_of(self.updated_at),
            versions: (!self.newest_version.is_empty()).then_some(VersionComparison {
                newest: self.newest_version,
                previous: self.previous_version,
                previous_value: self.previous_value,
            }),
            silenced_by: self.silenced_by,
        })
    }
}

/// One attempt to deliver one notice.
pub struct DeliveryRecord<'a> {
    pub alert: &'a Alert,
    pub channel: &'a str,
    pub notice: Notice,
    pub attempt: u8,
    pub ok: bool,
    pub http_status: u16,
    /// delivered, retrying or failed.
    pub outcome: &'a str,
    pub error: &'a str,
    pub latency: Duration,
}

#[derive(Row, Serialize)]
struct DeliveryRow<'a> {
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    at: OffsetDateTime,
    alert_id: &'a str,
    rule: &'a str,
    app: &'a str,
    channel: &'a str,
    notice: &'a str,
    attempt: u8,
    ok: bool,
    http_status: u16,
    error: &'a str,
    latency_ms: f64,
    outcome: &'a str,
}

/// One health probe's outcome.
#[derive(Debug, Row, Serialize)]
pub struct ProbeRecord {
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    pub at: OffsetDateTime,
    pub app: String,
    pub url: String,
    pub ok: u8,
    pub status: u16,
    pub latency_ms: f64,
    pub error: String,
}

/// What an app declared at its latest registration.
#[derive(Debug, Clone, Row, Deserialize)]
pub struct Registration {
    pub app: String,
    pub version: String,
    pub health_check: String,
    pub dependencies: Vec<String>,
    pub declared_rules: String,
}

impl Store {
    /// Stores new versions of alerts (state and history).
    pub async fn save_alerts(&self, alerts: &[&Alert]) -> Result<(), StoreError> {
        if alerts.is_empty() {
            return Ok(());
        }
        for table in ["alerts", "alert_history"] {
            let mut insert = self.client.insert::<AlertRow>(table).await?;
            for alert in alerts {
                insert.write(&AlertRow::from(*alert)).await?;
            }
            insert.end().await?;
        }
        Ok(())
    }

    /// Alerts still in play: pending, firing, or resolved by hand and silenced.
    pub async fn active_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        let rows: Vec<AlertRow> = self
            .client
            .query("SELECT ?fields FROM alerts FINAL WHERE status != 'resolved' OR silenced")
            .fetch_all()
            .await?;
        Ok(rows.into_iter().filter_map(AlertRow::into_alert).collect())
    }

    pub async fn alert(&self, id: &str) -> Result<Option<Alert>, StoreError> {
        let row: Option<AlertRow> = self
            .client
            .query("SELECT ?fields FROM alerts FINAL WHERE id = ?")
            .bind(id)
            .fetch_optional()
            .await?;
        Ok(row.and_then(AlertRow::into_alert))
    }

    pub async fn log_delivery(&self, record: &DeliveryRecord<'_>) -> Result<(), StoreError> {
        let notice = record.notice.as_str();
        let row = DeliveryRow {
            at: OffsetDateTime::now_utc(),
            alert_id: &record.alert.id,
            rule: &record.alert.rule,
            app: &record.alert.app,
            channel: record.channel,
            notice,
            attempt: record.attempt,
            ok: record.ok,
            http_status: record.http_status,
            error: record.error,
            latency_ms: record.latency.as_secs_f64() * 1000.0,
            outcome: record.outcome,
        };
        let mut insert = self.client.insert::<DeliveryRow>("notifications").await?;
        insert.write(&row).await?;
        insert.end().await?;
        Ok(())
    }

    pub async fn log_probes(&self, probes: &[ProbeRecord]) -> Result<(), StoreError> {
        if probes.is_empty() {
            return Ok(());
        }
        let mut insert = self.client.insert::<ProbeRecord>("probes").await?;
        for probe in probes {
            insert.write(probe).await?;
        }
        insert.end().await?;
        Ok(())
    }

    /// Each app's latest registration within `since`.
    pub async fn registrations(&self, since: Duration) -> Result<Vec<Registration>, StoreError> {
        Ok(self
            .client
            .query(&format!(
                "SELECT app, argMax(app_version, at) AS version, argMax(health_check, at) AS health_check, \
                 argMax(dependencies, at) AS dependencies, argMax(declared_rules, at) AS declared_rules FROM app_events \
                 WHERE {VIEW_OF_APP} AND at >= now64(3) - INTERVAL ? SECOND GROUP BY app ORDER BY app",
            ))
            .bind(since.as_secs())
            .fetch_all()
            .await?)
    }
}
