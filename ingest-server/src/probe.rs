//! Probe: request each registered app's health-check URL on an interval and
//! store status and latency (`probes`), the source of `probe_availability`
//! and `response_time`.
//!
//! Health-check URLs arrive in registrations from browsers, so only URLs
//! whose origin `alerting.probe_origins` allows are requested, with redirects
//! off (a redirect could lead anywhere): the server is nobody's request forger.

use std::sync::Arc;
use std::time::Instant;

use time::OffsetDateTime;
use tokio::sync::watch;

use crate::config::AlertingConfig;
use crate::model::origin::OriginAllowList;
use crate::model::REGISTRATION_HORIZON;
use crate::store::alerting::ProbeRecord;
use crate::store::Store;
use crate::tls::{describe_request_error, Tls, TlsError};

pub struct Prober {
    store: Arc<Store>,
    http: reqwest::Client,
    allowed: OriginAllowList,
    config: AlertingConfig,
    /// Whether this evaluator probes now: only the evaluator lease's holder
    /// does, so probes are not stored twice.
    active: Arc<dyn Fn() -> bool + Send + Sync>,
}

impl Prober {
    pub fn new(
        store: Arc<Store>,
        config: AlertingConfig,
        tls: &Tls,
        active: Arc<dyn Fn() -> bool + Send + Sync>,
    ) -> Result<Self, TlsError> {
        let http = tls
            .http()
            .timeout(config.probe_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            store,
            http,
            allowed: OriginAllowList::new(&config.probe_origins),
            config,
            active,
        })
    }

    pub async fn run(self, stop: watch::Receiver<bool>) {
        crate::clock::every(self.config.probe_interval, stop, || async {
            if !(self.active)() {
                return;
            }
            if let Err(error) = self.probe_all().await {
                tracing::warn!(%error, "health probes failed");
            }
        })
        .await;
    }

    /// Probes every allowed health check once, concurrently.
    pub async fn probe_all(&self) -> Result<usize, crate::store::StoreError> {
        let registrations = self.store.registrations(REGISTRATION_HORIZON).await?;
        let targets: Vec<(String, String)> = registrations
            .into_iter()
            .filter(|r| !r.health_check.is_empty())
            .filter(|r| {
                let allowed = self.is_allowed(&r.health_check);
                if !allowed {
                    tracing::debug!(app = %r.app, url = %r.health_check, "health check not in alerting.probe_origins; not probed");
                }
                allowed
            })
            .map(|r| (r.app, r.health_check))
            .collect();
        let probes = targets.into_iter().map(|(app, url)| self.probe(app, url));
        let records = futures_util::future::join_all(probes).await;
        self.store.log_probes(&records).await?;
        Ok(records.len())
    }

    fn is_allowed(&self, url: &str) -> bool {
        reqwest::Url::parse(url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .is_some_and(|url| {
                self.allowed.allows(&url.origin().ascii_serialization()) == Some(true)
            })
    }

    async fn probe(&self, app: String, url: String) -> ProbeRecord {
        let at = OffsetDateTime::now_utc();
        let started = Instant::now();
        let (ok, status, error) = match self.http.get(&url).send().await {
            Ok(response) => {
                let status = response.status();
                (
                    status.is_success(),
                    status.as_u16(),
                    if status.is_success() {
                        String::new()
                    } else {
                        format!("HTTP {status}")
                    },
                )
            }
            Err(error) => (false, 0, describe_request_error(error)),
        };
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        ProbeRecord {
            at,
            app,
            url,
            ok: u8::from(ok),
            status,
            latency_ms,
            error,
        }
    }
}
