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

/// The npm package's agent cuts text to the wire's limits and checks app
/// names itself (index.js with it, so a registration queued before the wasm
/// is ready is refused at once): its one copy of them, npm-package/agent/fields.js,
/// must say what `limits` and `check_app_name` say.
#[test]
fn the_packages_limits_and_app_name_rule_match_the_wire() {
    let fields = include_str!("../../npm-package/agent/fields.js");
    let name_rule = crate::concat(&[
        "export const APP_NAME = /^[A-Za-z0-9._-]{1,",
        &limits::MAX_APP_NAME_BYTES.to_string(),
        "}$/;",
    ]);
    assert!(fields.contains(&name_rule), "fields.js lacks {name_rule}");
    let shared = [
        ("MAX_TEXT_BYTES", limits::MAX_TEXT_BYTES),
        ("MAX_STACK_BYTES", limits::MAX_STACK_BYTES),
        ("MAX_FRAMES", limits::MAX_FRAMES),
        ("MAX_APPS_PER_BEACON", limits::MAX_APPS_PER_BEACON),
        ("MAX_BEACON_BYTES", limits::MAX_BEACON_BYTES),
        ("MAX_ATTRS", limits::MAX_ATTRS),
        ("MAX_ATTR_KEY_BYTES", limits::MAX_ATTR_KEY_BYTES),
        ("MAX_ATTR_VALUE_BYTES", limits::MAX_ATTR_VALUE_BYTES),
        ("MAX_APP_NAME_BYTES", limits::MAX_APP_NAME_BYTES),
    ];
    for (name, value) in shared {
        let rule = crate::concat(&["export const ", name, " = ", &value.to_string(), ";"]);
        assert!(fields.contains(&rule), "fields.js lacks {rule}");
    }
    // The messages name the limit in words, as check_app_name's do.
    let words = crate::concat(&[
        "must be 1 to ",
        &limits::MAX_APP_NAME_BYTES.to_string(),
        " characters",
    ]);
    assert!(fields.contains(&words), "fields.js lacks {words}");
    assert!(limits::check_app_name("").unwrap_err().contains(&words));
}
