//! The dashboard overview's numbers two ways: from the rollups, by the
//! server's own queries (`Store::app_totals` then `Store::vital_totals` at
//! the grain `overview_grain` picks, as `GET /api/dashboard/overview` runs
//! them: the hourly rollups over more than 6 hours), and from the raw event tables,
//! as the dashboard would have to without rollups. Both give the same
//! columns, so their answers can be compared.

use anyhow::Context;
use clickhouse::{Client, RowOwned, RowRead};
use ingest_server::store::dashboard::{overview_grain, Range};
use ingest_server::store::schema::QUANTILES;
use ingest_server::store::Store;

/// Per app: views, views with an uncaught error, views where the app failed
/// to load, uncaught errors (docs/ALERTING.md); per app (`key`) and vital:
/// samples and [p50, p75, p95]. The server's own row types.
pub use ingest_server::store::dashboard::{AppTotals, VitalQuantiles as VitalTotals};

pub struct Overview {
    pub apps: Vec<AppTotals>,
    pub vitals: Vec<VitalTotals>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Rollups,
    Raw,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Rollups => "rollups",
            Source::Raw => "raw events",
        }
    }
}

/// Where the overview is read from: the server's store and a plain client
/// on the same database.
pub struct Overviews {
    pub store: Store,
    pub client: Client,
}

/// The raw rows of a range (minute-aligned, so the same events as the rollups' minutes).
const RAW_RANGE: &str = "at >= toDateTime(?) AND at < toDateTime(?)";

impl Overviews {
    /// The overview from `source`; every query carries `tag` as its
    /// `log_comment`, to find its costs in `system.query_log`.
    pub async fn read(&self, source: Source, range: Range, tag: &str) -> anyhow::Result<Overview> {
        match source {
            Source::Rollups => {
                let store = self.store.with_setting("log_comment", tag);
                let (grain, aligned) = overview_grain(range);
                anyhow::ensure!(
                    aligned == range,
                    "the benchmark's ranges are whole days, so both sources read the same"
                );
                Ok(Overview {
                    apps: store.app_totals(range, grain).await?,
                    vitals: store.vital_totals(range, grain).await?,
                })
            }
            Source::Raw => Ok(Overview {
                apps: self.raw(&raw_app_totals_sql(), range, tag).await?,
                vitals: self
                    .raw(&raw_vital_totals_sql("quantiles", QUANTILES), range, tag)
                    .await?,
            }),
        }
    }

    /// The vitals' exact quantiles at `levels` (`quantilesExact`), to tell
    /// how far each source's sampled quantiles are from the truth.
    pub async fn exact_vitals(
        &self,
        range: Range,
        levels: &str,
    ) -> anyhow::Result<Vec<VitalTotals>> {
        self.raw(
            &raw_vital_totals_sql("quantilesExact", levels),
            range,
            "exact quantiles",
        )
        .await
    }

    /// Runs `sql`, binding the range to each `RAW_RANGE` in it.
    async fn raw<T: RowOwned + RowRead>(
        &self,
        sql: &str,
        range: Range,
        tag: &str,
    ) -> anyhow::Result<Vec<T>> {
        let mut query = self.client.query(sql).with_setting("log_comment", tag);
        for _ in 0..sql.matches(RAW_RANGE).count() {
            query = query.bind(range.from).bind(range.to);
        }
        query
            .fetch_all()
            .await
            .with_context(|| format!("querying the raw tables: {sql}"))
    }
}

/// Per-app totals from raw rows, by the definitions the views feeding
/// `rollup_app_minute` use (store/schema/rollups.rs): a view is a
/// registration, a failure an `appFailed` or a failed script load, an error
/// an uncaught error or rejection. Every app with an error row is listed, as
/// the rollup lists it.
fn raw_app_totals_sql() -> String {
    format!(
        "SELECT app, uniqIf(view_id, kind = 'view') AS views, uniqIf(view_id, kind = 'error') AS error_views, \
         uniqIf(view_id, kind = 'failed') AS failed_views, countIf(kind = 'error') AS errors FROM ( \
           SELECT app, view_id, if(phase = 'registered', 'view', 'failed') AS kind FROM app_events \
           WHERE {RAW_RANGE} AND phase IN ('registered', 'failed') \
           UNION ALL \
           SELECT app, view_id, multiIf(source IN ('error', 'rejection'), 'error', \
                  source = 'resource_load' AND error_type = 'script', 'failed', 'other') FROM errors \
           WHERE {RAW_RANGE} \
         ) GROUP BY app ORDER BY app"
    )
}

/// Per app and vital from raw rows; `quantiles` names the function, `levels` its levels.
fn raw_vital_totals_sql(quantiles: &str, levels: &str) -> String {
    format!(
        "SELECT app AS key, name, count() AS samples, {quantiles}({levels})(value) AS q \
         FROM vitals WHERE {RAW_RANGE} GROUP BY key, name ORDER BY key, name"
    )
}
