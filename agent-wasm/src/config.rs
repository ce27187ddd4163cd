//! What a page passes to `init` and `registerApp`, checked before use.

use canopy_wire::concat;
use canopy_wire::limits::{check_app_name, MAX_APP_NAME_BYTES, MAX_BEACON_BYTES};
use wasm_bindgen::JsValue;

use crate::attribute::{caller_prefix, RegisteredApp};
use crate::fields::Fields;
use crate::json;
use crate::text::find;

const DEFAULT_FLUSH_INTERVAL_MS: u32 = 5_000;
const DEFAULT_MAX_QUEUE_BYTES: u32 = 256 * 1024;

/// `init`'s argument, with JS's camelCase field names in `from_js`.
#[derive(Debug)]
pub struct InitOptions {
    /// Base URL of the ingest server; beacons go to `{endpoint}/v1/beacon?key={key}`.
    pub endpoint: String,
    /// The project's public ingest key.
    pub key: String,
    /// The app that owns whatever no registered app claims.
    pub shell: String,
    pub flush_interval_ms: Option<u32>,
    pub max_queue_bytes: Option<u32>,
    /// Query parameters kept in URLs; every other one is scrubbed.
    pub keep_query_params: Vec<String>,
    /// `"summary"` (default) or `"all"`.
    pub resources: Option<String>,
    /// Gzip request bodies where the browser has `CompressionStream`.
    pub compress: bool,
    /// `beforeSend(event)`: returns the event to send (changed or not), or
    /// `null` to drop it.
    pub before_send: Option<js_sys::Function>,
    /// Which statuses make an API call a failure: `"5xx"` (default) or
    /// `"4xx+5xx"`. Read by the npm package's wrappers; checked here.
    pub api_error_statuses: Option<String>,
    /// Origins whose API calls get a W3C `traceparent` header.
    pub trace_propagation_targets: Vec<String>,
}

/// `registerApp`'s argument.
#[derive(Debug)]
pub struct AppOptions {
    pub name: String,
    pub version: String,
    /// Absolute URL prefixes the app's scripts and assets are served under.
    pub asset_prefixes: Vec<String>,
    pub health_check: String,
    pub dependencies: Vec<String>,
    /// Alert rules the app asks for, as JSON text (the server decides).
    pub rules: String,
    /// Share of sessions the app reports from.
    pub sample_rate: f64,
    /// Attributes stored with every event of the app.
    pub attributes: canopy_wire::Attrs,
    /// The call stack of `registerApp`, passed by the npm package: where the
    /// app's bundle is served when `assetPrefixes` is not given.
    pub stack: String,
}

/// What a registration tells the server besides the app itself.
#[derive(Debug, Default, PartialEq)]
pub struct Declaration {
    pub health_check: String,
    pub dependencies: Vec<String>,
    pub rules: String,
}

/// `init` options after checking.
#[derive(Debug)]
pub struct Config {
    pub beacon_url: String,
    pub shell: String,
    pub flush_interval_ms: u32,
    pub max_queue_bytes: usize,
    pub keep_query_params: Vec<String>,
    /// Send every resource, not a summary per app and the slowest few.
    pub all_resources: bool,
    pub compress: bool,
    pub before_send: Option<js_sys::Function>,
}

fn default_shell() -> String {
    "shell".to_owned()
}

impl InitOptions {
    /// Reads the options object, checking each field's type (in the order listed).
    pub fn from_js(value: &JsValue) -> Result<Self, String> {
        let mut fields = Fields::read(
            value,
            "options",
            "Sendpoint Skey sshell wflushIntervalMs wmaxQueueBytes lkeepQueryParams sresources bcompress fbeforeSend \
             sapiErrorStatuses ltracePropagationTargets",
        )?;
        Ok(Self {
            endpoint: fields.string().unwrap_or_default(),
            key: fields.string().unwrap_or_default(),
            shell: fields.string().unwrap_or_else(default_shell),
            flush_interval_ms: fields.number().map(|ms| ms as u32),
            max_queue_bytes: fields.number().map(|bytes| bytes as u32),
            keep_query_params: fields.strings().unwrap_or_default(),
            resources: fields.string(),
            compress: fields.boolean().unwrap_or(false),
            before_send: fields.function(),
            api_error_statuses: fields.string(),
            trace_propagation_targets: fields.strings().unwrap_or_default(),
        })
    }

