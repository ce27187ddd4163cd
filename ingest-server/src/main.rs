//! `canopy-ingest`: the ingest server binary.

use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use ingest_server::config::Config;
use ingest_server::store::Store;
use ingest_server::{router, AppState};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let config = Config::parse();
    config.clickhouse.check().map_err(anyhow::Error::msg).context("invalid configuration")?;

    let store = Store::open(&config.clickhouse)
        .await
        .with_context(|| format!("cannot prepare ClickHouse at {}", config.clickhouse.url))?;
    let state = AppState { store: Arc::new(store), limits: config.limits.clone() };

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(listen = %config.listen, clickhouse = %config.clickhouse.url, "canopy-ingest ready");
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown_signal()).await.context("server failed")?;
    tracing::info!("canopy-ingest stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler cannot fail on unix");
    tokio::select! {
        _ = interrupt => {},
        _ = terminate.recv() => {},
    }
}
