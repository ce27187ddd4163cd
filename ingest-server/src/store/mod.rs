//! Store: write validated beacons to ClickHouse.

mod rows;
pub mod schema;

use canopy_wire::Beacon;
use clickhouse::{Client, RowWrite};
use time::OffsetDateTime;

use crate::config::ClickHouseConfig;
pub use rows::Rows;
use rows::{AppEventRow, ErrorRow, NavigationRow, ResourceRow, VitalRow};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration { version: u32, name: &'static str, source: clickhouse::error::Error },
}

pub struct Store {
    client: Client,
}

impl Store {
    /// Connects, creates the database and applies pending migrations.
    pub async fn open(config: &ClickHouseConfig) -> Result<Self, StoreError> {
        let server = Client::default()
            .with_url(&config.url)
            .with_user(&config.user)
            .with_password(&config.password);
        schema::migrate(&server, &config.database).await?;
        // ClickHouse batches small inserts itself and answers once they are
        // written, so a 202 still means stored.
        let client = server
            .with_database(&config.database)
            .with_setting("async_insert", "1")
            .with_setting("wait_for_async_insert", "1");
        Ok(Self { client })
    }

    /// Whether ClickHouse answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client.query("SELECT 1").execute().await?;
        Ok(())
    }

    /// Writes a beacon's events: one insert per table that has rows.
    /// Returns the number of rows written.
    pub async fn write(&self, beacon: &Beacon, received_at: OffsetDateTime) -> Result<usize, StoreError> {
        let rows = Rows::from_beacon(beacon, received_at);
        self.insert::<VitalRow>("vitals", &rows.vitals).await?;
        self.insert::<NavigationRow>("navigations", &rows.navigations).await?;
        self.insert::<ResourceRow>("resources", &rows.resources).await?;
        self.insert::<ErrorRow>("errors", &rows.errors).await?;
        self.insert::<AppEventRow>("app_events", &rows.app_events).await?;
        Ok(rows.len())
    }

    /// `R` names the row type; `rows` may borrow from the beacon.
    async fn insert<R: RowWrite>(&self, table: &str, rows: &[R::Value<'_>]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut insert = self.client.insert::<R>(table).await?;
        for row in rows {
            insert.write(row).await?;
        }
        insert.end().await?;
        Ok(())
    }
}
