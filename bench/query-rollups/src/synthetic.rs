//! Synthetic events, generated inside ClickHouse (`INSERT … SELECT FROM
//! numbers(n)`) into the raw tables, so the rollups' materialized views fill
//! exactly as they do on the server's own inserts.
//!
//! The shape is a shop built from micro-frontends: page views over `days`
//! whole UTC days with a daily cycle (four times as much traffic at the
//! mid-afternoon peak, UTC, as at night), four views per session, 300 page
//! paths with a long tail, every view running the shell and the two of seven
//! MFEs its page uses (so 8 apps), five browsers. Per view: 6 app events
//! (each app registered, then mounted or, 0.4% of the time, failed), 8 vitals
//! (the shell's five, CLS and INP of one MFE, CLS of the other), 1 navigation
//! and 20 resources. Errors take the rest of the event budget (about one per
//! four views), on random views; 15% of them are failed loads. Values are
//! log-normal around typical medians. Everything derives from row numbers
//! through hashes, so the same arguments give the same data.

use crate::report::grouped;

/// One raw table's synthetic rows.
struct Shape {
    table: &'static str,
    /// Rows per page view; `None` for errors, which fall on random views.
    per_view: Option<u64>,
    /// The row's app, as an index into its view's apps (1 = the shell).
    app_index: &'static str,
    own_columns: &'static str,
    own_values: fn() -> String,
}

const SHAPES: [Shape; 5] = [
    Shape {
        table: "app_events",
        per_view: Some(6),
        app_index: "intDiv(slot, 2) + 1",
        own_columns: "phase",
        own_values: app_event_values,
    },
    Shape {
        table: "vitals",
        per_view: Some(8),
        app_index: "[1, 1, 1, 1, 1, 2, 2, 3][slot + 1]",
        own_columns: "name, value",
        own_values: vital_values,
    },
    Shape {
        table: "navigations",
        per_view: Some(1),
        app_index: "1",
        own_columns:
            "nav_type, dns, tcp, tls, ttfb, download, dom_parse, dom_ready, load, transfer_size",
        own_values: navigation_values,
    },
    Shape {
        table: "resources",
        per_view: Some(20),
        app_index: "if(slot < 6, 1, if(slot < 14, 2, 3))",
        own_columns: "initiator, url, duration, transfer_size",
        own_values: resource_values,
    },
    Shape {
        table: "errors",
        per_view: None,
        app_index:
            "multiIf(cityHash64(number, 62) % 10 < 3, 1, cityHash64(number, 62) % 10 < 7, 2, 3)",
        own_columns: "source, error_type, url, message, stack, line, `column`",
        own_values: error_values,
    },
];
/// Errors per view on average (they are spread over random views).
const ERRORS_PER_VIEW: f64 = 0.25;
const VIEWS_PER_SESSION: u64 = 4;
const PAGES: u32 = 300;
const MFES: &str = "['catalog', 'product', 'search', 'cart', 'checkout', 'account', 'reviews']";
/// Daily cycle: a view's time of day is warped by `x - a/2π (sin 2π(x - peak) + sin 2π peak)`,
/// whose density is (1 + a) / (1 - a) times higher at the peak than at the trough.
const DAILY_SWING: f64 = 0.6;
const PEAK: f64 = 14.0 / 24.0;

/// The columns every event table starts with (ARCHITECTURE.md), in the
/// order [`common_columns`] produces them.
const COMMON: &str =
    "received_at, at, app, app_version, session_id, view_id, page_url, browser, browser_version, os, device";

/// How many events of each kind, and over which period.
pub struct Plan {
    pub views: u64,
    pub errors: u64,
    days: u32,
    /// Unix seconds, a UTC midnight: where the generated period ends.
    end: u32,
}

/// One table's rows: the statement that inserts them, and how many.
pub struct Insert {
    pub table: &'static str,
    pub rows: u64,
    pub sql: String,
}

impl Plan {
    /// `events` in all over the `days` days before `end`.
    pub fn new(events: u64, days: u32, end: u32) -> Self {
        let per_view: u64 = SHAPES.iter().filter_map(|shape| shape.per_view).sum();
        let views = (events as f64 / (per_view as f64 + ERRORS_PER_VIEW)) as u64;
        Self {
            views,
            errors: events - views * per_view,
            days,
            end,
        }
    }

    /// The data in a sentence, for the report.
    pub fn description(&self) -> String {
        let per_view: Vec<String> = SHAPES
            .iter()
            .filter_map(|shape| Some(format!("{} {}", shape.table, shape.per_view?)))
            .collect();
        format!(
            "{} page views of 8 apps (a shell and 7 MFEs, each view running the shell and two) over the {} \
             whole UTC days before the run, with a daily cycle; {VIEWS_PER_SESSION} views per session, {PAGES} \
             page paths, 5 browsers; rows per view: {}; {} errors on random views",
            grouped(self.views),
            self.days,
            per_view.join(", "),
            grouped(self.errors)
        )
    }

