//! Whether the rollups answer as the raw events do, so that comparing their
//! speed is fair. Per-app counts must be equal: a `uniq` state merged from
//! per-minute states is the state of all the rows, whatever the order. So
//! must the vitals' sample counts. Their quantiles can only be close: the
//! hourly rollup's t-digests summarise each hour's values in centroids, and
//! the raw events' `quantiles` keeps a reservoir of at most 8,192 values. So
//! each quantile, from either source, must be one the exact distribution has
//! at a level close to the one asked for.

use anyhow::bail;
use ingest_server::store::schema::QUANTILES;

use crate::overview::{Overview, VitalTotals};

/// How far from the level asked for (0.5, 0.75, 0.95) a sampled quantile's
/// level in the exact distribution may be: 2.5 percentile points. A
/// reservoir of 8,192 values has a standard error of at most 0.55 points
/// (at the median), so this is over 4σ.
pub const LEVEL_TOLERANCE: f64 = 0.025;

const QUANTILE_NAMES: [&str; 3] = ["p50", "p75", "p95"];

/// The levels of the exact quantiles the check needs, for `quantilesExact`:
/// for each level the dashboard shows, that level less the tolerance, the
/// level, and the level plus the tolerance.
pub fn exact_levels() -> String {
    QUANTILES
        .split(", ")
        .flat_map(|level| {
            let level: f64 = level.parse().expect("QUANTILES lists numbers");
            [level - LEVEL_TOLERANCE, level, level + LEVEL_TOLERANCE]
        })
        .map(|level| format!("{level:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How closely the two sources agreed.
#[derive(Debug)]
pub struct Agreement {
    pub apps: usize,
    pub series: usize,
    /// The largest relative difference between the sources' quantiles, and where.
    pub between: Difference,
    /// The largest relative difference from the exact quantile, per source.
    pub rollups_vs_exact: Difference,
    pub raw_vs_exact: Difference,
}

#[derive(Debug, Default)]
pub struct Difference {
    pub relative: f64,
    /// e.g. "cart inp p95: 512.300 vs 498.100"; empty if none.
    pub at: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.relative == 0.0 {
            write!(f, "none")
        } else {
            write!(f, "{:.1}% ({})", self.relative * 100.0, self.at)
        }
    }
}

/// Compares the sources' answers; `exact` has the quantiles at [`exact_levels`].
pub fn compare(
    rollups: &Overview,
    raw: &Overview,
    exact: &[VitalTotals],
) -> anyhow::Result<Agreement> {
    if let Some((from_rollups, from_raw)) = rollups.apps.iter().zip(&raw.apps).find(|(a, b)| a != b)
    {
        bail!("per-app totals differ: from the rollups {from_rollups:?}, from raw events {from_raw:?}");
    }
    if rollups.apps.len() != raw.apps.len() {
        bail!(
            "the rollups list {} apps, the raw events {}",
            rollups.apps.len(),
            raw.apps.len()
        );
    }
    same_series(&rollups.vitals, &raw.vitals, "the raw events")?;
    same_series(&rollups.vitals, exact, "the exact quantiles")?;
    let exact_at_levels: Vec<VitalTotals> = exact
        .iter()
        .map(|series| VitalTotals {
            q: series.q.iter().skip(1).step_by(3).copied().collect(),
            ..series.clone()
        })
        .collect();
    for (source, vitals) in [("rollups", &rollups.vitals), ("raw events", &raw.vitals)] {
        within_levels(source, vitals, exact)?;
    }
    Ok(Agreement {
        apps: rollups.apps.len(),
        series: rollups.vitals.len(),
        between: largest_difference(&rollups.vitals, &raw.vitals),
        rollups_vs_exact: largest_difference(&rollups.vitals, &exact_at_levels),
        raw_vs_exact: largest_difference(&raw.vitals, &exact_at_levels),
    })
}

/// Each quantile lies between the exact ones at its level ± the tolerance.
fn within_levels(
    source: &str,
    vitals: &[VitalTotals],
    exact: &[VitalTotals],
) -> anyhow::Result<()> {
    for (series, bounds) in vitals.iter().zip(exact) {
        for ((name, value), bounds) in QUANTILE_NAMES.iter().zip(&series.q).zip(bounds.q.chunks(3))
        {
            let (low, high) = (bounds[0], bounds[2]);
            if !(low..=high).contains(value) {
                bail!(
                    "{} {} {name} from the {source} is {value}, outside [{low}, {high}] \
                     (the exact quantiles {:.1} percentile points either side)",
                    series.key,
                    series.name,
                    LEVEL_TOLERANCE * 100.0
                );
            }
        }
    }
    Ok(())
}

/// The same (app, vital) series with the same sample counts.
fn same_series(a: &[VitalTotals], b: &[VitalTotals], other: &str) -> anyhow::Result<()> {
    let key = |v: &VitalTotals| (v.key.clone(), v.name.clone(), v.samples);
    if let Some((x, y)) = a.iter().zip(b).find(|(x, y)| key(x) != key(y)) {
        bail!("vitals differ between the rollups and {other}: {x:?} vs {y:?}");
    }
    if a.len() != b.len() {
        bail!(
            "the rollups have {} vital series, {other} {}",
            a.len(),
            b.len()
        );
    }
    Ok(())
}

/// The largest relative difference between matching quantiles (series are
/// in the same order, checked by [`same_series`]).
fn largest_difference(a: &[VitalTotals], b: &[VitalTotals]) -> Difference {
    let mut largest = Difference::default();
    for (x, y) in a.iter().zip(b) {
        for ((name, qx), qy) in QUANTILE_NAMES.iter().zip(&x.q).zip(&y.q) {
            let relative = relative_difference(*qx, *qy);
            if relative > largest.relative {
                largest = Difference {
                    relative,
                    at: format!("{} {} {name}: {qx:.3} vs {qy:.3}", x.key, x.name),
                };
            }
        }
    }
    largest
}

fn relative_difference(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overview::AppTotals;

    fn overview(views: u64, p95: f64) -> Overview {
        Overview {
            apps: vec![AppTotals {
                app: "cart".into(),
                views,
                error_views: 3,
                failed_views: 1,
                errors: 4,
            }],
            vitals: vec![VitalTotals {
                key: "cart".into(),
                name: "inp".into(),
                samples: 90,
                q: vec![100.0, 150.0, p95],
            }],
        }
    }

    /// Exact quantiles at the levels of `exact_levels`, around `p95`.
    fn exact(p95: f64) -> Vec<VitalTotals> {
        vec![VitalTotals {
            q: vec![
                95.0,
                100.0,
                105.0,
                140.0,
                150.0,
                160.0,
                p95 - 10.0,
                p95,
                p95 + 10.0,
            ],
            ..overview(10, p95).vitals[0].clone()
        }]
    }

    #[test]
    fn equal_counts_and_close_quantiles_agree() {
        let agreement = compare(&overview(10, 404.0), &overview(10, 400.0), &exact(400.0)).unwrap();
        assert_eq!((agreement.apps, agreement.series), (1, 1));
        assert!((agreement.between.relative - 4.0 / 404.0).abs() < 1e-12);
        assert_eq!(
            agreement.between.to_string(),
            "1.0% (cart inp p95: 404.000 vs 400.000)"
        );
        assert_eq!(agreement.raw_vs_exact.to_string(), "none");
        assert_eq!(agreement.raw_vs_exact.relative, 0.0);
    }

    #[test]
    fn different_counts_or_distant_quantiles_do_not() {
        let error = compare(&overview(10, 400.0), &overview(11, 400.0), &exact(400.0)).unwrap_err();
        assert!(
            error.to_string().starts_with("per-app totals differ"),
            "{error}"
        );
        let error = compare(&overview(10, 411.0), &overview(10, 400.0), &exact(400.0)).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cart inp p95 from the rollups is 411, outside [390, 410]"),
            "{error}"
        );
    }

    #[test]
    fn exact_levels_bracket_the_dashboards_quantiles() {
        assert_eq!(
            exact_levels(),
            "0.475, 0.500, 0.525, 0.725, 0.750, 0.775, 0.925, 0.950, 0.975"
        );
    }
}
