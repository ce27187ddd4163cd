use super::*;

const EXAMPLE: &str = r#"
    listen = "127.0.0.1:9000"
    [clickhouse]
    url = "http://ch:8123"
    retention_days = 7
    [[projects]]
    name = "shop"
    key = "shop-public-1"
    origins = ["https://shop.example", "https://*.shop.example"]
"#;

#[test]
fn file_then_flags() {
    let mut settings: Settings = toml::from_str(EXAMPLE).unwrap();
    settings.apply(Cli {
        clickhouse_url: Some("http://other:8123".into()),
        ..Cli::default()
    });
    settings.check().unwrap();
    assert_eq!(settings.listen.port(), 9000);
    assert_eq!(settings.clickhouse.url, "http://other:8123");
    assert_eq!(settings.clickhouse.retention_days, 7);
    assert_eq!(settings.clickhouse.database, "canopy");
    assert_eq!(settings.projects[0].origins.len(), 2);
}

#[test]
fn the_example_file_is_valid_and_shows_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("canopy-ingest.example.toml");
    let example = Settings::from_file(&path).unwrap();
    example.check().unwrap();
    // Every setting shows its default; only the sample project is extra.
    assert_eq!(example.projects.len(), 1);
    let without_projects = Settings {
        projects: Vec::new(),
        ..example
    };
    assert_eq!(
        format!("{without_projects:?}"),
        format!("{:?}", Settings::default())
    );
}

