//! The wire types of `canopy-wire` written as JSON text, by hand.
//!
//! The agent used to go through serde: first serde-wasm-bindgen and
//! `JSON.stringify`, then a minimal serde `Serializer`. Both cost more wasm
//! than writing each field: serde's derived code for `Event` alone (the
//! internally tagged body flattened into it) was 3.3 KB, where a call per
//! field is a few bytes; dropping serde saved 1 KB gzipped. The output is
//! byte for byte `serde_json`'s, apart from the notation of floats (see
//! [`push_float`]); the tests check every event kind and the envelope. Each
//! struct is destructured without `..`, so a field added to `canopy-wire`
//! does not compile here until it is written (`Event`'s own three fields are
//! passed as they are).

use canopy_wire::{
    ApiCall, ApiSummary, AppInfo, AppLifecycle, Beacon, CustomEvent, CustomMetric, ErrorReport,
    EventBody, Frame, Level, LongFrame, Navigation, Pairs, Resource, ResourceSummary, ScriptTiming,
    Vital,
};

/// A [`canopy_wire::Event`] as JSON, from its fields (the agent never builds the struct).
pub fn event(app: &str, at: f64, body: &EventBody) -> String {
    let mut writer = Writer::open();
    writer.text("app", app);
    writer.number("at", at);
    match body {
        EventBody::Vital(vital) => writer.vital(vital),
        EventBody::Navigation(navigation) => writer.navigation(navigation),
        EventBody::Resource(resource) => writer.resource(resource),
        EventBody::ResourceSummary(summary) => writer.resource_summary(summary),
        EventBody::LongFrame(frame) => writer.long_frame(frame),
        EventBody::Error(report) => writer.error(report),
        EventBody::App(lifecycle) => writer.app_lifecycle(lifecycle),
        EventBody::Metric(metric) => writer.metric(metric),
        EventBody::Custom(custom) => writer.custom(custom),
        EventBody::ApiCall(call) => writer.api_call(call),
        EventBody::ApiSummary(summary) => writer.api_summary(summary),
    }
    writer.close()
}

/// A beacon as JSON; its events are written as they are (`[]` for none, as
/// [`canopy_wire::assemble`] expects of an envelope).
pub fn envelope(beacon: &Beacon) -> String {
    let Beacon {
        schema,
        id,
        session_id,
        view_id,
        page_url,
        sent_at,
        apps,
        dropped,
        events,
    } = beacon;
    let mut writer = Writer::open();
    writer.unsigned("schema", (*schema).into());
    if let Some(id) = id {
        writer.text("id", id);
    }
    writer.text("session_id", session_id);
    writer.text("view_id", view_id);
    writer.text("page_url", page_url);
    writer.number("sent_at", *sent_at);
    writer.list("apps", apps, Writer::app_info);
    if *dropped != 0 {
        writer.unsigned("dropped", *dropped);
    }
    writer.key("events");
    writer.out.push('[');
    for event in events {
        writer.separate();
        writer
            .out
            .push_str(&self::event(&event.app, event.at, &event.body));
    }
    writer.out.push(']');
    writer.close()
}

/// A whole number in decimal. `to_string()` would link core's formatting
/// machinery, which the agent otherwise avoids.
pub fn decimal(value: u64) -> String {
    let mut writer = Writer { out: String::new() };
    writer.digits(value);
    writer.out
}

struct Writer {
    out: String,
}

impl Writer {
    fn open() -> Self {
        let mut out = String::with_capacity(256);
        out.push('{');
        Self { out }
    }

    fn close(mut self) -> String {
        self.out.push('}');
        self.out
    }

    /// A comma, unless an object or array has just been opened.
    fn separate(&mut self) {
        if !matches!(self.out.as_bytes().last(), Some(b'{' | b'[')) {
            self.out.push(',');
        }
    }

