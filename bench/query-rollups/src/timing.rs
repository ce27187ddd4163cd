//! Timing the overview. Repetitions go round every case in turn (range ×
//! source), so a burst of other work on the shared machine hits all cases
//! alike. The wall time is what the dashboard's handler waits for: both
//! queries, one after the other, answers decoded. What each query read and
//! how long ClickHouse itself took come from `system.query_log`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use clickhouse::{Client, Row};
use ingest_server::store::dashboard::Range;
use serde::Deserialize;

use crate::overview::{Overviews, Source};

/// One thing to time: the overview over a range, from one source.
pub struct Case {
    pub range_label: String,
    pub range: Range,
    pub source: Source,
}

/// One query of an overview run, as `system.query_log` has it.
#[derive(Debug, Clone, Deserialize, Row)]
pub struct QueryCost {
    pub log_comment: String,
    pub tables: String,
    pub read_rows: u64,
    pub read_bytes: u64,
    pub memory_usage: u64,
    pub duration_ms: u64,
}

/// A case's runs: wall times, and each run's queries.
pub struct Timed {
    pub walls: Vec<Duration>,
    pub runs: Vec<Vec<QueryCost>>,
}

const TAG_PREFIX: &str = "qbench";

/// Times every case `repetitions` times.
pub async fn time_cases(
    overviews: &Overviews,
    cases: &[Case],
    repetitions: usize,
) -> anyhow::Result<Vec<Timed>> {
    let mut walls = vec![Vec::with_capacity(repetitions); cases.len()];
    for repetition in 0..repetitions {
        for (index, case) in cases.iter().enumerate() {
            let started = Instant::now();
            overviews
                .read(case.source, case.range, &tag(index, repetition))
                .await
                .with_context(|| format!("{} from {}", case.range_label, case.source.label()))?;
            walls[index].push(started.elapsed());
        }
    }
    let mut costs = query_costs(&overviews.client).await?;
    Ok(walls
        .into_iter()
        .enumerate()
        .map(|(index, walls)| Timed {
            walls,
            runs: (0..repetitions)
                .map(|repetition| costs.remove(&tag(index, repetition)).unwrap_or_default())
                .collect(),
        })
        .collect())
}

fn tag(case: usize, repetition: usize) -> String {
    format!("{TAG_PREFIX} case {case} run {repetition}")
}

/// The finished queries of every timed run, by tag.
async fn query_costs(client: &Client) -> anyhow::Result<HashMap<String, Vec<QueryCost>>> {
    client.query("SYSTEM FLUSH LOGS").execute().await?;
    let rows: Vec<QueryCost> = client
        .query(
            "SELECT log_comment, arrayStringConcat(arraySort(arrayMap(t -> replaceRegexpOne(t, '^[^.]*[.]', ''), tables)), ', ') \
             AS tables, \
             toUInt64(read_rows) AS read_rows, toUInt64(read_bytes) AS read_bytes, \
             toUInt64(greatest(memory_usage, 0)) AS memory_usage, toUInt64(query_duration_ms) AS duration_ms \
             FROM system.query_log WHERE type = 'QueryFinish' AND startsWith(log_comment, ?) \
             ORDER BY event_time_microseconds",
        )
        .bind(format!("{TAG_PREFIX} "))
        .fetch_all()
        .await
        .context("reading system.query_log (is the ClickHouse started with --query-log?)")?;
    let mut by_tag: HashMap<String, Vec<QueryCost>> = HashMap::new();
    for row in rows {
        by_tag.entry(row.log_comment.clone()).or_default().push(row);
    }
    Ok(by_tag)
}

/// What the report shows of a case.
pub struct Summary {
    pub p50: Duration,
    pub p95: Duration,
    pub min: Duration,
    /// Medians over the runs of: the rows and bytes an overview read (all
    /// its queries), ClickHouse's own time for them, and the larger query's
    /// peak memory.
    pub read_rows: u64,
    pub read_bytes: u64,
    pub server_ms: u64,
    pub memory: u64,
}

impl Timed {
    pub fn summary(&self) -> Summary {
        let sum = |f: fn(&QueryCost) -> u64| -> Vec<u64> {
            self.runs
                .iter()
                .map(|run| run.iter().map(f).sum())
                .collect()
        };
        let peak_memory = self
            .runs
            .iter()
            .map(|run| {
                run.iter()
                    .map(|query| query.memory_usage)
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        Summary {
            p50: percentile(self.walls.clone(), 0.50),
            p95: percentile(self.walls.clone(), 0.95),
            min: percentile(self.walls.clone(), 0.0),
            read_rows: percentile(sum(|q| q.read_rows), 0.5),
            read_bytes: percentile(sum(|q| q.read_bytes), 0.5),
            server_ms: percentile(sum(|q| q.duration_ms), 0.5),
            memory: percentile(peak_memory, 0.5),
        }
    }
}

/// The nearest-rank percentile (`share` from 0 to 1); the default if empty.
fn percentile<T: Ord + Copy + Default>(mut values: Vec<T>, share: f64) -> T {
    values.sort_unstable();
    let index = ((values.len().saturating_sub(1)) as f64 * share).round() as usize;
    values.get(index).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let values: Vec<u64> = (1..=20).rev().collect();
        assert_eq!(percentile(values.clone(), 0.0), 1);
        assert_eq!(percentile(values.clone(), 0.5), 11);
        assert_eq!(percentile(values.clone(), 0.95), 19);
        assert_eq!(percentile(Vec::<u64>::new(), 0.5), 0);
    }
}
