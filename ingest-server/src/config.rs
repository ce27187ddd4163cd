//! Server configuration: command-line flags, each also settable by environment.

use std::net::SocketAddr;

use clap::{Args, Parser};

#[derive(Debug, Parser)]
#[command(name = "canopy-ingest", version, about = "Receives Canopy beacons and stores them in ClickHouse.")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CANOPY_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub clickhouse: ClickHouseConfig,

    #[command(flatten)]
    pub limits: Limits,
}

#[derive(Debug, Clone, Args)]
pub struct ClickHouseConfig {
    /// ClickHouse HTTP interface.
    #[arg(long = "clickhouse-url", env = "CLICKHOUSE_URL", default_value = "http://127.0.0.1:8123")]
    pub url: String,
    #[arg(long = "clickhouse-user", env = "CLICKHOUSE_USER", default_value = "default")]
    pub user: String,
    #[arg(long = "clickhouse-password", env = "CLICKHOUSE_PASSWORD", default_value = "", hide_env_values = true)]
    pub password: String,
    /// Database holding Canopy's tables; created if missing.
    #[arg(long = "clickhouse-database", env = "CLICKHOUSE_DATABASE", default_value = "canopy")]
    pub database: String,
}

#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "CANOPY_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,
}

impl ClickHouseConfig {
    /// Refuses settings that cannot work, naming the setting.
    pub fn check(&self) -> Result<(), String> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(format!("--clickhouse-url must be an http(s) URL, got {:?}", self.url));
        }
        let valid_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
        if self.database.is_empty() || !self.database.chars().all(valid_name) {
            return Err(format!(
                "--clickhouse-database may hold only letters, digits and '_', got {:?}",
                self.database
            ));
        }
        Ok(())
    }
}
