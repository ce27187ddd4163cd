//! LCP: which candidates count, and its four sub-parts as web-vitals'
//! attribution computes them, from the timing numbers alone.
//!
//! A prerendered page's timings count from `activationStart`. Paints after
//! the page was first hidden do not count; LCP is final at the first trusted
//! click or keydown, or when the page hides.

use super::{since_activation, Parts, Vital, VitalName};
use crate::{App, SHELL};

/// The request of the LCP resource (its ResourceTiming entry's numbers, ms
/// since the time origin): the last one of its URL made before the LCP rendered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LcpResource {
    /// 0 for a cross-origin resource without `Timing-Allow-Origin`: then `start_time` counts.
    pub request_start: f64,
    pub start_time: f64,
    pub response_end: f64,
}

/// A `largest-contentful-paint` entry, with what its sub-parts need.
#[derive(Debug, Clone)]
pub struct LcpCandidate<T> {
    /// When it rendered (`startTime`, ms since the time origin).
    pub start: f64,
    /// The navigation's `activationStart` and `responseStart`.
    pub activation: f64,
    pub response_start: f64,
    /// The resource's request, if it has a URL and its entry was found.
    pub request: Option<LcpResource>,
    /// Its element's selector, and its resource's URL (scrubbed).
    pub target: T,
    pub resource: T,
    /// The app whose DOM holds the element (or that serves the image); none: the shell.
    pub owner: Option<App>,
}

/// Whether a candidate rendered at `start` counts: not once LCP is final,
/// not if the page was hidden before it rendered.
pub(super) fn counts(start: f64, first_hidden: f64, lcp_final: bool) -> bool {
    !lcp_final && start < first_hidden
}

impl<T: Default> LcpCandidate<T> {
    pub(super) fn into_vital(self) -> Vital<T> {
        let value = since_activation(self.start, self.activation);
        Vital {
            target: self.target,
            resource: self.resource,
            owner: Some(self.owner.unwrap_or(SHELL)),
            parts: parts(self.response_start, self.activation, self.request, value),
            ..Vital::new(VitalName::Lcp, value)
        }
    }
}

/// A copy of the LCP vital. It has no scripts: not cloning them keeps
/// `Vec<Script>`'s clone out of the wasm.
pub(super) fn copy<T: Clone>(lcp: &Vital<T>) -> Vital<T> {
    Vital {
        target: lcp.target.clone(),
        resource: lcp.resource.clone(),
        event_type: lcp.event_type.clone(),
        scripts: Vec::new(),
        ..*lcp
    }
}

/// LCP's four sub-parts: time to first byte, then until the LCP resource
/// was requested, its load, and until the element rendered. They add up to
/// the LCP value `lcp` (or to when the resource finished, if the browser
/// reports that later). Text (no resource) has no load: the time after TTFB
/// is all render delay.
pub fn parts(
    response_start: f64,
    activation: f64,
    request: Option<LcpResource>,
    lcp: f64,
) -> Parts {
    let ttfb = since_activation(response_start, activation);
    let mut request_start = ttfb;
    let mut response_end = ttfb;
    if let Some(request) = request {
        let requested = match request.request_start {
            0.0 => request.start_time,
            requested => requested,
        };
        request_start = (requested - activation).max(ttfb);
        response_end = (request.response_end - activation).max(request_start);
    }
    let render = lcp.max(response_end);
    Parts::Lcp {
        ttfb,
        load_delay: request_start - ttfb,
        load_duration: response_end - request_start,
        render_delay: render - response_end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(request_start: f64, start_time: f64, response_end: f64) -> Option<LcpResource> {
        Some(LcpResource {
            request_start,
            start_time,
            response_end,
        })
    }

    /// Asserts the parts for a navigation's `response_start`, its `activation`,
    /// the LCP resource's `request` and the LCP value `lcp`: ttfb, load
    /// delay, load duration, render delay.
    fn assert_parts(
        (response_start, activation): (f64, f64),
        request: Option<LcpResource>,
        lcp: f64,
        expected: [f64; 4],
    ) {
        let found = parts(response_start, activation, request, lcp);
        assert!(matches!(found, Parts::Lcp { .. }), "{found:?}");
        assert_eq!(found.numbers(), Some(expected));
    }

    #[test]
    fn text_lcp_is_ttfb_then_render_delay() {
        assert_parts((300.0, 0.0), None, 1_200.0, [300.0, 0.0, 0.0, 900.0]);
    }

    #[test]
    fn image_lcp_splits_at_its_request_and_response() {
        let image = request(500.0, 450.0, 900.0);
        assert_parts((300.0, 0.0), image, 1_200.0, [300.0, 200.0, 400.0, 300.0]);
        // Cross-origin without Timing-Allow-Origin: requestStart is 0, startTime counts.
        let opaque = request(0.0, 450.0, 900.0);
        assert_parts((300.0, 0.0), opaque, 1_200.0, [300.0, 150.0, 450.0, 300.0]);
        // Requested before the document's first byte (a preload from an early hint): no load delay.
        let preloaded = request(100.0, 100.0, 900.0);
        assert_parts((300.0, 0.0), preloaded, 1_200.0, [300.0, 0.0, 600.0, 300.0]);
    }

    #[test]
    fn a_resource_finished_after_the_lcp_ends_the_parts_there() {
        // The browser reports the image's responseEnd after its render time:
        // no render delay, and the parts add up to the response's end.
        let late = request(500.0, 500.0, 1_500.0);
        assert_parts((300.0, 0.0), late, 1_200.0, [300.0, 200.0, 1_000.0, 0.0]);
    }

    #[test]
    fn a_prerendered_page_counts_from_its_activation() {
        // Fetched and loaded while prerendering (before the activation at 2000): all render delay.
        let before = request(500.0, 500.0, 900.0);
        assert_parts((300.0, 2_000.0), before, 250.0, [0.0, 0.0, 0.0, 250.0]);
        // Requested after the activation: its delay and load from the activation on.
        let after = request(2_100.0, 2_100.0, 2_400.0);
        assert_parts((300.0, 2_000.0), after, 600.0, [0.0, 100.0, 300.0, 200.0]);
    }

    #[test]
    fn a_candidate_is_its_render_time_since_activation_owned_by_the_shell_by_default() {
        let candidate = LcpCandidate {
            start: 2_600.0,
            activation: 2_000.0,
            response_start: 300.0,
            request: None,
            target: Some("h1"),
            resource: None,
            owner: None,
        };
        let vital = candidate.into_vital();
        assert_eq!((vital.name, vital.value), (VitalName::Lcp, 600.0));
        assert_eq!((vital.target, vital.owner), (Some("h1"), Some(SHELL)));
        assert_eq!(vital.parts.numbers(), Some([0.0, 0.0, 0.0, 600.0]));
    }

    #[test]
    fn candidates_stop_counting_once_final_or_hidden() {
        assert!(counts(100.0, f64::INFINITY, false));
        assert!(!counts(100.0, f64::INFINITY, true));
        assert!(!counts(100.0, 100.0, false));
        assert!(counts(99.0, 100.0, false));
    }
}
