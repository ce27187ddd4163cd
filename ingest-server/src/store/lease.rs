//! The evaluator lease and the notice outbox in ClickHouse (migration 14;
//! the protocol is `evaluate::lease`). Times are ClickHouse's own
//! (`now64()`), so evaluators never compare their clocks with each other.

use std::time::Duration;

use clickhouse::Row;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::clock::{time_from_millis, Millis};
use crate::model::alert::{Alert, Dispatch, Notice, NoticeKey};

/// The lease's winner as read back, with ClickHouse's clock at the read.
#[derive(Debug, Clone, Row, Deserialize, Serialize, utoipa::ToSchema)]
pub struct LeaseRow {
    pub term: u64,
    pub holder: String,
    /// When its latest renewal runs out (epoch ms, ClickHouse's clock).
    pub expires_at: Millis,
    /// When its claim was written (epoch ms, ClickHouse's clock).
    pub since: Millis,
    /// ClickHouse's clock at the read (epoch ms).
    pub now: Millis,
}

/// Readers of the lease settle a race the same way: the highest term wins,
/// and within it the claim ClickHouse wrote first (then the highest id).
const WINNER: &str = "SELECT term, holder, toUnixTimestamp64Milli(max(expires_at)) AS expires_at, \
     toUnixTimestamp64Milli(min(written_at)) AS since, toUnixTimestamp64Milli(now64(3)) AS now \
     FROM evaluator_lease WHERE term = (SELECT max(term) FROM evaluator_lease) \
     GROUP BY term, holder ORDER BY since ASC, holder DESC LIMIT 1";

/// A decided notice not known to have been delivered.
#[derive(Debug, Clone)]
pub struct Unsettled {
    pub alert: Alert,
    pub notice: Notice,
    pub decided_at: Millis,
    pub rule: String,
}

#[derive(Row, Serialize, Deserialize)]
struct NoticeRow {
    alert_id: String,
    notice: String,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    decided_at: OffsetDateTime,
    term: u64,
    rule: String,
    alert: String,
    settled: u8,
}

impl NoticeRow {
    fn decided(dispatch: &Dispatch) -> Self {
        Self {
            term: dispatch.term,
            rule: dispatch.rule.name.clone(),
            alert: serde_json::to_string(&dispatch.alert).unwrap_or_default(),
            ..Self::settled(&dispatch.key())
        }
    }

    /// Only the key and the mark matter: readers take the highest mark.
    fn settled(key: &NoticeKey) -> Self {
        Self {
            alert_id: key.alert_id.clone(),
            notice: key.notice.as_str().to_owned(),
            decided_at: time_from_millis(key.decided_at),
            term: 0,
            rule: String::new(),
            alert: String::new(),
            settled: 1,
        }
    }
}

impl Store {
    /// The lease's current winner, if anyone ever claimed it.
    pub async fn read_lease(&self) -> Result<Option<LeaseRow>, StoreError> {
        Ok(self.client.query(WINNER).fetch_optional().await?)
    }

    /// Claims or renews `term` for `holder` until `length` from now
    /// (ClickHouse's now), synchronously even on a cluster, so a read that
    /// follows sees it.
    pub async fn write_lease(
        &self,
        term: u64,
        holder: &str,
        length: Duration,
    ) -> Result<(), StoreError> {
        self.client
            .query(
                "INSERT INTO evaluator_lease (term, holder, expires_at, written_at) \
                 SELECT ?, ?, now64(3) + toIntervalMillisecond(?), now64(3)",
            )
            .bind(term)
            .bind(holder)
            .bind(length.as_millis() as u64)
            .with_setting("insert_distributed_sync", "1")
            .execute()
            .await?;
        Ok(())
    }

    /// Records notices as decided and not yet delivered (before they are sent).
    pub async fn record_notices(&self, dispatches: &[&Dispatch]) -> Result<(), StoreError> {
        let rows = dispatches.iter().map(|d| NoticeRow {
            settled: 0,
            ..NoticeRow::decided(d)
        });
        self.write_notices(rows.collect()).await
    }

    /// Marks notices settled: their deliveries ended (delivered or given up).
    pub async fn settle_notices(&self, settled: &[NoticeKey]) -> Result<(), StoreError> {
        self.write_notices(settled.iter().map(NoticeRow::settled).collect())
            .await
    }

    async fn write_notices(&self, rows: Vec<NoticeRow>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut insert = self.client.insert::<NoticeRow>("alert_notices").await?;
        for row in &rows {
            insert.write(row).await?;
        }
        insert.end().await?;
        Ok(())
    }

    /// Notices decided within `horizon` and never settled, oldest first.
    pub async fn unsettled_notices(&self, horizon: Duration) -> Result<Vec<Unsettled>, StoreError> {
        let rows: Vec<NoticeRow> = self
            .client
            .query(
                "SELECT alert_id, notice, decided_at, any(term) AS term, any(rule) AS rule, \
                 any(alert) AS alert, max(settled) AS settled FROM alert_notices \
                 WHERE decided_at >= now64(3) - toIntervalMillisecond(?) \
                 GROUP BY alert_id, notice, decided_at HAVING settled = 0 ORDER BY decided_at",
            )
            .bind(horizon.as_millis() as u64)
            .fetch_all()
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(Unsettled {
                    alert: serde_json::from_str(&row.alert).ok()?,
                    notice: Notice::named(&row.notice)?,
                    decided_at: crate::clock::millis_of(row.decided_at),
                    rule: row.rule,
                })
            })
            .collect())
    }
}
