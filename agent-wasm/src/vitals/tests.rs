//! The view's vitals as the observers feed them: ported rules of the old
//! `PendingVitals`, and the lifecycle (paint, restore, route change).

use super::inp::tests::{entry, Entry};
use super::*;

type View = Vitals<Option<&'static str>>;
const CATALOG: App = 1;
const CART: App = 2;

fn values(changed: &[(App, Vital<Option<&'static str>>)]) -> Vec<(App, VitalName, f64)> {
    changed
        .iter()
        .map(|(app, v)| (*app, v.name, v.value))
        .collect()
}

fn painted() -> View {
    let mut vitals = View::default();
    assert!(vitals.paint(100.0, 0.0).is_some());
    vitals
}

fn lcp_at(start: f64, owner: Option<App>) -> LcpCandidate<Option<&'static str>> {
    LcpCandidate {
        start,
        activation: 0.0,
        response_start: 100.0,
        request: None,
        target: Some("#hero"),
        resource: None,
        owner,
    }
}

#[test]
fn page_cls_covers_every_app_and_each_app_its_own() {
    let mut vitals = painted();
    vitals.layout_shift(100.0, 0.2, Some("#grid"), CATALOG);
    vitals.layout_shift(200.0, 0.05, Some("#hero"), SHELL);
    let changed = vitals.take_changed(None);
    let found = values(&changed);
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].0, found[0].1), (SHELL, VitalName::Cls));
    assert!((found[0].2 - 0.25).abs() < 1e-12);
    assert_eq!(changed[0].1.owner, Some(CATALOG));
    assert_eq!(found[1], (CATALOG, VitalName::Cls, 0.2));
    assert_eq!(
        vitals.take_changed(None).len(),
        0,
        "only changes are reported again"
    );
}

#[test]
fn cls_waits_for_the_first_paint_and_then_reports_zero() {
    let mut vitals = View::default();
    assert!(vitals.take_changed(None).is_empty());
    vitals.painted = true;
    assert_eq!(
        values(&vitals.take_changed(None)),
        vec![(SHELL, VitalName::Cls, 0.0)]
    );
}

#[test]
fn inp_names_its_phases_and_the_scripts_of_its_frames() {
    let mut vitals = View::default();
    let script = |url, duration| Script {
        url: Some(url),
        function: None,
        invoker: Some("BUTTON.onclick"),
        duration,
    };
    vitals.long_frame(900.0, 980.0, vec![script("https://x/before.js", 70.0)]);
    vitals.long_frame(
        990.0,
        1_200.0,
        vec![
            script("https://x/a.js", 60.0),
            script("https://x/b.js", 150.0),
        ],
    );
    vitals.long_frame(5_000.0, 5_100.0, vec![script("https://x/later.js", 90.0)]);
    vitals.event(&entry(3.0, 136.0, "click"), SHELL);
    let (_, inp) = vitals.take_changed(Some(1.0)).pop().unwrap();
    assert_eq!(
        inp.parts,
        Parts::Inp {
            input_delay: 10.0,
            processing: 20.0,
            presentation: 106.0
        }
    );
    let urls: Vec<&str> = inp.scripts.iter().filter_map(|s| s.url).collect();
    assert_eq!(urls, ["https://x/b.js", "https://x/a.js"]);
}

#[test]
fn inp_processing_spans_the_handlers_of_its_frame() {
    let mut vitals = View::default();
    // A mouseover (no interaction id) with a slow handler, the
    // pointerdown (longest), then the click's handlers in the same frame,
    // then a pointerup presented a frame later.
    let at = |id: f64, start: f64, duration: f64, processing: (f64, f64), name| Entry {
        id,
        start,
        processing_start: processing.0,
        processing_end: processing.1,
        duration,
        name: Some(name),
        target: None,
    };
    let mut add = |entry: Entry| vitals.event(&entry, SHELL);
    add(at(0.0, 990.0, 205.0, (992.0, 1_002.0), "mouseover"));
    add(at(4.0, 1_000.0, 200.0, (1_004.0, 1_010.0), "pointerdown"));
    add(at(4.0, 1_060.0, 136.0, (1_062.0, 1_150.0), "click"));
    add(at(4.0, 1_100.0, 130.0, (1_230.0, 1_231.0), "pointerup"));
    // A dblclick's handler in the same frame, after the interaction was timed.
    add(at(0.0, 1_070.0, 132.0, (1_150.0, 1_170.0), "dblclick"));
    let (_, inp) = vitals.take_changed(Some(1.0)).pop().unwrap();
    // Processing from the mouseover's handler (before the input: from the input) to the dblclick's.
    let [input_delay, processing, presentation, none] = inp.parts.numbers().unwrap();
    assert_eq!([input_delay, processing, presentation], [0.0, 170.0, 30.0]);
    assert!(none.is_nan(), "INP has three parts");
}

