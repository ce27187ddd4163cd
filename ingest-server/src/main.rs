//! `canopy-ingest`: the ingest server binary.

use anyhow::Context;
use clap::Parser;
use ingest_server::config::{Cli, Settings};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let settings = Settings::load(Cli::parse()).context("invalid configuration")?;

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let clickhouse = settings.clickhouse.url.clone();
    let running = ingest_server::start(settings, listener).await?;
    tracing::info!(listen = %running.addr, %clickhouse, "canopy-ingest ready");

    shutdown_signal().await;
    tracing::info!("stopping: no new beacons; storing what is logged");
    running.shutdown().await?;
    tracing::info!("canopy-ingest stopped");
    Ok(())
}

async fn shutdown_signal() {
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "no SIGTERM handler; stop with Ctrl-C");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate.recv() => {},
    }
}
