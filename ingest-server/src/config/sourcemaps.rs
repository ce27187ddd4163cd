//! `[sourcemaps]`: who may upload source maps, how large and how many, and
//! how much memory parsed maps may take (see README.md, "Source maps").

use serde::Deserialize;

use super::secret::Secret;
use super::{invalid, ConfigError};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcemapsConfig {
    /// Bearer token of `POST /v1/sourcemaps` (`env:NAME`, `file:/path` or the
    /// value). Unset: uploads are refused (403).
    pub upload_token: Option<Secret>,
    /// Largest map accepted, in bytes (413 past it).
    pub max_map_bytes: usize,
    /// Files one app version may have maps for (409 past it; a re-upload
    /// of a file replaces it and counts once).
    pub max_files_per_version: u32,
    /// Versions one app may have maps for (409 past it).
    pub max_versions_per_app: u32,
    /// Memory for parsed maps, in bytes of their JSON (least recently used
    /// dropped first). At least twice `max_map_bytes`: the cache refuses
    /// an item that would take nearly all of it, and a refused map would be
    /// read and parsed again for every frame.
    pub cache_bytes: u64,
}

impl Default for SourcemapsConfig {
    fn default() -> Self {
        Self {
            upload_token: None,
            max_map_bytes: 32 << 20,
            max_files_per_version: 500,
            max_versions_per_app: 50,
            cache_bytes: 256 << 20,
        }
    }
}

impl SourcemapsConfig {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if let Some(token) = &self.upload_token {
            token
                .check()
                .map_err(|problem| invalid("sourcemaps.upload_token", problem))?;
            if token.expose().len() < 16 {
                return Err(invalid(
                    "sourcemaps.upload_token",
                    "must be at least 16 characters",
                ));
            }
        }
        if self.max_map_bytes < 1024 {
            return Err(invalid("sourcemaps.max_map_bytes", "must be at least 1024"));
        }
        for (name, value) in [
            ("max_files_per_version", self.max_files_per_version),
            ("max_versions_per_app", self.max_versions_per_app),
        ] {
            if value == 0 {
                return Err(invalid(format!("sourcemaps.{name}"), "must be at least 1"));
            }
        }
        if self.cache_bytes < 2 * self.max_map_bytes as u64 {
            return Err(invalid(
                "sourcemaps.cache_bytes",
                format!(
                    "must be at least twice sourcemaps.max_map_bytes ({})",
                    self.max_map_bytes
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_name_the_setting() {
        let cases = [
            (
                "upload_token = \"short\"",
                "sourcemaps.upload_token: must be at least 16",
            ),
            (
                "upload_token = \"env:CANOPY_TEST_UNSET_UPLOAD\"",
                "sourcemaps.upload_token: environment variable CANOPY_TEST_UNSET_UPLOAD is not set",
            ),
            ("max_map_bytes = 10", "sourcemaps.max_map_bytes"),
            (
                "max_files_per_version = 0",
                "sourcemaps.max_files_per_version",
            ),
            (
                "max_versions_per_app = 0",
                "sourcemaps.max_versions_per_app",
            ),
            (
                "cache_bytes = 2048",
                "sourcemaps.cache_bytes: must be at least twice sourcemaps.max_map_bytes",
            ),
        ];
        for (text, setting) in cases {
            let config: SourcemapsConfig = toml::from_str(text).unwrap();
            let error = config.check().unwrap_err();
            assert!(error.to_string().starts_with(setting), "{error}");
        }
        let good: SourcemapsConfig = toml::from_str("upload_token = \"0123456789abcdef\"").unwrap();
        good.check().unwrap();
    }
}