#[test]
fn problems_name_the_setting() {
    let unknown = toml::from_str::<Settings>("[clickhouse]\nulr = \"x\"").unwrap_err();
    assert!(unknown.to_string().contains("ulr"), "{unknown}");
    let pattern = toml::from_str::<Settings>("[[ignore]]\nscript_url = \"[unclosed\"").unwrap_err();
    let matcher = toml::from_str::<Settings>("[alerting.route]\nreceiver = \"ops\"\n[[alerting.route.routes]]\nmatchers = ['app=~\"(\"']").unwrap_err();
    assert!(
        matcher
            .to_string()
            .contains("bad matcher \"app=~\\\"(\\\"\": not a regular expression"),
        "{matcher}"
    );
    assert!(
        pattern.to_string().contains("not a regular expression")
            && pattern.to_string().contains("script_url"),
        "{pattern}"
    );

    let cases = [
        (EXAMPLE.replace("http://ch:8123", "ch:8123"), "clickhouse.url"),
        (EXAMPLE.replace("shop-public-1", "short"), "projects[0] (shop).key"),
        (EXAMPLE.replace("\"https://shop.example\",", "\"shop.example\","), "projects[0] (shop).origins"),
        (EXAMPLE.replace("retention_days = 7", "retention_days = 0"), "clickhouse.retention_days"),
        (EXAMPLE.replace("retention_days = 7", "replicated = false"), "clickhouse.cluster: must be set"),
        (EXAMPLE.replace("retention_days = 7", "cluster = \"rum\"\nreplicated = false"), "clickhouse.nodes: must list"),
        (EXAMPLE.replace("retention_days = 7", "cluster = \"rum\"\nnodes = [\"http://a:8123\"]"), "clickhouse.nodes: only with"),
        (EXAMPLE.replace("retention_days = 7", "cluster = \"rum\"\nreplicated = false\nnodes = [\"a:8123\"]"), "clickhouse.nodes: must be http"),
        (format!("{EXAMPLE}\n[writer]\nbatch_bytes = 0\n"), "writer.batch_bytes"),
        (format!("{EXAMPLE}\n[http]\nbody_timeout = \"0s\"\n"), "http.body_timeout"),
        (format!("{EXAMPLE}\n[http]\nmax_connections = 0\n"), "http.max_connections"),
        (format!("{EXAMPLE}\n[limits]\nmax_stored_bytes = 0\n"), "limits.max_stored_bytes"),
        (format!("{EXAMPLE}\n[rate_limits]\nper_ip_stored_bytes_per_second = 0\n"), "rate_limits.per_ip_stored_bytes_per_second"),
        (format!("{EXAMPLE}\n[rate_limits]\nper_key_stored_bytes_burst = 0\n"), "rate_limits.per_key_stored_bytes_burst: must be at least limits.max_stored_bytes (1048576)"),
        (
            format!("{EXAMPLE}\n[alerting]\n[[alerting.rules]]\nname = \"slow\"\nmetric = \"lcp\"\noperator = \"gt\"\nthreshold = 2500\nseverity = \"warning\"\nchannels = [\"pager\"]\n"),
            "alerting.rules: rule \"slow\": channels",
        ),
        (
            format!("{EXAMPLE}\n[alerting]\n[[alerting.channels]]\nname = \"pager\"\nkind = \"pagerduty\"\nrouting_key = \"env:CANOPY_TEST_UNSET_ROUTING_KEY\"\n"),
            "alerting.channels[0] (pager): routing_key: environment variable CANOPY_TEST_UNSET_ROUTING_KEY is not set",
        ),
        (
            format!("{EXAMPLE}\n[[ignore]]\napp = \"cart\"\n"),
            "ignore[0]: needs a message or script_url pattern",
        ),
        (
            format!("{EXAMPLE}\n[[ignore]]\nmessage = \"x\"\n[[ignore]]\napp = \"Cart!\"\nmessage = \"x\"\n"),
            "ignore[1]: app:",
        ),
        (
            format!("{EXAMPLE}\n[alerting]\n[[alerting.rules]]\nname = \"cart-regression\"\nmetric = \"error_rate\"\ncompare = \"previous_version\"\nseverity = \"critical\"\n"),
            "alerting.rules: rule \"cart-regression\": ratio: is required with compare",
        ),
        (
            format!("{EXAMPLE}\n[alerting]\n[[alerting.channels]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"http://hook\"\n[alerting.route]\nreceiver = \"ops\"\n[[alerting.route.routes]]\nmatchers = ['severity=\"critical\"']\nreceiver = \"pager\"\n"),
            "alerting.route.routes[0]: receiver: no channel named \"pager\"",
        ),
        (
            format!("{EXAMPLE}\n[alerting]\n[alerting.route]\ngroup_by = [\"app\"]\n"),
            "alerting.route: receiver: is required at the root",
        ),
        (
            format!("{EXAMPLE}\n[alerting]\n[[alerting.rules]]\nname = \"slow\"\nmetric = \"lcp\"\noperator = \"gt\"\nthreshold = 2500\nseverity = \"warning\"\nlabels = {{ severity = \"low\" }}\n"),
            "alerting.rules: rule \"slow\": labels: \"severity\" is set by Canopy",
        ),
        (
            format!("{EXAMPLE}\n[tls]\nca_file = \"/nonexistent/ca.pem\"\n"),
            "tls.ca_file: cannot read /nonexistent/ca.pem",
        ),
    ];
    for (text, setting) in cases {
        let error = toml::from_str::<Settings>(&text)
            .unwrap()
            .check()
            .unwrap_err();
        assert!(error.to_string().starts_with(setting), "{error}");
    }
}

#[test]
fn the_evaluator_lease_is_checked_and_defaults_to_two_intervals() {
    let alerting = |extra: &str| {
        toml::from_str::<Settings>(&format!("[alerting]\ninterval = \"10s\"\n{extra}")).unwrap()
    };
    let default = alerting("");
    default.check().unwrap();
    assert_eq!(
        default.alerting.lease_length(),
        std::time::Duration::from_secs(20)
    );
    assert!(default
        .alerting
        .evaluator_id()
        .ends_with(&format!("-{}", std::process::id())));
    let named = alerting("instance_id = \"eval-a.1\"\nlease = \"15s\"");
    named.check().unwrap();
    assert_eq!(
        (
            named.alerting.evaluator_id().as_str(),
            named.alerting.lease_length()
        ),
        ("eval-a.1", std::time::Duration::from_secs(15))
    );
    let short = alerting("lease = \"5s\"").check().unwrap_err().to_string();
    assert!(
        short.contains("alerting.lease")
            && short.contains("at least alerting.interval (10s), got 5s"),
        "{short}"
    );
    let spaced = alerting("instance_id = \"eval a\"")
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        spaced.contains("alerting.instance_id") && spaced.contains("\"eval a\""),
        "{spaced}"
    );
}
