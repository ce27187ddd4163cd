//! `query-rollups`: how fast the dashboard's overview answers from the
//! rollups (over 24 hours and days: the hourly ones, migration 7) compared
//! with the raw event tables (issue 6).
//!
//! On an empty ClickHouse of its own: runs the server's migrations
//! (`Store::open`), generates synthetic events with `INSERT … SELECT` into the
//! raw tables (the rollups' materialized views fill as on the server's own
//! inserts), merges the tables, checks that both sources give the same
//! overview, then times the overview over the last 24 hours and the whole
//! period from each: the rollups by the server's own queries, the raw tables
//! by the equivalent aggregation. Every statement is bounded by
//! `max_execution_time`. `scripts/bench-queries` runs it.

mod check;
mod load;
mod overview;
mod report;
mod synthetic;
mod timing;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Parser;
use clickhouse::Client;
use ingest_server::config::ClickHouseConfig;
use ingest_server::store::dashboard::Range;
use ingest_server::store::Store;

use crate::overview::{Overviews, Source};
use crate::timing::Case;

/// Longest a timed or checking query may run, in seconds.
const QUERY_SECONDS: &str = "120";

#[derive(Debug, Parser)]
#[command(
    about = "Dashboard overview latency from rollups vs raw events (see scripts/bench-queries)."
)]
struct Args {
    /// ClickHouse HTTP interface: its own, for the benchmark (the database is
    /// dropped first), with system.query_log kept (embedded-clickhouse.py --query-log).
    #[arg(long)]
    clickhouse_url: String,
    #[arg(long, default_value = "canopy")]
    database: String,
    /// Synthetic events in all.
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1_000..))]
    events: u64,
    /// Whole UTC days they span, ending at midnight before the run (at most 30: raw events are kept 30 days by default).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(2..=30))]
    days: u32,
    /// Timed runs of each case (range × source).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    repetitions: u64,
    /// Where to write the results as Markdown.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = Client::default().with_url(&args.clickhouse_url);
    server
        .query(&format!("DROP DATABASE IF EXISTS `{}` SYNC", args.database))
        .execute()
        .await
        .context("dropping the benchmark's database")?;
    let config = ClickHouseConfig {
        url: args.clickhouse_url.clone(),
        database: args.database.clone(),
        ..ClickHouseConfig::default()
    };
    let store = Store::open(&config, &ingest_server::tls::Tls::load(None)?)
        .await
        .context("running the server's migrations")?;
    let client = server.with_database(&args.database);

    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as u32;
    // Whole UTC days, so the daily cycle peaks at the same hour every day.
    let end = now / 86_400 * 86_400;
    let plan = synthetic::Plan::new(args.events, args.days, end);
    let loaded = load::load(&client, &plan).await?;
    let tables = load::table_sizes(&client).await?;

    let overviews = Overviews {
        store: store.with_setting("max_execution_time", QUERY_SECONDS),
        client: client.with_setting("max_execution_time", QUERY_SECONDS),
    };
    let ranges = [
        (
            "24 h".to_owned(),
            Range {
                from: end - 86_400,
                to: end,
            },
        ),
        (
            format!("{} days", args.days),
            Range {
                from: end - args.days * 86_400,
                to: end,
            },
        ),
    ];
    let mut agreements = Vec::new();
    for (label, range) in &ranges {
        eprintln!("query-rollups: checking that both sources answer alike over {label}");
        let rollups = overviews.read(Source::Rollups, *range, "check").await?;
        let raw = overviews.read(Source::Raw, *range, "check").await?;
        let exact = overviews
            .exact_vitals(*range, &check::exact_levels())
            .await?;
        let agreement = check::compare(&rollups, &raw, &exact)
            .with_context(|| format!("the overview over {label}"))?;
        agreements.push((label.clone(), agreement));
    }

    let cases: Vec<Case> = ranges
        .iter()
        .flat_map(|(range_label, range)| {
            [Source::Rollups, Source::Raw].map(|source| Case {
                range_label: range_label.clone(),
                range: *range,
                source,
            })
        })
        .collect();
    eprintln!(
        "query-rollups: timing {} runs of {} cases",
        args.repetitions,
        cases.len()
    );
    let timed = timing::time_cases(&overviews, &cases, args.repetitions as usize).await?;

    let markdown = report::Report {
        events: args.events,
        repetitions: args.repetitions as usize,
        plan: &plan,
        loaded: &loaded,
        tables: &tables,
        agreements: &agreements,
        cases: &cases,
        timed: &timed,
    }
    .markdown();
    print!("{markdown}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &markdown).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
