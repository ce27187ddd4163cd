//! `canopy-ingest`: the ingest server binary; `canopy-ingest sourcemaps
//! upload` uploads a build's source maps to one.

use anyhow::Context;
use clap::Parser;
use ingest_server::config::{Cli, Command, Settings, SourcemapsCommand};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Sourcemaps(SourcemapsCommand::Upload(args))) = &cli.command {
        let (files, bytes) = ingest_server::upload::upload(args, |line| println!("{line}"))
            .await
            .context("source map upload failed")?;
        println!(
            "{files} source maps ({bytes} bytes) uploaded for {} {}",
            args.app, args.app_version
        );
        return Ok(());
    }
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let settings = Settings::load(cli).context("invalid configuration")?;

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
