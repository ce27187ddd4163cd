//! What a page passes to `init` and `registerApp`, checked before use.

use canopy_wire::limits::{check_app_name, MAX_APP_NAME_BYTES};
use serde::Deserialize;

use crate::attribute::RegisteredApp;

const DEFAULT_FLUSH_INTERVAL_MS: u32 = 5_000;
const DEFAULT_MAX_QUEUE_BYTES: u32 = 256 * 1024;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitOptions {
    /// Base URL of the ingest server; beacons go to `{endpoint}/v1/beacon`.
    pub endpoint: String,
    /// The app that owns whatever no registered app claims.
    #[serde(default = "default_shell")]
    pub shell: String,
    #[serde(default)]
    pub flush_interval_ms: Option<u32>,
    #[serde(default)]
    pub max_queue_bytes: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppOptions {
    pub name: String,
    #[serde(default)]
    pub version: String,
    /// Absolute URL prefixes the app's scripts and assets are served under.
    #[serde(default)]
    pub asset_prefixes: Vec<String>,
}

/// `init` options after checking.
#[derive(Debug)]
pub struct Config {
    pub beacon_url: String,
    pub shell: String,
    pub flush_interval_ms: u32,
    pub max_queue_bytes: usize,
}

fn default_shell() -> String {
    "shell".to_owned()
}

impl InitOptions {
    /// Checks the options; `endpoint` must already be an absolute http(s) URL.
    pub fn into_config(self) -> Result<Config, String> {
        let endpoint = self.endpoint.trim_end_matches('/');
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(format!("endpoint must be an absolute http(s) URL, got {:?}", self.endpoint));
        }
        check_app_name(&self.shell).map_err(|why| format!("shell: {why}"))?;
        let flush_interval_ms = self.flush_interval_ms.unwrap_or(DEFAULT_FLUSH_INTERVAL_MS);
        if flush_interval_ms < 100 {
            return Err(format!("flushIntervalMs must be at least 100, got {flush_interval_ms}"));
        }
        let max_queue_bytes = self.max_queue_bytes.unwrap_or(DEFAULT_MAX_QUEUE_BYTES) as usize;
        if max_queue_bytes < canopy_wire::limits::MAX_BEACON_BYTES {
            return Err(format!(
                "maxQueueBytes must be at least {}, got {max_queue_bytes}",
                canopy_wire::limits::MAX_BEACON_BYTES
            ));
        }
        Ok(Config {
            beacon_url: format!("{endpoint}/v1/beacon"),
            shell: self.shell,
            flush_interval_ms,
            max_queue_bytes,
        })
    }
}

impl AppOptions {
    pub fn into_app(self) -> Result<RegisteredApp, String> {
        check_app_name(&self.name)?;
        if self.version.len() > MAX_APP_NAME_BYTES {
            return Err(format!("version is longer than {MAX_APP_NAME_BYTES} characters"));
        }
        if let Some(bad) = self.asset_prefixes.iter().find(|p| !p.contains("://")) {
            return Err(format!("assetPrefixes must be absolute URLs, got {bad:?}"));
        }
        Ok(RegisteredApp { name: self.name, version: self.version, asset_prefixes: self.asset_prefixes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(endpoint: &str) -> InitOptions {
        InitOptions { endpoint: endpoint.into(), shell: default_shell(), flush_interval_ms: None, max_queue_bytes: None }
    }

    #[test]
    fn endpoint_becomes_the_beacon_url() {
        let config = options("http://127.0.0.1:8787/").into_config().unwrap();
        assert_eq!(config.beacon_url, "http://127.0.0.1:8787/v1/beacon");
        assert_eq!(config.flush_interval_ms, DEFAULT_FLUSH_INTERVAL_MS);
    }

    #[test]
    fn bad_options_are_named_in_the_error() {
        assert!(options("/relative").into_config().unwrap_err().contains("endpoint"));
        let tiny_queue = InitOptions { max_queue_bytes: Some(10), ..options("https://x") };
        assert!(tiny_queue.into_config().unwrap_err().contains("maxQueueBytes"));
        let app = AppOptions { name: "cart app!".into(), version: String::new(), asset_prefixes: vec![] };
        assert!(app.into_app().unwrap_err().contains("name"));
        let app = AppOptions { name: "cart".into(), version: "1".into(), asset_prefixes: vec!["/cart/".into()] };
        assert!(app.into_app().unwrap_err().contains("assetPrefixes"));
    }
}
