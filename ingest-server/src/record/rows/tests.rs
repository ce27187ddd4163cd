use super::*;
use canopy_wire::{ApiCall, ErrorReport, ErrorSource, Level, Pairs, Vital, VitalName};

/// A beacon of `events`, accepted from Chrome.
pub(crate) fn accepted(events: Vec<Event>) -> Accepted {
    let received_at_ms = 1_800_000_000_000;
    let client = Client {
        browser: "Chrome".into(),
        ..Client::default()
    };
    Accepted {
        received_at_ms,
        client,
        beacon: Beacon {
            schema: 1,
            id: None,
            session_id: "s".into(),
            view_id: "v".into(),
            page_url: "http://x/".into(),
            sent_at: 10_000.0,
            apps: vec![AppInfo {
                name: "cart".into(),
                version: "2.0.0".into(),
                sample_rate: 0.5,
                attrs: Pairs(vec![("team".into(), "checkout".into())]),
            }],
            dropped: 3,
            events,
        },
    }
}

#[test]
fn api_calls_land_in_their_tables() {
    let call = ApiCall {
        method: "GET".into(),
        url: "https://api.example/cart".into(),
        status: 0,
        duration: 30.0,
        message: "Failed to fetch".into(),
        trace_id: String::new(),
    };
    let summary = canopy_wire::ApiSummary {
        calls: 4,
        failed: 1,
        duration: 90.5,
    };
    let event = |body| Event {
        app: "cart".into(),
        at: 9_000.0,
        body,
    };
    let batch = [accepted(vec![
        event(EventBody::ApiCall(call)),
        event(EventBody::ApiSummary(summary)),
    ])];
    let rows = Rows::from_accepted(&batch);
    let failure = &rows.api_failures[0];
    assert_eq!(
        (
            failure.method,
            failure.status,
            failure.message,
            failure.app_version
        ),
        ("GET", 0, "Failed to fetch", "2.0.0")
    );
    let summary = &rows.api_summaries[0];
    assert_eq!(
        (summary.calls, summary.failed, summary.duration),
        (4, 1, 90.5)
    );
    assert_eq!(rows.len(), 3, "and the beacon's drops");
    assert_eq!(
        ErrorRow::COLUMNS_BEFORE_LEVELS.last(),
        Some(&"count"),
        "format 1 records end their error rows with the count"
    );
}

#[test]
fn events_land_in_their_tables_with_versions_and_server_time() {
    let received = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let error = ErrorReport {
        source: ErrorSource::Rejection,
        error_type: "Error".into(),
        message: "boom".into(),
        stack: String::new(),
        url: String::new(),
        line: 0,
        column: 0,
        frames: vec![],
        count: 2,
        level: Level::Fatal,
        attrs: Pairs(vec![("order".into(), "42".into())]),
    };
    let beacon = accepted(vec![
        Event {
            app: "cart".into(),
            at: 9_000.0,
            body: EventBody::Error(error),
        },
        Event {
            app: "shell".into(),
            at: 99_999.0,
            body: EventBody::Vital(Vital::new(VitalName::Lcp, 1.0)),
        },
    ]);
    let batch = [beacon];
    let rows = Rows::from_accepted(&batch);
    assert_eq!(rows.errors[0].browser, "Chrome");
    assert_eq!(
        (
            rows.errors.len(),
            rows.vitals.len(),
            rows.agent_drops.len(),
            rows.len()
        ),
        (1, 1, 1, 3)
    );
    assert_eq!(rows.errors[0].app_version, "2.0.0");
    // The app's attributes go on each of its rows; the shell registered none.
    assert_eq!(
        rows.errors[0].app_attrs,
        [("team".to_owned(), "checkout".to_owned())]
    );
    assert!(rows.vitals[0].app_attrs.is_empty());
    assert_eq!(rows.errors[0].count, 2);
    assert_eq!(
        (rows.errors[0].level, rows.errors[0].attrs),
        ("fatal", &[("order".to_owned(), "42".to_owned())][..])
    );
    assert_eq!(
        (rows.agent_drops[0].app, rows.agent_drops[0].dropped),
        ("", 3)
    );
    assert_eq!(rows.errors[0].at, received - time::Duration::seconds(1));
    // An event "after" its beacon was sent is clamped to the receive time.
    assert_eq!(rows.vitals[0].at, received);
    assert_eq!(rows.vitals[0].app_version, "");
    // No rating from the agent: the server rates the value itself.
    assert_eq!(
        (rows.vitals[0].rating, rows.vitals[0].restored),
        ("good", false)
    );
}
