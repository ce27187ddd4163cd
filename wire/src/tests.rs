use super::*;

#[test]
fn event_is_flat_and_tagged_by_kind() {
    let event = Event {
        app: "cart".into(),
        at: 1.5,
        body: EventBody::Vital(Vital::new(VitalName::Cls, 0.25)),
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"app": "cart", "at": 1.5, "kind": "vital", "name": "cls", "value": 0.25})
    );
    assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
}

#[test]
fn vital_attribution_is_optional_both_ways() {
    let vital = Vital {
        rating: Some(Rating::NeedsImprovement),
        target: "#hero>img".into(),
        resource: "https://cdn.example/hero.jpg".into(),
        owner: "catalog".into(),
        restored: true,
        ..Vital::new(VitalName::Lcp, 2600.0)
    };
    let json = serde_json::to_value(&vital).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"name": "lcp", "value": 2600.0, "rating": "needs-improvement", "target": "#hero>img",
            "resource": "https://cdn.example/hero.jpg", "owner": "catalog", "restored": true})
    );
    assert_eq!(serde_json::from_value::<Vital>(json).unwrap(), vital);
    let old: Vital = serde_json::from_str(r#"{"name":"inp","value":40}"#).unwrap();
    assert_eq!(old, Vital::new(VitalName::Inp, 40.0));
}

#[test]
fn ratings_follow_the_web_vitals_thresholds() {
    let cases = [
        (VitalName::Lcp, 2500.0, Rating::Good),
        (VitalName::Lcp, 2500.1, Rating::NeedsImprovement),
        (VitalName::Lcp, 4000.1, Rating::Poor),
        (VitalName::Inp, 200.0, Rating::Good),
        (VitalName::Inp, 500.0, Rating::NeedsImprovement),
        (VitalName::Inp, 504.0, Rating::Poor),
        (VitalName::Cls, 0.1, Rating::Good),
        (VitalName::Cls, 0.25, Rating::NeedsImprovement),
        (VitalName::Cls, 0.26, Rating::Poor),
        (VitalName::Fcp, 1800.5, Rating::NeedsImprovement),
        (VitalName::Fcp, 3000.5, Rating::Poor),
        (VitalName::Ttfb, 800.0, Rating::Good),
        (VitalName::Ttfb, 1800.5, Rating::Poor),
    ];
    for (name, value, rating) in cases {
        assert_eq!(name.rating(value), rating, "{name:?} {value}");
    }
    assert_eq!(Rating::NeedsImprovement.as_str(), "needs-improvement");
}

#[test]
fn a_beacon_id_is_optional_both_ways() {
    let old =
        r#"{"schema":1,"session_id":"s","view_id":"v","page_url":"u","sent_at":1,"events":[]}"#;
    let beacon: Beacon = serde_json::from_str(old).unwrap();
    assert_eq!(beacon.id, None);
    assert_eq!(serde_json::to_string(&beacon).unwrap().find("\"id\""), None);
    let with_id = Beacon {
        id: Some("0123456789abcdef".into()),
        ..beacon
    };
    let json = serde_json::to_value(&with_id).unwrap();
    assert_eq!(json["id"], "0123456789abcdef");
}

#[test]
fn unknown_fields_are_ignored_and_optional_fields_default() {
    let event: Event = serde_json::from_str(
        r#"{"app":"a","at":1,"kind":"error","source":"rejection","error_type":"Error",
            "message":"boom","added_by_a_newer_agent":true}"#,
    )
    .unwrap();
    let EventBody::Error(report) = event.body else {
        panic!("not an error")
    };
    assert_eq!(report.source, ErrorSource::Rejection);
    assert_eq!((report.stack.as_str(), report.line), ("", 0));
}

#[test]
fn repeated_errors_carry_a_count_and_frames() {
    let json = r#"{"app":"a","at":1,"kind":"error","source":"error","error_type":"TypeError","message":"x",
        "frames":[{"function":"render","file":"https://x/a.js","line":3,"column":9}],"count":4}"#;
    let EventBody::Error(report) = serde_json::from_str::<Event>(json).unwrap().body else {
        panic!("not an error")
    };
    assert_eq!(report.count, 4);
    assert_eq!(
        report.frames[0],
        Frame {
            function: "render".into(),
            file: "https://x/a.js".into(),
            line: 3,
            column: 9
        }
    );
    assert_eq!(report.level, Level::Error);
    let once = ErrorReport {
        count: 1,
        frames: vec![],
        ..report
    };
    let json = serde_json::to_value(&once).unwrap();
    assert!(
        ["count", "frames", "level", "attrs"]
            .iter()
            .all(|key| json.get(key).is_none()),
        "defaults are not sent: {json}"
    );
    assert_eq!(
        serde_json::from_value::<ErrorReport>(json).unwrap().count,
        1
    );
}

#[test]
fn long_frames_and_app_defaults() {
    let event: Event = serde_json::from_str(
        r#"{"app":"a","at":1,"kind":"long_frame","duration":120,"blocking":70,
            "scripts":[{"url":"https://x/a.js","invoker":"DIV.onclick","duration":90}]}"#,
    )
    .unwrap();
    let EventBody::LongFrame(frame) = event.body else {
        panic!("not a long frame")
    };
    assert_eq!(
        (frame.blocking, frame.scripts[0].function.as_str()),
        (70.0, "")
    );
    let app: AppInfo = serde_json::from_str(r#"{"name":"cart"}"#).unwrap();
    assert_eq!((app.sample_rate, app.attrs.is_empty()), (1.0, true));
    assert_eq!(
        serde_json::to_string(&app).unwrap(),
        r#"{"name":"cart","version":""}"#
    );
}

#[test]
fn unknown_kind_is_rejected() {
    let result = serde_json::from_str::<Event>(r#"{"app":"a","at":1,"kind":"telemetry"}"#);
    assert!(result.is_err());
}

/// The npm package checks a registration queued before the wasm is ready
/// with its own copy of the app-name rule (so it can answer `false` at
/// once); the copy must say what `check_app_name` and the version limit say.
#[test]
fn the_packages_copy_of_the_app_name_rule_matches_the_wire() {
    let index = include_str!("../../npm-package/index.js");
    let name_rule = crate::concat(&[
        "const APP_NAME = /^[A-Za-z0-9._-]{1,",
        &limits::MAX_APP_NAME_BYTES.to_string(),
        "}$/;",
    ]);
    assert!(index.contains(&name_rule), "index.js lacks {name_rule}");
    let version_rule = crate::concat(&[
        "const MAX_VERSION_BYTES = ",
        &limits::MAX_APP_NAME_BYTES.to_string(),
        ";",
    ]);
    assert!(
        index.contains(&version_rule),
        "index.js lacks {version_rule}"
    );
}
