//! `json.rs`'s output compared with `serde_json`'s, byte for byte.

use canopy_wire::*;

use super::{decimal, envelope, event as encode};

fn same_as_serde_json(encoded: String, value: &(impl serde::Serialize + std::fmt::Debug)) {
    let expected = serde_json::to_string(value).unwrap();
    assert_eq!(encoded, expected, "{value:?}");
}

fn event_same_as_serde_json(event: &Event) {
    same_as_serde_json(encode(&event.app, event.at, &event.body), event);
}

fn event(body: EventBody) -> Event {
    Event {
        app: "cart".into(),
        at: 1_732_000_000_123.4,
        body,
    }
}

#[test]
fn every_event_kind_matches_serde_json() {
    let bodies = [
        EventBody::Vital(Vital::new(VitalName::Cls, 0.012_345_678_9)),
        EventBody::Vital(Vital {
            rating: Some(Rating::NeedsImprovement),
            target: "div#grid>img.hero".into(),
            resource: "https://cdn.example/hero.jpg".into(),
            event_type: "keydown".into(),
            owner: "catalog".into(),
            restored: true,
            parts: Pairs(vec![
                ("ttfb".into(), 80.5),
                ("render_delay".into(), 2_532.0),
            ]),
            scripts: vec![ScriptTiming {
                url: String::new(),
                function: String::new(),
                invoker: "Window.setTimeout".into(),
                duration: 61.0,
            }],
            ..Vital::new(VitalName::Lcp, 2_612.5)
        }),
        EventBody::Vital(Vital::new(VitalName::Ttfb, 250.0)),
        EventBody::Navigation(Navigation {
            nav_type: "back_forward".into(),
            dns: 0.0,
            tcp: 12.5,
            tls: 7.300_000_000_000_182,
            ttfb: 80.1,
            download: 3.0,
            dom_parse: 140.7,
            dom_ready: 812.9,
            load: 1_204.4,
            transfer_size: 18_732,
        }),
        EventBody::Resource(Resource {
            url: "https://cdn.example/mfe/cart/main.js".into(),
            initiator: "script".into(),
            duration: 41.89999999,
            transfer_size: 0,
            cache_hit: true,
        }),
        EventBody::ResourceSummary(ResourceSummary {
            count: 212,
            transfer_size: 1_048_576,
            cache_hits: 7,
            duration: 9_001.25,
        }),
        EventBody::LongFrame(LongFrame {
            duration: 183.0,
            blocking: 120.5,
            scripts: vec![ScriptTiming {
                url: "https://cdn.example/mfe/cart/main.js".into(),
                function: "onClick".into(),
                invoker: "BUTTON#buy.onclick".into(),
                duration: 150.25,
            }],
        }),
        EventBody::Error(ErrorReport {
            source: ErrorSource::ResourceLoad,
            error_type: "img".into(),
            message: "failed to load img https://x.example/a.png".into(),
            stack: String::new(),
            url: "https://x.example/a.png".into(),
            line: 0,
            column: 0,
            frames: vec![],
            count: 1,
            level: Level::Error,
            attrs: Pairs::default(),
        }),
        EventBody::Error(ErrorReport {
            source: ErrorSource::Rejection,
            error_type: "TypeError".into(),
            message: "say \"hi\"\\ \u{1}\u{1f}\u{7f} é ✓ 🌲 \u{2028}".into(),
            stack: "TypeError: x\n    at f (https://x/a.js:1:2)\r\n\tat\u{8}\u{c}".into(),
            url: "https://x/a.js".into(),
            line: 4_294_967_295,
            column: 17,
            frames: vec![
                Frame {
                    function: "f".into(),
                    file: "https://x/a.js".into(),
                    line: 1,
                    column: 2,
                },
                Frame {
                    function: String::new(),
                    file: "<anonymous>".into(),
                    line: 0,
                    column: 0,
                },
            ],
            count: 3,
            level: Level::Error,
            attrs: Pairs::default(),
        }),
        EventBody::Error(ErrorReport {
            level: Level::Warning,
            attrs: Pairs(vec![
                ("order".into(), "42".into()),
                ("é\"".into(), "✓".into()),
            ]),
            ..ErrorReport::new(ErrorSource::Message, "Message".into(), "low stock".into())
        }),
        EventBody::Error(ErrorReport {
            level: Level::Fatal,
            ..ErrorReport::new(ErrorSource::Handled, "TypeError".into(), "x".into())
        }),
        EventBody::ApiCall(ApiCall {
            method: "POST".into(),
            url: "https://api.example/cart".into(),
            status: 503,
            duration: 41.299999,
            message: String::new(),
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        }),
        EventBody::ApiCall(ApiCall {
            method: "GET".into(),
            url: "https://api.example/stock".into(),
            status: 0,
            duration: 3.5,
            message: "Failed to fetch".into(),
            trace_id: String::new(),
        }),
        EventBody::ApiSummary(ApiSummary {
            calls: 7,
            failed: 2,
            duration: 311.75,
        }),
        EventBody::App(AppLifecycle::new(AppPhase::Registered, "")),
        EventBody::App(AppLifecycle::new(AppPhase::Failed, "mount threw")),
        EventBody::App(AppLifecycle {
            health_check: "https://cdn.example/mfe/cart/health".into(),
            dependencies: vec!["catalog".into(), "shell".into()],
            declared_rules: r#"[{"metric":"lcp","above":2500}]"#.into(),
            ..AppLifecycle::new(AppPhase::Registered, "")
        }),
        EventBody::Metric(CustomMetric {
            name: "cart.total".into(),
            value: 129.95,
            attrs: Pairs(vec![
                ("currency".into(), "EUR".into()),
                ("é\"".into(), "✓".into()),
            ]),
        }),
        EventBody::Custom(CustomEvent {
            name: "checkout".into(),
            attrs: Pairs::default(),
        }),
        EventBody::Resource(Resource {
            url: "https://api.example/items".into(),
            initiator: "fetch".into(),
            duration: 12.0,
            transfer_size: 300,
            cache_hit: false,
        }),
    ];
    for body in bodies {
        event_same_as_serde_json(&event(body));
    }
}