    /// Checks the options; `endpoint` must already be an absolute http(s) URL.
    pub fn into_config(self) -> Result<Config, String> {
        let endpoint = self.endpoint.trim_end_matches('/');
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(concat(&[
                "endpoint must be an absolute http(s) URL, got \"",
                &self.endpoint,
                "\"",
            ]));
        }
        if self.key.len() < 8
            || !self
                .key
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return Err(concat(&[
                "key must be at least 8 letters, digits, '-' or '_', got \"",
                &self.key,
                "\"",
            ]));
        }
        check_app_name(&self.shell).map_err(|why| concat(&["shell: ", &why]))?;
        let flush_interval_ms = self.flush_interval_ms.unwrap_or(DEFAULT_FLUSH_INTERVAL_MS);
        if flush_interval_ms < 100 {
            return Err(concat(&[
                "flushIntervalMs must be at least 100, got ",
                &json::decimal(flush_interval_ms.into()),
            ]));
        }
        let max_queue_bytes = self.max_queue_bytes.unwrap_or(DEFAULT_MAX_QUEUE_BYTES) as usize;
        if max_queue_bytes < MAX_BEACON_BYTES {
            let (min, got) = (
                json::decimal(MAX_BEACON_BYTES as u64),
                json::decimal(max_queue_bytes as u64),
            );
            return Err(concat(&[
                "maxQueueBytes must be at least ",
                &min,
                ", got ",
                &got,
            ]));
        }
        let all_resources = match self.resources.as_deref() {
            None | Some("summary") => false,
            Some("all") => true,
            Some(other) => {
                return Err(concat(&[
                    "resources must be \"summary\" or \"all\", got \"",
                    other,
                    "\"",
                ]))
            }
        };
        if let Some(statuses) = self.api_error_statuses.as_deref() {
            if statuses != "5xx" && statuses != "4xx+5xx" {
                return Err(concat(&[
                    "apiErrorStatuses must be \"5xx\" or \"4xx+5xx\", got \"",
                    statuses,
                    "\"",
                ]));
            }
        }
        if let Some(target) = (self.trace_propagation_targets.iter()).find(|t| !is_origin(t)) {
            return Err(concat(&[
                "tracePropagationTargets must list origins like \"https://api.example.com\" (no path), got \"",
                target,
                "\"",
            ]));
        }
        Ok(Config {
            beacon_url: concat(&[endpoint, "/v1/beacon?key=", &self.key]),
            shell: self.shell,
            flush_interval_ms,
            max_queue_bytes,
            keep_query_params: self.keep_query_params,
            all_resources,
            compress: self.compress,
            before_send: self.before_send,
        })
    }
}

