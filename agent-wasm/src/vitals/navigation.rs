//! The page load's navigation timing broken into the wire's phases, and its
//! TTFB (from `activationStart` for a prerendered page, as web-vitals counts it).

use super::since_activation;

/// The numbers of a `navigation` entry (ms since the time origin; bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NavigationTiming {
    pub activation_start: f64,
    pub domain_lookup_start: f64,
    pub domain_lookup_end: f64,
    pub connect_start: f64,
    pub connect_end: f64,
    /// 0 when the connection was not secure (or reused).
    pub secure_connection_start: f64,
    pub response_start: f64,
    pub response_end: f64,
    pub dom_interactive: f64,
    pub dom_content_loaded_event_end: f64,
    pub load_event_end: f64,
    pub transfer_size: f64,
}

impl NavigationTiming {
    /// Time to first byte, from the activation of a prerendered page.
    pub fn ttfb(&self) -> f64 {
        since_activation(self.response_start, self.activation_start)
    }

    /// The wire's fields, in its order: dns, tcp, tls, ttfb, download,
    /// dom_parse, dom_ready, load, transfer_size (a whole number of bytes).
    pub fn fields(&self) -> [f64; 9] {
        let tls = if self.secure_connection_start > 0.0 {
            self.connect_end - self.secure_connection_start
        } else {
            0.0
        };
        [
            self.domain_lookup_end - self.domain_lookup_start,
            self.connect_end - self.connect_start,
            tls,
            self.ttfb(),
            self.response_end - self.response_start,
            self.dom_interactive - self.response_end,
            // From the start of navigation, as the wire defines them.
            self.dom_content_loaded_event_end,
            self.load_event_end,
            // The wire's u64: what `as` makes of it (NaN and negatives are 0).
            self.transfer_size as u64 as f64,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn https() -> NavigationTiming {
        NavigationTiming {
            activation_start: 0.0,
            domain_lookup_start: 5.0,
            domain_lookup_end: 25.0,
            connect_start: 25.0,
            connect_end: 85.0,
            secure_connection_start: 45.0,
            response_start: 180.0,
            response_end: 230.0,
            dom_interactive: 480.0,
            dom_content_loaded_event_end: 520.0,
            load_event_end: 900.0,
            transfer_size: 14_336.0,
        }
    }

    #[test]
    fn a_secure_navigation_has_every_phase() {
        assert_eq!(
            https().fields(),
            [20.0, 60.0, 40.0, 180.0, 50.0, 250.0, 520.0, 900.0, 14_336.0]
        );
    }

    #[test]
    fn without_tls_its_phase_is_zero() {
        let http = NavigationTiming {
            secure_connection_start: 0.0,
            ..https()
        };
        assert_eq!(http.fields()[..3], [20.0, 60.0, 0.0]);
    }

    #[test]
    fn ttfb_counts_from_activation_and_is_never_negative() {
        let prerendered = NavigationTiming {
            activation_start: 100.0,
            ..https()
        };
        assert_eq!(prerendered.ttfb(), 80.0);
        assert_eq!(prerendered.fields()[3], 80.0);
        // The response came before the page was activated.
        let early = NavigationTiming {
            activation_start: 1_000.0,
            ..https()
        };
        assert_eq!(early.ttfb(), 0.0);
        // The other phases are the navigation's own, whatever the activation.
        assert_eq!(early.fields()[4..8], https().fields()[4..8]);
    }

    #[test]
    fn transfer_size_is_a_whole_number_of_bytes() {
        let odd = NavigationTiming {
            transfer_size: f64::NAN,
            ..https()
        };
        assert_eq!(odd.fields()[8], 0.0);
        let fractional = NavigationTiming {
            transfer_size: 300.7,
            ..https()
        };
        assert_eq!(fractional.fields()[8], 300.0);
    }
}
