//! The results as Markdown, for docs/PERFORMANCE.md (scripts/bench-queries
//! writes the heading and the machine above them).

use std::fmt::Write as _;
use std::time::Duration;

use crate::check::{Agreement, LEVEL_TOLERANCE};
use crate::load::{Loaded, TableSize};
use crate::overview::Source;
use crate::synthetic::Plan;
use crate::timing::{Case, QueryCost, Summary, Timed};

pub struct Report<'a> {
    pub events: u64,
    pub repetitions: usize,
    pub plan: &'a Plan,
    pub loaded: &'a Loaded,
    pub tables: &'a [TableSize],
    /// Per range: its label and how the sources agreed.
    pub agreements: &'a [(String, Agreement)],
    pub cases: &'a [Case],
    pub timed: &'a [Timed],
}

impl Report<'_> {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        self.data(&mut out);
        self.latency(&mut out);
        self.agreement(&mut out);
        out
    }

    fn data(&self, out: &mut String) {
        let loaded = self.loaded;
        let seconds = loaded.insert_time.as_secs_f64();
        let _ = writeln!(
            out,
            "**Data**: {} synthetic events (`bench/query-rollups/src/synthetic.rs`): {}.\n",
            grouped(self.events),
            self.plan.description(),
        );
        let per_table: Vec<String> = loaded
            .inserts
            .iter()
            .map(|(table, rows, took)| {
                format!("{table} {} in {:.1} s", grouped(*rows), took.as_secs_f64())
            })
            .collect();
        let _ = writeln!(
            out,
            "**Load**: {:.1} s for the {} events ({} events/s), one `INSERT … SELECT FROM numbers()` per raw \
             table with the rollups' materialized views filling as they do on the server's inserts ({}); then \
             `OPTIMIZE TABLE … FINAL` on every table, as background merges leave older data: {:.1} s.\n",
            seconds,
            grouped(self.events),
            grouped((self.events as f64 / seconds) as u64),
            per_table.join(", "),
            loaded.merge_time.as_secs_f64(),
        );
        out.push_str(
            "| table | rows | parts | on disk | rows it sums up (each row on average) |\n|---|--:|--:|--:|---|\n",
        );
        for table in self.tables {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                table.table,
                grouped(table.rows),
                table.parts,
                megabytes(table.bytes_on_disk),
                self.summed_up(table),
            );
        }
        out.push('\n');
    }

    /// For a rollup: how many rows of its sources one of its rows stands for.
    fn summed_up(&self, rollup: &TableSize) -> String {
        if rollup.sources.is_empty() {
            return String::new();
        }
        let source_rows: u64 = self
            .tables
            .iter()
            .filter(|table| rollup.sources.contains(&table.table))
            .map(|table| table.rows)
            .sum();
        format!(
            "{} ({:.1})",
            rollup.sources.join(" + "),
            source_rows as f64 / rollup.rows.max(1) as f64
        )
    }

    fn latency(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "**Overview latency**: {} timed runs per row, taking turns (after one untimed run of each, \
             which also checks the answers); wall time in the client for both queries with the answers \
             decoded; rows and bytes read and ClickHouse's own time (`system.query_log`) are medians \
             per overview, peak memory that of its larger query.\n",
            self.repetitions
        );
        out.push_str(
            "| range | read from | p50 | p95 | min | rows read | bytes read | ClickHouse time | peak memory |\n\
             |---|---|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        let summaries: Vec<Summary> = self.timed.iter().map(Timed::summary).collect();
        for (case, s) in self.cases.iter().zip(&summaries) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} ms | {} |",
                case.range_label,
                case.source.label(),
                ms(s.p50),
                ms(s.p95),
                ms(s.min),
                grouped(s.read_rows),
                megabytes(s.read_bytes),
                s.server_ms,
                megabytes(s.memory),
            );
        }
        out.push('\n');
        for (range_label, rollups, raw) in self.pairs(&summaries) {
            let _ = writeln!(
                out,
                "- {range_label}: from the rollups the overview answers {} at p50 ({} vs {}) and reads {} rows and {} bytes",
                times(raw.p50.as_secs_f64(), rollups.p50.as_secs_f64(), "faster", "slower"),
                ms(rollups.p50),
                ms(raw.p50),
                times(raw.read_rows as f64, rollups.read_rows as f64, "fewer", "more"),
                times(raw.read_bytes as f64, rollups.read_bytes as f64, "fewer", "more"),
            );
        }
        for (case, timed) in self.cases.iter().zip(self.timed) {
            if let Some(first) = timed.runs.first() {
                let _ = writeln!(
                    out,
                    "- {} from {}, per query (first run): {}",
                    case.range_label,
                    case.source.label(),
                    per_query(first)
                );
            }
        }
    }

    /// Each range with the summaries of its rollups and raw-events cases.
    fn pairs<'s>(&'s self, summaries: &'s [Summary]) -> Vec<(&'s str, &'s Summary, &'s Summary)> {
        let summary_of = |range_label: &str, source: Source| {
            self.cases
                .iter()
                .zip(summaries)
                .find(|(case, _)| case.range_label == range_label && case.source == source)
                .map(|(_, summary)| summary)
        };
        self.cases
            .iter()
            .filter(|case| case.source == Source::Rollups)
            .filter_map(|case| {
                let rollups = summary_of(&case.range_label, Source::Rollups)?;
                Some((
                    case.range_label.as_str(),
                    rollups,
                    summary_of(&case.range_label, Source::Raw)?,
                ))
            })
            .collect()
    }

    fn agreement(&self, out: &mut String) {
        for (range, a) in self.agreements {
            let _ = writeln!(
                out,
                "- {range}, same answer: views, error views, failed views and errors equal for all {} apps; \
                 sample counts equal for all {} app × vital series; every p50/p75/p95 from either source within \
                 ±{:.1} percentile points of the exact quantile (`quantilesExact`). Largest difference between \
                 the sources: {}; from the exact value: rollups {}, raw events {}.",
                a.apps,
                a.series,
                LEVEL_TOLERANCE * 100.0,
                a.between,
                a.rollups_vs_exact,
                a.raw_vs_exact,
            );
        }
    }
}

fn per_query(run: &[QueryCost]) -> String {
    run.iter()
        .map(|q| {
            format!(
                "{} rows of {} ({} ms)",
                grouped(q.read_rows),
                q.tables,
                q.duration_ms
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// How `raw` compares with `rollups`: "3.2× faster" (raw is larger) or "1.5× slower".
fn times(raw: f64, rollups: f64, better: &str, worse: &str) -> String {
    if raw >= rollups {
        format!("{:.1}× {better}", raw / rollups)
    } else {
        format!("{:.1}× {worse}", rollups / raw)
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// 1234567 → "1,234,567".
pub fn grouped(n: u64) -> String {
    let digits: Vec<char> = n.to_string().chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|group| group.iter().collect())
        .collect();
    groups.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(10_000_000), "10,000,000");
    }
}