    /// The inserts, one per raw table: the common columns and the table's own.
    pub fn inserts(&self) -> Vec<Insert> {
        SHAPES
            .iter()
            .map(|shape| {
                let (rows, source) = match shape.per_view {
                    Some(per_view) => {
                        let rows = self.views * per_view;
                        (
                            rows,
                            self.view_rows(rows, per_view, &format!("intDiv(number, {per_view})")),
                        )
                    }
                    None => {
                        let view_of_row = format!("cityHash64(number, 61) % {}", self.views);
                        (self.errors, self.view_rows(self.errors, 1, &view_of_row))
                    }
                };
                Insert {
                    table: shape.table,
                    rows,
                    sql: format!(
                        "INSERT INTO {} ({COMMON}, {}) SELECT {}, {} FROM ({source})",
                        shape.table,
                        shape.own_columns,
                        common_columns(shape.app_index),
                        (shape.own_values)()
                    ),
                }
            })
            .collect()
    }

    /// Rows `number` of `numbers(rows)`, each with the attributes of the
    /// page view it belongs to (`view_of_row`) and its `slot` in that view.
    /// Views are numbered in time order.
    fn view_rows(&self, rows: u64, per_view: u64, view_of_row: &str) -> String {
        let (views, days) = (self.views, self.days);
        let start = self.end - days * 86_400;
        let page_draw = unit("view_index", 1);
        let browser_draw = unit("session", 2);
        let device_draw = unit("session", 3);
        format!(
            "SELECT number, number % {per_view} AS slot, {view_of_row} AS view_index, \
             intDiv(view_index, {VIEWS_PER_SESSION}) AS session, \
             view_index * {days} / {views} AS days_in, toUInt32(floor(days_in)) AS view_day, \
             days_in - view_day AS time_of_day, \
             time_of_day - {DAILY_SWING} / (2 * pi()) * (sin(2 * pi() * (time_of_day - {PEAK})) + sin(2 * pi() * {PEAK})) AS warped_time_of_day, \
             toInt64(({start} + (view_day + warped_time_of_day) * 86400) * 1000) AS view_ms, \
             toUInt32(floor({PAGES} * pow({page_draw}, 3))) AS page, \
             multiIf(page = 0, '/', page < 40, concat('/category/', toString(page)), \
                     page < 280, concat('/product/', toString(page)), concat('/account/', toString(page))) AS path, \
             page % 7 AS first_mfe, (first_mfe + 1 + intDiv(page, 7) % 6) % 7 AS second_mfe, \
             ['shell', {MFES}[first_mfe + 1], {MFES}[second_mfe + 1]] AS apps, \
             multiIf({browser_draw} < 0.63, 'Chrome', {browser_draw} < 0.82, 'Safari', {browser_draw} < 0.89, 'Edge', \
                     {browser_draw} < 0.95, 'Firefox', 'Samsung Internet') AS browser, \
             toString(120 + cityHash64(session, 4) % 12) AS browser_version, \
             if({device_draw} < 0.55, 'smartphone', 'pc') AS device, \
             multiIf(browser = 'Safari', if(device = 'smartphone', 'iOS', 'Mac OSX'), \
                     device = 'smartphone', 'Android', 'Windows 10') AS os, \
             lower(hex(cityHash64(session, 5))) AS session_id, lower(hex(cityHash64(view_index, 6))) AS view_id \
             FROM numbers({rows})"
        )
    }
}

/// The values of [`COMMON`]: `app_index` picks the row's app from the
/// view's; a view's events are 250 ms apart, received 0.8 s later.
fn common_columns(app_index: &str) -> String {
    format!(
        "fromUnixTimestamp64Milli(view_ms + slot * 250 + 800), fromUnixTimestamp64Milli(view_ms + slot * 250), \
         apps[{app_index}] AS app, concat('1.', toString(view_day % 3)), session_id, view_id, \
         concat('https://shop.example', path), browser, browser_version, os, device"
    )
}

/// Each app registered, then mounted or (0.4%) failed.
fn app_event_values() -> String {
    format!(
        "if(slot % 2 = 0, 'registered', if({} < 0.004, 'failed', 'mounted'))",
        unit("view_index", 71)
    )
}

/// Each vital log-normal around a typical median (slower on some pages);
/// 40% of CLS values are exactly 0, as on pages that never shift.
fn vital_values() -> String {
    let names = "['lcp', 'fcp', 'ttfb', 'cls', 'inp']";
    format!(
        "['lcp', 'fcp', 'ttfb', 'cls', 'inp', 'cls', 'inp', 'cls'][slot + 1] AS name, \
         if(name = 'cls', if({zero_draw} < 0.4, 0, round(0.05 * exp({normal}), 4)), \
            round(transform(name, {names}, [2100., 1400., 450., 0., 160.], 0.) * (1 + page % 5 / 8) \
                  * exp(transform(name, {names}, [0.55, 0.5, 0.7, 1., 0.8], 1.) * {normal}), 1))",
        zero_draw = unit("number", 11),
        normal = normal(12),
    )
}