#[test]
fn page_inp_uses_the_page_interaction_count_and_apps_their_own() {
    let mut vitals = View::default();
    vitals.event(&entry(1.0, 400.0, "click"), CART);
    vitals.event(&entry(8.0, 200.0, "keydown"), SHELL);
    let changed = vitals.take_changed(Some(60.0));
    // 60 interactions on the page: the worst is skipped; the cart saw one.
    assert_eq!(
        values(&changed),
        vec![
            (SHELL, VitalName::Inp, 200.0),
            (CART, VitalName::Inp, 400.0)
        ]
    );
    assert_eq!(changed[0].1.owner, Some(SHELL));
}

#[test]
fn a_restored_view_starts_over() {
    let mut vitals = painted();
    vitals.event(&entry(1.0, 400.0, "click"), SHELL);
    vitals.lcp(lcp_at(900.0, None));
    assert_eq!(vitals.take_changed(Some(1.0)).len(), 3);
    let ttfb = vitals.restore(5_000.0, false, 3.0);
    assert_eq!(
        (ttfb.name, ttfb.value, ttfb.restored),
        (VitalName::Ttfb, 0.0, true)
    );
    assert!(vitals.lcp_final && vitals.restored && !vitals.painted);
    assert!(vitals.take_changed(Some(3.0)).is_empty());
    // Interactions after the restore too short to observe: web-vitals' 8 ms.
    let changed = vitals.take_changed(Some(4.0));
    assert_eq!(values(&changed), vec![(SHELL, VitalName::Inp, 8.0)]);
    assert!(changed[0].1.restored);
}

#[test]
fn lcp_is_the_shells_and_its_owners_and_reported_when_it_changes() {
    let mut vitals = View::default();
    vitals.lcp(lcp_at(700.0, Some(CART)));
    vitals.lcp(lcp_at(900.0, Some(CATALOG)));
    let changed = vitals.take_changed(None);
    assert_eq!(
        values(&changed),
        vec![
            (CATALOG, VitalName::Lcp, 900.0),
            (SHELL, VitalName::Lcp, 900.0)
        ]
    );
    assert!(changed.iter().all(|(_, lcp)| lcp.owner == Some(CATALOG)));
    assert!(vitals.take_changed(None).is_empty());
}

#[test]
fn lcp_candidates_stop_at_finalization_and_when_hidden() {
    let mut vitals = View::default();
    vitals.first_hidden(f64::INFINITY);
    vitals.lcp(lcp_at(700.0, None));
    vitals.hidden(1_000.0);
    // Rendered after the page hid: not counted.
    vitals.lcp(lcp_at(1_200.0, None));
    assert!(!vitals.takes_lcp(1_200.0) && vitals.takes_lcp(800.0));
    vitals.lcp(lcp_at(800.0, None));
    assert!(!vitals.lcp_final());
    vitals.finalize_lcp();
    assert!(vitals.lcp_final() && !vitals.takes_lcp(900.0));
    vitals.lcp(lcp_at(900.0, None));
    let changed = vitals.take_changed(None);
    assert_eq!(values(&changed), vec![(SHELL, VitalName::Lcp, 800.0)]);
    let lcp = &changed[0].1;
    assert_eq!(
        (lcp.target, lcp.owner, lcp.restored),
        (Some("#hero"), Some(SHELL), false)
    );
    assert_eq!(lcp.parts.numbers(), Some([100.0, 0.0, 0.0, 700.0]));
}

