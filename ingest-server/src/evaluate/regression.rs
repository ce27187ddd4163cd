//! Regression rules (`compare = "previous_version"`): an app's newest
//! version (by first seen) judged against the version seen before it, each
//! measured over the rule's window (docs/ALERTING.md, "Regressions").
//!
//! Breached when the newest version is worse than the previous one, at
//! least `ratio` times as bad, and at least `floor` bad. For a metric where
//! higher is worse (error rates, vitals) "as bad" is the value itself; for
//! availability it is the failed share (1 − availability), since 99 % → 98 %
//! doubles the failures while the ratio of availabilities says 0.99, and
//! `floor` is an availability the newest version must be at or below.
//! Recovered as soon as it is not breached (no hysteresis: each version's
//! value is already a whole window's), which a fix released as a newer
//! version brings about once it has `min_samples`, or a rollback: when the
//! newest version has no samples in the window while the previous one has
//! enough, the previous one is what users run, and the alert recovers.

use super::lifecycle::{Judgement, Measurement};
use crate::model::alert::VersionComparison;
use crate::model::rule::Rule;

/// One version's measurement.
#[derive(Debug, Clone, Copy)]
pub struct Version<'a> {
    pub name: &'a str,
    pub measured: Measurement,
}

/// The rule's verdict on `newest` against `previous`; none unless both have
/// `min_samples` (views, or calls for `api_error_rate`) and a value, except
/// a rollback's: the newest without samples, the previous with enough, is
/// recovered (valued as the previous, which is what users run).
pub fn judge(rule: &Rule, newest: Version, previous: Version) -> Option<Judgement> {
    let enough = |m: Measurement| m.samples >= rule.min_samples && m.value.is_finite();
    let old = previous.measured.value;
    let compared = || VersionComparison {
        newest: newest.name.to_owned(),
        previous: previous.name.to_owned(),
        previous_value: old,
    };
    if newest.measured.samples == 0 && enough(previous.measured) {
        return Some(Judgement {
            value: old,
            threshold: old,
            breached: false,
            recovered: true,
            versions: Some(compared()),
        });
    }
    if !(enough(newest.measured) && enough(previous.measured)) {
        return None;
    }
    let ratio = rule.ratio.unwrap_or(1.0);
    let new = newest.measured.value;
    let (threshold, breached) = if rule.metric.lower_is_worse() {
        let threshold = (1.0 - ratio * (1.0 - old)).min(rule.floor.unwrap_or(1.0));
        (threshold, new < old && new <= threshold)
    } else {
        let threshold = (ratio * old).max(rule.floor.unwrap_or(0.0));
        (threshold, new > old && new >= threshold)
    };
    Some(Judgement {
        value: new,
        threshold,
        breached,
        recovered: !breached,
        versions: Some(compared()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Rule {
        let rule: Rule = toml::from_str(&format!(
            "name = \"regression\"\nseverity = \"critical\"\ncompare = \"previous_version\"\n{text}"
        ))
        .unwrap();
        rule.check(&[]).unwrap();
        rule
    }

    fn version(name: &str, value: f64, samples: u64) -> Version<'_> {
        Version {
            name,
            measured: Measurement { value, samples },
        }
    }

    const ERRORS: &str = "metric = \"error_rate\"\nratio = 2.0\nfloor = 0.02\nmin_samples = 100";

    #[test]
    fn a_worse_newest_version_is_breached_and_named_with_the_previous() {
        let judged = judge(
            &rule(ERRORS),
            version("1.1.0", 0.10, 200),
            version("1.0.0", 0.01, 500),
        )
        .unwrap();
        assert!(judged.breached && !judged.recovered);
        assert_eq!((judged.value, judged.threshold), (0.10, 0.02));
        assert_eq!(
            judged.versions,
            Some(VersionComparison {
                newest: "1.1.0".into(),
                previous: "1.0.0".into(),
                previous_value: 0.01,
            })
        );
    }

    #[test]
    fn ratio_and_floor_must_both_be_met() {
        let errors = rule(ERRORS);
        let judged = |new, old| {
            judge(&errors, version("b", new, 100), version("a", old, 100))
                .unwrap()
                .breached
        };
        assert!(!judged(0.015, 0.001), "15x worse, but under the floor");
        assert!(!judged(0.05, 0.03), "over the floor, but not twice as bad");
        assert!(judged(0.06, 0.03), "exactly twice as bad, over the floor");
        assert!(!judged(0.0, 0.0), "nothing is not worse than nothing");
        assert!(!judged(0.01, 0.05), "better");
    }

    #[test]
    fn availability_compares_failed_shares_and_its_floor_is_a_ceiling() {
        let availability = rule("metric = \"availability\"\nratio = 2.0\nfloor = 0.99");
        let judged =
            |new, old| judge(&availability, version("b", new, 50), version("a", old, 50)).unwrap();
        let twice_the_failures = judged(0.98, 0.99);
        assert!(twice_the_failures.breached);
        assert!((twice_the_failures.threshold - 0.98).abs() < 1e-12);
        assert!(!judged(0.985, 0.99).breached, "1.5x the failures");
        assert!(
            !judged(0.9992, 0.9999).breached,
            "8x the failures, still above the floor"
        );
        assert!(judged(0.999, 0.99).recovered, "better");
    }

    #[test]
    fn either_version_short_of_min_samples_gives_no_verdict() {
        let errors = rule(ERRORS);
        assert!(judge(&errors, version("b", 0.5, 99), version("a", 0.0, 100)).is_none());
        assert!(judge(&errors, version("b", 0.5, 100), version("a", 0.0, 99)).is_none());
        let lcp = rule("metric = \"lcp\"\nratio = 1.25\nmin_samples = 1");
        let slower = judge(&lcp, version("b", 3000.0, 1), version("a", 2000.0, 1)).unwrap();
        assert!(slower.breached && slower.threshold == 2500.0);
    }

    #[test]
    fn a_rollback_recovers_once_the_previous_version_has_min_samples() {
        let errors = rule(ERRORS);
        let rolled_back = judge(&errors, version("b", f64::NAN, 0), version("a", 0.01, 100));
        let rolled_back = rolled_back.expect("a verdict");
        assert!(rolled_back.recovered && !rolled_back.breached);
        assert_eq!(rolled_back.value, 0.01);
        let early = judge(&errors, version("b", f64::NAN, 0), version("a", 0.01, 99));
        assert!(
            early.is_none(),
            "no verdict before the previous has min_samples"
        );
    }

    #[test]
    fn bad_regression_rules_name_the_field() {
        let bad = |text: &str, field: &str| {
            let rule: Rule =
                toml::from_str(&format!("name = \"r\"\nseverity = \"critical\"\n{text}")).unwrap();
            let error = rule.check(&[]).unwrap_err();
            assert!(
                error.starts_with(&format!("rule \"r\": {field}:")),
                "{error}"
            );
        };
        let compare = "compare = \"previous_version\"\nmetric = \"error_rate\"";
        bad(compare, "ratio");
        bad(&format!("{compare}\nratio = 0.5"), "ratio");
        bad(&format!("{compare}\nratio = 2\nfloor = 2"), "floor");
        bad(&format!("{compare}\nratio = 2\nfloor = -1"), "floor");
        bad(
            &format!("{compare}\nratio = 2\nthreshold = 0.1"),
            "threshold",
        );
        bad(
            &format!("{compare}\nratio = 2\noperator = \"gt\""),
            "operator",
        );
        bad(
            "compare = \"previous_version\"\nmetric = \"response_time\"\nratio = 2",
            "compare",
        );
        bad("metric = \"error_rate\"\nthreshold = 0.1", "operator");
        bad("metric = \"error_rate\"\noperator = \"gt\"", "threshold");
        bad(
            "metric = \"error_rate\"\noperator = \"gt\"\nthreshold = 0.1\nratio = 2",
            "ratio",
        );
        assert!(toml::from_str::<Rule>(
            "name = \"r\"\nseverity = \"info\"\nmetric = \"lcp\"\ncompare = \"newest\""
        )
        .unwrap_err()
        .to_string()
        .contains("previous_version"));
    }
}
