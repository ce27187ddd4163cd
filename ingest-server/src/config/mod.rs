//! Server configuration: a TOML file, overridden by environment variables,
//! overridden by command-line flags; checked at startup with messages that
//! name the offending setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

mod alerting;
pub mod channels;
mod commands;
pub mod secret;
mod sourcemaps;
pub use alerting::{AlertingConfig, Role};
pub use commands::{Command, SourcemapsCommand, UploadArgs};
pub use sourcemaps::SourcemapsConfig;

/// Everything an operator can set. Field names are the TOML keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub listen: SocketAddr,
    pub http: HttpConfig,
    pub clickhouse: ClickHouseConfig,
    pub limits: Limits,
    pub rate_limits: RateLimits,
    pub spool: SpoolConfig,
    pub writer: WriterConfig,
    /// Who may send beacons: one entry per public ingest key.
    pub projects: Vec<Project>,
    pub alerting: AlertingConfig,
    pub dashboard: DashboardConfig,
    pub tls: TlsConfig,
    pub sourcemaps: SourcemapsConfig,
    /// Errors not to store (`[[ignore]]`, README "Ignore rules"): each
    /// matched error is dropped on receipt and counted.
    pub ignore: Vec<crate::model::ignore::IgnoreRule>,
}

/// Limits on HTTP connections, so slow or idle clients cannot hold them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Longest a client may take to send a request's head, counted from
    /// when the server waits for it (so also bounds a kept-alive connection
    /// between requests).
    #[serde(with = "humantime_serde")]
    pub header_timeout: Duration,
    /// Longest a client may take to send a request's body, from its head.
    #[serde(with = "humantime_serde")]
    pub body_timeout: Duration,
    /// A connection that moved no byte and had no request in progress for
    /// this long is closed.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1_000,
        }
    }
}

/// TLS of outbound connections: ClickHouse, notification channels, health
/// probes, SMTP. Servers are verified against Mozilla's roots (bundled).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM file of CA certificates trusted as well, for a private CA.
    pub ca_file: Option<PathBuf>,
}

