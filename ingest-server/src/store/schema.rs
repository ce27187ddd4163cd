//! Versioned, idempotent migrations, applied at startup.
//!
//! Each migration is a file of `;`-separated statements written to be safe to
//! run twice (`IF NOT EXISTS`), so two servers starting at once cannot break
//! each other. Applied versions are recorded in `schema_migrations`.

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use super::StoreError;

struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] =
    &[Migration { version: 1, name: "event tables", sql: include_str!("migrations/001_event_tables.sql") }];

#[derive(Row, Serialize, Deserialize)]
struct AppliedMigration {
    version: u32,
    name: String,
}

/// Creates the database if needed and applies every migration not yet applied.
/// Returns the versions it applied.
pub async fn migrate(server: &Client, database: &str) -> Result<Vec<u32>, StoreError> {
    server.query(&format!("CREATE DATABASE IF NOT EXISTS `{database}`")).execute().await?;
    let client = server.clone().with_database(database);
    client
        .query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, \
             applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY version",
        )
        .execute()
        .await?;
    let applied: Vec<u32> = client.query("SELECT DISTINCT version FROM schema_migrations").fetch_all().await?;
    let mut newly_applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        for statement in statements(migration.sql) {
            client.query(statement).execute().await.map_err(|source| StoreError::Migration {
                version: migration.version,
                name: migration.name,
                source,
            })?;
        }
        let mut insert = client.insert::<AppliedMigration>("schema_migrations").await?;
        insert.write(&AppliedMigration { version: migration.version, name: migration.name.to_owned() }).await?;
        insert.end().await?;
        newly_applied.push(migration.version);
    }
    Ok(newly_applied)
}

/// The statements of a migration file, without comments or blanks.
fn statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(';').map(str::trim).filter(|statement| {
        statement.lines().any(|line| {
            let line = line.trim();
            !line.is_empty() && !line.starts_with("--")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_ordered_and_split_into_statements() {
        assert!(MIGRATIONS.windows(2).all(|pair| pair[0].version < pair[1].version));
        let tables: Vec<_> = statements(MIGRATIONS[0].sql).collect();
        assert_eq!(tables.len(), 5);
        assert!(tables.iter().all(|s| s.contains("CREATE TABLE IF NOT EXISTS")));
    }
}
