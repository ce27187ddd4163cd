//! Canopy's ingest server.
//!
//! The flow, one module per step: [`receive`] takes beacons over HTTP,
//! [`validate`] checks them against the shared wire format, [`enrich`] adds
//! what the server knows, [`record`] encodes their rows once, [`spool`] makes
//! them durable before they are acknowledged, [`store`] drains the log into
//! ClickHouse, [`evaluate`] turns stored data into alerts (with [`probe`]
//! feeding health checks), [`notify`] tells people, [`serve`] answers health,
//! readiness, metrics and the JSON API. Below them all: [`model`] (rules,
//! alerts, origin allow-lists), [`config`] (everything an operator can set)
//! and [`clock`]. Every import points down (tests/layers.rs).

pub mod clock;
pub mod config;
pub mod enrich;
pub mod error;
pub mod evaluate;
pub mod extract;
pub mod listen;
pub mod metrics;
pub mod model;
pub mod noise;
pub mod notify;
pub mod probe;
pub mod receive;
pub mod record;
pub mod serve;
pub mod spool;
pub mod store;
pub mod symbolicate;
pub mod tls;
pub mod upload;
pub mod validate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::{Extension, Router};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Settings;
use crate::evaluate::leadership::Keeper;
use crate::evaluate::Evaluator;
use crate::notify::Notifier;
use crate::probe::Prober;
use crate::receive::access::Access;
use crate::receive::beacon_ids::{self, BeaconIds};
use crate::receive::rate_limit::RateLimiter;
use crate::spool::Spool;
use crate::store::Store;
use crate::symbolicate::Symbolicator;

/// How often idle rate-limit buckets are forgotten.
const RATE_LIMIT_SWEEP: Duration = Duration::from_secs(10);

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub access: Access,
    pub rate_limiter: RateLimiter,
    pub spool: Spool,
    /// Recent beacon ids, so a retried beacon is stored once.
    pub beacon_ids: BeaconIds,
    pub store: Arc<Store>,
    /// Uploaded source maps, parsed on demand and cached.
    pub symbols: Arc<Symbolicator>,
}

/// The whole HTTP surface of the server (an evaluator takes no beacons),
/// with its OpenAPI document at `/openapi.json`, made from the same routes.
/// Unknown paths and methods get the JSON error body too.
pub fn router(state: AppState) -> Router {
    use utoipa::OpenApi;
    let routes =
        OpenApiRouter::with_openapi(serve::openapi::ApiDoc::openapi()).merge(serve::routes(&state));
    let routes = if state.settings.alerting.role.takes_beacons() {
        routes.merge(receive::routes(&state))
    } else {
        routes
    };
    let (router, mut document) = routes.split_for_parts();
    serve::openapi::finish(&mut document);
    router
        .fallback(serve::openapi::no_route)
        .method_not_allowed_fallback(serve::openapi::wrong_method)
        .layer(Extension(serve::Document::new(document)))
        .layer(axum::middleware::from_fn(error::log_server_faults))
        .with_state(state)
}

/// A running server: its address, and how to stop it.
pub struct Running {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    drain: JoinHandle<()>,
    /// Everything else in the background: rate-limit sweeps, and with the
    /// evaluator role the evaluator, the notifier and the prober.
    background: Vec<JoinHandle<()>>,
}

/// Opens the log and the store, starts the drain, and serves on `listener`.
pub async fn start(settings: Settings, listener: TcpListener) -> anyhow::Result<Running> {
    use anyhow::Context;
    metrics::handle();
    let settings = Arc::new(settings);
    let tls = settings.tls()?;
    let store = Arc::new(
        Store::open(&settings.clickhouse, &tls)
            .await
            .with_context(|| format!("cannot prepare ClickHouse at {}", settings.clickhouse.url))?,
    );
    let (spool, reader) =
        Spool::open(&settings.spool).context("cannot open the write-ahead log")?;
    let beacon_ids = BeaconIds::new(beacon_ids::WINDOW, beacon_ids::CAPACITY);
    let recovered = beacon_ids
        .recover(&spool, &store, clock::now_millis())
        .await
        .context("cannot recover the ids of recent beacons")?;
    tracing::info!(recovered, "beacon ids of the last minutes recovered");
    let (stop, stopped) = watch::channel(false);

    let drain = tokio::spawn(store::drain(
        reader,
        store.clone(),
        settings.writer.clone(),
        stopped.clone(),
        Duration::from_secs(10),
    ));
    let rate_limiter = RateLimiter::new(&settings.rate_limits);
    let sweeper = rate_limiter.clone();
    let mut background = vec![tokio::spawn(clock::every(
        RATE_LIMIT_SWEEP,
        stopped.clone(),
        move || {
            sweeper.sweep();
            std::future::ready(())
        },
    ))];

    if settings.alerting.role.evaluates() {
        let public_url = match settings.alerting.public_url.as_str() {
            "" => format!("http://{}", listener.local_addr()?),
            url => url.to_owned(),
        };
        let alerting = &settings.alerting;
        let (keeper, leadership) = Keeper::new(
            store.clone(),
            &alerting.evaluator_id(),
            alerting.lease_length(),
            alerting.interval,
        );
        let (channels, route) = (alerting.channels.clone(), alerting.route.clone());
        let notifier = Notifier::new(
            channels,
            route,
            store.clone(),
            &tls,
            &public_url,
            leadership.clone(),
        )?;
        let (notices, dispatches) = mpsc::channel(notify::QUEUE);
        let holds_lease = leadership.clone();
        let active = Arc::new(move || holds_lease.term().is_some());
        let prober = Prober::new(store.clone(), alerting.clone(), &tls, active)?;
        let evaluator = Evaluator::new(store.clone(), notices, alerting.clone(), leadership);
        background.push(tokio::spawn(keeper.run(stopped.clone())));
        background.push(tokio::spawn(notifier.run(dispatches)));
        background.push(tokio::spawn(evaluator.run(stopped.clone())));
        background.push(tokio::spawn(prober.run(stopped.clone())));
    }

    let symbols = Arc::new(Symbolicator::new(
        store.clone(),
        settings.sourcemaps.cache_bytes,
    ));
    let state = AppState {
        access: Access::new(&settings.projects),
        rate_limiter,
        spool,
        beacon_ids,
        store,
        symbols,
        settings,
    };
    let addr = listener.local_addr()?;
    let http_config = state.settings.http.clone();
    let http = tokio::spawn(listen::serve(listener, router(state), http_config, stopped));
    Ok(Running {
        addr,
        stop,
        http,
        drain,
        background,
    })
}

impl Running {
    /// Stops taking requests, then gives the drain a few seconds to store
    /// what is logged (the rest is stored after the next start), and waits
    /// for every background task to end.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.http.await??;
        self.drain.await?;
        for task in self.background {
            task.await?;
        }
        Ok(())
    }
}