    /// `"key":` (keys are the wire's own names: nothing to escape).
    fn key(&mut self, key: &str) {
        self.separate();
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    /// A text field that is left out when empty.
    fn text_if_any(&mut self, key: &str, value: &str) {
        if !value.is_empty() {
            self.text(key, value);
        }
    }

    fn number(&mut self, key: &str, value: f64) {
        self.key(key);
        self.float(value);
    }

    fn unsigned(&mut self, key: &str, value: u64) {
        self.key(key);
        self.digits(value);
    }

    /// A flag that is left out when false.
    fn flag_if_set(&mut self, key: &str, value: bool) {
        if value {
            self.key(key);
            self.out.push_str("true");
        }
    }

    /// An array field written item by item (also when empty).
    fn list<T>(&mut self, key: &str, items: &[T], write: fn(&mut Self, &T)) {
        self.key(key);
        self.out.push('[');
        for item in items {
            self.separate();
            write(self, item);
        }
        self.out.push(']');
    }

    /// An array field that is left out when empty.
    fn list_if_any<T>(&mut self, key: &str, items: &[T], write: fn(&mut Self, &T)) {
        if !items.is_empty() {
            self.list(key, items, write);
        }
    }

    /// An object of named values, left out when empty.
    fn pairs_if_any<V>(&mut self, key: &str, pairs: &Pairs<V>, write: fn(&mut Self, &V)) {
        if pairs.is_empty() {
            return;
        }
        self.key(key);
        self.out.push('{');
        for (name, value) in &pairs.0 {
            self.separate();
            self.string(name);
            self.out.push(':');
            write(self, value);
        }
        self.out.push('}');
    }

    /// A nested object.
    fn object<T>(&mut self, value: &T, write: fn(&mut Self, &T)) {
        self.out.push('{');
        write(self, value);
        self.out.push('}');
    }

    fn vital(&mut self, vital: &Vital) {
        let Vital {
            name,
            value,
            rating,
            target,
            resource,
            event_type,
            owner,
            restored,
            parts,
            scripts,
        } = vital;
        self.text("kind", "vital");
        self.text("name", name.as_str());
        self.number("value", *value);
        if let Some(rating) = rating {
            self.text("rating", rating.as_str());
        }
        self.text_if_any("target", target);
        self.text_if_any("resource", resource);
        self.text_if_any("event_type", event_type);
        self.text_if_any("owner", owner);
        self.flag_if_set("restored", *restored);
        self.pairs_if_any("parts", parts, |writer, ms| writer.float(*ms));
        self.list_if_any("scripts", scripts, Self::script);
    }

    fn navigation(&mut self, navigation: &Navigation) {
        let Navigation {
            nav_type,
            dns,
            tcp,
            tls,
            ttfb,
            download,
            dom_parse,
            dom_ready,
            load,
            transfer_size,
        } = navigation;
        self.text("kind", "navigation");
        self.text("nav_type", nav_type);
        self.number("dns", *dns);
        self.number("tcp", *tcp);
        self.number("tls", *tls);
        self.number("ttfb", *ttfb);
        self.number("download", *download);
        self.number("dom_parse", *dom_parse);
        self.number("dom_ready", *dom_ready);
        self.number("load", *load);
        self.unsigned("transfer_size", *transfer_size);
    }

    fn resource(&mut self, resource: &Resource) {
        let Resource {
            url,
            initiator,
            duration,
            transfer_size,
            cache_hit,
        } = resource;
        self.text("kind", "resource");
        self.text("url", url);
        self.text("initiator", initiator);
        self.number("duration", *duration);
        self.unsigned("transfer_size", *transfer_size);
        self.flag_if_set("cache_hit", *cache_hit);
    }

    fn resource_summary(&mut self, summary: &ResourceSummary) {
        let ResourceSummary {
            count,
            transfer_size,
            cache_hits,
            duration,
        } = summary;
        self.text("kind", "resource_summary");
        self.unsigned("count", (*count).into());
        self.unsigned("transfer_size", *transfer_size);
        self.unsigned("cache_hits", (*cache_hits).into());
        self.number("duration", *duration);
    }

    fn long_frame(&mut self, frame: &LongFrame) {
        let LongFrame {
            duration,
            blocking,
            scripts,
        } = frame;
        self.text("kind", "long_frame");
        self.number("duration", *duration);
        self.number("blocking", *blocking);
        self.list_if_any("scripts", scripts, Self::script);
    }

    fn script(&mut self, script: &ScriptTiming) {
        self.object(script, |writer, script| {
            let ScriptTiming {
                url,
                function,
                invoker,
                duration,
            } = script;
            writer.text("url", url);
            writer.text_if_any("function", function);
            writer.text_if_any("invoker", invoker);
            writer.number("duration", *duration);
        });
    }

    fn error(&mut self, report: &ErrorReport) {
        let ErrorReport {
            source,
            error_type,
            message,
            stack,
            url,
            line,
            column,
            frames,
            count,
            level,
            attrs,
        } = report;
        self.text("kind", "error");
        self.text("source", source.as_str());
        self.text("error_type", error_type);
        self.text("message", message);
        self.text("stack", stack);
        self.text("url", url);
        self.unsigned("line", (*line).into());
        self.unsigned("column", (*column).into());
        self.list_if_any("frames", frames, Self::frame);
        if *count != 1 {
            self.unsigned("count", (*count).into());
        }
        if *level != Level::Error {
            self.text("level", level.as_str());
        }
        self.attrs(attrs);
    }

    fn api_call(&mut self, call: &ApiCall) {
        let ApiCall {
            method,
            url,
            status,
            duration,
            message,
            trace_id,
        } = call;
        self.text("kind", "api_call");
        self.text("method", method);
        self.text("url", url);
        self.unsigned("status", (*status).into());
        self.number("duration", *duration);
        self.text("message", message);
        self.text_if_any("trace_id", trace_id);
    }

    fn api_summary(&mut self, summary: &ApiSummary) {
        let ApiSummary {
            calls,
            failed,
            duration,
        } = summary;
        self.text("kind", "api_summary");
        self.unsigned("calls", (*calls).into());
        self.unsigned("failed", (*failed).into());
        self.number("duration", *duration);
    }

    fn frame(&mut self, frame: &Frame) {
        self.object(frame, |writer, frame| {
            let Frame {
                function,
                file,
                line,
                column,
            } = frame;
            writer.text_if_any("function", function);
            writer.text("file", file);
            writer.unsigned("line", (*line).into());
            writer.unsigned("column", (*column).into());
        });
    }

    fn app_lifecycle(&mut self, lifecycle: &AppLifecycle) {
        let AppLifecycle {
            phase,
            detail,
            health_check,
            dependencies,
            declared_rules,
        } = lifecycle;
        self.text("kind", "app");
        self.text("phase", phase.as_str());
        self.text("detail", detail);
        self.text_if_any("health_check", health_check);
        self.list_if_any("dependencies", dependencies, |writer, name| {
            writer.string(name)
        });
        self.text_if_any("declared_rules", declared_rules);
    }

    fn metric(&mut self, metric: &CustomMetric) {
        let CustomMetric { name, value, attrs } = metric;
        self.text("kind", "metric");
        self.text("name", name);
        self.number("value", *value);
        self.attrs(attrs);
    }

    fn custom(&mut self, custom: &CustomEvent) {
        let CustomEvent { name, attrs } = custom;
        self.text("kind", "custom");
        self.text("name", name);
        self.attrs(attrs);
    }

    fn app_info(&mut self, app: &AppInfo) {
        self.object(app, |writer, app| {
            let AppInfo {
                name,
                version,
                sample_rate,
                attrs,
            } = app;
            writer.text("name", name);
            writer.text("version", version);
            if *sample_rate != 1.0 {
                writer.number("sample_rate", *sample_rate);
            }
            writer.attrs(attrs);
        });
    }

    fn attrs(&mut self, attrs: &Pairs<String>) {
        self.pairs_if_any("attrs", attrs, |writer, value| writer.string(value));
    }

    fn string(&mut self, text: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.out.push('"');
        for c in text.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '\u{8}' => self.out.push_str("\\b"),
                '\u{c}' => self.out.push_str("\\f"),
                c if c < ' ' => {
                    self.out.push_str("\\u00");
                    self.out.push(HEX[c as usize >> 4] as char);
                    self.out.push(HEX[c as usize & 0xf] as char);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    fn digits(&mut self, mut value: u64) {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        for &digit in &digits[start..] {
            self.out.push(digit as char);
        }
    }

    fn float(&mut self, value: f64) {
        if value.is_finite() {
            push_float(&mut self.out, value);
        } else {
            // JSON has no NaN or infinity; serde_json and JSON.stringify write null.
            self.out.push_str("null");
        }
    }
}

/// A finite float's shortest round-trip text. In the browser that is JS's own
/// `String(number)`, the text `JSON.stringify` writes: a float formatter in the
/// wasm would cost ~2 KB gzipped. On the host (tests) it is `zmij`'s, as in
/// serde_json. Both give the same digits; the notation differs only for whole
/// numbers (`1` / `1.0`) and for where exponents start (`10000000000000000` /
/// `1e+16`), which every JSON parser reads as the same number.
#[cfg(target_arch = "wasm32")]
fn push_float(out: &mut String, value: f64) {
    // `String(number)` cannot throw; `null` keeps the JSON valid regardless.
    out.push_str(
        crate::js::string_of(&value.into())
            .as_deref()
            .unwrap_or("null"),
    );
}

#[cfg(not(target_arch = "wasm32"))]
fn push_float(out: &mut String, value: f64) {
    out.push_str(zmij::Buffer::new().format_finite(value));
}

#[cfg(test)]
mod tests;
