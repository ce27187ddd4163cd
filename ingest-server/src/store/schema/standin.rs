//! STAND-IN for migration 10 (owned by helper AGENT, branch i16-agent): only
//! the two API tables migration 12 reads, with the columns the issue 16
//! design fixes, so release health can be built and tested before that
//! branch is merged. Drop this file and its entry when merging i16-agent.

use super::{create_table, event_table, Layout};

const API_TABLES: &[(&str, &[(&str, &str)])] = &[
    (
        "api_summaries",
        &[
            ("calls", "UInt32"),
            ("failed", "UInt32"),
            ("duration", "Float64"),
            ("app_attrs", "Map(LowCardinality(String), String)"),
        ],
    ),
    (
        "api_failures",
        &[
            ("method", "LowCardinality(String)"),
            ("url", "String"),
            ("status", "UInt16"),
            ("duration", "Float64"),
            ("message", "String"),
            ("trace_id", "String"),
            ("app_attrs", "Map(LowCardinality(String), String)"),
        ],
    ),
];

pub(super) fn create_api_tables(layout: &Layout, database: &str) -> Vec<String> {
    API_TABLES
        .iter()
        .flat_map(|(name, own)| create_table(layout, database, &event_table(name, own)))
        .collect()
}
