//! PerformanceObserver hooks: navigation, paint, LCP, layout shifts, event
//! timing and resources, read as web-vitals 6 reads them.
//!
//! A prerendered page is observed from its activation on (entries are
//! buffered, so none is lost), and its timings count from `activationStart`.
//! LCP is final at the first trusted click or keydown: its observer is then
//! drained and disconnected.

use super::{frames, Observation, Report, Tag};
use crate::browser::{observe_entries, Js, Word};
use crate::text;
use crate::vitals::{InteractionEntry, LcpCandidate, LcpResource, NavigationTiming};

/// Event Timing only reports events at least this long (ms); web-vitals uses 40.
const EVENT_DURATION_THRESHOLD: f64 = 40.0;

/// Starts observing every entry type, buffered; adds the observers to
/// `observing`, by the tag of their entries.
pub fn start(report: Report, observing: &mut Vec<(Tag, Js)>) {
    report(Observation::FirstHidden { at: first_hidden() });
    let kinds = [
        (Word::navigation, Tag::Navigation),
        (Word::paint, Tag::Paint),
        (Word::largest_contentful_paint, Tag::Lcp),
        (Word::layout_shift, Tag::LayoutShift),
        (Word::event, Tag::Event),
        // The first input is reported whatever its duration: an INP candidate too.
        (Word::first_input, Tag::FirstInput),
        (Word::resource, Tag::Resource),
        frames::kind(),
    ];
    // By reference: an array iterated by value links core's array IntoIter.
    for &(kind, tag) in &kinds {
        let threshold = if tag == Tag::Event {
            EVENT_DURATION_THRESHOLD
        } else {
            0.0
        };
        if let Some(observer) = observe_entries(kind, tag as u32, threshold, None) {
            observing.push((tag, observer));
        }
    }
    let window = Js::global(Word::window);
    for &input in &[Word::keydown, Word::click] {
        window.listen(input, Tag::Input as u32, true);
    }
}

/// Observes the resources of another window (a framework's sandbox iframe,
/// whose timeline the page's observers do not see), dated on the page's
/// clock: the offset between the two time origins rides in the tag.
pub fn observe_resources_of(window: &Js) {
    let offset = window.get(Word::performance).num(Word::timeOrigin)
        - Js::global(Word::performance).num(Word::timeOrigin);
    // Whole milliseconds are enough to date a resource; the tag has 24 bits.
    let offset = offset.max(0.0).min(f64::from(0xff_ffffu32)) as u32;
    observe_entries(
        Word::resource,
        Tag::SandboxResource.with(offset),
        0.0,
        Some(window),
    );
}

/// Reads a list of entries of the observer tagged `tag`, `offset` ms after
/// the page's time origin (a sandbox window's resources).
pub fn entries(tag: Tag, list: &Js, offset: f64, report: Report) {
    for entry in list.items() {
        match tag {
            Tag::Navigation => navigation(&entry, false, report),
            Tag::Paint => paint(&entry, report),
            Tag::Lcp => lcp(&entry, report),
            Tag::LayoutShift => layout_shift(&entry, report),
            Tag::Event | Tag::FirstInput => event_timing(&entry, report),
            Tag::Resource => {
                text::remember_resource(&entry);
                resource(&entry, 0.0, report);
            }
            Tag::SandboxResource => resource(&entry, offset, report),
            Tag::LongFrame | Tag::LongTask => frames::frame(tag, &entry, report),
            _ => {}
        }
    }
}

fn performance() -> Js {
    Js::global(Word::performance)
}

fn navigation_entry() -> Js {
    let kind = Js::word(Word::navigation);
    performance().call(Word::getEntriesByType, &kind).item(0)
}

/// When a prerendered page was activated (ms since the time origin); 0 if it was not prerendered.
fn activation_start() -> f64 {
    navigation_entry().num(Word::activationStart)
}

/// When the page was first hidden since activation, as web-vitals decides
/// it: the first `hidden` visibility-state entry, else 0 if the page is
/// hidden now (it loaded in the background), else never (infinity).
fn first_hidden() -> f64 {
    let activation = activation_start();
    let kind = Js::word(Word::visibility_state);
    for entry in performance().call(Word::getEntriesByType, &kind).items() {
        let start = entry.num(Word::startTime);
        if entry.is(Word::name, Word::hidden) && start >= activation {
            return start;
        }
    }
    if super::lifecycle::is_hidden() {
        0.0
    } else {
        f64::INFINITY
    }
}

