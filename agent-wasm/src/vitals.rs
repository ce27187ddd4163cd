//! Per-app accumulation of the vitals that are only final when the page hides.
//!
//! CLS and INP belong to the app whose DOM caused them (a shift's source node,
//! an interaction's target); the page's LCP belongs to the app that painted the
//! LCP element. Each is reported again only if it changed since the last report.

use canopy_wire::VitalName;

#[derive(Debug, Default)]
pub struct PendingVitals {
    values: Vec<Tracked>,
}

#[derive(Debug)]
struct Tracked {
    app: String,
    name: VitalName,
    value: f64,
    reported: Option<f64>,
}

impl PendingVitals {
    /// A layout shift without recent input, owned by `app`.
    pub fn add_layout_shift(&mut self, app: &str, value: f64) {
        self.tracked(app, VitalName::Cls).value += value;
    }

    /// An interaction's duration; INP keeps the worst.
    pub fn add_interaction(&mut self, app: &str, duration: f64) {
        let inp = self.tracked(app, VitalName::Inp);
        inp.value = inp.value.max(duration);
    }

    /// The newest LCP candidate replaces any earlier one, whichever app owns it.
    pub fn set_lcp(&mut self, app: &str, value: f64) {
        self.values.retain(|tracked| tracked.name != VitalName::Lcp || tracked.app == app);
        self.tracked(app, VitalName::Lcp).value = value;
    }

    /// The values that changed since they were last taken.
    pub fn take_changed(&mut self) -> Vec<(String, VitalName, f64)> {
        let mut changed = Vec::new();
        for tracked in &mut self.values {
            if tracked.reported != Some(tracked.value) {
                tracked.reported = Some(tracked.value);
                changed.push((tracked.app.clone(), tracked.name, tracked.value));
            }
        }
        changed
    }

    fn tracked(&mut self, app: &str, name: VitalName) -> &mut Tracked {
        let index = match self.values.iter().position(|t| t.app == app && t.name == name) {
            Some(index) => index,
            None => {
                self.values.push(Tracked { app: app.to_owned(), name, value: 0.0, reported: None });
                self.values.len() - 1
            }
        };
        &mut self.values[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_accumulate_per_app_and_report_only_changes() {
        let mut vitals = PendingVitals::default();
        vitals.add_layout_shift("catalog", 0.1);
        vitals.add_layout_shift("catalog", 0.05);
        vitals.add_layout_shift("shell", 0.02);
        let first = vitals.take_changed();
        assert_eq!(first.len(), 2);
        assert!((first[0].2 - 0.15).abs() < 1e-12);
        assert_eq!(vitals.take_changed(), vec![]);
        vitals.add_layout_shift("shell", 0.01);
        let second = vitals.take_changed();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].0, "shell");
    }

    #[test]
    fn inp_keeps_the_worst_interaction() {
        let mut vitals = PendingVitals::default();
        for duration in [48.0, 320.0, 96.0] {
            vitals.add_interaction("catalog", duration);
        }
        assert_eq!(vitals.take_changed(), vec![("catalog".to_owned(), VitalName::Inp, 320.0)]);
    }

    #[test]
    fn a_later_lcp_candidate_moves_to_its_app() {
        let mut vitals = PendingVitals::default();
        vitals.set_lcp("shell", 200.0);
        vitals.set_lcp("catalog", 900.0);
        assert_eq!(vitals.take_changed(), vec![("catalog".to_owned(), VitalName::Lcp, 900.0)]);
    }
}