/// The built-in dashboard served at `/dashboard`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// Directory of the built front end (`scripts/build` writes `dashboard/dist`).
    pub dir: PathBuf,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        // The build output in this checkout: right for development; a
        // deployment sets its own path.
        Self {
            dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../dashboard/dist")),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClickHouseConfig {
    pub url: String,
    pub user: String,
    pub password: String,
    /// Database holding Canopy's tables; created if missing.
    pub database: String,
    /// Cluster name: when set, each table is a local table on every node
    /// behind a Distributed one (see ARCHITECTURE.md, docs/SCALING.md).
    pub cluster: Option<String>,
    /// With a cluster: `ReplicatedMergeTree` tables and DDL `ON CLUSTER`
    /// (needs Keeper), or, when false, `MergeTree` shards migrated node by node.
    pub replicated: bool,
    /// With `replicated = false`: every node's HTTP URL, one per shard, where
    /// the migrations run (ClickHouse runs no `ON CLUSTER` DDL without Keeper).
    pub nodes: Vec<String>,
    /// Days raw events are kept (a TTL on every event table).
    pub retention_days: u32,
    /// Days the per-minute rollups are kept: longer than raw events, so
    /// dashboards over months still work (see docs/QUERIES.md).
    pub rollup_retention_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body accepted as sent (compressed or not), in bytes.
    pub max_body_bytes: usize,
    /// Largest body after decompression, in bytes: stops compression bombs.
    pub max_decompressed_bytes: usize,
    /// Largest a beacon may be once stored (its write-ahead log record: the
    /// RowBinary rows, each repeating the page URL and its app's attributes).
    pub max_stored_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// Beacons per second one ingest key may send, sustained, and in a burst.
    pub per_key_per_second: u32,
    pub per_key_burst: u32,
    /// Beacons per second one client IP may send, sustained, and in a burst.
    pub per_ip_per_second: u32,
    pub per_ip_burst: u32,
    /// Stored bytes (see `limits.max_stored_bytes`) per second one ingest key
    /// may add to the log, sustained, and in a burst.
    pub per_key_stored_bytes_per_second: u32,
    pub per_key_stored_bytes_burst: u32,
    /// Stored bytes per second one client IP may add to the log, sustained,
    /// and in a burst.
    pub per_ip_stored_bytes_per_second: u32,
    pub per_ip_stored_bytes_burst: u32,
    /// Take the client IP from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpoolConfig {
    /// Directory of the write-ahead log.
    pub dir: PathBuf,
    /// Disk the log may use before new beacons are refused with 503.
    pub max_disk_bytes: u64,
    /// Size at which a log segment is closed and a new one begun.
    pub segment_bytes: u64,
    /// Beacons waiting for the log writer before new ones get 503.
    pub queue_depth: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WriterConfig {
    /// Rows per ClickHouse insert, at most (one beacon's rows are never split).
    pub batch_rows: usize,
    /// RowBinary bytes per ClickHouse insert, at most (likewise): bounds the
    /// memory of an insert here and in ClickHouse whatever the rows hold.
    pub batch_bytes: usize,
    /// Longest a logged beacon waits before its batch is inserted, in ms.
    pub batch_interval_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub name: String,
    /// The public ingest key pages send as `?key=`.
    pub key: String,
    /// Page origins allowed to send with this key: exact (`https://shop.example`),
    /// a subdomain wildcard (`https://*.shop.example`) or `*` for any.
    pub origins: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            http: HttpConfig::default(),
            clickhouse: ClickHouseConfig::default(),
            limits: Limits::default(),
            rate_limits: RateLimits::default(),
            spool: SpoolConfig::default(),
            writer: WriterConfig::default(),
            projects: Vec::new(),
            alerting: AlertingConfig::default(),
            dashboard: DashboardConfig::default(),
            tls: TlsConfig::default(),
            sourcemaps: SourcemapsConfig::default(),
            ignore: Vec::new(),
        }
    }
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8123".into(),
            user: "default".into(),
            password: String::new(),
            database: "canopy".into(),
            cluster: None,
            replicated: true,
            nodes: Vec::new(),
            retention_days: 30,
            rollup_retention_days: 395,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_decompressed_bytes: 256 * 1024,
            max_stored_bytes: 1 << 20,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_key_per_second: 2_000,
            per_key_burst: 4_000,
            per_ip_per_second: 20,
            per_ip_burst: 60,
            per_key_stored_bytes_per_second: 16 << 20,
            per_key_stored_bytes_burst: 64 << 20,
            per_ip_stored_bytes_per_second: 512 << 10,
            per_ip_stored_bytes_burst: 4 << 20,
            trust_forwarded_for: false,
        }
    }
}

impl Default for SpoolConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("canopy-spool"),
            max_disk_bytes: 1 << 30,
            segment_bytes: 16 << 20,
            queue_depth: 4_096,
        }
    }
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            batch_rows: 10_000,
            batch_bytes: 32 << 20,
            batch_interval_ms: 1_000,
        }
    }
}

/// Command-line flags; each also reads an environment variable and, when
/// given, overrides the file.
#[derive(Debug, Default, Parser)]
#[command(
    name = "canopy-ingest",
    version,
    about = "Receives Canopy beacons and stores them in ClickHouse."
)]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, env = "CANOPY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8787].
    #[arg(long, env = "CANOPY_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// ClickHouse HTTP interface [default: http://127.0.0.1:8123].
    #[arg(long, env = "CLICKHOUSE_URL")]
    pub clickhouse_url: Option<String>,
    #[arg(long, env = "CLICKHOUSE_USER")]
    pub clickhouse_user: Option<String>,
    #[arg(long, env = "CLICKHOUSE_PASSWORD", hide_env_values = true)]
    pub clickhouse_password: Option<String>,
    /// [default: canopy]
    #[arg(long, env = "CLICKHOUSE_DATABASE")]
    pub clickhouse_database: Option<String>,
    /// Write-ahead log directory [default: canopy-spool].
    #[arg(long, env = "CANOPY_SPOOL_DIR")]
    pub spool_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("{setting}: {problem}")]
    Invalid { setting: String, problem: String },
}

