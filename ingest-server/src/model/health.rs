//! An app's health, judged from its firing alerts (docs/ALERTING.md,
//! "Health"), as Datadog's monitor states or Grafana's alert states roll up:
//!
//! - **unhealthy**: at least one firing `critical` alert;
//! - **degraded**: no firing critical alert, at least one firing `warning`;
//! - **healthy**: anything else: no firing alert, or only `info` ones.
//!
//! Only `firing` counts: a `pending` alert is a breach not yet confirmed
//! (its `for` has not passed), a resolved one is over. Acknowledging an
//! alert does not change it (someone is on it; the app is still broken), nor
//! does an alert's being inhibited or blamed on a dependency: the app's own
//! users still see the breach. The page's health is its worst app's.

use serde::Serialize;

use super::rule::Severity;

/// Ordered from best to worst, so the page's health is the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Healthy,
    Degraded,
    Unhealthy,
}

/// An app's firing alerts by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Firing {
    pub critical: u64,
    pub warning: u64,
    pub info: u64,
}

impl Firing {
    pub fn add(&mut self, severity: Severity, count: u64) {
        match severity {
            Severity::Critical => self.critical += count,
            Severity::Warning => self.warning += count,
            Severity::Info => self.info += count,
        }
    }

    /// The app's health by the rule above.
    pub fn health(self) -> HealthStatus {
        if self.critical > 0 {
            HealthStatus::Unhealthy
        } else if self.warning > 0 {
            HealthStatus::Degraded
        } else {
            HealthStatus::Healthy
        }
    }
}

/// The worst of the apps' health; healthy for none.
pub fn page_health(apps: impl IntoIterator<Item = HealthStatus>) -> HealthStatus {
    apps.into_iter().max().unwrap_or(HealthStatus::Healthy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firing(critical: u64, warning: u64, info: u64) -> Firing {
        Firing {
            critical,
            warning,
            info,
        }
    }

    #[test]
    fn the_worst_firing_severity_decides() {
        assert_eq!(firing(0, 0, 0).health(), HealthStatus::Healthy);
        assert_eq!(firing(0, 0, 3).health(), HealthStatus::Healthy);
        assert_eq!(firing(0, 1, 3).health(), HealthStatus::Degraded);
        assert_eq!(firing(1, 0, 0).health(), HealthStatus::Unhealthy);
        assert_eq!(firing(2, 5, 1).health(), HealthStatus::Unhealthy);
    }

    #[test]
    fn counts_add_by_severity() {
        let mut f = Firing::default();
        f.add(Severity::Warning, 2);
        f.add(Severity::Info, 1);
        assert_eq!((f, f.health()), (firing(0, 2, 1), HealthStatus::Degraded));
        f.add(Severity::Critical, 1);
        assert_eq!(f.health(), HealthStatus::Unhealthy);
    }

    #[test]
    fn the_page_is_as_healthy_as_its_worst_app() {
        use HealthStatus::*;
        assert_eq!(page_health([]), Healthy);
        assert_eq!(page_health([Healthy, Healthy]), Healthy);
        assert_eq!(page_health([Healthy, Degraded, Healthy]), Degraded);
        assert_eq!(page_health([Degraded, Unhealthy, Healthy]), Unhealthy);
        assert_eq!(serde_json::to_value(Unhealthy).unwrap(), "unhealthy");
    }
}