#[test]
fn fcp_counts_from_activation_unless_the_page_hid_first() {
    let mut hidden_first = View::default();
    hidden_first.first_hidden(0.0);
    assert!(hidden_first.paint(300.0, 0.0).is_none());
    assert!(
        hidden_first.take_changed(None).is_empty(),
        "no paint: no CLS"
    );
    let mut prerendered = View::default();
    let fcp = prerendered.paint(2_300.0, 2_000.0).unwrap();
    assert_eq!(
        (fcp.name, fcp.value, fcp.rating()),
        (VitalName::Fcp, 300.0, Rating::Good)
    );
    // Painted while prerendering, before the activation: 0.
    assert_eq!(View::default().paint(1_500.0, 2_000.0).unwrap().value, 0.0);
}

#[test]
fn a_restore_paints_on_its_second_frame_and_reports_as_restored() {
    let mut vitals = painted();
    vitals.hidden(3_000.0);
    vitals.restore(5_000.0, false, 2.0);
    assert_eq!(
        vitals.first_hidden,
        f64::INFINITY,
        "a visible restore is a new first-hidden"
    );
    let fcp = vitals.restored_paint(5_034.0).unwrap();
    assert_eq!(
        (fcp.name, fcp.value, fcp.restored),
        (VitalName::Fcp, 34.0, true)
    );
    assert!(vitals.restored_paint(5_050.0).is_none(), "once per restore");
    // LCP is the same time, final; CLS is reported from the paint on.
    vitals.lcp(lcp_at(5_100.0, Some(CART)));
    let changed = vitals.take_changed(Some(2.0));
    assert_eq!(
        values(&changed),
        vec![(SHELL, VitalName::Cls, 0.0), (SHELL, VitalName::Lcp, 34.0)]
    );
    assert!(changed
        .iter()
        .all(|(_, vital)| vital.restored && vital.owner.is_none()));
    // A real interaction after the restore is its INP, not the 8 ms.
    vitals.event(&entry(9.0, 240.0, "click"), SHELL);
    let changed = vitals.take_changed(Some(3.0));
    assert_eq!(values(&changed), vec![(SHELL, VitalName::Inp, 240.0)]);
    // Restored while hidden: paints never count.
    let mut hidden = View::default();
    hidden.restore(5_000.0, true, 0.0);
    assert!(hidden.paint(5_100.0, 0.0).is_none());
}

#[test]
fn after_a_route_change_cls_and_inp_count_from_it() {
    let mut vitals = painted();
    vitals.hidden(50_000.0);
    vitals.layout_shift(1_000.0, 0.2, Some("#grid"), CATALOG);
    vitals.event(&entry(1.0, 400.0, "click"), CATALOG);
    vitals.lcp(lcp_at(900.0, None));
    assert_eq!(vitals.take_changed(Some(1.0)).len(), 5);
    vitals.route_changed(1.0);
    // Within a second of the old view's shift: in the old view the same window.
    vitals.layout_shift(1_500.0, 0.05, Some("#list"), CATALOG);
    vitals.lcp(lcp_at(1_600.0, None));
    let changed = vitals.take_changed(Some(1.0));
    let found = values(&changed);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0, found[0].1), (SHELL, VitalName::Cls));
    assert!((found[0].2 - 0.05).abs() < 1e-12);
    assert_eq!((found[1].0, found[1].1), (CATALOG, VitalName::Cls));
    assert!(!changed[0].1.restored);
    assert_eq!(
        vitals.first_hidden, 50_000.0,
        "the page's first hidden is kept"
    );
    // The new view's interactions are counted from its start.
    vitals.event(&entry(2.0, 120.0, "keydown"), SHELL);
    assert_eq!(
        values(&vitals.take_changed(Some(2.0))),
        vec![(SHELL, VitalName::Inp, 120.0)]
    );
}

#[test]
fn ratings_and_parts_numbers() {
    assert_eq!(
        Vital::<&str>::new(VitalName::Inp, 200.0).rating(),
        Rating::Good
    );
    assert_eq!(
        Vital::<&str>::new(VitalName::Cls, 0.2).rating(),
        Rating::NeedsImprovement
    );
    assert_eq!(
        Vital::<&str>::new(VitalName::Lcp, 4_001.0).rating(),
        Rating::Poor
    );
    assert_eq!(Parts::None.numbers(), None);
}