fn invalid(setting: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.into(),
        problem: problem.into(),
    }
}

impl Settings {
    /// Reads the file named by the flags (if any), applies the flags, checks.
    pub fn load(cli: Cli) -> Result<Self, ConfigError> {
        let mut settings = match &cli.config {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        settings.apply(cli);
        settings.check()?;
        Ok(settings)
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.into(),
            source: Box::new(source),
        })
    }

    fn apply(&mut self, cli: Cli) {
        let clickhouse = &mut self.clickhouse;
        self.listen = cli.listen.unwrap_or(self.listen);
        override_with(&mut clickhouse.url, cli.clickhouse_url);
        override_with(&mut clickhouse.user, cli.clickhouse_user);
        override_with(&mut clickhouse.password, cli.clickhouse_password);
        override_with(&mut clickhouse.database, cli.clickhouse_database);
        override_with(&mut self.spool.dir, cli.spool_dir);
    }

    /// Refuses settings that cannot work, naming the setting.
    pub fn check(&self) -> Result<(), ConfigError> {
        let clickhouse = &self.clickhouse;
        if !is_http_url(&clickhouse.url) {
            return Err(invalid(
                "clickhouse.url",
                format!("must be an http(s) URL, got {:?}", clickhouse.url),
            ));
        }
        check_identifier("clickhouse.database", &clickhouse.database)?;
        check_cluster(clickhouse)?;
        if clickhouse.rollup_retention_days == 0 {
            return Err(invalid(
                "clickhouse.rollup_retention_days",
                "must be at least 1",
            ));
        }
        if clickhouse.retention_days == 0 {
            return Err(invalid("clickhouse.retention_days", "must be at least 1"));
        }
        if self.limits.max_body_bytes < 1024
            || self.limits.max_decompressed_bytes < self.limits.max_body_bytes
        {
            return Err(invalid(
                "limits",
                "max_body_bytes must be at least 1024 and max_decompressed_bytes at least max_body_bytes",
            ));
        }
        if self.limits.max_stored_bytes < 1024 {
            return Err(invalid("limits.max_stored_bytes", "must be at least 1024"));
        }
        let rates = &self.rate_limits;
        for (name, value) in [
            ("per_key_per_second", rates.per_key_per_second),
            ("per_key_burst", rates.per_key_burst),
            ("per_ip_per_second", rates.per_ip_per_second),
            ("per_ip_burst", rates.per_ip_burst),
            (
                "per_key_stored_bytes_per_second",
                rates.per_key_stored_bytes_per_second,
            ),
            (
                "per_ip_stored_bytes_per_second",
                rates.per_ip_stored_bytes_per_second,
            ),
        ] {
            if value == 0 {
                return Err(invalid(format!("rate_limits.{name}"), "must be at least 1"));
            }
        }
        // A beacon is charged whole: a burst smaller than the largest beacon
        // would refuse that beacon for ever.
        for (name, burst) in [
            (
                "per_key_stored_bytes_burst",
                rates.per_key_stored_bytes_burst,
            ),
            ("per_ip_stored_bytes_burst", rates.per_ip_stored_bytes_burst),
        ] {
            if (burst as usize) < self.limits.max_stored_bytes {
                return Err(invalid(
                    format!("rate_limits.{name}"),
                    format!(
                        "must be at least limits.max_stored_bytes ({}), got {burst}",
                        self.limits.max_stored_bytes
                    ),
                ));
            }
        }
        if self.spool.segment_bytes < 4096
            || self.spool.max_disk_bytes < 2 * self.spool.segment_bytes
        {
            return Err(invalid(
                "spool",
                "segment_bytes must be at least 4096 and max_disk_bytes at least twice that",
            ));
        }
        for (name, value) in [
            ("http.header_timeout", self.http.header_timeout),
            ("http.body_timeout", self.http.body_timeout),
            ("http.idle_timeout", self.http.idle_timeout),
        ] {
            if value < Duration::from_millis(100) {
                return Err(invalid(name, "must be at least 100ms"));
            }
        }
        for (name, value) in [
            ("http.max_connections", self.http.max_connections),
            ("spool.queue_depth", self.spool.queue_depth),
            ("writer.batch_rows", self.writer.batch_rows),
            ("writer.batch_bytes", self.writer.batch_bytes),
        ] {
            if value == 0 {
                return Err(invalid(name, "must be at least 1"));
            }
        }
        if self.writer.batch_interval_ms == 0 {
            return Err(invalid("writer.batch_interval_ms", "must be at least 1"));
        }
        self.check_projects()?;
        for (index, rule) in self.ignore.iter().enumerate() {
            rule.check()
                .map_err(|problem| invalid(format!("ignore[{index}]"), problem))?;
        }
        self.tls()?;
        self.sourcemaps.check()?;
        self.alerting.check()
    }

    /// The roots outbound connections trust (a bad `tls.ca_file` is named).
    pub fn tls(&self) -> Result<crate::tls::Tls, ConfigError> {
        crate::tls::Tls::load(self.tls.ca_file.as_deref())
            .map_err(|error| invalid("tls.ca_file", error.to_string()))
    }

    fn check_projects(&self) -> Result<(), ConfigError> {
        let mut keys = std::collections::HashSet::new();
        for (index, project) in self.projects.iter().enumerate() {
            let setting = |field: &str| format!("projects[{index}] ({}).{field}", project.name);
            if project.key.len() < 8
                || !project
                    .key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(
                    setting("key"),
                    "must be at least 8 letters, digits, '-' or '_'",
                ));
            }
            if !keys.insert(&project.key) {
                return Err(invalid(setting("key"), "is used by another project"));
            }
            if project.origins.is_empty() {
                return Err(invalid(
                    setting("origins"),
                    "must list at least one origin (or \"*\")",
                ));
            }
            if let Some(bad) = project
                .origins
                .iter()
                .find(|o| !crate::model::origin::is_origin_pattern(o))
            {
                return Err(invalid(
                    setting("origins"),
                    format!("{bad:?} is not an origin like \"https://shop.example\", \"https://*.shop.example\" or \"*\""),
                ));
            }
        }
        Ok(())
    }
}

