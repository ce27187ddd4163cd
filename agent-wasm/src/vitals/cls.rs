//! CLS: layout shifts grouped in session windows (a gap under 1 s, at most
//! 5 s long); the largest window is the value, attributed to the largest
//! shift of that window (as web-vitals 6 attributes it).

use super::{Vital, VitalName};
use crate::App;

/// A new session window starts after this gap between shifts (ms)…
const SESSION_GAP_MS: f64 = 1_000.0;
/// …or once the window has lasted this long (ms).
const SESSION_CAP_MS: f64 = 5_000.0;

#[derive(Debug)]
pub(super) struct SessionWindows<T> {
    /// The largest window so far, its largest shift's target and owner.
    pub(super) value: f64,
    target: T,
    owner: Option<App>,
    /// The current window: its sum, first and last shift, and largest shift.
    session: f64,
    first: f64,
    last: f64,
    largest: f64,
    largest_target: T,
    largest_owner: Option<App>,
}

impl<T: Default> Default for SessionWindows<T> {
    fn default() -> Self {
        Self {
            value: 0.0,
            target: T::default(),
            owner: None,
            session: 0.0,
            first: 0.0,
            last: 0.0,
            largest: 0.0,
            largest_target: T::default(),
            largest_owner: None,
        }
    }
}

impl<T: Clone + Default> SessionWindows<T> {
    /// A shift of `value` at `start` (ms), of `target`, caused by `owner`'s DOM.
    pub(super) fn add(&mut self, start: f64, value: f64, target: T, owner: App) {
        if self.session > 0.0
            && start - self.last < SESSION_GAP_MS
            && start - self.first < SESSION_CAP_MS
        {
            self.session += value;
        } else {
            self.session = value;
            self.first = start;
            self.largest = f64::NEG_INFINITY;
        }
        self.last = start;
        // web-vitals' reduce keeps the later of two equal shifts.
        if value >= self.largest {
            self.largest = value;
            self.largest_target = target;
            self.largest_owner = Some(owner);
        }
        if self.session > self.value {
            self.value = self.session;
            self.target.clone_from(&self.largest_target);
            self.owner = self.largest_owner;
        }
    }

    pub(super) fn vital(&self) -> Vital<T> {
        Vital {
            target: self.target.clone(),
            owner: self.owner,
            ..Vital::new(VitalName::Cls, self.value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Windows = SessionWindows<Option<&'static str>>;
    const SHELL: App = 0;
    const CATALOG: App = 1;

    #[test]
    fn cls_is_the_largest_session_window() {
        let mut cls = Windows::default();
        // Window 1: 0.1 + 0.05 (gaps under 1 s).
        cls.add(100.0, 0.1, Some("#a"), SHELL);
        cls.add(900.0, 0.05, Some("#b"), SHELL);
        assert!((cls.value - 0.15).abs() < 1e-12);
        assert_eq!(cls.target, Some("#a"));
        // A 1 s gap starts window 2: 0.08 + 0.09 + 0.02 = 0.19 wins, its largest shift is #d.
        cls.add(1_900.0, 0.08, Some("#c"), CATALOG);
        cls.add(2_500.0, 0.09, Some("#d"), CATALOG);
        assert!((cls.value - 0.17).abs() < 1e-12);
        cls.add(3_000.0, 0.02, Some("#e"), SHELL);
        assert!((cls.value - 0.19).abs() < 1e-12);
        assert_eq!((cls.target, cls.owner), (Some("#d"), Some(CATALOG)));
        // A smaller later window does not replace it.
        cls.add(10_000.0, 0.05, Some("#f"), SHELL);
        assert!((cls.value - 0.19).abs() < 1e-12);
        assert_eq!(cls.target, Some("#d"));
    }

    #[test]
    fn a_session_window_is_capped_at_five_seconds() {
        let mut cls = Windows::default();
        // Shifts every 900 ms: the window closes once 5 s have passed since its first shift.
        for i in 0..8 {
            cls.add(f64::from(i) * 900.0, 0.01, Some("#x"), SHELL);
        }
        // 0, 900 … 4500 are one window (6 shifts); 5400 starts the next.
        assert!((cls.value - 0.06).abs() < 1e-12, "{}", cls.value);
        // Equal shifts: the later one is the largest (web-vitals' reduce).
        assert_eq!(cls.target, Some("#x"));
    }

    #[test]
    fn equal_shifts_attribute_the_later_one() {
        let mut cls = Windows::default();
        cls.add(0.0, 0.05, Some("#first"), SHELL);
        cls.add(10.0, 0.05, Some("#second"), SHELL);
        assert_eq!(cls.target, Some("#second"));
    }

    #[test]
    fn no_shift_is_zero_owned_by_no_app() {
        let vital = Windows::default().vital();
        assert_eq!((vital.name, vital.value), (VitalName::Cls, 0.0));
        assert_eq!((vital.target, vital.owner), (None, None));
    }
}