fn navigation_values() -> String {
    let timings = [
        (8.0, 1.2),
        (20.0, 0.8),
        (25.0, 0.7),
        (450.0, 0.7),
        (40.0, 0.9),
        (300.0, 0.6),
        (1500.0, 0.5),
        (2600.0, 0.5),
    ];
    let timing_values: Vec<String> = timings
        .iter()
        .zip((22..).step_by(2))
        .map(|((median, sigma), salt)| lognormal(*median, *sigma, salt))
        .collect();
    format!(
        "multiIf({draw} < 0.9, 'navigate', {draw} < 0.97, 'reload', 'back_forward'), {}, toUInt64({})",
        timing_values.join(", "),
        lognormal(30_000.0, 0.6, 40),
        draw = unit("number", 21),
    )
}

/// Scripts and styles per app, images per page, API calls per app.
fn resource_values() -> String {
    format!(
        "['script', 'link', 'img', 'fetch'][slot % 4 + 1] AS initiator, \
         multiIf(initiator = 'script', concat('https://cdn.shop.example/', app, '/chunk-', toString(slot % 10), '.js'), \
                 initiator = 'link', concat('https://cdn.shop.example/', app, '/styles.css'), \
                 initiator = 'img', concat('https://cdn.shop.example/img/', toString(page), '-', toString(slot), '.webp'), \
                 concat('https://shop.example/api/', app, '/', toString(slot % 3))), \
         {}, toUInt64(if(initiator = 'fetch', 0.15, 1) * {})",
        lognormal(90.0, 0.9, 51),
        lognormal(15_000.0, 1.0, 53),
    )
}

/// 40 problems per app, the first few most frequent; stacks in Chrome's
/// format. (`problem` and `script_url` are named inside the first
/// expression that uses them, so they are not columns of their own.)
fn error_values() -> String {
    format!(
        "multiIf({source_draw} < 0.7, 'error', {source_draw} < 0.85, 'rejection', 'resource_load') AS source, \
         if(source = 'resource_load', if({script_draw} < 0.5, 'script', 'img'), \
            ['TypeError', 'ReferenceError', 'Error', 'TypeError'][(toUInt32(floor(40 * pow({problem_draw}, 2))) AS problem) % 4 + 1]) \
            AS error_type, \
         if(error_type = 'img', concat('https://cdn.shop.example/img/', toString(page), '.webp'), \
            concat('https://cdn.shop.example/', app, '/chunk-', toString(problem % 10), '.js') AS script_url) AS url, \
         if(source = 'resource_load', concat('failed to load ', url), \
            concat(error_type, ': ', ['Cannot read properties of undefined (reading ''id'')', 'dataLayer is not defined', \
                                      'Network request failed', 'items.map is not a function'][problem % 4 + 1], \
                   ' (', toString(problem), ')')) AS message, \
         if(source = 'resource_load', '', concat(message, '\\n    at render', toString(problem), ' (', script_url, ':', \
            toString(100 + problem), ':17)\\n    at commit (https://cdn.shop.example/shell/vendor.js:2:4410)')), \
         if(source = 'resource_load', 0, 100 + problem), if(source = 'resource_load', 0, 17)",
        source_draw = unit("number", 63),
        problem_draw = unit("number", 64),
        script_draw = unit("number", 65),
    )
}

/// A number in [0, 1) drawn from `key` (a column) and `salt`.
fn unit(key: &str, salt: u32) -> String {
    format!("(cityHash64({key}, {salt}) / 18446744073709551616.0)")
}

/// A standard normal number drawn from the row (Box–Muller, salts `salt` and `salt + 1`).
fn normal(salt: u32) -> String {
    format!(
        "(sqrt(-2 * log(1 - {})) * cos(2 * pi() * {}))",
        unit("number", salt),
        unit("number", salt + 1)
    )
}

/// Log-normal with the given median and σ of its logarithm, to 0.1.
fn lognormal(median: f64, sigma: f64, salt: u32) -> String {
    format!("round({median} * exp({sigma} * {}), 1)", normal(salt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_spends_the_event_budget_exactly() {
        let plan = Plan::new(10_000_000, 7, 1_800_000_000);
        let rows: u64 = plan.inserts().iter().map(|insert| insert.rows).sum();
        assert_eq!(rows, 10_000_000);
        assert!((plan.errors as f64 / plan.views as f64 - ERRORS_PER_VIEW).abs() < 0.01);
    }
}