fn override_with<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

/// A cluster's name, and its nodes exactly when they are migrated one by one.
fn check_cluster(clickhouse: &ClickHouseConfig) -> Result<(), ConfigError> {
    let Some(cluster) = &clickhouse.cluster else {
        if !clickhouse.replicated || !clickhouse.nodes.is_empty() {
            return Err(invalid(
                "clickhouse.cluster",
                "must be set with clickhouse.replicated = false or clickhouse.nodes",
            ));
        }
        return Ok(());
    };
    check_identifier("clickhouse.cluster", cluster)?;
    match (clickhouse.replicated, clickhouse.nodes.is_empty()) {
        (true, false) => Err(invalid(
            "clickhouse.nodes",
            "only with clickhouse.replicated = false (a replicated cluster runs its DDL ON CLUSTER)",
        )),
        (false, true) => Err(invalid(
            "clickhouse.nodes",
            "must list every node's HTTP URL with clickhouse.replicated = false",
        )),
        _ => match clickhouse.nodes.iter().find(|url| !is_http_url(url)) {
            Some(url) => Err(invalid(
                "clickhouse.nodes",
                format!("must be http(s) URLs, got {url:?}"),
            )),
            None => Ok(()),
        },
    }
}

fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

fn check_identifier(setting: &str, name: &str) -> Result<(), ConfigError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(invalid(
            setting,
            format!("may hold only letters, digits and '_', got {name:?}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
