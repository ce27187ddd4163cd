//! Validate: decode a request body into a beacon and check what the types
//! alone cannot (nesting depth, schema version, counts, names, ranges).
//! Over-long text is cut to the shared limits and marked rather than refused:
//! a long stack trace is still worth keeping.

use canopy_wire::limits::{
    check_app_name, check_beacon_id, check_metric_name, check_trace_id, truncate,
    MAX_APPS_PER_BEACON, MAX_APP_NAME_BYTES, MAX_ATTRS, MAX_ATTR_KEY_BYTES, MAX_ATTR_VALUE_BYTES,
    MAX_EVENTS_PER_BEACON, MAX_FRAMES, MAX_ID_BYTES, MAX_METHOD_BYTES, MAX_SCRIPTS,
    MAX_STACK_BYTES, MAX_TEXT_BYTES,
};
use canopy_wire::{ApiCall, Beacon, EventBody, Frame, Parts, ScriptTiming, SCHEMA_VERSION};

/// Most apps one app may declare it depends on.
const MAX_DEPENDENCIES: usize = 16;

/// Deepest JSON nesting accepted; a beacon needs 5 levels (a script of a
/// long frame: beacon, events, event, scripts, script).
pub const MAX_DEPTH: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("JSON is nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("body is not JSON: {0}")]
    MalformedJson(serde_json::Error),
    #[error("body is not a beacon: {0}")]
    NotABeacon(serde_json::Error),
    #[error("schema {found} is not supported; this server reads schema {SCHEMA_VERSION}")]
    UnsupportedSchema { found: u32 },
    #[error("a beacon may carry at most {MAX_EVENTS_PER_BEACON} events, this one has {found}")]
    TooManyEvents { found: usize },
    #[error("a beacon may list at most {MAX_APPS_PER_BEACON} apps, this one has {found}")]
    TooManyApps { found: usize },
    #[error("{field}: {problem}")]
    InvalidField { field: String, problem: String },
    #[error("id: {0}")]
    InvalidBeaconId(&'static str),
}

impl ValidateError {
    pub fn code(&self) -> &'static str {
        match self {
            ValidateError::TooDeep => "too_deep",
            ValidateError::MalformedJson(_) => "malformed_json",
            ValidateError::NotABeacon(_) => "invalid_beacon",
            ValidateError::UnsupportedSchema { .. } => "unsupported_schema",
            ValidateError::TooManyEvents { .. } => "too_many_events",
            ValidateError::TooManyApps { .. } => "too_many_apps",
            ValidateError::InvalidField { .. } => "invalid_field",
            ValidateError::InvalidBeaconId(_) => "invalid_beacon_id",
        }
    }
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> ValidateError {
    ValidateError::InvalidField {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Decodes and checks a beacon body.
pub fn validate(body: &[u8]) -> Result<Beacon, ValidateError> {
    if nesting_depth(body) > MAX_DEPTH {
        return Err(ValidateError::TooDeep);
    }
    let mut beacon: Beacon =
        serde_json::from_slice(body).map_err(|error| match error.classify() {
            serde_json::error::Category::Data => ValidateError::NotABeacon(error),
            _ => ValidateError::MalformedJson(error),
        })?;
    if beacon.schema != SCHEMA_VERSION {
        return Err(ValidateError::UnsupportedSchema {
            found: beacon.schema,
        });
    }
    if beacon.events.len() > MAX_EVENTS_PER_BEACON {
        return Err(ValidateError::TooManyEvents {
            found: beacon.events.len(),
        });
    }
    if beacon.apps.len() > MAX_APPS_PER_BEACON {
        return Err(ValidateError::TooManyApps {
            found: beacon.apps.len(),
        });
    }
    if let Some(id) = &beacon.id {
        check_beacon_id(id).map_err(ValidateError::InvalidBeaconId)?;
    }
    check_id("session_id", &beacon.session_id)?;
    check_id("view_id", &beacon.view_id)?;
    let mut cut = Cut::default();
    cut.text(&mut beacon.page_url, MAX_TEXT_BYTES);
    for (index, app) in beacon.apps.iter_mut().enumerate() {
        check_app_name(&app.name)
            .map_err(|problem| invalid(format!("apps[{index}].name"), problem))?;
        cut.text(&mut app.version, MAX_APP_NAME_BYTES);
        if !(0.0..=1.0).contains(&app.sample_rate) {
            let problem = format!("must be from 0 to 1, got {}", app.sample_rate);
            return Err(invalid(format!("apps[{index}].sample_rate"), problem));
        }
        check_attrs(&mut app.attrs, &mut cut)
            .map_err(|(field, problem)| invalid(format!("apps[{index}].{field}"), problem))?;
    }
    for (index, event) in beacon.events.iter_mut().enumerate() {
        check_app_name(&event.app)
            .map_err(|problem| invalid(format!("events[{index}].app"), problem))?;
        check_event_body(&mut event.body, &mut cut)
            .map_err(|(field, problem)| invalid(format!("events[{index}].{field}"), problem))?;
    }
    if cut.0 > 0 {
        metrics::counter!(crate::metrics::FIELDS_TRUNCATED).increment(cut.0);
    }
    // Counted here, with the other figures a beacon reports about itself:
    // those events are lost whether or not this beacon is stored.
    crate::metrics::count_agent_drops(beacon.dropped);
    Ok(beacon)
}

fn check_attrs(attrs: &mut canopy_wire::Attrs, cut: &mut Cut) -> Result<(), FieldProblem> {
    at_most("attrs", &attrs.0, MAX_ATTRS)?;
    for (key, value) in &mut attrs.0 {
        cut.text(key, MAX_ATTR_KEY_BYTES);
        cut.text(value, MAX_ATTR_VALUE_BYTES);
    }
    Ok(())
}

/// Counts the fields cut to their limit.
#[derive(Default)]
struct Cut(u64);

impl Cut {
    fn text(&mut self, text: &mut String, max: usize) {
        self.0 += u64::from(truncate(text, max));
    }
}

/// The deepest nesting of arrays and objects, scanning outside strings.
/// Checked before parsing, so a hostile body costs one pass and no recursion.
fn nesting_depth(body: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &byte in body {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn check_id(field: &str, id: &str) -> Result<(), ValidateError> {
    if id.is_empty() || id.len() > MAX_ID_BYTES {
        return Err(invalid(
            field,
            format!("must be 1 to {MAX_ID_BYTES} characters"),
        ));
    }
    Ok(())
}

/// A field's problem: its path below the event, and what is wrong.
type FieldProblem = (&'static str, String);

/// Durations and sizes: a finite number, not below zero.
fn non_negative(field: &'static str, value: f64) -> Result<(), FieldProblem> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err((field, format!("must be a number ≥ 0, got {value}")))
    }
}

/// At most `max` items, else the field's problem.
fn at_most<T>(field: &'static str, items: &[T], max: usize) -> Result<(), FieldProblem> {
    if items.len() > max {
        return Err((field, format!("at most {max} entries, got {}", items.len())));
    }
    Ok(())
}

/// LCP sub-parts and INP phases: plain names, finite non-negative milliseconds.
/// They are named values like attributes, so the attribute count bounds them.
fn check_parts(parts: &Parts) -> Result<(), FieldProblem> {
    at_most("parts", &parts.0, MAX_ATTRS)?;
    for (name, ms) in &parts.0 {
        check_metric_name(name).map_err(|problem| ("parts", problem))?;
        non_negative("parts", *ms)?;
    }
    Ok(())
}

fn check_scripts(scripts: &mut [ScriptTiming], cut: &mut Cut) -> Result<(), FieldProblem> {
    at_most("scripts", scripts, MAX_SCRIPTS)?;
    for script in scripts {
        cut.text(&mut script.url, MAX_TEXT_BYTES);
        cut.text(&mut script.function, MAX_TEXT_BYTES);
        cut.text(&mut script.invoker, MAX_TEXT_BYTES);
        non_negative("scripts.duration", script.duration)?;
    }
    Ok(())
}

fn check_frames(frames: &mut [Frame], cut: &mut Cut) -> Result<(), FieldProblem> {
    at_most("frames", frames, MAX_FRAMES)?;
    for frame in frames {
        cut.text(&mut frame.function, MAX_TEXT_BYTES);
        cut.text(&mut frame.file, MAX_TEXT_BYTES);
    }
    Ok(())
}

/// A failed API call: a status of an HTTP response, or 0 for none.
fn check_api_call(call: &mut ApiCall, cut: &mut Cut) -> Result<(), FieldProblem> {
    cut.text(&mut call.method, MAX_METHOD_BYTES);
    cut.text(&mut call.url, MAX_TEXT_BYTES);
    cut.text(&mut call.message, MAX_TEXT_BYTES);
    check_trace_id(&call.trace_id).map_err(|problem| ("trace_id", problem.into()))?;
    if call.status != 0 && !(100..=599).contains(&call.status) {
        let problem = format!("must be 0 (no response) or 100 to 599, got {}", call.status);
        return Err(("status", problem));
    }
    non_negative("duration", call.duration)
}

/// Range checks per kind, and cutting text to the shared limits.
fn check_event_body(body: &mut EventBody, cut: &mut Cut) -> Result<(), FieldProblem> {
    match body {
        EventBody::Vital(vital) => {
            cut.text(&mut vital.target, MAX_TEXT_BYTES);
            cut.text(&mut vital.resource, MAX_TEXT_BYTES);
            cut.text(&mut vital.event_type, MAX_APP_NAME_BYTES);
            cut.text(&mut vital.owner, MAX_APP_NAME_BYTES);
            check_parts(&vital.parts)?;
            check_scripts(&mut vital.scripts, cut)?;
            non_negative("value", vital.value)
        }
        EventBody::Navigation(nav) => {
            cut.text(&mut nav.nav_type, MAX_APP_NAME_BYTES);
            non_negative("ttfb", nav.ttfb)
        }
        EventBody::Resource(resource) => {
            cut.text(&mut resource.url, MAX_TEXT_BYTES);
            cut.text(&mut resource.initiator, MAX_APP_NAME_BYTES);
            non_negative("duration", resource.duration)
        }
        EventBody::ResourceSummary(summary) => {
            if summary.cache_hits > summary.count {
                let problem = format!(
                    "{} exceeds the count, {}",
                    summary.cache_hits, summary.count
                );
                return Err(("cache_hits", problem));
            }
            non_negative("duration", summary.duration)
        }
        EventBody::LongFrame(frame) => {
            non_negative("duration", frame.duration)?;
            non_negative("blocking", frame.blocking)?;
            check_scripts(&mut frame.scripts, cut)
        }
        EventBody::Error(report) => {
            cut.text(&mut report.error_type, MAX_APP_NAME_BYTES);
            cut.text(&mut report.message, MAX_TEXT_BYTES);
            cut.text(&mut report.url, MAX_TEXT_BYTES);
            cut.text(&mut report.stack, MAX_STACK_BYTES);
            if report.count == 0 {
                return Err(("count", "must be at least 1".into()));
            }
            check_attrs(&mut report.attrs, cut)?;
            check_frames(&mut report.frames, cut)
        }
        EventBody::ApiCall(call) => check_api_call(call, cut),
        EventBody::ApiSummary(summary) => {
            if summary.failed > summary.calls {
                let problem = format!("{} exceeds the calls, {}", summary.failed, summary.calls);
                return Err(("failed", problem));
            }
            non_negative("duration", summary.duration)
        }
        EventBody::Metric(metric) => {
            check_metric_name(&metric.name).map_err(|problem| ("name", problem))?;
            check_attrs(&mut metric.attrs, cut)
        }
        EventBody::Custom(event) => {
            check_metric_name(&event.name).map_err(|problem| ("name", problem))?;
            check_attrs(&mut event.attrs, cut)
        }
        EventBody::App(lifecycle) => {
            cut.text(&mut lifecycle.detail, MAX_TEXT_BYTES);
            cut.text(&mut lifecycle.health_check, MAX_TEXT_BYTES);
            cut.text(&mut lifecycle.declared_rules, MAX_STACK_BYTES);
            at_most("dependencies", &lifecycle.dependencies, MAX_DEPENDENCIES)?;
            for dependency in &lifecycle.dependencies {
                check_app_name(dependency).map_err(|problem| ("dependencies", problem))?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(events: &str) -> String {
        format!(
            r#"{{"schema":1,"session_id":"s1","view_id":"v1","page_url":"http://x/","sent_at":10,
                "apps":[{{"name":"cart","version":"1.0.0"}}],"events":[{events}]}}"#
        )
    }

    #[test]
    fn a_good_beacon_passes_and_long_text_is_cut() {
        let long = "m".repeat(MAX_TEXT_BYTES + 10);
        let event = format!(
            r#"{{"app":"cart","at":5,"kind":"error","source":"error","error_type":"Error","message":"{long}"}}"#
        );
        let beacon = validate(body(&event).as_bytes()).unwrap();
        let EventBody::Error(report) = &beacon.events[0].body else {
            panic!()
        };
        assert!(report.message.len() <= MAX_TEXT_BYTES);
        assert!(report
            .message
            .ends_with(canopy_wire::limits::TRUNCATION_MARK));
    }

    #[test]
    fn api_calls_and_handled_reports_are_checked() {
        let long = "x".repeat(MAX_TEXT_BYTES + 10);
        let events = format!(
            r#"{{"app":"cart","at":5,"kind":"api_call","method":"PROPFINDPROPFINDPROPFIND","url":"{long}",
                "status":503,"duration":12,"message":"","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}},
               {{"app":"cart","at":5,"kind":"api_summary","calls":3,"failed":1,"duration":40}},
               {{"app":"cart","at":5,"kind":"error","source":"message","error_type":"Message",
                "message":"low stock","level":"warning","attrs":{{"sku":"{long}"}}}}"#
        );
        let beacon = validate(body(&events).as_bytes()).unwrap();
        let EventBody::ApiCall(call) = &beacon.events[0].body else {
            panic!()
        };
        assert!(call.method.len() <= MAX_METHOD_BYTES && call.url.len() <= MAX_TEXT_BYTES);
        let EventBody::Error(report) = &beacon.events[2].body else {
            panic!()
        };
        assert_eq!(report.level, canopy_wire::Level::Warning);
        assert!(report.attrs.0[0].1.len() <= MAX_ATTR_VALUE_BYTES);

        let refused = [
            (r#""status":503"#, r#""status":600"#, "events[0].status"),
            (
                r#""trace_id":"4bf9"#,
                r#""trace_id":"4BF9"#,
                "events[0].trace_id",
            ),
            (r#""failed":1"#, r#""failed":4"#, "events[1].failed"),
        ];
        for (good, bad, field) in refused {
            let error = validate(body(&events.replace(good, bad)).as_bytes()).unwrap_err();
            assert!(error.to_string().starts_with(field), "{error}");
        }
        let unknown_level = events.replace(r#""level":"warning""#, r#""level":"loud""#);
        let error = validate(body(&unknown_level).as_bytes()).unwrap_err();
        assert_eq!(error.code(), "invalid_beacon");
    }

    #[test]
    fn vital_attribution_is_cut_to_the_limits() {
        let long = "x".repeat(MAX_TEXT_BYTES + 10);
        let event = format!(
            r#"{{"app":"shell","at":5,"kind":"vital","name":"inp","value":48,"rating":"good",
                "target":"{long}","event_type":"{long}","restored":true}}"#
        );
        let beacon = validate(body(&event).as_bytes()).unwrap();
        let EventBody::Vital(vital) = &beacon.events[0].body else {
            panic!()
        };
        assert!(
            vital.target.len() <= MAX_TEXT_BYTES && vital.event_type.len() <= MAX_APP_NAME_BYTES
        );
        assert_eq!(
            (vital.rating, vital.restored),
            (Some(canopy_wire::Rating::Good), true)
        );
    }

    #[test]
    fn each_problem_has_its_own_code() {
        let cases = [
            ("{not json", "malformed_json"),
            (r#"{"schema":1}"#, "invalid_beacon"),
            (
                &body("").replace(r#""schema":1"#, r#""schema":99"#),
                "unsupported_schema",
            ),
            (
                &body(r#"{"app":"no spaces","at":1,"kind":"vital","name":"cls","value":0.1}"#),
                "invalid_field",
            ),
            (
                &body(r#"{"app":"cart","at":1,"kind":"vital","name":"lcp","value":-3}"#),
                "invalid_field",
            ),
            (
                &body(r#"{"app":"cart","at":1,"kind":"unknown"}"#),
                "invalid_beacon",
            ),
            (
                &body(&format!(
                    r#"{{"app":"cart","deep":{}1{}}}"#,
                    "[".repeat(9),
                    "]".repeat(9)
                )),
                "too_deep",
            ),
            (
                &body("").replace(r#""schema":1"#, r#""schema":1,"id":"short""#),
                "invalid_beacon_id",
            ),
            (
                &body("").replace(r#""schema":1"#, r#""schema":1,"id":"0123456789abcdef/1""#),
                "invalid_beacon_id",
            ),
        ];
        for (input, code) in cases {
            assert_eq!(
                validate(input.as_bytes()).unwrap_err().code(),
                code,
                "{input}"
            );
        }
    }

    /// Found by the fuzz target: without exact float parsing a re-encoded
    /// beacon read back differently (1800000001.1 → 1800000001.1000001).
    #[test]
    fn a_validated_beacon_survives_a_json_round_trip() {
        let beacon = validate(
            body("")
                .replace(r#""sent_at":10"#, r#""sent_at":1800000001.1"#)
                .as_bytes(),
        )
        .unwrap();
        let again = validate(&serde_json::to_vec(&beacon).unwrap()).unwrap();
        assert_eq!(again, beacon);
        assert_eq!(again.sent_at, 1_800_000_001.1);
    }

    #[test]
    fn depth_ignores_brackets_inside_strings() {
        assert_eq!(nesting_depth(br#"{"a":[{"b":"[[[[\"]]"}]}"#), 3);
    }

    #[test]
    fn too_many_events_is_refused() {
        let event = r#"{"app":"cart","at":1,"kind":"vital","name":"cls","value":0.1}"#;
        let events = vec![event; MAX_EVENTS_PER_BEACON + 1].join(",");
        let error = validate(body(&events).as_bytes()).unwrap_err();
        assert_eq!(error.code(), "too_many_events");
        assert!(error
            .to_string()
            .contains(&(MAX_EVENTS_PER_BEACON + 1).to_string()));
    }
}