/// The page load's navigation timing. Chromium delivers the buffered entry
/// to an observer that starts before `load`, and again when load ends: an
/// entry without `loadEventEnd` waits for that second delivery (or for the
/// page hiding first: `unfinished`).
pub fn navigation(entry: &Js, unfinished: bool, report: Report) {
    if !entry.is_object() || (!unfinished && entry.num(Word::loadEventEnd) <= 0.0) {
        return;
    }
    let ms = |key| entry.num(key);
    report(Observation::Navigation {
        kind: entry.get(Word::type_),
        timing: NavigationTiming {
            activation_start: ms(Word::activationStart),
            domain_lookup_start: ms(Word::domainLookupStart),
            domain_lookup_end: ms(Word::domainLookupEnd),
            connect_start: ms(Word::connectStart),
            connect_end: ms(Word::connectEnd),
            secure_connection_start: ms(Word::secureConnectionStart),
            response_start: ms(Word::responseStart),
            response_end: ms(Word::responseEnd),
            dom_interactive: ms(Word::domInteractive),
            dom_content_loaded_event_end: ms(Word::domContentLoadedEventEnd),
            load_event_end: ms(Word::loadEventEnd),
            transfer_size: ms(Word::transferSize),
        },
    });
}

/// The navigation entry as it is now, for a page hidden before its load ended.
pub fn unfinished_navigation(report: Report) {
    navigation(&navigation_entry(), true, report);
}

fn paint(entry: &Js, report: Report) {
    if entry.is(Word::name, Word::first_contentful_paint) {
        report(Observation::Paint {
            start: entry.num(Word::startTime),
            activation: activation_start(),
        });
    }
}

fn lcp(entry: &Js, report: Report) {
    let start = entry.num(Word::startTime);
    let element = entry.get(Word::element);
    let url = entry.get(Word::url);
    let has_url = url.is_some() && !entry.is(Word::url, Word::empty);
    let request = if has_url {
        let found = text::resource_of_lcp(&url, start);
        found.is_object().then(|| LcpResource {
            request_start: found.num(Word::requestStart),
            start_time: found.num(Word::startTime),
            response_end: found.num(Word::responseEnd),
        })
    } else {
        None
    };
    let resource = if has_url {
        text::scrub_url(&url)
    } else {
        Js::UNDEFINED
    };
    // The browser hides an element inside a shadow root: an image is then
    // the app's that serves it. A removed element is still named by its id.
    let (target, owner) = if element.is_object() {
        (text::node_selector(&element), text::owner_by_node(&element))
    } else {
        let owner = if has_url {
            text::owner_by_url(&resource)
        } else {
            None
        };
        let id = entry.get(Word::id);
        let named = id.is_some() && !entry.is(Word::id, Word::empty);
        (
            if named {
                text::selector_of_id(&id)
            } else {
                Js::UNDEFINED
            },
            owner,
        )
    };
    let navigation = navigation_entry();
    report(Observation::Lcp(LcpCandidate {
        start,
        activation: navigation.num(Word::activationStart),
        response_start: navigation.num(Word::responseStart),
        request,
        target,
        resource,
        owner,
    }));
}

fn layout_shift(shift: &Js, report: Report) {
    if shift.is(Word::hadRecentInput, Word::True) {
        return;
    }
    // The shift's target, as web-vitals picks it: the first source that is an element, else the first.
    let sources = shift.get(Word::sources);
    let mut node = None;
    for source in sources.items() {
        let source_node = source.get(Word::node);
        if node.is_none() || source_node.num(Word::nodeType) == 1.0 {
            let element = source_node.num(Word::nodeType) == 1.0;
            node = Some(source_node);
            if element {
                break;
            }
        }
    }
    let target = match node {
        Some(node) => text::node_selector(&node),
        None => Js::UNDEFINED,
    };
    // The shift is the app's that caused it, not the app's that moved most.
    let owner = text::owner_by_node(&text::cause_of_shift(&sources));
    report(Observation::LayoutShift {
        start: shift.num(Word::startTime),
        value: shift.num(Word::value),
        target,
        owner,
    });
}

fn event_timing(timing: &Js, report: Report) {
    let id = timing.num(Word::interactionId);
    // Only an interaction's entries are attributed; the others count for their frame alone.
    let (target, owner) = if id > 0.0 {
        let node = timing.get(Word::target);
        (text::node_selector(&node), text::owner_by_node(&node))
    } else {
        (Js::UNDEFINED, None)
    };
    report(Observation::Event {
        entry: InteractionEntry {
            id,
            start: timing.num(Word::startTime),
            processing_start: timing.num(Word::processingStart),
            processing_end: timing.num(Word::processingEnd),
            duration: timing.num(Word::duration),
            name: timing.get(Word::name),
            target,
        },
        owner,
    });
}

/// A resource entry, `offset` ms after the page's time origin its window's is.
fn resource(entry: &Js, offset: f64, report: Report) {
    let url = entry.get(Word::name);
    if text::is_own_request(&url) {
        return;
    }
    let transfer_size = entry.num(Word::transferSize);
    report(Observation::Resource {
        started: entry.num(Word::startTime) + offset,
        url: text::scrub_url(&url),
        initiator: entry.get(Word::initiatorType),
        duration: entry.num(Word::duration),
        transfer_size,
        // Nothing over the network, yet a body: the browser's cache served it.
        // (Cross-origin resources without Timing-Allow-Origin report 0 for both.)
        cache_hit: transfer_size == 0.0 && entry.num(Word::decodedBodySize) > 0.0,
    });
}