/// `scheme://host[:port]` of http(s); the package compares it as `URL.origin`
/// writes it, so case and a default port do not matter.
fn is_origin(text: &str) -> bool {
    let text = text.as_bytes();
    // Longer than the prefix: a host follows.
    let scheme = |prefix: &[u8]| {
        text.len() > prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    let host = if scheme(b"https://") {
        &text[8..]
    } else if scheme(b"http://") {
        &text[7..]
    } else {
        return false;
    };
    !(host.iter()).any(|c| matches!(c, b'/' | b'?' | b'#' | b'@' | b' '))
}

impl AppOptions {
    /// Reads the registration object, checking each field's type.
    pub fn from_js(value: &JsValue) -> Result<Self, String> {
        let mut fields = Fields::read(
            value,
            "the app",
            "Sname sversion lassetPrefixes shealthCheck ldependencies jrules rsampleRate aattributes sstack",
        )?;
        Ok(Self {
            name: fields.string().unwrap_or_default(),
            version: fields.string().unwrap_or_default(),
            asset_prefixes: fields.strings().unwrap_or_default(),
            health_check: fields.string().unwrap_or_default(),
            dependencies: fields.strings().unwrap_or_default(),
            rules: fields.string().unwrap_or_default(),
            sample_rate: fields.number().unwrap_or(1.0),
            attributes: fields.attrs(),
            stack: fields.string().unwrap_or_default(),
        })
    }

    pub fn into_app(self) -> Result<(RegisteredApp, Declaration), String> {
        check_app_name(&self.name)?;
        if self.version.len() > MAX_APP_NAME_BYTES {
            return Err(concat(&[
                "version is longer than ",
                &json::decimal(MAX_APP_NAME_BYTES as u64),
                " characters",
            ]));
        }
        if let Some(bad) = self
            .asset_prefixes
            .iter()
            .find(|p| find(p, "://").is_none())
        {
            return Err(concat(&[
                "assetPrefixes must be absolute URLs, got \"",
                bad,
                "\"",
            ]));
        }
        let health_check = &self.health_check;
        if !(health_check.is_empty()
            || health_check.starts_with("https://")
            || health_check.starts_with("http://"))
        {
            return Err(concat(&[
                "healthCheck must be an absolute http(s) URL, got \"",
                health_check,
                "\"",
            ]));
        }
        for dependency in &self.dependencies {
            check_app_name(dependency).map_err(|why| concat(&["dependencies: ", &why]))?;
        }
        let mut asset_prefixes = self.asset_prefixes;
        if asset_prefixes.is_empty() {
            asset_prefixes.extend(caller_prefix(&crate::stack::parse(&self.stack)));
        }
        let declaration = Declaration {
            health_check: self.health_check,
            dependencies: self.dependencies,
            rules: self.rules,
        };
        let app = RegisteredApp {
            name: self.name,
            version: self.version,
            asset_prefixes,
            sample_rate: self.sample_rate,
            attrs: self.attributes,
        };
        Ok((app, declaration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(endpoint: &str) -> InitOptions {
        InitOptions {
            endpoint: endpoint.into(),
            key: "test-key-1".into(),
            shell: default_shell(),
            flush_interval_ms: None,
            max_queue_bytes: None,
            keep_query_params: vec![],
            resources: None,
            compress: false,
            before_send: None,
            api_error_statuses: None,
            trace_propagation_targets: vec![],
        }
    }

    #[test]
    fn api_options_are_checked() {
        let api = |statuses: &str, target: &str| {
            InitOptions {
                api_error_statuses: Some(statuses.into()),
                trace_propagation_targets: vec![target.into()],
                ..options("https://x")
            }
            .into_config()
        };
        assert!(api("4xx+5xx", "https://api.example.com").is_ok());
        assert!(api("5xx", "http://127.0.0.1:8080").is_ok());
        assert!(api("5xx", "HTTPS://API.example.com:443").is_ok());
        assert!(api("4xx", "https://api.example.com")
            .unwrap_err()
            .starts_with("apiErrorStatuses must be"));
        for target in [
            "https://api.example.com/v1",
            "api.example.com",
            "https://",
            "https://a?b",
        ] {
            let error = api("5xx", target).unwrap_err();
            assert!(
                error.starts_with("tracePropagationTargets must"),
                "{target}: {error}"
            );
        }
    }

    #[test]
    fn endpoint_becomes_the_beacon_url() {
        let config = options("http://127.0.0.1:8787/").into_config().unwrap();
        assert_eq!(
            config.beacon_url,
            "http://127.0.0.1:8787/v1/beacon?key=test-key-1"
        );
        assert_eq!(config.flush_interval_ms, DEFAULT_FLUSH_INTERVAL_MS);
    }

    #[test]
    fn bad_options_are_named_in_the_error() {
        assert!(options("/relative")
            .into_config()
            .unwrap_err()
            .contains("endpoint"));
        let tiny_queue = InitOptions {
            max_queue_bytes: Some(10),
            ..options("https://x")
        };
        assert_eq!(
            tiny_queue.into_config().unwrap_err(),
            "maxQueueBytes must be at least 60000, got 10"
        );
        let bad_key = InitOptions {
            key: "k y".into(),
            ..options("https://x")
        };
        assert!(bad_key
            .into_config()
            .unwrap_err()
            .starts_with("key must be"));
        let app = |edit: fn(&mut AppOptions)| {
            let mut app = AppOptions {
                name: "cart".into(),
                version: "1".into(),
                asset_prefixes: vec!["https://cdn.example/cart/".into()],
                health_check: "https://cdn.example/cart/health".into(),
                dependencies: vec!["catalog".into()],
                rules: String::new(),
                sample_rate: 1.0,
                attributes: Default::default(),
                stack: String::new(),
            };
            edit(&mut app);
            app.into_app()
        };
        let (registered, declared) = app(|_| {}).unwrap();
        assert_eq!(registered.name, "cart");
        assert_eq!(declared.dependencies, ["catalog"]);
        assert!(app(|a| a.name = "cart app!".into())
            .unwrap_err()
            .contains("name"));
        assert!(app(|a| a.asset_prefixes = vec!["/cart/".into()])
            .unwrap_err()
            .contains("assetPrefixes"));
        assert!(app(|a| a.health_check = "/health".into())
            .unwrap_err()
            .starts_with("healthCheck"));
        assert!(app(|a| a.dependencies = vec!["no way".into()])
            .unwrap_err()
            .starts_with("dependencies"));
        let resources = InitOptions {
            resources: Some("some".into()),
            ..options("https://x")
        };
        assert_eq!(
            resources.into_config().unwrap_err(),
            r#"resources must be "summary" or "all", got "some""#
        );
    }

    #[test]
    fn asset_prefixes_default_to_the_calling_bundles_directory() {
        let app = AppOptions {
            name: "cart".into(),
            version: String::new(),
            asset_prefixes: vec![],
            health_check: String::new(),
            dependencies: vec![],
            rules: String::new(),
            sample_rate: 1.0,
            attributes: Default::default(),
            stack: "Error\n    at registerApp (https://cdn.example/cart/v2/main.js?x=1:9:9)".into(),
        };
        assert_eq!(
            app.into_app().unwrap().0.asset_prefixes,
            ["https://cdn.example/cart/v2/"]
        );
    }
}
