-- One table per kind of event. Every table leads with the same columns and is
-- sorted by app, then time: nearly every query asks about one app over a range.
CREATE TABLE IF NOT EXISTS vitals (
    received_at DateTime64(3),
    at DateTime64(3),
    app LowCardinality(String),
    app_version LowCardinality(String),
    session_id String,
    view_id String,
    page_url String,
    name LowCardinality(String),
    value Float64
) ENGINE = MergeTree PARTITION BY toDate(at) ORDER BY (app, at);

CREATE TABLE IF NOT EXISTS navigations (
    received_at DateTime64(3),
    at DateTime64(3),
    app LowCardinality(String),
    app_version LowCardinality(String),
    session_id String,
    view_id String,
    page_url String,
    nav_type LowCardinality(String),
    dns Float64,
    tcp Float64,
    tls Float64,
    ttfb Float64,
    download Float64,
    dom_parse Float64,
    dom_ready Float64,
    load Float64,
    transfer_size UInt64
) ENGINE = MergeTree PARTITION BY toDate(at) ORDER BY (app, at);

CREATE TABLE IF NOT EXISTS resources (
    received_at DateTime64(3),
    at DateTime64(3),
    app LowCardinality(String),
    app_version LowCardinality(String),
    session_id String,
    view_id String,
    page_url String,
    url String,
    initiator LowCardinality(String),
    duration Float64,
    transfer_size UInt64
) ENGINE = MergeTree PARTITION BY toDate(at) ORDER BY (app, at);

CREATE TABLE IF NOT EXISTS errors (
    received_at DateTime64(3),
    at DateTime64(3),
    app LowCardinality(String),
    app_version LowCardinality(String),
    session_id String,
    view_id String,
    page_url String,
    source LowCardinality(String),
    error_type LowCardinality(String),
    message String,
    stack String,
    url String,
    line UInt32,
    column UInt32
) ENGINE = MergeTree PARTITION BY toDate(at) ORDER BY (app, at);

CREATE TABLE IF NOT EXISTS app_events (
    received_at DateTime64(3),
    at DateTime64(3),
    app LowCardinality(String),
    app_version LowCardinality(String),
    session_id String,
    view_id String,
    page_url String,
    phase LowCardinality(String),
    detail String
) ENGINE = MergeTree PARTITION BY toDate(at) ORDER BY (app, at);