#[test]
fn the_envelope_matches_serde_json() {
    let beacon = Beacon {
        schema: SCHEMA_VERSION,
        id: Some("00112233445566778899aabbccddeeff".into()),
        session_id: "0123456789abcdef0123456789abcdef".into(),
        view_id: "fedcba9876543210fedcba9876543210".into(),
        page_url: "https://shop.example/cart".into(),
        sent_at: 1_732_000_000_999.0,
        apps: vec![
            AppInfo {
                name: "catalog".into(),
                version: "2.3.1".into(),
                sample_rate: 0.25,
                attrs: Pairs(vec![("tenant".into(), "eu".into())]),
            },
            AppInfo {
                name: "cart".into(),
                version: String::new(),
                sample_rate: 1.0,
                attrs: Pairs::default(),
            },
        ],
        dropped: 12,
        events: vec![],
    };
    same_as_serde_json(envelope(&beacon), &beacon);
    let lcp = event(EventBody::Vital(Vital::new(VitalName::Lcp, 1.0)));
    let beacon = Beacon {
        id: None,
        apps: vec![],
        dropped: 0,
        events: vec![lcp.clone(), lcp],
        ..beacon
    };
    same_as_serde_json(envelope(&beacon), &beacon);
}

#[test]
fn numbers_match_serde_json() {
    let floats = [
        0.0,
        -0.0,
        1.0,
        -1.5,
        0.1,
        1e-7,
        123_456.789,
        1e16,
        1e21,
        1.7976931348623157e308,
        5e-324,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for value in floats {
        let metric = event(EventBody::Metric(CustomMetric {
            name: "m".into(),
            value,
            attrs: Pairs::default(),
        }));
        event_same_as_serde_json(&metric);
    }
    for value in [0u64, 9, 10, 18_732, u64::MAX] {
        assert_eq!(decimal(value), value.to_string());
    }
}
